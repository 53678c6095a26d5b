"""The headers Sim's web server (Next.js config) puts on every API answer, as real Sim v0.8.9 sent them.

Two families: the two execute routes answer any origin without credentials and add the
cross-origin isolation headers; every other route echoes the app's own origin with credentials.
The allowed request headers name each surface's own headers (``tests/fixtures/sim-0.8.9/``
``sync-execute.headers``, ``v2-execute-sync.headers``, ``v2-workspaces.headers``).
"""

from __future__ import annotations

import re

_COMMON_ALLOWED = (
    "X-CSRF-Token, X-Requested-With, Accept, Accept-Version, Content-Length, Content-MD5, Content-Type, Date, "
    "X-Api-Version, X-API-Key"
)
_EXPOSED = "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-Request-Id, X-Run-Id"
_NEXT_VARY = "rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch"
_LEGACY_EXECUTE = re.compile(r"^/api/workflows/[^/]+/execute$")
_V2_EXECUTE = re.compile(r"^/api/v2/workflows/[^/]+/execute$")


def _csp(origin: str) -> str:
    """Sim's Content-Security-Policy; its own origin appears among the allowed connect sources."""
    return (
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' https://*.google.com "
        "https://apis.google.com https://challenges.cloudflare.com https://app.cal.com; style-src 'self' "
        "'unsafe-inline' https://fonts.googleapis.com; img-src 'self' data: blob: https:; media-src 'self' blob:; "
        "worker-src 'self' blob:; font-src 'self' https://fonts.gstatic.com; connect-src 'self' "
        "https://api.browser-use.com https://api.elevenlabs.io wss://api.elevenlabs.io https://api.exa.ai "
        "https://api.firecrawl.dev https://*.googleapis.com https://*.amazonaws.com https://*.s3.amazonaws.com "
        "https://*.blob.core.windows.net https://*.atlassian.com https://*.supabase.co https://api.github.com "
        "https://github.com/* https://challenges.cloudflare.com https://app.cal.com https://cal.com "
        f"ws://localhost:4722 {origin} http://localhost:11434 http://localhost:3002 ws://localhost:3002; "
        "frame-src 'self' blob: https://challenges.cloudflare.com https://app.cal.com https://cal.com "
        "https://drive.google.com https://docs.google.com https://*.google.com https://www.youtube.com "
        "https://player.vimeo.com https://www.dailymotion.com https://player.twitch.tv https://clips.twitch.tv "
        "https://streamable.com https://fast.wistia.net https://www.tiktok.com https://w.soundcloud.com "
        "https://open.spotify.com https://embed.music.apple.com https://www.loom.com https://www.facebook.com "
        "https://www.instagram.com https://platform.twitter.com https://rumble.com https://play.vidyard.com "
        "https://iframe.cloudflarestream.com https://www.mixcloud.com https://tenor.com https://giphy.com; "
        "frame-ancestors 'self'; form-action 'self'; base-uri 'self'; object-src 'none'"
    )


def web_headers(path: str, origin: str) -> list[tuple[bytes, bytes]]:
    """The security and CORS headers for an answer on ``path``; ``origin`` is the server's public origin."""
    if _LEGACY_EXECUTE.match(path):
        extra, methods = "X-Execution-Id, X-Execution-Mode, X-Execution-Timeout-Seconds", "GET,POST,OPTIONS,PUT"
    elif _V2_EXECUTE.match(path):
        extra, methods = "X-Run-Id, X-Sim-Stream-Protocol", "POST,OPTIONS"
    else:
        extra, methods = "Authorization", "GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS"
    executes = extra != "Authorization"
    pairs: list[tuple[str, str]] = []
    if executes:
        pairs += [("Cross-Origin-Embedder-Policy", "unsafe-none"), ("Cross-Origin-Opener-Policy", "unsafe-none")]
    pairs += [
        ("Content-Security-Policy", _csp(origin)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("access-control-allow-credentials", "false" if executes else "true"),
        ("access-control-allow-headers", f"{_COMMON_ALLOWED}, {extra}"),
        ("access-control-allow-methods", methods),
        ("access-control-allow-origin", "*" if executes else origin),
        ("access-control-expose-headers", _EXPOSED),
    ]
    if not executes:
        pairs.append(("vary", "Origin"))
    pairs.append(("vary", _NEXT_VARY))
    return [(k.encode(), v.encode()) for k, v in pairs]

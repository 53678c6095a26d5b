"""The base URL of a Sim server: the one default, and the one way to clean up what people type.

The hosted API lives at ``https://www.sim.ai``: the apex ``https://sim.ai`` answers API paths with
a 301 (see docs/sim-api.md §1), and a redirected POST loses its body, so the apex is not the
default. A clean base URL has a scheme, a host, an optional port and path prefix, and no trailing
``/``; it never carries credentials, a query or a fragment (a key pasted into the URL would end
up in files and logs). Whether plain ``http://`` is acceptable is a separate decision, made by
the profile (consent) and the client (loopback or consent).
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_BASE_URL = "https://www.sim.ai"


class BaseUrlError(ValueError):
    """The text is not a usable base URL; the message says why, for a person."""


def normalize_base_url(url: str, *, default_scheme: str | None = None) -> str:
    """``url`` as scheme://host[:port][/prefix] with the host lower-cased and no trailing ``/``.

    Without a scheme, ``default_scheme`` is assumed when given (a profile editor accepts
    ``sim.example.com``); otherwise it is an error (a client is given a full URL)."""
    text = (url or "").strip()
    if not text:
        raise BaseUrlError("The base URL is empty.")
    if "://" not in text:
        if default_scheme is None:
            raise BaseUrlError(f"{text!r} is not a URL; expected something like {DEFAULT_BASE_URL}")
        text = f"{default_scheme}://{text}"
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BaseUrlError(f"The base URL must start with https:// or http://, not {parts.scheme}://.")
    if not parts.hostname:
        raise BaseUrlError("The base URL has no host name.")
    if parts.username or parts.password:
        raise BaseUrlError("The base URL must not contain a user name or password; put the key in the key field.")
    if parts.query or parts.fragment:
        raise BaseUrlError("The base URL must not contain a query (?…) or fragment (#…).")
    try:
        port = parts.port
    except ValueError as exc:
        raise BaseUrlError("The base URL has an invalid port.") from exc
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{port}" if port is not None else host
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"

"""Which hosts count as "this machine", for the plain-http rule.

``http://`` to a loopback host never leaves the computer, so it needs no consent; to any other
host the API key would cross the network unencrypted. The client (:mod:`simdesk.api.urls`) and
the profile editor (:mod:`simdesk.core.profiles`) share this one definition, so the dialog offers
the "Allow unencrypted HTTP" box exactly when the client would otherwise refuse the URL.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (v4 and v6)."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_http_host(url: str) -> str | None:
    """The host of ``url`` when it is plain ``http://`` to a host other than this machine, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme.lower() != "http" or not host or is_loopback(host):
        return None
    return host

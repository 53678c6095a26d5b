"""TCP keepalive for the client's sockets, so a dead connection is noticed on a silent stream.

Sim sends a streamed run's response headers only with its first frame, and nothing at all while
a block thinks or waits (no SSE comments, no keep-alive frames), so a stream may be silent for
minutes without anything being wrong. Without keepalive, a peer that vanished (a laptop that
slept, a NAT that dropped the mapping, a server that was powered off) would leave such a stream
waiting until the run deadline. With these options the kernel probes an idle connection after
:data:`IDLE_S` and gives up after :data:`COUNT` unanswered probes :data:`INTERVAL_S` apart, so a
dead peer is found in about a minute; the read then fails and the client reports a dropped
connection. A live server answers the probes itself (the kernel does), so a long wait for a slow
first output is never cut by them.
"""

from __future__ import annotations

import socket

IDLE_S = 30  # quiet seconds before the first probe
INTERVAL_S = 10  # seconds between probes
COUNT = 3  # unanswered probes before the connection is declared dead

SocketOption = tuple[int, int, int]


def keepalive_options() -> list[SocketOption]:
    """``SO_KEEPALIVE`` and, where the platform has them, the probe timing (Linux and Windows
    name the idle time ``TCP_KEEPIDLE``, macOS ``TCP_KEEPALIVE``); for httpx's ``socket_options``."""
    timing = (
        (getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None), IDLE_S),
        (getattr(socket, "TCP_KEEPINTVL", None), INTERVAL_S),
        (getattr(socket, "TCP_KEEPCNT", None), COUNT),
    )
    tcp = [(socket.IPPROTO_TCP, name, value) for name, value in timing if name is not None]
    return [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), *tcp]

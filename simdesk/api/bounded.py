"""Reading an answer's body with a cap on its decompressed size, counted as it arrives.

A server (or a proxy in front of it) may answer with a gzip bomb: a few megabytes that expand to
gigabytes. httpx decompresses each network read in one go, so a single 64 KiB read of zeros can
become 64 MB before anyone counts it. :func:`decoded` decompresses ``gzip`` and ``deflate`` itself,
at most :data:`STEP` bytes at a time, and :func:`read_body` stops with :class:`ProtocolError` as
soon as the total passes the cap: memory stays near the cap whatever the server sends. Other
encodings are left to httpx (only ``gzip`` and ``deflate`` are asked for, and httpx decodes no
others unless optional packages are installed).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import httpx

from simdesk.api.errors import ProtocolError

MAX_BODY_BYTES = 64 * 1024 * 1024  # Sim's largest answers (run outputs, logs) are a few MiB
STEP = 1024 * 1024  # the most one decompression step produces
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


async def read_body(response: httpx.Response, limit: int) -> bytes:
    """The whole decompressed body, or :class:`ProtocolError` once it passes ``limit`` bytes."""
    pieces: list[bytes] = []
    size = 0
    async for piece in decoded(response):
        size += len(piece)
        if size > limit:
            raise too_large(response, limit)
        pieces.append(piece)
    return b"".join(pieces)


def too_large(response: httpx.Response, limit: int) -> ProtocolError:
    """The error for an answer past the cap."""
    return ProtocolError(
        f"The server's answer is larger than {limit // (1024 * 1024) or limit} "
        f"{'MiB' if limit >= 1024 * 1024 else 'bytes'} once decompressed; it was not read",
        status=response.status_code,
        request_id=response.headers.get("x-request-id"),
    )


async def decoded(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body's decompressed bytes, in pieces of at most :data:`STEP` for gzip and deflate."""
    try:
        content = response.content  # already read (a mock transport's answer)
    except httpx.ResponseNotRead:
        pass
    else:
        yield content
        return
    encoding = response.headers.get("content-encoding", "").strip().lower()
    wbits = _WBITS.get(encoding)
    if wbits is None:
        async for piece in response.aiter_bytes():
            yield piece
        return
    inflater = zlib.decompressobj(wbits)
    first = True
    try:
        async for raw in response.aiter_raw():
            if first and encoding == "deflate" and raw:
                first = False
                inflater = _deflate_inflater(raw)
            data = raw
            while data:
                piece = inflater.decompress(data, STEP)
                if piece:
                    yield piece
                data = inflater.unconsumed_tail
        tail = inflater.flush()
        if tail:
            yield tail
    except zlib.error as exc:
        raise ProtocolError(
            f"The server's {encoding} answer could not be decompressed",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
        ) from exc


def _deflate_inflater(first: bytes) -> zlib._Decompress:
    """``deflate`` is meant to be zlib-wrapped, but some servers send raw deflate (httpx and
    browsers accept both): a zlib header is two bytes whose big-endian value is a multiple of 31."""
    wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

"""Request and response bodies as streams, never whole in memory.

An upload is read by blocking code (the blob store's ``put``, a datastore write) in a
worker thread; :class:`BodyReader` hands it the request's chunks from the event loop
one at a time. A download is the blob store's verifying stream, sent in 1 MiB chunks.

An upload holds its thread while its client is slow to send, so uploads take threads
from their own pool (``UPLOAD_THREADS``): slow uploaders can only make other uploads
wait, never the routes that share the default pool.

Example:
    >>> sha, size = await run_reading(request, lambda f: ws.blobs.put(f))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import BinaryIO, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Request

T = TypeVar("T")
CHUNK = 1 << 20
UPLOAD_THREADS = 16
_uploads: RunVar[anyio.CapacityLimiter] = RunVar("mlyard_upload_threads")


class BodyReader:
    """A blocking ``read(n)`` over the request body, for use in a worker thread."""

    def __init__(self, chunks: AsyncIterator[bytes]):
        self._chunks = chunks
        self._buffer = bytearray()
        self._done = False

    async def _next(self) -> bytes | None:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            return None

    def read(self, n: int = -1) -> bytes:
        while not self._done and (n < 0 or len(self._buffer) < n):
            chunk = anyio.from_thread.run(self._next)
            if chunk is None:
                self._done = True
            else:
                self._buffer += chunk
        if n < 0 or n >= len(self._buffer):
            out = bytes(self._buffer)
            self._buffer.clear()
        else:
            out = bytes(self._buffer[:n])
            del self._buffer[:n]
        return out

    def readable(self) -> bool:
        return True


async def run_reading(request: Request, work: Callable[[BinaryIO], T]) -> T:
    """Run ``work(body stream)`` in a worker thread; return what it returns."""
    reader = BodyReader(request.stream().__aiter__())
    limiter = _upload_threads()
    return await anyio.to_thread.run_sync(work, reader, limiter=limiter)  # type: ignore[arg-type]


def _upload_threads() -> anyio.CapacityLimiter:
    """The upload pool of this event loop (one per loop, like anyio's default pool)."""
    try:
        return _uploads.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(UPLOAD_THREADS)
        _uploads.set(limiter)
        return limiter


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The stream's bytes in 1 MiB chunks; closes it at the end (or on disconnect)."""
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk

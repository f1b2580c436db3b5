"""Request and response bodies as streams, never whole in memory.

An upload is read by blocking code (the blob store's ``put``, a datastore write) in a
worker thread. A pump task on the event loop receives the request's chunks as fast as
they arrive and queues them in :class:`BodyReader`, up to ``BUFFER`` bytes, and the
worker thread takes them from the queue. The two sides wait for each other only when
the queue is empty (the network is slower) or full (the disk is slower); handing
each chunk over on request instead costs a round trip between the threads for every
chunk (64-256 KiB), and the socket idles meanwhile: 50-100 MB/s instead of the disk's
speed.

A download is the blob store's stream, sent in ``CHUNK`` pieces, with its length
when known (so the client reads a plain body, not chunked encoding).

An upload holds its thread while its client is slow to send, so uploads take threads
from their own pool (``UPLOAD_THREADS``): slow uploaders can only make other uploads
wait, never the routes that share the default pool.

Example:
    >>> sha, size = await run_reading(request, lambda f: ws.blobs.put(f))  # doctest: +SKIP
"""

from __future__ import annotations

import collections
import io
import os
import stat
import threading
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
BUFFER = 4 << 20  # bytes received ahead of the worker thread, at most (about)


class BodyReader:
    """The request body as a raw stream, for the worker thread of :func:`run_reading`;
    :meth:`pump`, on the event loop, fills it.

    Like a socket's, ``read(n)`` answers what has arrived, up to ``n`` bytes, and
    ``b""`` only at the end: a piece crosses from the network to the disk without
    being copied into larger ones.
    """

    def __init__(self, limit: int | None = None):
        self._limit = limit or BUFFER
        self._chunks: collections.deque[bytes] = collections.deque()
        self._size = 0  # bytes queued
        self._done = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()
        self._room: anyio.Event | None = None  # the pump waits on it while the queue is full

    async def pump(self, chunks: AsyncIterator[bytes]) -> None:
        """Queue the body's chunks. What stops it (a disconnect, a stalled body) is
        raised by the reader instead; a cancelled pump leaves the reader a cut body."""
        try:
            async for chunk in chunks:
                with self._cond:
                    self._chunks.append(chunk)
                    self._size += len(chunk)
                    self._cond.notify()
                    room = self._room = anyio.Event() if self._size >= self._limit else None
                if room is not None:
                    await room.wait()
        except Exception as e:
            self._error = e
        except BaseException:
            self._error = ConnectionError("the request was cancelled before its body ended")
            raise
        finally:
            with self._cond:
                self._done = True
                self._cond.notify()

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        with self._cond:
            # The queue is empty whenever this waits, so the pump is not waiting too.
            while not self._chunks and not self._done:
                self._cond.wait()
            if not self._chunks:
                if self._error is not None:
                    raise self._error
                return b""
            out = self._chunks.popleft()
            if len(out) > n:
                self._chunks.appendleft(out[n:])
                out = out[:n]
            self._size -= len(out)
            room = self._room if self._size <= self._limit // 2 else None
            if room is not None:
                self._room = None
        if room is not None:
            anyio.from_thread.run_sync(room.set)  # the pump waits: let it go on
        return out

    def readable(self) -> bool:
        return True


async def run_reading(request: Request, work: Callable[[BinaryIO], T]) -> T:
    """Run ``work(body stream)`` in a worker thread; return what it returns."""
    reader = BodyReader()

    def guarded() -> tuple[T | None, Exception | None]:
        # The work's exception is raised outside the task group, which would wrap it.
        try:
            return work(reader), None  # type: ignore[arg-type]
        except Exception as e:
            return None, e

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(reader.pump, request.stream())
        result, error = await anyio.to_thread.run_sync(guarded, limiter=_upload_threads())
        tasks.cancel_scope.cancel()  # the work may have stopped before the body's end
    if error is not None:
        raise error
    return result  # type: ignore[return-value]


def _upload_threads() -> anyio.CapacityLimiter:
    """The upload pool of this event loop (one per loop, like anyio's default pool)."""
    try:
        return _uploads.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(UPLOAD_THREADS)
        _uploads.set(limiter)
        return limiter


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The stream's bytes in ``CHUNK`` pieces; closes it at the end (or on disconnect)."""
    with stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def length_header(stream: BinaryIO) -> dict[str, str]:
    """``Content-Length`` for what is left of ``stream`` when it is a regular file (a
    client reads such a body faster than a chunked one), else nothing."""
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return {}
    if not stat.S_ISREG(st.st_mode):
        return {}
    return {"content-length": str(st.st_size - stream.tell())}

"""Blobs through ``mlyard server``: streamed both ways, hashed at both ends.

An upload streams the file in 1 MiB chunks while hashing it here; the server hashes
what arrives and keeps the blob only when whole (and equal to ``expected``); the two
hashes must agree. A download is verified here at its end, whatever the server did.
Neither side ever holds a whole file in memory.

Example:
    >>> blobs = HttpBlobStore(Connection("http://127.0.0.1:8765"))  # doctest: +SKIP
    >>> sha, size = blobs.put_bytes(b"x")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

import httpx

from mlyard.artifacts._base import BlobStore, StoredBlob, check_sha
from mlyard.artifacts.hashing import CHUNK, Progress, VerifyingReader, check_digest
from mlyard.errors import IntegrityError
from mlyard.wire.client import Connection


class HttpBlobStore(BlobStore):
    def __init__(self, conn: Connection):
        self.conn = conn
        self.url = f"{conn.url}/api/v1/blobs"

    def put(
        self, stream: BinaryIO, *, expected: str | None = None, progress: Progress = None
    ) -> tuple[str, int]:
        digest = hashlib.sha256()
        length = _remaining(stream)

        def body() -> Iterator[memoryview]:
            sent = 0
            for piece in _read_pieces(stream):
                sent += len(piece)
                if length is not None and sent > length:
                    raise IntegrityError(
                        "the file grew while it was being uploaded", fix="upload it again"
                    )
                digest.update(piece)
                if progress is not None:
                    progress(len(piece))
                yield piece

        params = {"sha256": check_sha(expected)} if expected else None
        answer = self.conn.upload("PUT", "/api/v1/blobs", body(), params=params, length=length)
        sha, size = answer["sha256"], int(answer["size"])
        if sha != digest.hexdigest():
            raise IntegrityError(
                f"the server stored {sha[:12]}… but {digest.hexdigest()[:12]}… was sent",
                fix="the bytes changed in transit; upload again",
            )
        return sha, size

    def open(self, sha256: str, name: str | None = None, *, verify: bool = True) -> BinaryIO:
        label = name or f"blob {sha256[:12]}"
        response = self.conn.open_stream("GET", f"/api/v1/blobs/{check_sha(sha256)}")
        raw = _ResponseReader(response)
        if not verify:
            return io.BufferedReader(raw, buffer_size=CHUNK)
        verified = VerifyingReader(raw, sha256, label)  # type: ignore[arg-type]
        return io.BufferedReader(verified, buffer_size=CHUNK)

    def iter_verified(self, sha256: str, name: str | None = None) -> Iterator[bytes | memoryview]:
        # The body's pieces hashed as they pass: no reader layers, no copies.
        digest = hashlib.sha256()
        try:
            for piece in self.conn.iter_body(f"/api/v1/blobs/{check_sha(sha256)}"):
                digest.update(piece)
                yield piece
        except ConnectionError as e:
            raise _cut(e) from e
        check_digest(digest, sha256, name or f"blob {sha256[:12]}")

    def exists(self, sha256: str) -> bool:
        response = self.conn.client.head(f"/api/v1/blobs/{check_sha(sha256)}")
        if response.status_code not in (200, 404):
            raise self.conn.error(response.status_code, response.content)
        return response.status_code == 200

    def delete(self, sha256: str, *, if_older_than: float | None = None) -> bool:
        params = {"if_older_than": if_older_than} if if_older_than is not None else None
        path = f"/api/v1/blobs/{check_sha(sha256)}"
        return bool(self.conn.call("DELETE", path, params=params)["deleted"])

    def scan(self) -> Iterator[StoredBlob]:
        for name, size, modified in self.conn.call("GET", "/api/v1/blobs"):
            yield StoredBlob(name, size, modified)

    def scan_temporaries(self) -> Iterator[StoredBlob]:
        found = self.conn.call("GET", "/api/v1/blobs", params={"temporaries": True})
        for name, size, modified in found:
            yield StoredBlob(name, size, modified)

    def remove_temporary(self, name: str) -> None:
        self.conn.call("DELETE", "/api/v1/blobs", params={"temporary": name})


class _ResponseReader(io.RawIOBase):
    """A streamed response body as a raw binary stream."""

    def __init__(self, response: httpx.Response):
        self._response = response
        self._chunks = _pieces(response)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._response.close()
        super().close()


def _pieces(response: httpx.Response) -> Iterator[bytes]:
    """The body as it arrives; a cut connection is an :class:`IntegrityError`."""
    try:
        yield from response.iter_raw()
    except httpx.TransportError as e:
        raise _cut(e) from e


def _cut(e: Exception) -> IntegrityError:
    return IntegrityError(
        f"the download was cut off: {type(e).__name__}: {e}", fix="retry; nothing partial was kept"
    )


def _read_pieces(stream: BinaryIO) -> Iterator[memoryview]:
    """The stream's bytes in pieces of up to ``CHUNK``, read into one buffer: each piece
    is valid until the next is asked for (no allocation per piece)."""
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    readinto = getattr(stream, "readinto", None)
    while True:
        if readinto is not None:
            n = readinto(buffer)
        else:
            data = stream.read(CHUNK)
            n = len(data)
            buffer[:n] = data
        if not n:
            return
        yield view[:n]


def _remaining(stream: BinaryIO) -> int | None:
    """The bytes left in ``stream`` when it is a regular file (sent as
    ``Content-Length``: the server then reads a plain body, not chunked encoding)."""
    try:
        st = os.fstat(stream.fileno())
        left = st.st_size - stream.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return left if stat.S_ISREG(st.st_mode) and left >= 0 else None

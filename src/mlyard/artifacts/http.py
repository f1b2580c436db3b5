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
from collections.abc import Iterator
from typing import BinaryIO

import httpx

from mlyard.artifacts._base import BlobStore, StoredBlob, check_sha
from mlyard.artifacts.hashing import CHUNK, Progress, VerifyingReader
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

        def body() -> Iterator[bytes]:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                if progress is not None:
                    progress(len(chunk))
                yield chunk

        params = {"sha256": check_sha(expected)} if expected else None
        answer = self.conn.call_raw("PUT", "/api/v1/blobs", content=body(), params=params)
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
        self._chunks = response.iter_raw(CHUNK)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except httpx.TransportError as e:
                raise IntegrityError(
                    f"the download was cut off: {type(e).__name__}: {e}",
                    fix="retry; nothing partial was kept",
                ) from e
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._response.close()
        super().close()

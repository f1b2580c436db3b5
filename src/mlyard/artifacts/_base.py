"""The blob-store protocol: bytes stored once by sha256, written atomically, read verified.

A backend implements five primitives — :meth:`~BlobStore.put`, :meth:`~BlobStore.open`,
:meth:`~BlobStore.exists`, :meth:`~BlobStore.delete` and :meth:`~BlobStore.scan` — and
gets the conveniences (files, bytes, verified copies) from this base class. Backends:
:class:`~mlyard.artifacts.fsspec.FsspecBlobStore` (a folder, S3, any fsspec URL), and
next an HTTP one through ``mlyard server``.

Contract, for every backend:

* ``put`` is atomic: a reader never sees a partial blob, and an interrupted put
  leaves no blob behind (temporaries are removed, or found by ``scan_temporaries``).
* Writing content whose blob exists verifies the stored copy and replaces it when it
  does not hash to its name, so uploading clean bytes again repairs a corrupted blob.
* ``open`` returns a stream that raises :class:`~mlyard.errors.IntegrityError` when it
  reaches the end of bytes that do not hash to the name; a missing blob is
  :class:`~mlyard.errors.NotFoundError`.
"""

from __future__ import annotations

import io
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mlyard.artifacts.hashing import CHUNK, Progress
from mlyard.errors import InvalidInputError, NotFoundError

_HEX = frozenset("0123456789abcdef")


def check_sha(sha256: str) -> str:
    """``sha256`` if it is 64 lowercase hex digits, else ``InvalidInputError``."""
    if not isinstance(sha256, str) or len(sha256) != 64 or not _HEX.issuperset(sha256):
        raise InvalidInputError(
            f"{sha256!r} is not a sha256 hex digest", field="sha256", fix="pass 64 lowercase hex"
        )
    return sha256


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """A blob or a temporary as found by a scan: what it is, how big, how old."""

    name: str  # the sha256 of a blob; the temporary's path for temporaries
    size: int
    modified: float  # seconds since the epoch


class BlobStore(ABC):
    """Blobs by sha256. Thread-safe; many processes may share one store."""

    url: str

    # -- the primitives a backend implements ---------------------------------------
    @abstractmethod
    def put(
        self, stream: BinaryIO, *, expected: str | None = None, progress: Progress = None
    ) -> tuple[str, int]:
        """Store everything readable from ``stream``; return ``(sha256, size)``.

        Raises:
            IntegrityError: ``expected`` is given and the bytes hash otherwise; nothing
                is stored.
        """

    @abstractmethod
    def open(self, sha256: str, name: str | None = None, *, verify: bool = True) -> BinaryIO:
        """A verifying stream of the blob (``name`` labels it in errors).

        ``verify=False`` only for a relay whose reader verifies at its own end (the
        server streaming a blob to a client)."""

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def delete(self, sha256: str, *, if_older_than: float | None = None) -> bool:
        """Remove the blob; False if there was none (or it was written or reused after
        ``if_older_than``, seconds since the epoch)."""

    @abstractmethod
    def scan(self) -> Iterator[StoredBlob]:
        """Every stored blob (for garbage collection)."""

    def scan_temporaries(self) -> Iterator[StoredBlob]:
        """Temporaries that interrupted writes may have left (none by default)."""
        return iter(())

    def remove_temporary(self, name: str) -> None:
        """Remove a temporary found by :meth:`scan_temporaries`."""
        raise NotImplementedError(f"{type(self).__name__} keeps no temporaries")

    # -- conveniences built on them ------------------------------------------------
    def put_file(
        self, source: str | Path, progress: Progress = None, expected: str | None = None
    ) -> tuple[str, int]:
        """Store a local file; return ``(sha256, size)``. The source is only read."""
        source = Path(source)
        if not source.is_file():
            raise NotFoundError(f"no file at {str(source)!r}", fix="check the path")
        with open(source, "rb") as f:
            return self.put(f, expected=expected, progress=progress)

    def put_stream(self, stream: BinaryIO, progress: Progress = None) -> tuple[str, int]:
        return self.put(stream, progress=progress)

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        return self.put(io.BytesIO(data))

    def read_bytes(self, sha256: str, name: str | None = None) -> bytes:
        with self.open(sha256, name) as f:
            return f.read()

    def verify(self, sha256: str, name: str | None = None) -> None:
        """Raise ``IntegrityError`` unless the stored bytes hash to ``sha256``."""
        with self.open(sha256, name) as f:
            while f.read(1 << 20):
                pass

    def get_file(
        self, sha256: str, dest: str | Path, progress: Progress = None, name: str | None = None
    ) -> Path:
        """Copy the blob to ``dest`` atomically, verifying it on the way."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            with open(tmp, "wb") as out:
                for chunk in self.iter_verified(sha256, name):
                    out.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    def iter_verified(self, sha256: str, name: str | None = None) -> Iterator[bytes | memoryview]:
        """The blob's bytes in pieces, each valid until the next is asked for; reaching
        the end of bytes that do not hash to ``sha256`` raises
        :class:`~mlyard.errors.IntegrityError`."""
        with self.open(sha256, name) as f:
            while chunk := f.read(CHUNK):
                yield chunk

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

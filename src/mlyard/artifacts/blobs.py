"""Content-addressed blob store over fsspec.

Every blob lives at ``<root>/sha256/<first two hex>/<full hex>``. Writes are atomic:
bytes go to a temporary name and are renamed into place only when complete and
hashed (on object stores, the hash is computed first and the single PUT is the
commit). Identical content is stored once. Reads verify the hash.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

import fsspec
from fsspec.implementations.local import LocalFileSystem

from mlyard.artifacts.hashing import (
    Progress,
    VerifyingReader,
    copy_hashing,
    sha256_bytes,
    sha256_file,
)
from mlyard.errors import IntegrityError, InvalidInputError, NotFoundError


def _check_sha(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise InvalidInputError(
            f"{sha256!r} is not a sha256 hex digest", field="sha256", fix="pass 64 lowercase hex"
        )
    return sha256


class BlobStore:
    """Blobs by sha256 under ``root`` (a folder or any fsspec URL).

    Example:
        >>> import tempfile
        >>> blobs = BlobStore(tempfile.mkdtemp())
        >>> sha, size = blobs.put_bytes(b"hello")
        >>> blobs.read_bytes(sha)
        b'hello'
    """

    def __init__(self, root: str | Path):
        self.url = str(root)
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
        self.local = isinstance(self.fs, LocalFileSystem)
        if self.local:
            Path(self.root, "tmp").mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"BlobStore({self.url!r})"

    def path(self, sha256: str) -> str:
        _check_sha(sha256)
        return f"{self.root}/sha256/{sha256[:2]}/{sha256}"

    def exists(self, sha256: str) -> bool:
        return self.fs.exists(self.path(sha256))

    # -- writing -------------------------------------------------------------------
    def put_file(self, source: str | Path, progress: Progress = None) -> tuple[str, int]:
        """Store a local file; return (sha256, size). The source is only read."""
        source = Path(source)
        if not source.is_file():
            raise NotFoundError(f"no file at {str(source)!r}", fix="check the path")
        if self.local:
            with open(source, "rb") as f:
                return self._put_local(f, progress)
        sha, size = sha256_file(source)
        if not self.exists(sha):
            self.fs.put_file(str(source), self.path(sha))
        if progress is not None:
            progress(size)
        return sha, size

    def put_stream(self, stream: BinaryIO, progress: Progress = None) -> tuple[str, int]:
        """Store everything readable from ``stream``; return (sha256, size)."""
        if self.local:
            return self._put_local(stream, progress)
        with tempfile.NamedTemporaryFile(prefix="mlyard-") as spool:
            copy_hashing(stream, spool, progress)  # type: ignore[arg-type]
            spool.flush()
            return self.put_file(spool.name)

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        sha = sha256_bytes(data)
        if not self.exists(sha):
            if self.local:
                self._commit_local(sha, lambda f: f.write(data))
            else:
                self.fs.pipe_file(self.path(sha), data)
        return sha, len(data)

    def _put_local(self, stream: BinaryIO, progress: Progress) -> tuple[str, int]:
        tmp = Path(self.root, "tmp", uuid.uuid4().hex)
        try:
            with open(tmp, "wb") as out:
                sha, size = copy_hashing(stream, out, progress)
                out.flush()
                os.fsync(out.fileno())
            self._place(tmp, sha)
        finally:
            tmp.unlink(missing_ok=True)
        return sha, size

    def _commit_local(self, sha: str, write) -> None:
        tmp = Path(self.root, "tmp", uuid.uuid4().hex)
        try:
            with open(tmp, "wb") as out:
                write(out)
            self._place(tmp, sha)
        finally:
            tmp.unlink(missing_ok=True)

    def _place(self, tmp: Path, sha: str) -> None:
        final = Path(self.path(sha))
        if final.exists():
            return  # identical content is stored once
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, final)

    # -- reading -------------------------------------------------------------------
    def open(self, sha256: str, name: str | None = None) -> BinaryIO:
        """A stream of the blob that raises :class:`IntegrityError` at its end if the
        bytes do not hash to ``sha256``."""
        label = name or f"blob {sha256[:12]}"
        try:
            raw = self.fs.open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise NotFoundError(
                f"{label} is missing from the artifact store ({self.url})",
                fix="the blob was deleted outside mlyard; upload the file again",
            ) from None
        return io.BufferedReader(VerifyingReader(raw, sha256, label), buffer_size=1 << 20)

    def read_bytes(self, sha256: str, name: str | None = None) -> bytes:
        with self.open(sha256, name) as f:
            return f.read()

    def get_file(
        self, sha256: str, dest: str | Path, progress: Progress = None, name: str | None = None
    ) -> Path:
        """Copy the blob to ``dest`` atomically, verifying it on the way."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            with self.open(sha256, name) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(_Counting(src, progress), out, 1 << 20)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    def verify(self, sha256: str, name: str | None = None) -> None:
        """Raise :class:`IntegrityError` unless the stored bytes hash to ``sha256``."""
        with self.open(sha256, name) as f:
            while f.read(1 << 20):
                pass

    def local_path(self, sha256: str, name: str | None = None) -> Path:
        """The blob's own path on a local root, verified first. Never write to it."""
        if not self.local:
            raise InvalidInputError(
                "the artifact store is not a local folder", field="artifact_root"
            )
        self.verify(sha256, name)
        return Path(self.path(sha256))


class _Counting:
    def __init__(self, stream: BinaryIO, progress: Progress):
        self._stream = stream
        self._progress = progress

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        if data and self._progress is not None:
            self._progress(len(data))
        return data


__all__ = ["BlobStore", "IntegrityError"]

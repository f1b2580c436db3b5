"""Blobs in a folder or any fsspec URL (``s3://bucket/prefix``, ...).

Every blob lives at ``<root>/sha256/<first two hex>/<full hex>``. On a local folder,
bytes go to ``<root>/tmp/<pid>-<random>`` while being hashed, are fsynced, and are
renamed into place only when complete; the pid in the name lets ``mlyard gc`` tell a
temporary of a dead process from one being written. On object stores the hash is
computed first (spooling a stream to a local temporary file) and the single PUT is
the commit.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import stat
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import fsspec
from fsspec.implementations.local import LocalFileSystem

from mlyard.artifacts._base import BlobStore, StoredBlob, check_sha
from mlyard.artifacts.hashing import Progress, VerifyingReader, copy_hashing, sha256_file
from mlyard.errors import IntegrityError, NotFoundError
from mlyard.tempfiles import prefix

log = logging.getLogger("mlyard.artifacts")


class FsspecBlobStore(BlobStore):
    """Blobs by sha256 under ``root`` (a folder or any fsspec URL).

    Example:
        >>> import tempfile
        >>> blobs = FsspecBlobStore(tempfile.mkdtemp())
        >>> sha, size = blobs.put_bytes(b"hello")
        >>> blobs.read_bytes(sha)
        b'hello'
    """

    def __init__(self, root: str | Path):
        self.url = str(root)
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
        self.root = self.root.rstrip("/")
        self.local = isinstance(self.fs, LocalFileSystem)
        if self.local:
            self._tmp.mkdir(parents=True, exist_ok=True)

    @property
    def _tmp(self) -> Path:
        return Path(self.root, "tmp")

    def path(self, sha256: str) -> str:
        check_sha(sha256)
        return f"{self.root}/sha256/{sha256[:2]}/{sha256}"

    def exists(self, sha256: str) -> bool:
        return bool(self.fs.exists(self.path(sha256)))

    # -- writing -------------------------------------------------------------------
    def put(
        self, stream: BinaryIO, *, expected: str | None = None, progress: Progress = None
    ) -> tuple[str, int]:
        if self.local:
            return self._put_local(stream, expected, progress)
        with tempfile.NamedTemporaryFile(prefix=prefix("spool")) as spool:
            sha, size = copy_hashing(stream, spool, progress)  # type: ignore[arg-type]
            spool.flush()
            _check_expected(sha, expected)
            self._upload(spool.name, sha)
        return sha, size

    def put_file(
        self, source: str | Path, progress: Progress = None, expected: str | None = None
    ) -> tuple[str, int]:
        if self.local:
            return super().put_file(source, progress, expected)
        source = Path(source)
        if not source.is_file():
            raise NotFoundError(f"no file at {str(source)!r}", fix="check the path")
        sha, size = sha256_file(source, progress)
        _check_expected(sha, expected)
        self._upload(str(source), sha)
        return sha, size

    def _upload(self, local: str, sha: str) -> None:
        # Written even over an intact copy: an object store cannot touch a key, and the
        # PUT's new LastModified is what tells `mlyard gc` the blob was just wanted (a
        # reused blob must survive a collection under way). The PUT also replaces a
        # corrupted copy, and costs no more than downloading the copy to verify it.
        self.fs.put_file(local, self.path(sha))

    def _put_local(
        self, stream: BinaryIO, expected: str | None, progress: Progress
    ) -> tuple[str, int]:
        tmp = self._tmp / f"{os.getpid()}-{uuid.uuid4().hex}"
        try:
            with open(tmp, "wb") as out:
                sha, size = copy_hashing(stream, out, progress)
                out.flush()
                os.fsync(out.fileno())
            _check_expected(sha, expected)
            self._place(tmp, sha, size)
        finally:
            tmp.unlink(missing_ok=True)
        return sha, size

    def _place(self, tmp: Path, sha: str, size: int) -> None:
        final = Path(self.path(sha))
        if final.exists():
            if final.stat().st_size == size and self._intact(sha):
                # Identical content is stored once. Its new mtime tells `mlyard gc` the
                # blob was just wanted, so a collection running now leaves it alone.
                with contextlib.suppress(OSError):
                    os.utime(final)
                return
            log.warning("blob %s was corrupted; replacing it with the bytes just written", sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, final)

    def _intact(self, sha: str) -> bool:
        try:
            self.verify(sha)
        except (IntegrityError, NotFoundError):
            return False
        return True

    def delete(self, sha256: str, *, if_older_than: float | None = None) -> bool:
        target = self.path(sha256)
        try:
            # Asked first: an object store deletes a missing key without complaint.
            info = self.fs.info(target)
            if if_older_than is not None and _mtime(info) > if_older_than:
                return False  # just written, or reused by a put that found it
            self.fs.rm_file(target)
        except FileNotFoundError:
            return False
        return True

    # -- reading -------------------------------------------------------------------
    def open(self, sha256: str, name: str | None = None, *, verify: bool = True) -> BinaryIO:
        label = name or f"blob {sha256[:12]}"
        try:
            raw = self.fs.open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise NotFoundError(
                f"{label} is missing from the artifact store ({self.url})",
                fix="the blob was deleted outside mlyard; upload the file again",
            ) from None
        if not verify:
            return raw
        return io.BufferedReader(VerifyingReader(raw, sha256, label), buffer_size=1 << 20)

    # -- scanning ------------------------------------------------------------------
    def scan(self) -> Iterator[StoredBlob]:
        try:
            found = self.fs.find(f"{self.root}/sha256", detail=True)
        except FileNotFoundError:
            return
        for path, info in found.items():
            sha = path.rsplit("/", 1)[-1]
            if info.get("type") == "file" and len(sha) == 64:
                yield StoredBlob(sha, int(info.get("size") or 0), _mtime(info))

    def scan_temporaries(self) -> Iterator[StoredBlob]:
        if not self.local:
            return
        with os.scandir(self._tmp) as entries:  # closed also when the caller stops early
            for entry in entries:
                with contextlib.suppress(OSError):
                    st = entry.stat()
                    yield StoredBlob(entry.path, st.st_size, st.st_mtime)

    def remove_temporary(self, name: str) -> None:
        path = Path(name)
        if path.parent == self._tmp:
            path.unlink(missing_ok=True)


def _check_expected(sha: str, expected: str | None) -> None:
    if expected is not None and sha != expected:
        raise IntegrityError(
            f"the bytes hash to {sha[:12]}…, but were recorded as {expected[:12]}…",
            fix="the file changed since it was recorded; upload it again, then retry",
        )


def _mtime(info: dict) -> float:
    value = info.get("mtime") or info.get("LastModified") or info.get("created") or 0
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0

"""sha256 while streaming: files are never read whole into memory."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from mlyard.errors import IntegrityError

CHUNK = 1 << 20  # 1 MiB
Progress = Callable[[int], object] | None


def copy_hashing(src: BinaryIO, dst: BinaryIO | None, progress: Progress = None) -> tuple[str, int]:
    """Copy ``src`` to ``dst`` (if given) chunk by chunk; return (sha256 hex, size)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := src.read(CHUNK):
        digest.update(chunk)
        if dst is not None:
            dst.write(chunk)
        size += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return digest.hexdigest(), size


def sha256_file(path: str | Path, progress: Progress = None) -> tuple[str, int]:
    """(sha256 hex, size) of a local file."""
    with open(path, "rb") as f:
        return copy_hashing(f, None, progress)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_digest(digest: hashlib._Hash, expected: str, name: str) -> None:
    """Raise :class:`IntegrityError` unless the bytes ``digest`` saw hash to ``expected``."""
    actual = digest.hexdigest()
    if actual != expected:
        raise IntegrityError(
            f"{name} is corrupted: its bytes hash to {actual[:12]}…, recorded as {expected[:12]}…",
            fix="restore the file from a backup or upload it again",
        )


class VerifyingReader(io.RawIOBase):
    """Reads a stream and, at its end, checks the bytes hash to ``expected``.

    A mismatch raises :class:`IntegrityError` from the read that reaches the end, so a
    consumer that reads everything can never act on corrupted bytes unknowingly.
    """

    def __init__(self, raw: BinaryIO, expected: str, name: str):
        self._raw = raw
        self._expected = expected
        self._name = name
        self._digest = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        if not data:
            self._check()
            return 0
        self._digest.update(data)
        n = len(data)
        buffer[:n] = data
        return n

    def _check(self) -> None:
        if not self._checked:
            self._checked = True
            check_digest(self._digest, self._expected, self._name)

    def close(self) -> None:
        self._raw.close()
        super().close()

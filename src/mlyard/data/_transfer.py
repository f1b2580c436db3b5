"""Copy a batch of files so that either all of them land or none does.

Each file is streamed in 1 MiB chunks to a temporary name next to its destination while
its sha256 is computed; the hash is checked (against the expected one, and optionally by
reading the stored bytes back). Only when every file of the batch is staged are they
renamed into place (``os.replace`` locally, ``fs.mv`` on other filesystems). A failure or
Ctrl-C before that removes the temporary files, so the destination is left as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

from mlyard.artifacts.hashing import CHUNK, Progress, copy_hashing
from mlyard.data._paths import part_name
from mlyard.errors import AlreadyExistsError, IntegrityError, InvalidInputError
from mlyard.progress import byte_progress

# What a file opened on a remote filesystem buffers (s3fs would buffer 50 MiB, the whole
# of most files): a write, the smallest S3 multipart part; a read, one chunk ahead.
WRITE_BLOCK = 5 << 20


def open_file(fs: AbstractFileSystem, path: str, mode: str = "rb") -> BinaryIO:
    """``fs.open(path, mode)``, buffering a few MiB at most on remote filesystems."""
    if isinstance(fs, LocalFileSystem):
        return fs.open(path, mode)
    return fs.open(path, mode, block_size=WRITE_BLOCK if "w" in mode else CHUNK)


@dataclass(frozen=True, slots=True)
class Copy:
    """One file to copy: where its bytes come from and where they go."""

    source: Callable[[], BinaryIO]  # opens the bytes to copy
    dest: str  # path on the destination filesystem
    label: str  # how messages name the file
    size: int  # expected size, for the progress bar
    expected: str | None = None  # sha256 the bytes must hash to, when known


def copy_all(
    fs: AbstractFileSystem,
    copies: Sequence[Copy],
    *,
    description: str,
    show_progress: bool = True,
    reread: bool = False,
) -> list[tuple[str, int]]:
    """Copy every file of ``copies`` onto ``fs``; return each one's (sha256, size).

    Args:
        fs: the destination filesystem.
        copies: the files to copy.
        description: the progress bar's label.
        show_progress: ``False`` never draws a bar; ``True`` draws one when the batch
            reaches the ``progress_min_bytes`` setting.
        reread: read each stored copy back and check it hashes like its source.
    """
    staged: list[str] = []
    results: list[tuple[str, int]] = []
    total = sum(c.size for c in copies)
    try:
        with byte_progress(description, total, None if show_progress else False) as advance:
            for copy in copies:
                tmp = part_name(copy.dest)
                staged.append(tmp)
                results.append(_stage(fs, copy, tmp, advance, reread))
        for copy, tmp in zip(copies, list(staged), strict=True):
            _commit(fs, tmp, copy.dest)
            staged.remove(tmp)
    finally:
        for tmp in staged:
            with contextlib.suppress(OSError):
                fs.rm_file(tmp)
    return results


def _stage(
    fs: AbstractFileSystem, copy: Copy, tmp: str, advance: Progress, reread: bool
) -> tuple[str, int]:
    with copy.source() as src, _open_for_write(fs, tmp) as out:
        sha, size = copy_hashing(src, out, advance)
    if copy.expected is not None and sha != copy.expected:
        raise IntegrityError(
            f"{copy.label} hashes to {sha[:12]}…, but was recorded as {copy.expected[:12]}…",
            fix="it changed outside mlyard; upload it again, then retry",
        )
    if reread:
        with open_file(fs, tmp) as stored:
            again, _ = copy_hashing(stored, None)
        if again != sha:
            raise IntegrityError(
                f"the copy of {copy.label} does not match its source "
                f"({again[:12]}… stored, {sha[:12]}… read)",
                fix="the storage corrupted the bytes; check it, then retry (nothing was kept)",
            )
    return sha, size


@contextlib.contextmanager
def _open_for_write(fs: AbstractFileSystem, path: str) -> Iterator[BinaryIO]:
    if isinstance(fs, LocalFileSystem):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())  # durable before the rename makes it visible
    else:
        with open_file(fs, path, "wb") as out:
            yield out


def _commit(fs: AbstractFileSystem, tmp: str, dest: str) -> None:
    if isinstance(fs, LocalFileSystem):
        os.replace(tmp, dest)
    else:
        fs.mv(tmp, dest)


def check_local_targets(targets: list[Path], overwrite: bool) -> None:
    """Refuse local download targets that exist (unless ``overwrite``) or cannot be files."""
    for target in targets:
        blocking = next((p for p in target.parents if p.is_file()), None)
        if blocking is not None:
            raise InvalidInputError(
                f"{str(blocking)!r} is a file, so it cannot hold {str(target)!r}",
                field="target_path",
                fix="choose another target_path",
            )
        if target.is_dir():
            raise InvalidInputError(
                f"{str(target)!r} is a folder; a file cannot be written there",
                field="target_path",
                fix="choose another target_path",
            )
        if target.exists() and not overwrite:
            raise AlreadyExistsError(
                f"{str(target)!r} already exists; nothing was copied",
                field="target_path",
                fix="pass overwrite=True or another target_path",
            )

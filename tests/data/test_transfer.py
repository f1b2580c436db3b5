"""Batches of copies land whole or not at all, even when interrupted half-way."""

from __future__ import annotations

import io

import pytest
from fsspec.implementations.local import LocalFileSystem

from mlyard.data._transfer import Copy, copy_all
from mlyard.errors import IntegrityError
from tests.data.data_helpers import sha, tree, write


class Breaking(io.RawIOBase):
    """A source that yields some bytes, then fails the way a dying disk or Ctrl-C would."""

    def __init__(self, error: BaseException):
        self._sent = False
        self._error = error

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if not self._sent:
            self._sent = True
            return b"partial bytes"
        raise self._error


def good(data: bytes, dest, expected=None) -> Copy:
    return Copy(lambda: io.BytesIO(data), str(dest), "good", len(data), expected)


@pytest.mark.parametrize("error", [OSError("disk gone"), KeyboardInterrupt()])
def test_a_failure_half_way_leaves_the_destination_as_it_was(tmp_path, error):
    out = tmp_path / "out"
    write(out / "kept.txt", "old")
    copies = [
        good(b"new", out / "kept.txt"),
        Copy(lambda: Breaking(error), str(out / "b.txt"), "b", 100),
    ]
    with pytest.raises(type(error)):
        copy_all(LocalFileSystem(), copies, description="test", show_progress=False)
    assert tree(out) == {"kept.txt": b"old"}  # no new file, no temporary file


def test_an_unexpected_hash_keeps_nothing(tmp_path):
    copies = [good(b"a", tmp_path / "a"), good(b"b", tmp_path / "b", expected=sha(b"x"))]
    with pytest.raises(IntegrityError, match="recorded as"):
        copy_all(LocalFileSystem(), copies, description="test", show_progress=False)
    assert tree(tmp_path) == {}


def test_a_complete_batch_lands_with_its_hashes(tmp_path):
    copies = [good(b"a", tmp_path / "x/a"), good(b"bb", tmp_path / "b", expected=sha(b"bb"))]
    result = copy_all(LocalFileSystem(), copies, description="t", show_progress=False, reread=True)
    assert result == [(sha(b"a"), 1), (sha(b"bb"), 2)]
    assert tree(tmp_path) == {"b": b"bb", "x/a": b"a"}

"""The blob-store contract, run against every backend: a local folder and S3.

S3 is moto's server on a free loopback port, started once for the session; each test
gets its own prefix in one bucket.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from mlyard.artifacts import FsspecBlobStore
from mlyard.errors import IntegrityError, NotFoundError


@pytest.fixture(params=["folder", "s3"])
def blobs(request, tmp_path, monkeypatch) -> FsspecBlobStore:
    if request.param == "folder":
        return FsspecBlobStore(tmp_path / "blobs")
    return FsspecBlobStore(request.getfixturevalue("s3_prefix"))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def overwrite_stored(blobs: FsspecBlobStore, sha256: str, data: bytes) -> None:
    """Change a stored blob's bytes behind the store's back (disk rot, a stray write)."""
    path = blobs.path(sha256)
    if blobs.local:
        os.chmod(path, 0o644)  # blobs are stored read-only
    blobs.fs.pipe_file(path, data)


def stored(blobs: FsspecBlobStore) -> dict[str, int]:
    return {b.name: b.size for b in blobs.scan()}


PAYLOADS = {
    "empty": b"",
    "small": b"precious bytes\n" * 10,
    "several-chunks": os.urandom((5 << 20) // 2),  # crosses the 1 MiB read size
}
CLEAN = b"1,2,3\n4,5,6\n" * 100
CORRUPTIONS = {
    "same-size": CLEAN.replace(b"5", b"7", 1),
    "truncated": CLEAN[:-7],
    "longer": CLEAN + b"7,8,9\n",
}
Writer = Callable[[FsspecBlobStore, bytes, Path], tuple[str, int]]


def _write_file(blobs: FsspecBlobStore, data: bytes, folder: Path) -> tuple[str, int]:
    source = folder / f"source-{uuid.uuid4().hex}"
    source.write_bytes(data)
    return blobs.put_file(source)


WRITERS: dict[str, Writer] = {
    "bytes": lambda blobs, data, _: blobs.put_bytes(data),
    "stream": lambda blobs, data, _: blobs.put(io.BytesIO(data)),
    "expected": lambda blobs, data, _: blobs.put(io.BytesIO(data), expected=sha(data)),
    "file": _write_file,
}


@pytest.mark.parametrize("data", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_what_is_put_reads_back_and_is_stored_once(blobs, data, tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(data)

    assert blobs.put_bytes(data) == (sha(data), len(data))
    assert blobs.put(io.BytesIO(data)) == (sha(data), len(data))
    assert blobs.put_file(source) == (sha(data), len(data))

    assert stored(blobs) == {sha(data): len(data)}
    assert blobs.exists(sha(data))
    assert blobs.read_bytes(sha(data)) == data
    assert blobs.get_file(sha(data), tmp_path / "out" / "copy.bin").read_bytes() == data
    assert source.read_bytes() == data  # the source is only read
    assert list(blobs.scan_temporaries()) == []


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
def test_a_wrong_expected_hash_stores_nothing(blobs, writer, tmp_path):
    data, recorded = b"the file as it is now", b"the file as it was uploaded"
    with pytest.raises(IntegrityError, match="recorded as"):
        if writer is _write_file:
            source = tmp_path / "source"
            source.write_bytes(data)
            blobs.put_file(source, expected=sha(recorded))
        else:
            blobs.put(io.BytesIO(data), expected=sha(recorded))

    assert stored(blobs) == {}
    assert not blobs.exists(sha(data)) and not blobs.exists(sha(recorded))
    assert list(blobs.scan_temporaries()) == []


def test_a_put_whose_stream_fails_stores_nothing(blobs, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "system-tmp"))
    (tmp_path / "system-tmp").mkdir()

    class BrokenConnection(io.RawIOBase):
        """Gives 3 MiB, then fails as a dropped network read does."""

        def __init__(self) -> None:
            self.left = 3 << 20

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            if self.left <= 0:
                raise ConnectionResetError("connection reset by peer")
            n = min(len(buffer), self.left)
            buffer[:n] = b"x" * n
            self.left -= n
            return n

    with pytest.raises(ConnectionResetError):
        blobs.put(io.BufferedReader(BrokenConnection()))

    assert stored(blobs) == {}
    assert list(blobs.scan_temporaries()) == []
    assert list((tmp_path / "system-tmp").iterdir()) == []  # no spool file left either


@pytest.mark.parametrize("bad", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_every_read_of_a_corrupted_blob_fails(blobs, bad, tmp_path):
    digest, _ = blobs.put_bytes(CLEAN)
    overwrite_stored(blobs, digest, bad)

    with pytest.raises(IntegrityError, match="corrupted"):
        blobs.read_bytes(digest)
    with pytest.raises(IntegrityError, match="model.pkl is corrupted"):
        blobs.read_bytes(digest, name="model.pkl")
    with pytest.raises(IntegrityError):
        blobs.verify(digest)
    with pytest.raises(IntegrityError):
        with blobs.open(digest) as f:
            while f.read(1024):
                pass
    with pytest.raises(IntegrityError):
        blobs.get_file(digest, tmp_path / "out" / "copy.csv")
    assert not (tmp_path / "out" / "copy.csv").exists()
    assert list((tmp_path / "out").iterdir()) == []  # no partial copy either


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS.keys())
@pytest.mark.parametrize("bad", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_writing_the_clean_bytes_again_repairs_a_corrupted_blob(blobs, bad, writer, tmp_path):
    digest, _ = blobs.put_bytes(CLEAN)
    overwrite_stored(blobs, digest, bad)

    assert writer(blobs, CLEAN, tmp_path) == (digest, len(CLEAN))

    assert blobs.read_bytes(digest) == CLEAN
    blobs.verify(digest)
    assert stored(blobs) == {digest: len(CLEAN)}
    assert list(blobs.scan_temporaries()) == []


def test_a_missing_blob_is_not_found(blobs, tmp_path):
    missing = sha(b"never stored")
    assert not blobs.exists(missing)
    with pytest.raises(NotFoundError, match="missing"):
        blobs.read_bytes(missing)
    with pytest.raises(NotFoundError):
        blobs.get_file(missing, tmp_path / "copy")
    assert not blobs.delete(missing)


def test_delete_removes_one_blob(blobs):
    keep, _ = blobs.put_bytes(b"keep")
    drop, _ = blobs.put_bytes(b"drop")

    assert blobs.delete(drop)

    assert not blobs.exists(drop)
    with pytest.raises(NotFoundError):
        blobs.read_bytes(drop)
    assert not blobs.delete(drop)  # already gone
    assert stored(blobs) == {keep: 4}
    assert blobs.read_bytes(keep) == b"keep"
    assert blobs.put_bytes(b"drop") == (drop, 4)  # and it can be stored again
    assert blobs.read_bytes(drop) == b"drop"


def test_delete_if_older_than_spares_newer_blobs(blobs):
    digest, _ = blobs.put_bytes(b"fresh")
    [blob] = blobs.scan()

    assert not blobs.delete(digest, if_older_than=blob.modified - 60)
    assert blobs.read_bytes(digest) == b"fresh"
    assert blobs.delete(digest, if_older_than=time.time() + 60)
    assert not blobs.exists(digest)


def test_a_blob_written_again_after_the_cutoff_is_spared(blobs, wait_until):
    # gc picks blobs older than a cutoff, then deletes each one `if_older_than` it: a put
    # that found the blob already stored in between (a registration reusing the bytes)
    # must make the delete a no-op. Object stores keep whole seconds, so the clock is
    # let past the blob's second and then past the cutoff's.
    digest, _ = blobs.put_bytes(b"wanted again")
    [blob] = blobs.scan()
    wait_until(lambda: time.time() >= blob.modified + 1)
    cutoff = time.time()
    wait_until(lambda: time.time() >= math.floor(cutoff) + 1)

    blobs.put_bytes(b"wanted again")

    assert not blobs.delete(digest, if_older_than=cutoff)
    assert blobs.read_bytes(digest) == b"wanted again"


def test_scan_lists_every_blob_with_its_size(blobs):
    contents = [b"a", b"bb" * 1000, os.urandom(1 << 20)]
    digests = [blobs.put_bytes(c)[0] for c in contents]

    assert stored(blobs) == {d: len(c) for d, c in zip(digests, contents, strict=True)}
    blobs.delete(digests[1])
    assert set(stored(blobs)) == {digests[0], digests[2]}

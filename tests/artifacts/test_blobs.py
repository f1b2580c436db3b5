from __future__ import annotations

import hashlib
import io
import os
import threading

import pytest

from mlyard.artifacts import FsspecBlobStore, sha256_file
from mlyard.errors import IntegrityError, InvalidInputError, NotFoundError


@pytest.fixture
def blobs(tmp_path):
    return FsspecBlobStore(tmp_path / "blobs")


def test_put_read_and_dedupe(blobs, tmp_path):
    src = tmp_path / "a.bin"
    src.write_bytes(b"x" * 1000)
    sha, size = blobs.put_file(src)
    assert sha == hashlib.sha256(b"x" * 1000).hexdigest() and size == 1000
    assert blobs.put_stream(io.BytesIO(b"x" * 1000)) == (sha, 1000)
    assert blobs.put_bytes(b"x" * 1000) == (sha, 1000)
    stored = [p for p in (tmp_path / "blobs" / "sha256").rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert blobs.read_bytes(sha) == b"x" * 1000
    assert not os.access(stored[0], os.W_OK) or os.geteuid() == 0  # read-only for users
    assert src.read_bytes() == b"x" * 1000  # the source is never touched
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []  # no leftovers


def test_large_file_streams_in_chunks(blobs, tmp_path):
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:
        for _ in range(40):
            f.write(os.urandom(1 << 20))  # 40 MiB
    seen = []
    sha, size = blobs.put_file(src, progress=seen.append)
    assert size == 40 << 20 and max(seen) <= 1 << 20 and sum(seen) == size
    out = blobs.get_file(sha, tmp_path / "copy.bin")
    assert sha256_file(out) == (sha, size)


def test_corruption_is_detected_on_every_read(blobs, tmp_path):
    sha, _ = blobs.put_bytes(b"precious")
    path = blobs.path(sha)
    os.chmod(path, 0o644)
    with open(path, "wb") as f:
        f.write(b"tampered")
    with pytest.raises(IntegrityError, match="corrupted"):
        blobs.read_bytes(sha)
    with pytest.raises(IntegrityError):
        blobs.get_file(sha, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half-written at the target
    with pytest.raises(IntegrityError):
        blobs.verify(sha)


def test_missing_and_bad_hashes(blobs, tmp_path):
    with pytest.raises(NotFoundError, match="missing"):
        blobs.read_bytes("0" * 64)
    with pytest.raises(InvalidInputError):
        blobs.path("../../etc/passwd")
    with pytest.raises(NotFoundError):
        blobs.put_file(tmp_path / "nope")


def test_concurrent_identical_writes(blobs):
    data = os.urandom(1 << 20)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(blobs.put_bytes(data))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert blobs.read_bytes(results[0][0]) == data


def test_temporaries_are_kept_apart_from_blobs(blobs, tmp_path):
    sha, _ = blobs.put_bytes(b"kept")
    stray = tmp_path / "blobs" / "tmp" / "999999-0123abcd"  # a killed writer's bytes
    stray.write_bytes(b"half")

    assert [b.name for b in blobs.scan()] == [sha]
    assert [(t.name, t.size) for t in blobs.scan_temporaries()] == [(str(stray), 4)]
    assert next(blobs.scan_temporaries()).name == str(stray)  # stopping early is fine

    outside = tmp_path / "precious.txt"
    outside.write_text("not a temporary")
    blobs.remove_temporary(str(outside))
    blobs.remove_temporary(blobs.path(sha))
    assert outside.exists() and blobs.read_bytes(sha) == b"kept"  # both left alone
    blobs.remove_temporary(str(stray))
    assert list(blobs.scan_temporaries()) == []


def test_a_reused_blob_looks_freshly_written(blobs):
    sha, _ = blobs.put_bytes(b"reused")
    path = blobs.path(sha)
    os.utime(path, (1_000_000_000, 1_000_000_000))  # stored long ago
    [old] = blobs.scan()

    blobs.put_bytes(b"reused")

    [new] = blobs.scan()
    assert old.modified == 1_000_000_000 < new.modified
    assert not blobs.delete(sha, if_older_than=old.modified + 1)

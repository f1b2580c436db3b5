"""Transfers through a server stream: neither side holds a file in memory.

The server runs in this process, so ``tracemalloc`` sees both sides' allocations: the
peak during a 96 MiB upload and download stays a small multiple of the 1 MiB chunk.
"""

from __future__ import annotations

import hashlib
import os
import tracemalloc

import pytest

from mlyard import Workspace
from tests.live_server import live_server

SIZE = 96 * 2**20
LIMIT = 24 * 2**20  # a few chunks in flight on each side, never the file


@pytest.fixture
def big(tmp_path):
    path, digest = tmp_path / "big.bin", hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(SIZE // 2**20):
            chunk = os.urandom(2**20)
            digest.update(chunk)
            f.write(chunk)
    return path, digest.hexdigest()


def _peak(action) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_blobs_and_datastore_files_stream_both_ways(tmp_path, big):
    path, sha = big
    with live_server(str(tmp_path / "yard")) as base:
        ws = Workspace.open(base)
        try:

            def put_blob():
                with open(path, "rb") as f:
                    assert ws.blobs.put(f) == (sha, SIZE)

            def get_blob():
                digest = hashlib.sha256()
                with ws.blobs.open(sha) as f:
                    while chunk := f.read(2**20):
                        digest.update(chunk)
                assert digest.hexdigest() == sha

            store = ws.get_default_datastore()

            def upload():
                store.upload_files([str(path)], target_path="big/", show_progress=False)

            def download():
                store.download("big/", target_path=tmp_path / "back", show_progress=False)

            for action in (put_blob, get_blob, upload, download):
                assert _peak(action) < LIMIT, action.__name__  # 8-12 MiB seen
            copy = tmp_path / "back" / "big" / "big.bin"
            assert copy.stat().st_size == SIZE
            assert hashlib.sha256(copy.read_bytes()).hexdigest() == sha
        finally:
            ws.close()

"""Uploads cut off half-way, by killing the client or the server: nothing half-stored
is ever visible, what was left behind is collected, and the upload can be retried.

The upload goes through :class:`StuckLink`, which lets the first MiBs reach the server
and holds the rest, so the cut surely falls while the server holds part of the file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mlyard import Workspace
from mlyard.errors import MlyardError
from mlyard.gc import collect_garbage
from tests.server.proc_server import STOP_LIMIT, StuckLink, admin_token, poll, running

MiB = 1 << 20
KINDS = ["blob", "datastore"]
UPLOAD = """
import sys
from mlyard import Workspace

url, kind, path = sys.argv[1:]
ws = Workspace.open(url)
if kind == "blob":
    ws.blobs.put_file(path)
else:
    ws.get_default_datastore().upload_files(
        [path], target_path="big", overwrite=True, show_progress=False
    )
"""


def upload(ws: Workspace, kind: str, path: Path) -> None:
    if kind == "blob":
        ws.blobs.put_file(path)
    else:
        datastore = ws.get_default_datastore()
        datastore.upload_files([path], target_path="big", overwrite=True, show_progress=False)


def temporaries(folder: Path) -> list[Path]:
    """What uploads under way (or cut off) hold in the served folder workspace."""
    blobs = list((folder / "artifacts" / "tmp").iterdir())
    parts = list((folder / "datastores").rglob("*.mlyard-part"))
    return blobs + parts


def holding_part(folder: Path) -> bool:
    return any(p.stat().st_size > 0 for p in temporaries(folder))


def assert_nothing_stored(ws: Workspace, sha: str) -> None:
    assert not ws.blobs.exists(sha)
    datastore = ws.get_default_datastore()
    assert datastore.list("big") == []
    assert ws.store.get_datastore_files(datastore.name, "big") == []


def assert_retry_works(ws: Workspace, kind: str, path: Path, tmp_path: Path) -> None:
    upload(ws, kind, path)
    data = path.read_bytes()
    if kind == "blob":
        assert ws.blobs.read_bytes(hashlib.sha256(data).hexdigest()) == data
    else:
        ws.get_default_datastore().download("big", tmp_path / "back", show_progress=False)
        assert (tmp_path / "back" / "big" / path.name).read_bytes() == data


@pytest.fixture
def big(tmp_path) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(12 * MiB))
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_killed_mid_upload_leaves_nothing(kind, big, tmp_path):
    folder = tmp_path / "yard"
    token = admin_token(str(folder))
    sha = hashlib.sha256(big.read_bytes()).hexdigest()
    with running(["--workspace", str(folder)], tmp_path / "server.log") as server:
        link = StuckLink(server.port, limit=2 * MiB)
        client = subprocess.Popen(
            [sys.executable, "-c", UPLOAD, link.url, kind, str(big)],
            env={**os.environ, "MLYARD_TOKEN": token},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            poll(
                lambda: holding_part(folder) or client.poll() is not None,
                STOP_LIMIT,
                "the server receives part of the upload",
            )
            assert client.poll() is None, client.communicate()[0].decode()
        finally:
            client.kill()
            client.communicate()
            link.close()
        # the server notices the cut and drops what it had
        poll(lambda: temporaries(folder) == [], STOP_LIMIT, "the server removes the part")
        ws = Workspace.open(server.url, token=token)
        try:
            assert_nothing_stored(ws, sha)
            assert_retry_works(ws, kind, big, tmp_path)
        finally:
            ws.close()
        assert server.stop() == 0, server.output()


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_killed_mid_upload_leaves_nothing(kind, big, tmp_path):
    folder = tmp_path / "yard"
    token = admin_token(str(folder))
    sha = hashlib.sha256(big.read_bytes()).hexdigest()
    with running(["--workspace", str(folder)], tmp_path / "server.log") as server:
        link = StuckLink(server.port, limit=2 * MiB)
        # The client lives on, as a notebook would after its server crashed.
        client = Workspace.open(link.url, token=token)
        with ThreadPoolExecutor(1) as pool:
            cut = pool.submit(upload, client, kind, big)
            try:
                poll(
                    lambda: holding_part(folder) or cut.done(),
                    STOP_LIMIT,
                    "the server receives part of the upload",
                )
                assert not cut.done(), cut.exception()
            finally:
                server.kill()
            with pytest.raises(MlyardError):
                cut.result(timeout=STOP_LIMIT)
        link.close()
        client.close()

        server.start(port=server.port)
        ws = Workspace.open(server.url, token=token)
        try:
            assert_nothing_stored(ws, sha)
            # what the killed server left is its own, and its pid is gone: collected
            report = collect_garbage(ws, min_age=3600)
            assert report.count("temporary") >= 1
            assert temporaries(folder) == []
            assert_nothing_stored(ws, sha)
            assert_retry_works(ws, kind, big, tmp_path)
        finally:
            ws.close()
        assert server.stop() == 0, server.output()

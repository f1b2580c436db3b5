"""Uploads cut off half-way, by killing the client or the server: nothing half-stored
is ever visible, what was left behind is collected, and the upload can be retried.

Each runs against a server of a folder workspace and one of PostgreSQL + S3 (moto's
server). The upload goes through :class:`StuckLink`, which lets the first MiBs reach
the server and holds the rest, so the cut surely falls in the middle of the request.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlyard import Workspace
from mlyard.data._paths import PART_SUFFIX
from mlyard.errors import MlyardError
from mlyard.gc import collect_garbage
from tests.conftest import BUCKET
from tests.server.proc_server import (
    STOP_LIMIT,
    ServerProcess,
    StuckLink,
    admin_token,
    poll,
    running,
)

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


@dataclass
class Served:
    """A workspace to serve, and how to see what uploads left in it."""

    url: str
    artifacts: str | None
    args: list[str]
    # what uploads under way (or cut off) hold: temporaries, parts, spooled copies
    leftovers: Callable[[ServerProcess], list[str]]
    # whether the server surely holds part of an upload (else: it was sent)
    holding: Callable[[ServerProcess], bool]


def _spooled(server: ServerProcess) -> list[str]:
    return [str(p) for p in server.tmp.iterdir()]


def _folder(tmp_path: Path) -> Served:
    folder = tmp_path / "yard"

    def leftovers(server: ServerProcess) -> list[str]:
        blobs = (folder / "artifacts" / "tmp").iterdir()
        parts = (folder / "datastores").rglob(f"*{PART_SUFFIX}")
        return [str(p) for p in [*blobs, *parts]] + _spooled(server)

    def holding(server: ServerProcess) -> bool:
        return any(os.path.getsize(p) > 0 for p in leftovers(server))

    return Served(str(folder), None, ["--workspace", str(folder)], leftovers, holding)


def _postgresql_s3(request) -> Served:
    import boto3

    url, prefix = request.getfixturevalue("pg_url"), request.getfixturevalue("s3_prefix")
    client = boto3.client("s3", endpoint_url=request.getfixturevalue("s3_endpoint"))
    request.addfinalizer(client.close)
    key_prefix = prefix.removeprefix(f"s3://{BUCKET}/")

    def leftovers(server: ServerProcess) -> list[str]:
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix=key_prefix).get("Contents", [])
        uploads = client.list_multipart_uploads(Bucket=BUCKET, Prefix=key_prefix)
        parts = [o["Key"] for o in listed if o["Key"].endswith(PART_SUFFIX)]
        return parts + [u["Key"] for u in uploads.get("Uploads", [])] + _spooled(server)

    def holding(server: ServerProcess) -> bool:
        # A blob is spooled on the server's disk until whole; a datastore file is
        # buffered in its memory: there the bytes that reached it must do.
        return any(os.path.getsize(p) > 0 for p in _spooled(server))

    args = ["--store", url, "--artifacts", prefix]
    return Served(url, prefix, args, leftovers, holding)


@pytest.fixture(params=["folder", pytest.param("postgresql-s3", marks=pytest.mark.postgres)])
def served(request, tmp_path) -> Served:
    return _folder(tmp_path) if request.param == "folder" else _postgresql_s3(request)


@pytest.fixture
def big(tmp_path) -> Path:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(12 * MiB))
    return path


def upload(ws: Workspace, kind: str, path: Path) -> None:
    if kind == "blob":
        ws.blobs.put_file(path)
    else:
        datastore = ws.get_default_datastore()
        datastore.upload_files([path], target_path="big", overwrite=True, show_progress=False)


def cut_in_flight(served: Served, server: ServerProcess, link: StuckLink, kind: str) -> bool:
    """Whether the upload is surely under way on the server."""
    if kind == "datastore" and served.artifacts is not None:
        return link.stuck.is_set()
    return served.holding(server)


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


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_killed_mid_upload_leaves_nothing(kind, served, big, tmp_path):
    token = admin_token(served.url, served.artifacts)
    sha = hashlib.sha256(big.read_bytes()).hexdigest()
    with running(served.args, tmp_path / "server.log") as server:
        link = StuckLink(server.port, limit=2 * MiB)
        client = subprocess.Popen(
            [sys.executable, "-c", UPLOAD, link.url, kind, str(big)],
            env={**os.environ, "MLYARD_TOKEN": token},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            poll(
                lambda: cut_in_flight(served, server, link, kind) or client.poll() is not None,
                STOP_LIMIT,
                "the server receives part of the upload",
            )
            assert client.poll() is None, client.communicate()[0].decode()
        finally:
            client.kill()
            client.communicate()
            link.close()
        # the server notices the cut and drops what it had
        poll(lambda: served.leftovers(server) == [], STOP_LIMIT, "the server drops the part")
        ws = Workspace.open(server.url, token=token)
        try:
            assert_nothing_stored(ws, sha)
            assert_retry_works(ws, kind, big, tmp_path)
            assert served.leftovers(server) == []
        finally:
            ws.close()
        assert server.stop() == 0, server.output()


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_killed_mid_upload_leaves_nothing(kind, served, big, tmp_path):
    token = admin_token(served.url, served.artifacts)
    sha = hashlib.sha256(big.read_bytes()).hexdigest()
    with running(served.args, tmp_path / "server.log") as server:
        link = StuckLink(server.port, limit=2 * MiB)
        # The client lives on, as a notebook would after its server crashed.
        client = Workspace.open(link.url, token=token)
        with ThreadPoolExecutor(1) as pool:
            cut = pool.submit(upload, client, kind, big)
            try:
                poll(
                    lambda: cut_in_flight(served, server, link, kind) or cut.done(),
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

        left = served.leftovers(server)
        server.start(port=server.port)
        ws = Workspace.open(server.url, token=token)
        try:
            assert_nothing_stored(ws, sha)
            # what the killed server left is its own, and its pid is gone: collected
            report = collect_garbage(ws, min_age=3600)
            assert report.count("temporary") == len(left), (report, left)
            assert served.leftovers(server) == []
            assert_nothing_stored(ws, sha)
            assert_retry_works(ws, kind, big, tmp_path)
        finally:
            ws.close()
        assert server.stop() == 0, server.output()


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_gone_silent_mid_upload_is_given_up(kind, big, tmp_path):
    # A client whose machine froze mid-upload sends nothing more and never closes the
    # connection; the server drops the upload after MLYARD_BODY_TIMEOUT.
    served = _folder(tmp_path)
    token = admin_token(served.url)
    env = {"MLYARD_BODY_TIMEOUT": "1"}
    with running(served.args, tmp_path / "server.log", env) as server:
        link = StuckLink(server.port, limit=2 * MiB)  # and never closes: silence
        client = Workspace.open(link.url, token=token)
        with ThreadPoolExecutor(1) as pool:
            stalled = pool.submit(upload, client, kind, big)
            try:
                poll(
                    lambda: served.holding(server) or stalled.done(),
                    STOP_LIMIT,
                    "the server receives part of the upload",
                )
                assert not stalled.done(), stalled.exception()
                # well before the default 30 s: the setting is what made it give up
                poll(lambda: served.leftovers(server) == [], 15, "the server gives up")
            finally:
                link.close()  # the client wakes up to a failed upload, however it learns it
            with pytest.raises(MlyardError):
                stalled.result(timeout=STOP_LIMIT)
        client.close()
        ws = Workspace.open(server.url, token=token)
        try:
            assert_nothing_stored(ws, hashlib.sha256(big.read_bytes()).hexdigest())
            assert_retry_works(ws, kind, big, tmp_path)
        finally:
            ws.close()
        assert server.stop() == 0, server.output()

"""Shared fixtures: one ``ws`` fixture over every backend, the PostgreSQL service.

Every test that takes ``ws`` runs once per backend: an embedded folder workspace
(SQLite), a PostgreSQL workspace (marked ``postgres``), and a live ``mlyard server``
on loopback serving each of them (the PostgreSQL one with its artifacts on S3, moto's
server). Tests about what only an embedded workspace does (its own processes and
folders) take ``local_ws``; tests about what only a client of a server sees take
``server_ws``; tests about one backend's own behaviour take ``folder_ws``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlyard import Workspace

PG_URL = os.environ.get("MLYARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
# CI sets it (.ci/run): there a missing PostgreSQL fails the run instead of skipping.
REQUIRE_PG = os.environ.get("MLYARD_REQUIRE_POSTGRES") == "1"
LOCAL_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
SERVER_BACKENDS = ["server", pytest.param("server-postgresql-s3", marks=pytest.mark.postgres)]
BACKENDS = LOCAL_BACKENDS + SERVER_BACKENDS
BUCKET = "mlyard-tests"


def pytest_configure(config):
    # Subprocesses (the examples, spawned scoring servers) start in other folders: a
    # relative PYTHONPATH such as `src` must still name the mlyard under test, not
    # whichever one the virtualenv has installed.
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if any(entries):
        os.environ["PYTHONPATH"] = os.pathsep.join(os.path.abspath(e) if e else e for e in entries)


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch, tmp_path):
    # Tests never depend on the developer's own workspace or settings.
    for name in list(os.environ):
        if name.startswith("MLYARD_") and name != "MLYARD_TEST_PG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("MLYARD_WORKSPACE", str(tmp_path / "yard"))
    monkeypatch.setenv("MLYARD_HOME", str(tmp_path / "home"))


def _open(request, backend: str, tmp_path: Path) -> Iterator[Workspace]:
    if backend == "sqlite":
        workspace = Workspace.open(tmp_path / "yard")
    elif backend == "postgresql":
        url = request.getfixturevalue("pg_url")
        workspace = Workspace.open(url, artifact_root=str(tmp_path / "artifacts"))
    else:
        from tests.live_server import live_server

        if backend == "server":
            url, root = str(tmp_path / "served"), None
        else:
            url, root = request.getfixturevalue("pg_url"), request.getfixturevalue("s3_prefix")
        with live_server(url, root, auth=True) as server_url:
            # The suite runs as the workspace's admin, with every request checked; the
            # token reaches subprocesses (and Workspace.open(ws.url)) through the env.
            from mlyard.auth import init_admin
            from tests.live_server import served

            token = init_admin(served(server_url)).token
            request.getfixturevalue("monkeypatch").setenv("MLYARD_TOKEN", token)
            workspace = Workspace.open(server_url)
            yield workspace
            workspace.close()
        return
    yield workspace
    workspace.close()


@pytest.fixture(params=BACKENDS)
def ws(request, tmp_path: Path):
    """A fresh workspace on each backend. ``ws.url`` reopens it, also in subprocesses
    (which inherit ``MLYARD_HOME``)."""
    yield from _open(request, request.param, tmp_path)


# For a test about this machine's own processes or folders whose fixtures take `ws`
# (a registered model, a deployed service): `ws` over the embedded backends only.
local_only = pytest.mark.parametrize("ws", LOCAL_BACKENDS, indirect=True)
# The counterpart, for what only a client of a server sees.
server_only = pytest.mark.parametrize("ws", SERVER_BACKENDS, indirect=True)


@pytest.fixture(params=LOCAL_BACKENDS)
def local_ws(request, tmp_path: Path):
    """A fresh embedded workspace (SQLite, PostgreSQL), for what runs on this machine."""
    yield from _open(request, request.param, tmp_path)


@pytest.fixture(params=SERVER_BACKENDS)
def server_ws(request, tmp_path: Path):
    """A fresh remote workspace, for what only a client of a server sees."""
    yield from _open(request, request.param, tmp_path)


@pytest.fixture
def folder_ws(tmp_path: Path):
    """An embedded folder workspace, for what only that backend does."""
    workspace = Workspace.open(tmp_path / "yard")
    yield workspace
    workspace.close()


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture
def pg_url():
    """A database URL whose tables live in a fresh schema, dropped afterwards."""
    if not _pg_available():
        message = f"PostgreSQL is not reachable at {PG_URL}; start it (see MACHINE_NOTES)"
        if REQUIRE_PG:
            pytest.fail(message)
        pytest.skip(message + " (MLYARD_REQUIRE_POSTGRES=1 makes this a failure)")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    yield url
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def system_tmp(tmp_path, monkeypatch) -> Path:
    """The system's temporary folder, for this process and its children: a test folder,
    so what mlyard leaves (or gc finds) there is known exactly."""
    import tempfile

    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def _wait_until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{condition} still false after {limit} s")
        time.sleep(0.02)


@pytest.fixture
def wait_until():
    """``wait_until(condition)`` polls until it holds; fails (no timing assertion) if
    it never does within 30 s."""
    return _wait_until


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """moto's S3 server on a free loopback port, with bucket ``BUCKET``."""
    import subprocess
    import sys

    import boto3

    port = _free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1"]
    with open(log_path, "wb") as log:
        server = subprocess.Popen([*command, "-p", str(port)], stdout=log, stderr=log)
    try:
        _wait_until(lambda: server.poll() is not None or _answers(port))
        assert server.poll() is None, log_path.read_text()
        url = f"http://127.0.0.1:{port}"
        client = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        client.close()
        yield url
    finally:
        server.terminate()  # moto prints a traceback on SIGTERM: harmless, and in its log
        server.wait(timeout=30)


@pytest.fixture
def s3_prefix(s3_endpoint, tmp_path, monkeypatch) -> str:
    """A fresh ``s3://`` prefix on moto's server; this process (and its children) reach
    it through the standard AWS variables, never the developer's own configuration."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return f"s3://{BUCKET}/{uuid.uuid4().hex}"

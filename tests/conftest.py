"""Shared fixtures: a fresh embedded workspace per test, the PostgreSQL service."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from mlyard import Workspace

PG_URL = os.environ.get("MLYARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pytest_configure(config):
    # Subprocesses (the examples, spawned scoring servers) start in other folders: a
    # relative PYTHONPATH such as `src` must still name the mlyard under test, not
    # whichever one the virtualenv has installed.
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if any(entries):
        os.environ["PYTHONPATH"] = os.pathsep.join(os.path.abspath(e) if e else e for e in entries)


@pytest.fixture
def ws(tmp_path: Path):
    workspace = Workspace.open(tmp_path / "yard")
    yield workspace
    workspace.close()


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch, tmp_path):
    # Tests never depend on the developer's own workspace or settings.
    for name in list(os.environ):
        if name.startswith("MLYARD_") and name != "MLYARD_TEST_PG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("MLYARD_WORKSPACE", str(tmp_path / "yard"))


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            PG_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=2
        ):
            return True
    except Exception:
        return False


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL schema-less database URL: tables are dropped afterwards."""
    if not _pg_available():
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}; start it (see MACHINE_NOTES)")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    yield url
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")

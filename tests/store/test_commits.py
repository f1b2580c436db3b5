"""How commits reach the disk: run logging commits lazily on both databases (a crash of
the database's machine can drop the last fraction of a second, never half a
transaction) unless MLYARD_SYNC_COMMIT asks for a flush at every commit; everything
else commits durably on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from mlyard.store._sql._prepared import Prepared
from mlyard.store._sql.database import Database


def _sqlite_sync(db: Database) -> int:
    with db.write() as conn:
        return conn.exec_driver_sql("PRAGMA synchronous").scalar_one()


_SETTING = Prepared(text("SELECT current_setting('synchronous_commit')"))


def _pg_sync(db: Database, **write: bool) -> str:
    with db.write(**write) as conn:
        cursor = _SETTING.execute(conn, {})  # pipelined writes take Prepared statements
        return cursor.fetchone()[0]


@pytest.mark.parametrize(("flag", "level"), [(None, 1), ("1", 2)])  # NORMAL, FULL
def test_sqlite_flushes_each_commit_only_when_asked(tmp_path, monkeypatch, flag, level):
    if flag:
        monkeypatch.setenv("MLYARD_SYNC_COMMIT", flag)
    db = Database(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert _sqlite_sync(db) == level
    finally:
        db.close()


def test_postgres_commits_run_logging_lazily_and_the_rest_durably(pg_url, monkeypatch):
    db = Database(pg_url)
    try:
        assert _pg_sync(db, tracking=True) == "off"
        assert _pg_sync(db, pipelined=True, tracking=True) == "off"
        assert _pg_sync(db) == "on"  # registry, users, deletions
        assert _pg_sync(db, tracking=True) == "off"  # a pooled connection: still per write
        assert _pg_sync(db) == "on"
    finally:
        db.close()
    monkeypatch.setenv("MLYARD_SYNC_COMMIT", "yes")
    db = Database(pg_url)
    try:
        assert _pg_sync(db, tracking=True) == "on"
    finally:
        db.close()

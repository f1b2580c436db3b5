"""A workspace made before migration 0004 (users and tokens) opens with this mlyard,
migrated in place; and a migrated schema is exactly the one ``tables.py`` declares."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from mlyard.store import open_store
from mlyard.store._sql import database
from mlyard.store._sql.tables import metadata
from mlyard.store.records import Role


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("pg_url")


def _engine(url: str):
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed)


def _workspace_at_0003(url: str) -> None:
    """A dataset version and a model version, as revision 0003 stored them."""
    engine = _engine(url)
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(database._MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(text("INSERT INTO datasets (name, kind, created_at) VALUES ('d', 'file', 1)"))
        conn.execute(
            text(
                "INSERT INTO dataset_versions (name, version, fingerprint, spec, tags, "
                "created_at) VALUES ('d', 1, :f, '{}', '{}', 1)"
            ),
            {"f": "f" * 64},
        )
        conn.execute(
            text("INSERT INTO registered_models (name, created_at, updated_at) VALUES ('m', 1, 1)")
        )
        conn.execute(
            text(
                "INSERT INTO model_versions (name, version, framework, flavor, manifest, "
                "status, created_at, updated_at) VALUES ('m', 1, 'F', 'f', '{}', 'READY', 1, 1)"
            )
        )
    engine.dispose()


def test_0004_adds_users_tokens_and_creators(url):
    _workspace_at_0003(url)
    store = open_store(url)
    try:
        assert store.get_dataset_version("d", 1).created_by is None
        assert store.get_model_version("m", 1).created_by is None
        store.create_user("alice", Role.ADMIN)
        store.create_token("alice", "", "a" * 64, "myd_abcdef")
        assert store.find_token("a" * 64) is not None
        v2 = store.create_model_version(
            "m", framework="F", framework_version=None, flavor="f", manifest={}, created_by="alice"
        )
        assert (v2.version, v2.created_by) == (2, "alice")
    finally:
        store.close()
    engine = _engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == database.HEAD_REVISION == "0004"
        unique = inspect(conn).get_unique_constraints("tokens")
        assert [u["column_names"] for u in unique] == [["token_hash"]]  # one indexed lookup
    engine.dispose()


def test_a_migrated_schema_is_the_declared_one(url):
    open_store(url).close()
    engine = _engine(url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()

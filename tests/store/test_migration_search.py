"""A workspace made before migration 0003 (search) opens with this mlyard, migrated in place."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from mlyard.store import open_store
from mlyard.store._sql import database
from mlyard.store.records import MetricSeries


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


def _workspace_at_0001(url: str) -> None:
    """Two experiments and three runs, written as revision 0001 stored them."""
    engine = _engine(url)
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(database._MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            text(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, "
                "created_at, updated_at) VALUES ('a', '', 'active', 1, 1), "
                "('b', '', 'active', 1, 1)"
            )
        )
        for run_id, eid, loss in (("r1", 1, 0.5), ("r2", 1, 2.0), ("r3", 2, 0.1)):
            conn.execute(
                text(
                    "INSERT INTO runs (run_id, experiment_id, name, status, start_time, "
                    "user_id, lifecycle_stage, params_json, metrics_json, tags_json) VALUES "
                    "(:r, :e, :r, 'COMPLETED', 1, 'u', 'active', '{}', :m, '{}')"
                ),
                {"r": run_id, "e": eid, "m": f'{{"loss": {loss}}}'},
            )
            conn.execute(
                text(
                    "INSERT INTO latest_metrics (run_id, key, value, step, timestamp) "
                    "VALUES (:r, 'loss', :v, 0, 1)"
                ),
                {"r": run_id, "v": loss},
            )
    engine.dispose()


def test_0003_backfills_the_experiment_of_latest_metrics(url):
    _workspace_at_0001(url)
    store = open_store(url)
    try:
        found = store.search_runs(["1"], "metrics.loss < 1", ["metrics.loss ASC"])
        assert [r.run_id for r in found] == ["r1"]
        store.log_batch("r3", [MetricSeries.of("acc", [0.9])])
        assert [r.run_id for r in store.search_runs(["2"], "metrics.acc > 0.5")] == ["r3"]
    finally:
        store.close()
    engine = _engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT run_id, key, experiment_id FROM latest_metrics"))
        want = [("r1", "loss", 1), ("r2", "loss", 1), ("r3", "acc", 2), ("r3", "loss", 2)]
        assert sorted(rows) == want
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == database.HEAD_REVISION
        insp = inspect(conn)
        column = next(c for c in insp.get_columns("latest_metrics") if c["name"] == "experiment_id")
        assert column["nullable"] is False
        indexes = {i["name"]: i["column_names"] for i in insp.get_indexes("latest_metrics")}
        assert indexes == {
            "ix_latest_metrics_experiment_id_key_value": ["experiment_id", "key", "value"]
        }
        if conn.dialect.name == "sqlite":  # the rebuilt table is still clustered by run
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'latest_metrics'"))
            assert "WITHOUT ROWID" in sql.scalar()
    engine.dispose()

"""Workspaces made by earlier versions upgrade in place, keeping what they hold."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from mlyard.processes import machine
from mlyard.store import open_store
from mlyard.store._sql import database
from mlyard.store.records import DeploymentState, RunStatus


def _at_revision(url: str, revision: str) -> None:
    db = database.Database.__new__(database.Database)
    db.url, db.engine = url, database._engine_for(url)
    db.dialect = db.engine.dialect.name
    with db.write() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(database._MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    db.close()


def test_a_first_version_workspace_upgrades_with_its_runs_and_services(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _at_revision(url, "0001")
    old = database._engine_for(url)
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO experiments (name, artifact_location, lifecycle_stage, created_at,"
                " updated_at) VALUES ('e', '', 'active', 1, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO runs (run_id, experiment_id, name, status, start_time, user_id,"
                " lifecycle_stage) VALUES ('r1', 1, 'old', 'RUNNING', 5, 'u', 'active')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO deployments (name, models, state, host, port, pid, config,"
                " directory, created_at, updated_at) VALUES ('svc', '[\"m:1\"]', 'Healthy',"
                " '127.0.0.1', 8890, 42, '{}', '/tmp/svc', 1, 2)"
            )
        )
    old.dispose()

    store = open_store(url)  # migrates to the head revision
    try:
        run = store.get_run("r1")
        assert run.status is RunStatus.RUNNING and (run.host, run.pid) == (None, None)
        svc = store.get_deployment("svc")
        assert svc.scoring_uri == "http://127.0.0.1:8890/score" and svc.port == 8890
        assert svc.host == machine() and svc.deployer == "local"
        assert svc.state is DeploymentState.HEALTHY and svc.models == ("m:1",)
        assert store.acquire_lock("k", "me", 1000) is None  # the new tables exist
    finally:
        store.close()

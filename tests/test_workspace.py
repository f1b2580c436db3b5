from __future__ import annotations

import pytest

from mlyard import Experiment, Workspace
from mlyard.errors import InvalidInputError, StoreError


def test_folder_workspace_layout_and_reopen(tmp_path):
    ws = Workspace.open(tmp_path / "yard")
    for sub in ("mlyard.db", "artifacts", "datastores/default", "deployments"):
        assert (tmp_path / "yard" / sub).exists()
    with ws.store._db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    Experiment(ws, "kept")
    ws.close()
    again = Workspace.open(str(tmp_path / "yard"))
    assert [e.name for e in Experiment.list(again)] == ["kept"]
    assert again.store.get_datastore(None).url == "./datastores/default"


def test_default_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MLYARD_WORKSPACE", str(tmp_path / "env-yard"))
    assert Workspace.open().url == str(tmp_path / "env-yard")


def test_moved_workspace_still_works(tmp_path):
    ws = Workspace.open(tmp_path / "a")
    with Experiment(ws, "e").start_run() as run:
        run.log("m", 1.0)
    ws.close()
    (tmp_path / "a").rename(tmp_path / "b")
    moved = Workspace.open(tmp_path / "b")
    assert Experiment(moved, "e").runs()[0].metrics == {"m": 1.0}


def test_bad_urls(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidInputError) as err:
        Workspace.open(tmp_path / "file")
    assert err.value.field == "url"
    with pytest.raises(StoreError, match="cannot reach the mlyard server at http://127.0.0.1:1"):
        Workspace.open("http://127.0.0.1:1")
    with pytest.raises(InvalidInputError) as err:
        Workspace.open("http://127.0.0.1:1", artifact_root=str(tmp_path))
    assert err.value.field == "artifact_root"


@pytest.mark.postgres
def test_a_new_database_workspace_needs_an_artifact_root(pg_url):
    with pytest.raises(InvalidInputError) as err:
        Workspace.open(pg_url)
    assert err.value.field == "artifact_root"


def test_postgres_workspace(pg_url, tmp_path):
    ws = Workspace.open(pg_url, artifact_root=str(tmp_path / "art"), home=tmp_path / "home")
    exp = Experiment(ws, "pg")
    with exp.start_run() as run:
        run.log_params({"alpha": 0.1})
        run.log("mse", 2.5)
    assert exp.best_run("mse").params == {"alpha": "0.1"}
    assert (tmp_path / "home" / "deployments").is_dir()
    ws.close()

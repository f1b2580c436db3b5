"""Who runs, datasets and models record as their creator."""

from __future__ import annotations

import getpass
import threading

import pytest
from sklearn.linear_model import Ridge

from mlyard import Dataset, Experiment, Model
from mlyard.auth import acting_as, current_user
from mlyard.errors import InvalidInputError


def test_the_login_name_then_the_setting_then_acting_as(monkeypatch):
    assert current_user() == getpass.getuser()
    monkeypatch.setenv("MLYARD_USER", "ci-bot")
    assert current_user() == "ci-bot"
    with acting_as("alice"):
        assert current_user() == "alice"
        with acting_as("bob"):
            assert current_user() == "bob"
        assert current_user() == "alice"
    assert current_user() == "ci-bot"


def test_acting_as_belongs_to_one_thread():
    seen: dict[str, str] = {}
    inside, checked = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen["other"] = current_user()
        checked.set()

    t = threading.Thread(target=other)
    t.start()
    with acting_as("alice"):
        inside.set()
        checked.wait()
        seen["mine"] = current_user()
    t.join()
    assert seen == {"mine": "alice", "other": getpass.getuser()}


def test_a_bad_user_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("MLYARD_USER", "two\nlines")
    with pytest.raises(InvalidInputError) as err:
        current_user()
    assert err.value.field == "MLYARD_USER"


def test_runs_datasets_and_models_record_their_creator(local_ws, tmp_path, monkeypatch):
    # Here the SDK names the creator; a server records its authenticated caller instead
    # (tests/server/test_auth.py).
    ws = local_ws
    monkeypatch.setenv("MLYARD_USER", "alice")
    with Experiment(ws, "e").start_run() as run:
        run.log("m", 1.0)
    assert run.record.user_id == "alice" and run.tags["mlyard.user"] == "alice"

    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    ws.get_default_datastore().upload_files([str(tmp_path / "x.csv")], target_path="d/")
    ds = Dataset.Tabular.from_delimited_files(path=[(ws.get_default_datastore(), "d/x.csv")])
    with acting_as("bob"):  # as a server does for the caller it acts for
        registered = ds.register(ws, "xs")
    assert registered.created_by == "bob"
    assert Dataset.get_by_name(ws, "xs").created_by == "bob"

    import joblib

    joblib.dump(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), tmp_path / "m.joblib")
    model = Model.register(
        ws, "m", tmp_path / "m.joblib", model_framework=Model.Framework.SCIKITLEARN
    )
    assert model.created_by == "alice" and Model(ws, "m").created_by == "alice"
    assert ws.store.list_model_versions("m")[0].created_by == "alice"

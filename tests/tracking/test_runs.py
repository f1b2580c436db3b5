from __future__ import annotations

import math

import numpy as np
import pytest

from mlyard import Experiment, Run
from mlyard.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from mlyard.tracking import context


def test_context_manager_completes_and_records_context(ws):
    with Experiment(ws, "e").start_run(run_name="first") as run:
        run.log("alpha", 0.1)
        run.log("solver", "auto")
        run.log_metric("loss", 0.5, step=3)
        run.log_metrics({"a": 1, "b": np.float32(2.5)})
        run.log_params({"n": 10})
        run.set_tags({"team": "ml"})
    got = Run.get(ws, run.id)
    assert got.status == "COMPLETED" and got.name == "first"
    assert got.metrics == {"alpha": 0.1, "loss": 0.5, "a": 1.0, "b": 2.5}
    assert got.params == {"solver": "auto", "n": "10"}
    tags = got.tags
    assert tags["team"] == "ml"
    assert tags[context.PYTHON] and tags[context.ENTRY_POINT]
    assert "numpy" in tags[context.PACKAGES]


def test_records_git_commit_of_entry_script(ws, tmp_path, monkeypatch):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "train.py").write_text("print(1)\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x"],
        check=True,
    )
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    import sys

    monkeypatch.setattr(sys.modules["__main__"], "__file__", str(repo / "train.py"), raising=False)
    with Experiment(ws, "git").start_run() as run:
        pass
    assert run.tags[context.GIT_COMMIT] == head
    assert run.tags[context.ENTRY_POINT].endswith("train.py")


def test_exception_marks_failed_with_error(ws):
    with pytest.raises(ZeroDivisionError):
        with Experiment(ws, "e").start_run() as run:
            run.log("mse", 1.0)
            run.log("x", 1 / 0)
    got = Run.get(ws, run.id)
    assert got.status == "FAILED"
    assert "ZeroDivisionError" in got.error
    assert got.metrics == {"mse": 1.0}


def test_repeated_log_makes_a_series(ws):
    with Experiment(ws, "e").start_run() as run:
        for v in (3.0, 2.0, 1.0):
            run.log("loss", v)
        run.log("single", 7)
    assert run.get_metrics() == {"loss": [3.0, 2.0, 1.0], "single": 7.0}
    hist = run.get_metric_history("loss")
    assert hist.steps.tolist() == [0, 1, 2]
    assert [p.value for p in hist] == [3.0, 2.0, 1.0]
    assert hist.to_pandas()["value"].tolist() == [3.0, 2.0, 1.0]


def test_buffered_metrics_are_visible_after_flush_and_size_limit(ws, monkeypatch):
    monkeypatch.setenv("MLYARD_FLUSH_SIZE", "100")
    run = Experiment(ws, "e").start_run()
    for i in range(250):
        run.log_metric("x", i)
    # two size-triggered flushes happened without an explicit call
    assert len(ws.store.get_metric_history(run.id, "x")) == 200
    run.flush()
    assert len(ws.store.get_metric_history(run.id, "x")) == 250
    run.complete()
    assert run.status == "COMPLETED"


def test_nan_metric(ws):
    with Experiment(ws, "e").start_run() as run:
        run.log_metric("n", float("nan"))
    assert math.isnan(run.metrics["n"])


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda r: r.log_metric("", 1), "metric.name"),
        (lambda r: r.log_metric("m", "abc"), "metrics.m"),
        (lambda r: r.log_metric("m", [1, 2]), "metrics.m"),
        (lambda r: r.log_metric("m", 1, step=1.5), "step"),
        (lambda r: r.log_params(["a"]), "params"),
        (lambda r: r.log_param("p", "x" * 7000), "params.p"),
        (lambda r: r.upload_file("../evil", __file__), "name"),
    ],
)
def test_bad_input_names_the_field(ws, call, field):
    with Experiment(ws, "e").start_run() as run:
        with pytest.raises(InvalidInputError) as err:
            call(run)
    assert err.value.field == field


def test_param_cannot_change(ws):
    with Experiment(ws, "e").start_run() as run:
        run.log_param("alpha", 0.1)
        run.log_param("alpha", 0.1)
        with pytest.raises(ConflictError, match="alpha"):
            run.log_param("alpha", 0.2)
    assert run.params == {"alpha": "0.1"}


def test_files(ws, tmp_path):
    src = tmp_path / "notes.txt"
    src.write_text("hello")
    with Experiment(ws, "e").start_run() as run:
        run.upload_file("outputs/notes.txt", src)
        run.upload_file("again.txt", src)  # identical bytes: stored once
        with open(src, "rb") as stream:
            run.upload_file("stream.txt", stream)
    assert run.get_file_names() == ["again.txt", "outputs/notes.txt", "stream.txt"]
    shas = {f.sha256 for f in run.list_files()}
    assert len(shas) == 1
    out = run.download_file("outputs/notes.txt", tmp_path / "dl")
    assert out.read_text() == "hello"
    with pytest.raises(AlreadyExistsError):
        run.download_file("outputs/notes.txt", tmp_path / "dl")
    with pytest.raises(NotFoundError, match="get_file_names"):
        run.download_file("missing.txt", tmp_path / "x")
    with pytest.raises(NotFoundError):
        run.upload_file("x", tmp_path / "missing.txt")
    got = run.download_files("outputs", tmp_path / "all")
    assert [p.name for p in got] == ["notes.txt"]


def test_save_model_writes_a_model_folder(ws):
    from sklearn.linear_model import Ridge

    with Experiment(ws, "e").start_run() as run:
        manifest = run.save_model(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), "model")
    assert manifest.flavor == "sklearn"
    assert run.get_file_names() == ["model/model.joblib", "model/model.yaml"]


def test_unknown_run(ws):
    with pytest.raises(NotFoundError, match="no run"):
        Run.get(ws, "0" * 32)

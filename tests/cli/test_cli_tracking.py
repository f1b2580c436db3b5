"""The CLI over tracking and the registry: tables out, clear errors, exit codes."""

from __future__ import annotations

import joblib
import pytest
from sklearn.linear_model import Ridge
from typer.testing import CliRunner

from mlyard import Experiment, Model
from mlyard.cli import app

runner = CliRunner()


def mlyard(ws, *args: str):
    return runner.invoke(app, ["-w", ws.url, *args])


@pytest.fixture
def populated(ws):
    exp = Experiment(ws, "diabetes")
    ids = []
    for alpha, mse in [(0.01, 3100.0), (0.1, 2900.0)]:
        with exp.start_run(run_name=f"ridge-{alpha}") as run:
            run.log_params({"alpha": alpha})
            run.log("mse", mse)
            run.save_model(Ridge(alpha=alpha).fit([[0.0], [1.0]], [0.0, 1.0]), "model")
        ids.append(run.id)
    return ids


def test_init_creates_a_workspace(tmp_path):
    out = runner.invoke(app, ["init", str(tmp_path / "new")])
    assert out.exit_code == 0, out.output
    assert "workspace ready" in out.output and "default" in out.output
    assert (tmp_path / "new" / "mlyard.db").exists()


def test_experiments_and_runs(ws, populated):
    out = mlyard(ws, "experiments", "list")
    assert out.exit_code == 0 and "diabetes" in out.output and "2" in out.output
    out = mlyard(ws, "runs", "list", "-e", "diabetes", "-f", "metrics.mse < 3000")
    assert out.exit_code == 0
    assert "ridge-0.1" in out.output and "ridge-0.01" not in out.output
    out = mlyard(ws, "runs", "list", "-o", "metrics.mse DESC")
    assert out.output.index("ridge-0.01") < out.output.index("ridge-0.1")
    out = mlyard(ws, "runs", "show", populated[1][:8])
    assert out.exit_code == 0
    for text in ("ridge-0.1", "COMPLETED", "alpha", "2900", "model/model.joblib"):
        assert text in out.output


def test_models(ws, populated, tmp_path):
    out = mlyard(ws, "models", "register", "dm", "model", "--run", populated[1], "--tag", "a=b")
    assert out.exit_code == 0, out.output
    assert "version 1" in out.output
    path = tmp_path / "m.joblib"
    joblib.dump(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), path)
    out = mlyard(ws, "models", "register", "dm", str(path), "--framework", "ScikitLearn")
    assert "version 2" in out.output
    Model(ws, "dm", 1).set_alias("production")
    out = mlyard(ws, "models", "list")
    assert out.exit_code == 0 and "production" in out.output and "ScikitLearn" in out.output
    out = mlyard(ws, "models", "show", "dm:1")
    assert out.exit_code == 0 and "model.joblib" in out.output and populated[1] in out.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["runs", "show", "0" * 32], "no run with id"),
        (["runs", "list", "-f", "metrics.mse <<< 3"], "filter"),
        (["runs", "list", "-e", "nope"], "no experiment named 'nope'"),
        (["models", "show", "nope"], "no model named 'nope'"),
        (["models", "show", "dm:x"], "must be a number"),
        (["models", "register", "m", "missing.joblib", "--framework", "ScikitLearn"], "no file"),
        (["models", "register", "m", "model", "--run", "0" * 32], "no run"),
    ],
)
def test_errors_are_one_clear_line(ws, populated, args, message):
    out = mlyard(ws, *args)
    assert out.exit_code == 1
    assert "error" in out.output and message in out.output
    assert "Traceback" not in out.output

"""The CLI never shows a traceback for bad input, never creates a workspace to read
one, and reaches the store only through the SDK."""

from __future__ import annotations

import re
from pathlib import Path

import joblib
import pytest
from sklearn.linear_model import Ridge
from typer.testing import CliRunner

from mlyard import Experiment
from mlyard.cli import app

runner = CliRunner()
CLI_SOURCE = Path(__file__).resolve().parents[2] / "src" / "mlyard" / "cli"


def mlyard(ws, *args: str):
    return runner.invoke(app, ["-w", ws.url, *args])


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "list"],
        ["runs", "show", "abc"],
        ["experiments", "list"],
        ["models", "list"],
        ["models", "show", "m"],
        ["datasets", "list"],
        ["datastore", "list"],
        ["datastore", "stores"],
        ["services", "list"],
        ["services", "up"],
        ["gc", "--dry-run"],
    ],
)
def test_a_read_command_never_creates_a_workspace(tmp_path, args):
    missing = tmp_path / "no" / "such" / "place"
    out = runner.invoke(app, ["-w", str(missing), *args])
    assert out.exit_code == 1, out.output
    assert "there is no workspace at" in out.output and "mlyard init" in out.output
    assert "Traceback" not in out.output
    assert not missing.exists() and not (tmp_path / "no").exists()


def test_init_and_uploads_create_one(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("x\n1\n")
    out = runner.invoke(app, ["-w", str(tmp_path / "new"), "datastore", "upload", str(src)])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "new" / "mlyard.db").is_file()


@pytest.fixture
def one_run(ws):
    with Experiment(ws, "e").start_run(run_name="only") as run:
        run.log("mse", 1.0)
    return run


@pytest.mark.parametrize(
    "args, field",
    [
        (["runs", "list", "-n", "99999999999999999999"], "max_results"),
        (["runs", "list", "-n", "0"], "max_results"),
        (["runs", "list", *(["-o", "metrics.mse"] * 11)], "order_by"),
        (["runs", "list", "-o", "metrics.mse SIDEWAYS"], "order_by"),
        (["runs", "list", "-f", "metrics.mse <"], "filter"),
        (["runs", "list", "-e", "a\nb"], "name"),
        (["models", "show", "m:99999999999999999999"], "MODEL"),
        (["models", "show", "m:0"], "MODEL"),
        (["datasets", "show", "d", "--version", "99999999999999999999"], "version"),
        (["services", "logs", "svc", "--tail", "-5"], "--tail"),
        (["models", "register", "m", "x.joblib", "--framework", "Nope"], "model_framework"),
        (["gc", "--min-age", "-1"], "--min-age"),
    ],
)
def test_bad_input_is_one_clear_line(ws, one_run, tmp_path, monkeypatch, args, field):
    monkeypatch.chdir(tmp_path)
    joblib.dump(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), tmp_path / "x.joblib")
    out = mlyard(ws, *args)
    assert out.exit_code == 1, out.output
    assert f"error [{field}]:" in out.output
    assert "Traceback" not in out.output and len(out.output.strip().splitlines()) <= 3


def test_runs_are_found_by_prefix_or_name(ws, one_run):
    for ref in (one_run.id, one_run.id[:6], "only"):
        out = mlyard(ws, "runs", "show", ref)
        assert out.exit_code == 0, out.output
        assert one_run.id in out.output
    with Experiment(ws, "e").start_run(run_name="only"):
        pass
    out = mlyard(ws, "runs", "show", "only")
    assert out.exit_code == 1 and "matches several runs" in out.output


def test_the_cli_reaches_the_store_only_through_the_sdk():
    for path in CLI_SOURCE.glob("*.py"):
        code = path.read_text()
        assert not re.search(r"\.store\.|from mlyard\.store|import mlyard\.store", code), path

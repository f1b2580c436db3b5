"""`mlyard deploy` and `mlyard services`, against real scoring processes."""

from __future__ import annotations

import os
import signal

import httpx
import joblib
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from typer.testing import CliRunner

from mlyard import Model, Webservice
from mlyard.cli import app
from mlyard.processes import alive
from tests.live_server import backing

runner = CliRunner()


def mlyard(ws, *args: str):
    return runner.invoke(app, ["-w", ws.url, *args])


@pytest.fixture
def registered(ws, tmp_path):
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 1.0]})
    path = tmp_path / "m.joblib"
    joblib.dump(Ridge().fit(X, [0.0, 1.0, 2.0]), path)
    Model.register(ws, "m", path, model_framework="ScikitLearn", sample_input_dataset=X)
    yield
    for service in Webservice.list(ws):
        service.delete()


def test_deploy_list_logs_up_delete(ws, registered, wait_until):
    out = mlyard(ws, "deploy", "m:1", "--name", "svc")
    assert out.exit_code == 0, out.output
    for stage in ("resolving model", "loading model", "health check", "ready"):
        assert stage in out.output
    service = Webservice(ws, "svc")
    assert httpx.post(service.scoring_uri, json={"data": [[1.0, 1.0]]}).status_code == 200

    out = mlyard(ws, "services", "list")
    assert out.exit_code == 0 and "svc" in out.output and "Healthy" in out.output
    out = mlyard(ws, "services", "logs", "svc")
    assert out.exit_code == 0 and "serving svc" in out.output

    pid = backing(ws).deployer.pid("svc")  # a process of the server's host, if remote
    os.kill(pid, signal.SIGKILL)  # as if the machine rebooted
    wait_until(lambda: not alive(pid))  # `up` sees it gone, and its port free
    out = mlyard(ws, "services", "up")
    assert out.exit_code == 0 and "restarted" in out.output
    assert httpx.post(service.scoring_uri, json={"data": [[1.0, 1.0]]}).status_code == 200

    out = mlyard(ws, "services", "delete", "svc")
    assert out.exit_code == 0
    assert mlyard(ws, "services", "list").output.count("svc") == 0


def test_deploy_errors(ws, registered):
    out = mlyard(ws, "deploy", "nope", "--name", "svc")
    assert out.exit_code == 1 and "no model named 'nope'" in out.output
    out = mlyard(ws, "services", "logs", "ghost")
    assert out.exit_code == 1 and "no service named 'ghost'" in out.output

"""The reference scenario, run as written against ``mlyard server`` (a real process, auth
on, the token in ``MLYARD_TOKEN``), then checked through the SDK."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from urllib.parse import urlsplit

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from mlyard import Experiment, Model, Webservice, Workspace
from tests.examples.test_diabetes import EXAMPLE
from tests.server.proc_server import STOP_LIMIT, admin_token, poll, refuses, running


def test_reference_scenario_against_a_server(tmp_path):
    folder = tmp_path / "served"
    token = admin_token(str(folder))
    with running(["--workspace", str(folder)], tmp_path / "server.log") as server:
        out = subprocess.run(
            [sys.executable, str(EXAMPLE), server.url],
            cwd=tmp_path,
            env={**os.environ, "MLYARD_TOKEN": token},
            capture_output=True,
            text=True,
            timeout=300,
        )
        ws = Workspace.open(server.url, token=token)
        try:
            assert out.returncode == 0, out.stdout + out.stderr + server.output()
            lines = out.stdout.strip().splitlines()
            assert lines[0] == "diabetes-experiment-model 1"
            for stage in ("resolving model", "verifying files", "loading model", "ready"):
                assert stage in out.stdout, f"stage {stage!r} not shown"
            answer = ast.literal_eval(lines[-1])
            exp = Experiment.get(ws, "diabetes-experiment")
            assert exp.run_count == 3
            best = exp.best_run("mse", mode="min")
            assert best.metrics["alpha"] == 0.01
            assert {r.record.user_id for r in exp.runs()} == {"admin"}  # the token's user
            X, y = load_diabetes(return_X_y=True, as_frame=True)
            expected = Ridge(alpha=0.01).fit(X, y).predict(X[0:2])
            np.testing.assert_allclose(answer["predict"], expected, rtol=1e-9)
            model = Model(ws, "diabetes-experiment-model")
            assert model.tags == {"area": "diabetes", "type": "regression"}
            assert model.sample_input_dataset.to_pandas_dataframe().shape == (442, 10)
            assert not (folder / "feature.csv").exists()  # the client's file, uploaded
            # the service runs on the server's host and outlived the script
            service = Webservice(ws, "diabetes-service")
            assert service.state == "Healthy"
            one = service.run({"data": X[0:1].values.tolist(), "method": "predict"})
            assert one["predict"][0] == pytest.approx(answer["predict"][0], rel=1e-12)
            port = urlsplit(service.scoring_uri).port
        finally:
            try:
                Webservice(ws, "diabetes-service").delete()
            finally:
                ws.close()
        assert port is not None
        poll(lambda: refuses(port), STOP_LIMIT, "the deleted service stops answering")
        assert server.stop() == 0, server.output()

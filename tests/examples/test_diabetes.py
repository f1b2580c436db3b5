"""The reference scenario, run as written in a fresh folder, checked against in-process."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from mlyard import Experiment, Model, Webservice, Workspace

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "diabetes.py"


def test_reference_scenario_end_to_end(tmp_path):
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path / "yard")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    ws = Workspace.open(tmp_path / "yard")
    try:
        assert out.returncode == 0, out.stdout + out.stderr
        lines = out.stdout.strip().splitlines()
        assert lines[0] == "diabetes-experiment-model 1"
        for stage in (
            "resolving model",
            "verifying files",
            "loading model",
            "warm-up",
            "health check",
            "ready",
        ):
            assert stage in out.stdout, f"stage {stage!r} not shown"
        answer = ast.literal_eval(lines[-1])
        # the best of the three runs is the least regularised one
        best = Experiment(ws, "diabetes-experiment").best_run("mse", mode="min")
        assert best.metrics["alpha"] == 0.01
        X, y = load_diabetes(return_X_y=True, as_frame=True)
        expected = Ridge(alpha=0.01).fit(X, y).predict(X[0:2])
        np.testing.assert_allclose(answer["predict"], expected, rtol=1e-9)
        model = Model(ws, "diabetes-experiment-model")
        assert model.sample_input_dataset.to_pandas_dataframe().shape == (442, 10)
        assert (tmp_path / "feature.csv").exists()
        # the service outlived the script that deployed it
        service = Webservice(ws, "diabetes-service")
        assert service.state == "Healthy"
        one = service.run({"data": X[0:1].values.tolist(), "method": "predict"})
        assert one["predict"][0] == pytest.approx(answer["predict"][0], rel=1e-12)
    finally:
        try:
            Webservice(ws, "diabetes-service").delete()
        finally:
            ws.close()

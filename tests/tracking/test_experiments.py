from __future__ import annotations

import pytest

from mlyard import Experiment
from mlyard.errors import InvalidInputError, NotFoundError


def _populate(ws):
    exp = Experiment(ws, "diabetes")
    for alpha, mse in [(0.01, 3100.0), (0.1, 2900.0), (1.0, 3500.0)]:
        with exp.start_run() as run:
            run.log_params({"alpha": alpha})
            run.log("mse", mse)
    return exp


def test_same_name_is_the_same_experiment(ws):
    assert Experiment(ws, "x").id == Experiment(ws, "x").id
    assert [e.name for e in Experiment.list(ws)] == ["x"]


def test_runs_filter_order_and_best(ws):
    exp = _populate(ws)
    runs = exp.runs(filter="metrics.mse < 3200", order_by=["metrics.mse ASC"])
    assert [r.params["alpha"] for r in runs] == ["0.1", "0.01"]
    only = exp.runs(filter="metrics.mse < 3000 and params.alpha = '0.1'")
    assert len(only) == 1 and only[0].metrics["mse"] == 2900.0
    assert exp.best_run("mse", mode="min").params["alpha"] == "0.1"
    assert exp.best_run("mse", mode="max").params["alpha"] == "1.0"
    assert len(exp.runs(max_results=2)) == 2
    assert exp.get_run(runs[0].id).id == runs[0].id


def test_best_run_ignores_failed_runs(ws):
    exp = _populate(ws)
    with pytest.raises(RuntimeError):
        with exp.start_run() as run:
            run.log("mse", 1.0)
            raise RuntimeError("diverged")
    assert exp.best_run("mse").metrics["mse"] == 2900.0


def test_bad_input(ws):
    exp = _populate(ws)
    with pytest.raises(InvalidInputError) as err:
        exp.best_run("mse", mode="lowest")
    assert err.value.field == "mode"
    with pytest.raises(NotFoundError, match="rmse"):
        exp.best_run("rmse")
    with pytest.raises(InvalidInputError) as err:
        exp.runs(filter="metrics.mse << 3")
    assert err.value.field == "filter"
    with pytest.raises(InvalidInputError) as err:
        exp.runs(max_results=0)
    assert err.value.field == "max_results"
    with pytest.raises(InvalidInputError) as err:
        Experiment(ws, "")
    assert err.value.field == "name"
    with pytest.raises(InvalidInputError) as err:
        Experiment("not a workspace", "x")
    assert err.value.field == "workspace"

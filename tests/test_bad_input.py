"""The SDK answers bad input with an error naming the field, never a traceback from
deep inside, and never stores it: huge numbers, wrong types, NUL and newlines."""

from __future__ import annotations

import joblib
import pytest
from sklearn.linear_model import Ridge

from mlyard import Dataset, Experiment, Model, Run, Workspace
from mlyard.errors import InvalidInputError


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "m.joblib"
    joblib.dump(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), path)
    return path


@pytest.fixture
def exp(ws):
    return Experiment(ws, "e")


CASES = {
    "experiment newline": (lambda ws, exp, f: Experiment(ws, "a\nb"), "name"),
    "experiment NUL": (lambda ws, exp, f: Experiment(ws, "a\x00b"), "name"),
    "experiment blank": (lambda ws, exp, f: Experiment(ws, "   "), "name"),
    "run name newline": (lambda ws, exp, f: exp.start_run(run_name="x\ny"), "run_name"),
    "run name NUL": (lambda ws, exp, f: exp.start_run(run_name="x\x00"), "run_name"),
    "order_by number": (lambda ws, exp, f: exp.runs(order_by=5), "order_by"),
    "500 order keys": (
        lambda ws, exp, f: exp.runs(order_by=[f"metrics.m{i}" for i in range(500)]),
        "order_by",
    ),
    "huge max_results": (lambda ws, exp, f: exp.runs(max_results=10**20), "max_results"),
    "filter number": (lambda ws, exp, f: exp.runs(filter=5), "filter"),
    "best_run mode": (lambda ws, exp, f: exp.best_run("mse", mode="lowest"), "mode"),
    "huge model version": (lambda ws, exp, f: Model(ws, "m", 2**70), "version"),
    "text model version": (lambda ws, exp, f: Model(ws, "m", "latest"), "version"),
    "huge dataset version": (
        lambda ws, exp, f: Dataset.get_by_name(ws, "d", version=2**70),
        "version",
    ),
    "unknown framework": (
        lambda ws, exp, f: Model.register(ws, "m", f, model_framework="Nope"),
        "model_framework",
    ),
    "framework of a type": (
        lambda ws, exp, f: Model.register(ws, "m", f, model_framework=5),
        "model_framework",
    ),
    "model name newline": (
        lambda ws, exp, f: Model.register(ws, "a\nb", f, model_framework="ScikitLearn"),
        "model_name",
    ),
    "dataset name NUL": (
        lambda ws, exp, f: Dataset.File.from_files(path=str(f)).register(ws, "d\x00"),
        "name",
    ),
    "run id number": (lambda ws, exp, f: Run.get(ws, 5), "run_id"),
    "runs of a type": (lambda ws, exp, f: Run.list(ws, max_results="all"), "max_results"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_names_the_field_and_stores_nothing(ws, exp, model_file, case):
    call, field = CASES[case]
    with pytest.raises(InvalidInputError) as err:
        call(ws, exp, model_file)
    assert err.value.field == field
    assert [e.name for e in Experiment.list(ws)] == ["e"]
    assert exp.runs() == [] and Model.list(ws) == [] and Dataset.list(ws) == []


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda run: run.log_param("p", "a\x00b"), "params.p"),
        (lambda run: run.set_tag("t", "a\x00b"), "tags.t"),
        (lambda run: run.log_metric("m\n", 1.0), "metric.name"),
    ],
)
def test_nul_never_reaches_the_store(ws, exp, call, field):
    with exp.start_run() as run:
        with pytest.raises(InvalidInputError) as err:
            call(run)
        run.log_param("ok", "fine")
    assert err.value.field == field
    assert Run.get(ws, run.id).params == {"ok": "fine"}


def test_a_mistyped_workspace_path_is_an_error_when_asked_not_to_create(tmp_path):
    with pytest.raises(Exception, match="no workspace at") as err:
        Workspace.open(tmp_path / "typo", create=False)
    assert err.value.field == "workspace"
    assert not (tmp_path / "typo").exists()

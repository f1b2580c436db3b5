from __future__ import annotations

import math

import numpy as np
import pytest

from mlyard.errors import AlreadyExistsError, ConflictError, NotFoundError
from mlyard.store.records import FileRecord, MetricSeries, RunStatus


def _run(store, name="exp"):
    exp = store.find_experiment(name) or store.create_experiment(name)
    return exp, store.create_run(exp.experiment_id, "", "tester", {"a": "1"})


def test_experiments(store):
    exp = store.create_experiment("one")
    assert store.get_experiment(exp.experiment_id).name == "one"
    assert store.find_experiment("one").experiment_id == exp.experiment_id
    assert store.find_experiment("missing") is None
    with pytest.raises(AlreadyExistsError, match="one"):
        store.create_experiment("one")
    with pytest.raises(NotFoundError):
        store.get_experiment("999")
    with pytest.raises(NotFoundError):
        store.get_experiment("not-a-number")
    assert [e.name for e in store.list_experiments()] == ["one"]


def test_run_lifecycle_and_batch(store):
    exp, run = _run(store)
    assert run.status is RunStatus.RUNNING
    store.log_batch(
        run.run_id,
        [MetricSeries.of("loss", [0.9, 0.5, 0.7], steps=[0, 1, 2])],
        {"alpha": "0.1"},
        {"team": "x"},
    )
    store.end_run(run.run_id, RunStatus.COMPLETED, 123, metrics=[MetricSeries.of("acc", [0.8])])
    got = store.get_run(run.run_id)
    assert got.status is RunStatus.COMPLETED and got.end_time == 123
    assert got.params == {"alpha": "0.1"}
    assert got.metrics == {"loss": 0.7, "acc": 0.8}  # latest = highest step
    assert got.tags == {"a": "1", "team": "x"}


def test_a_batch_of_hundreds_of_keys_is_stored_whole(store):
    # PostgreSQL sends a batch's rows as statements of up to 100 rows each.
    _, run = _run(store)
    keys = [f"k{i:03d}" for i in range(250)]
    series = [
        MetricSeries.of(k, [float(i), float(i) + 0.5], steps=[0, 1]) for i, k in enumerate(keys)
    ]
    store.log_batch(run.run_id, series, {k: k.upper() for k in keys}, {k: "t" for k in keys})
    store.log_batch(run.run_id, [MetricSeries.of(k, [-1.0], steps=[0]) for k in keys[:150]])
    got = store.get_run(run.run_id)
    assert got.params == {k: k.upper() for k in keys}
    assert got.tags == {"a": "1", **{k: "t" for k in keys}}
    # latest stays the highest step: the older point logged later does not replace it
    assert got.metrics == {k: i + 0.5 for i, k in enumerate(keys)}
    assert len(store.get_metric_history(run.run_id, "k149")) == 3


def test_param_conflict_rolls_back_whole_batch(store):
    _, run = _run(store)
    store.log_batch(run.run_id, params={"alpha": "0.1"})
    store.log_batch(run.run_id, params={"alpha": "0.1"})  # same value is fine
    with pytest.raises(ConflictError, match="alpha"):
        store.log_batch(run.run_id, [MetricSeries.of("loss", [1.0])], {"alpha": "0.2", "beta": "1"})
    got = store.get_run(run.run_id)
    assert got.params == {"alpha": "0.1"}
    assert got.metrics == {}


def test_metric_history_is_sorted_across_batches(store):
    _, run = _run(store)
    store.log_batch(run.run_id, [MetricSeries.of("m", [3.0, 4.0], steps=[3, 4], timestamps=[1, 1])])
    store.log_batch(run.run_id, [MetricSeries.of("m", [1.0, 2.0], steps=[1, 2], timestamps=[1, 1])])
    hist = store.get_metric_history(run.run_id, "m")
    assert hist.steps.tolist() == [1, 2, 3, 4]
    assert hist.values.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert store.get_run(run.run_id).metrics["m"] == 4.0
    assert len(store.get_metric_history(run.run_id, "other")) == 0
    with pytest.raises(NotFoundError):
        store.get_metric_history("nope", "m")


def test_nan_and_inf_metrics_round_trip(store):
    _, run = _run(store)
    store.log_batch(
        run.run_id,
        [MetricSeries.of("n", [math.nan]), MetricSeries.of("i", [math.inf])],
    )
    got = store.get_run(run.run_id)
    assert math.isnan(got.metrics["n"]) and got.metrics["i"] == math.inf
    assert math.isnan(store.get_metric_history(run.run_id, "n").values[0])


def test_large_series(store):
    _, run = _run(store)
    values = np.arange(100_000, dtype=float)
    store.log_batch(run.run_id, [MetricSeries.of("big", values)])
    hist = store.get_metric_history(run.run_id, "big")
    assert len(hist) == 100_000 and hist.values[-1] == 99_999.0


def test_unknown_run(store):
    with pytest.raises(NotFoundError, match="nope"):
        store.get_run("nope")
    with pytest.raises(NotFoundError):
        store.log_batch("nope", params={"a": "b"})
    with pytest.raises(NotFoundError):
        store.end_run("nope", RunStatus.FAILED, 1)
    with pytest.raises(NotFoundError):
        store.create_run("424242", "", "u", {})


def test_search_filter_and_order(store):
    exp = store.create_experiment("s")
    ids = {}
    for i, alpha in enumerate(["0.01", "0.1", "1.0"]):
        run = store.create_run(exp.experiment_id, f"r{i}", "u", {"kind": "ridge" if i else "lasso"})
        store.end_run(
            run.run_id,
            RunStatus.COMPLETED if i < 2 else RunStatus.FAILED,
            5,
            metrics=[MetricSeries.of("mse", [3000.0 - i * 100])],
            params={"alpha": alpha},
        )
        ids[alpha] = run.run_id
    search = store.search_runs
    eid = [exp.experiment_id]
    assert [r.params["alpha"] for r in search(eid, "metrics.mse < 3000", ["metrics.mse ASC"])] == [
        "1.0",
        "0.1",
    ]
    assert [r.run_id for r in search(eid, "metrics.mse < 3000 and params.alpha = '0.1'")] == [
        ids["0.1"]
    ]
    assert len(search(eid, "tags.kind = 'ridge'")) == 2
    assert len(search(eid, "attributes.status = 'FAILED'")) == 1
    assert len(search(eid, "params.alpha IN ('0.01', '1.0')")) == 2
    assert len(search(eid, "run_name LIKE 'r%'")) == 3
    top = search(eid, None, ["metrics.mse DESC"], max_results=1)
    assert top[0].params["alpha"] == "0.01"
    assert len(search(eid, None, ["metrics.mse DESC"], max_results=1, offset=2)) == 1


def test_count_runs(store):
    a, _ = _run(store, "a")
    _run(store, "a")
    b = store.create_experiment("b")
    assert store.count_runs([a.experiment_id, b.experiment_id]) == {
        a.experiment_id: 2,
        b.experiment_id: 0,
    }


def test_run_files(store):
    _, run = _run(store)
    store.add_run_files(run.run_id, [FileRecord("model/model.yaml", "a" * 64, 3)])
    store.add_run_files(run.run_id, [FileRecord("model/model.joblib", "b" * 64, 5)])
    store.add_run_files(run.run_id, [FileRecord("notes.txt", "c" * 64, 1)])
    assert [f.path for f in store.list_run_files(run.run_id, "model")] == [
        "model/model.joblib",
        "model/model.yaml",
    ]
    assert len(store.list_run_files(run.run_id)) == 3
    assert store.list_run_files(run.run_id, "mod") == []

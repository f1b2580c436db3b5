"""The written Store contract, checked on every backend: one not-found convention,
clear errors for what cannot be stored, locks and workspace metadata."""

from __future__ import annotations

import inspect
from concurrent.futures import ThreadPoolExecutor

import pytest

from mlyard.errors import InvalidInputError, NotFoundError
from mlyard.store import Store
from mlyard.store.records import FileRecord, MetricSeries, RunStatus, now_ms

FILE = FileRecord("a.csv", "a" * 64, 10)


def test_every_method_of_the_contract_is_documented():
    abstract = sorted(Store.__abstractmethods__)
    assert len(abstract) > 40
    for name in abstract:
        doc = inspect.getdoc(getattr(Store, name)) or ""
        assert len(doc) > 20, f"Store.{name} does not say what it returns and raises"


def test_get_raises_find_returns_none_list_of_unknown_raises(store):
    for call in (
        lambda: store.get_experiment("424242"),
        lambda: store.get_run("0" * 32),
        lambda: store.get_datastore("nope"),
        lambda: store.get_dataset_version("nope"),
        lambda: store.get_model_version("nope"),
        lambda: store.get_model_version_by_alias("nope", "production"),
        lambda: store.get_deployment("nope"),
        lambda: store.list_dataset_versions("nope"),
        lambda: store.list_model_versions("nope"),
        lambda: store.list_models("nope"),
        lambda: store.get_datastore_files("nope"),
        lambda: store.record_datastore_files("nope", [FILE]),
        lambda: store.list_run_files("0" * 32),
    ):
        with pytest.raises(NotFoundError) as err:
            call()
        assert "nope" in str(err.value) or "0000" in str(err.value) or "424242" in str(err.value)
    assert store.find_experiment("nope") is None
    assert store.find_deployment("nope") is None
    assert store.find_dataset_version("nope", "f" * 64) is None
    assert store.find_meta("nope") is None


def test_a_known_name_that_matches_nothing_gives_an_empty_list(store):
    store.register_datastore("empty", "/tmp/empty")
    assert store.get_datastore_files("empty") == []
    store.create_model_version("m", framework="F", framework_version=None, flavor="f", manifest={})
    assert store.list_model_versions("m", {"missing-tag": None}) == []


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"max_results": 0}, "max_results"),
        ({"max_results": 50_001}, "max_results"),
        ({"max_results": 10**20}, "max_results"),
        ({"max_results": True}, "max_results"),
        ({"max_results": "5"}, "max_results"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**20}, "offset"),
        ({"order_by": 5}, "order_by"),
        ({"order_by": [5]}, "order_by"),
        ({"order_by": [f"metrics.m{i}" for i in range(500)]}, "order_by"),
        ({"filter_string": 5}, "filter"),
        ({"filter_string": " and ".join(["metrics.m < 1"] * 60)}, "filter"),
    ],
)
def test_bad_search_arguments_name_the_field(store, kwargs, field):
    exp = store.create_experiment("e")
    with pytest.raises(InvalidInputError) as err:
        store.search_runs([exp.experiment_id], **kwargs)
    assert err.value.field == field


def test_numbers_the_store_cannot_hold_are_input_errors(store):
    for call in (
        lambda: store.get_dataset_version("d", 2**70),
        lambda: store.get_model_version("m", 2**70),
    ):
        with pytest.raises((InvalidInputError, NotFoundError)):
            call()
    # ids that cannot exist match nothing rather than failing in the driver
    assert store.count_runs(["99999999999999999999", "x"]) == {"99999999999999999999": 0, "x": 0}
    assert store.search_runs(["99999999999999999999"]) == []


def test_locks_take_turns_and_expire(store):
    assert store.acquire_lock("deployment:svc", "a", 60_000) is None
    assert store.acquire_lock("deployment:svc", "b", 60_000) == "a"
    assert store.acquire_lock("deployment:svc", "a", 60_000) is None  # re-entrant: renewed
    store.release_lock("deployment:svc", "b")  # not the holder: nothing happens
    assert store.acquire_lock("deployment:svc", "b", 60_000) == "a"
    store.release_lock("deployment:svc", "a")
    assert store.acquire_lock("deployment:svc", "b", 0) is None  # a zero lease...
    assert store.acquire_lock("deployment:svc", "c", 60_000) is None  # ...expires at once
    assert store.acquire_lock("other", "d", 60_000) is None  # keys are independent


# PostgreSQL sends a run's start in one pipeline: without tags the refusal arrives
# at the commit, with several at the tags' insert.
@pytest.mark.parametrize("tags", [{}, {"a": "1"}, {"a": "1", "b": "2"}])
def test_a_run_in_an_unknown_experiment_is_not_found_and_leaves_nothing(store, tags):
    exp = store.create_experiment("e")
    with pytest.raises(NotFoundError, match="424242"):
        store.create_run("424242", "r", "u", tags)
    assert store.search_runs(None) == []
    run = store.create_run(exp.experiment_id, "r", "u", {"a": "1", "b": "2"})
    assert store.get_run(run.run_id).tags == {"a": "1", "b": "2"}


def test_many_threads_log_runs_at_once_and_each_keeps_its_own(store):
    # More threads than the pool keeps connections: connections beyond it are closed
    # as they come back, so nothing may touch a connection after handing it back.
    exp = store.create_experiment("e")

    def one(i: int) -> str:
        for _ in range(4):
            run = store.create_run(exp.experiment_id, f"r{i}", "u", {"i": str(i)})
            store.log_batch(
                run.run_id,
                metrics=[MetricSeries.of("m", [float(i)], steps=[0], timestamps=[now_ms()])],
            )
            store.end_run(run.run_id, RunStatus.COMPLETED, now_ms(), params={"i": str(i)})
        return run.run_id

    with ThreadPoolExecutor(24) as pool:
        ids = list(pool.map(one, range(24)))
    runs = {r.run_id: r for r in store.search_runs([exp.experiment_id], max_results=1000)}
    assert len(runs) == 96
    for i, run_id in enumerate(ids):
        assert runs[run_id].params == {"i": str(i)}
        assert runs[run_id].tags["i"] == str(i)
        assert runs[run_id].metrics == {"m": float(i)}


def test_workspace_metadata_keeps_the_first_value(store):
    assert store.put_meta("artifact_root", "/a") == "/a"
    assert store.put_meta("artifact_root", "/b") == "/a"
    assert store.find_meta("artifact_root") == "/a"


def test_referenced_blobs_cover_runs_datasets_and_models(store):
    exp = store.create_experiment("e")
    run = store.create_run(exp.experiment_id, "r", "u", {})
    store.add_run_files(run.run_id, [FileRecord("x", "1" * 64, 1)])
    store.create_dataset_version(
        "d", "file", "f" * 64, {}, [FileRecord("y", "2" * 64, 1)], None, None, {}
    )
    manifest = {"files": [{"path": "model.joblib", "sha256": "3" * 64, "size": 1}]}
    store.create_model_version(
        "m", framework="F", framework_version=None, flavor="f", manifest=manifest
    )
    assert store.referenced_blobs() == {"1" * 64, "2" * 64, "3" * 64}


def test_runs_record_their_owner_and_heartbeat(store):
    exp = store.create_experiment("e")
    run = store.create_run(exp.experiment_id, "r", "u", {}, host="box", pid=42, start_time=1000)
    assert (run.host, run.pid, run.heartbeat_at) == ("box", 42, 1000)
    store.heartbeat([run.run_id, "0" * 32], 5000)  # unknown ids are skipped
    got = store.get_run(run.run_id)
    assert (got.host, got.pid, got.heartbeat_at) == ("box", 42, 5000)
    assert store.search_runs([exp.experiment_id])[0].heartbeat_at == 5000
    assert store.mark_lost(run.run_id, 5000, "lost: test") is True
    lost = store.get_run(run.run_id)
    assert (lost.status.value, lost.end_time, lost.error) == ("LOST", 5000, "lost: test")
    store.log_batch(run.run_id, [MetricSeries.of("m", [1.0], timestamps=[now_ms()])])
    with pytest.raises(NotFoundError):
        store.mark_lost("0" * 32, 1, "x")

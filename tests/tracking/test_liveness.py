"""No lost points and no run RUNNING forever: bad values refused at the call, failed
flushes kept, SIGTERM ends runs KILLED, dead runs shown LOST."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from mlyard import Experiment, Run, Workspace
from mlyard.errors import ConflictError, InvalidInputError, StoreError
from mlyard.store.records import RunStatus, now_ms
from mlyard.tracking import liveness


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"timestamp": "abc"}, "timestamp"),
        ({"timestamp": 1.5}, "timestamp"),
        ({"timestamp": -1}, "timestamp"),
        ({"timestamp": 2**63}, "timestamp"),
        ({"step": 2**63}, "step"),
        ({"step": -(2**63) - 1}, "step"),
        ({"step": "3"}, "step"),
    ],
)
def test_a_bad_step_or_timestamp_is_refused_at_the_call_and_loses_nothing(ws, kwargs, field):
    with Experiment(ws, "e").start_run() as run:
        for i in range(2000):
            run.log_metric("a", float(i))
        with pytest.raises(InvalidInputError) as err:
            run.log_metric("b", 1.0, **kwargs)
        assert err.value.field == field
        for i in range(100):
            run.log_metric("c", float(i))
    got = Run.get(ws, run.id)
    assert got.status == "COMPLETED"
    assert len(got.get_metric_history("a")) == 2000
    assert len(got.get_metric_history("c")) == 100
    assert "b" not in got.metrics


def test_extreme_but_valid_steps_and_timestamps_are_stored(ws):
    with Experiment(ws, "e").start_run() as run:
        run.log_metric("m", 1.0, step=2**63 - 1, timestamp=2**62)
        run.log_metric("m", 2.0, step=-(2**63), timestamp=0)
    history = run.get_metric_history("m")
    assert history.steps.tolist() == [-(2**63), 2**63 - 1]
    assert history.timestamps.tolist() == [0, 2**62]


def test_a_failed_flush_puts_its_points_back(tmp_path, monkeypatch):
    monkeypatch.setenv("MLYARD_BUSY_TIMEOUT", "0.2")
    ws = Workspace.open(tmp_path / "busy")
    run = Experiment(ws, "e").start_run()
    for i in range(500):
        run.log_metric("loss", float(i))
    run.log_params({"alpha": 0.1})
    blocker = sqlite3.connect(tmp_path / "busy" / "mlyard.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
    with pytest.raises(StoreError, match="locked"):
        run.flush()
    for i in range(500, 600):
        run.log_metric("loss", float(i))  # logging goes on while the store is busy
    blocker.execute("ROLLBACK")
    blocker.close()
    run.complete()
    got = Run.get(ws, run.id)
    assert got.status == "COMPLETED" and got.params == {"alpha": "0.1"}
    assert got.get_metric_history("loss").values.tolist() == [float(i) for i in range(600)]
    ws.close()


def test_params_another_process_stored_fail_the_run_but_keep_its_metrics(ws):
    run = Experiment(ws, "e").start_run()
    run.log_params({"alpha": 0.1})
    run.log_metric("loss", 0.5)
    ws.store.log_batch(run.id, params={"alpha": "0.2"})  # as another process would
    with pytest.raises(ConflictError, match="alpha"):
        run.complete()
    got = Run.get(ws, run.id)
    assert got.status == "FAILED" and "alpha" in got.error
    assert got.metrics == {"loss": 0.5} and got.params == {"alpha": "0.2"}


LOGGER = textwrap.dedent(
    """
    import sys, time
    from mlyard import Workspace, Experiment
    exp = Experiment(Workspace.open(sys.argv[1]), "signals")
    run = exp.start_run()
    print(run.id, flush=True)
    def work():
        i = 0
        while True:
            run.log_metric("loss", 1.0 / (i + 1), step=i)
            if i == 10:
                run.flush()  # steps 0-10 stored; the rest waits in the buffer
            if i == 50:
                print("buffered", flush=True)
            i += 1
            time.sleep(0.002)
    if sys.argv[2] == "with":
        with run:
            work()
    else:
        work()
    """
)


def _start(ws, mode: str) -> tuple[subprocess.Popen, str]:
    """A process logging to a run; returns once steps 0-10 are stored and 11-50 are
    buffered (no background flush: only the run's end can store them)."""
    env = dict(os.environ, MLYARD_FLUSH_INTERVAL="3600")
    proc = subprocess.Popen(
        [sys.executable, "-c", LOGGER, ws.url, mode], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    assert proc.stdout.readline().strip() == "buffered"
    return proc, run_id


def _stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(timeout=60)
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.mark.parametrize("mode", ["with", "plain"])
def test_sigterm_ends_the_run_killed_after_flushing(ws, mode):
    proc, run_id = _start(ws, mode)
    try:
        assert Run.get(ws, run_id).status == "RUNNING"  # alive: not mistaken for lost
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        _stop(proc)
    run = Run.get(ws, run_id)
    assert run.status == "KILLED" and run.record.end_time is not None
    history = run.get_metric_history("loss")
    # everything logged up to the signal was flushed at the end, in order, with no gap
    assert history.steps.tolist() == list(range(len(history)))
    assert len(history) > 50


def test_kill_9_leaves_a_run_that_readers_mark_lost(ws):
    proc, run_id = _start(ws, "with")
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        _stop(proc)
    stored = ws.store.get_run(run_id)
    assert stored.status is RunStatus.RUNNING  # nothing could end it...
    listed = Experiment(ws, "signals").runs()  # ...until a reader looks
    assert [r.status for r in listed] == ["LOST"]
    run = Run.get(ws, run_id)
    assert run.status == "LOST" and f"process {proc.pid}" in run.error
    assert run.record.end_time == stored.heartbeat_at
    # what was flushed is kept; what waited in the buffer died with the process
    assert run.get_metric_history("loss").steps.tolist() == list(range(11))


def test_a_silent_run_of_another_machine_becomes_lost(ws, monkeypatch):
    monkeypatch.setenv("MLYARD_HEARTBEAT_INTERVAL", "1")
    exp = Experiment(ws, "far")
    old = now_ms() - 60_000
    silent = ws.store.create_run(exp.id, "silent", "u", {}, start_time=old, host="far", pid=7)
    fresh = ws.store.create_run(exp.id, "fresh", "u", {}, start_time=old, host="far", pid=8)
    ws.store.heartbeat([fresh.run_id], now_ms())
    assert Run.get(ws, silent.run_id).status == "LOST"
    assert "has not sent a heartbeat for 60 s" in Run.get(ws, silent.run_id).error
    assert Run.get(ws, fresh.run_id).status == "RUNNING"


def test_a_live_run_beats_and_a_finished_one_does_not(ws, monkeypatch, wait_until):
    monkeypatch.setenv("MLYARD_HEARTBEAT_INTERVAL", "0.05")
    run = Experiment(ws, "e").start_run()
    first = ws.store.get_run(run.id).heartbeat_at
    assert first is not None
    wait_until(lambda: ws.store.get_run(run.id).heartbeat_at > first)
    run.complete()
    assert run not in liveness.OWNED.list()
    ended = ws.store.get_run(run.id).heartbeat_at
    ws.store.heartbeat([run.id], now_ms() + 10_000)  # an ended run takes no beats
    assert ws.store.get_run(run.id).heartbeat_at == ended


def test_mark_lost_only_ends_running_runs(ws):
    run = Experiment(ws, "e").start_run()
    run.complete()
    assert ws.store.mark_lost(run.id, now_ms(), "lost: test") is False
    assert Run.get(ws, run.id).status == "COMPLETED"

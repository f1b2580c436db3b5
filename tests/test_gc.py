"""Garbage collection: what killed processes left behind, and blobs nothing points at."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.linear_model import Ridge

from mlyard import Dataset, Experiment, Model, processes
from mlyard.errors import InvalidInputError
from mlyard.gc import Garbage, collect_garbage
from tests.live_server import backing

SENT = 3 << 20  # what the interrupted writer gets to store: three of its 1 MiB chunks
PUT_STDIN = (
    "import sys\n"
    "from mlyard import Workspace\n"
    "ws = Workspace.open(sys.argv[1], create=False)\n"
    "ws.blobs.put(sys.stdin.buffer)\n"
)


pytestmark = pytest.mark.usefixtures("system_tmp")


def dead_pid() -> int:
    """The pid of a process that has come and gone."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def found(report) -> list[tuple[str, str, int]]:
    return sorted((g.kind, g.where, g.size) for g in report.items)


def interrupted_put(
    ws, wait_until, stop: signal.Signals
) -> tuple[subprocess.CompletedProcess, Path]:
    """Start a process storing its stdin as a blob; once it has written ``SENT`` bytes to
    its temporary (the pipe stays open, so it waits for more), send it ``stop`` and wait
    until it is gone. Returns how it ended and where its temporary was."""
    child = subprocess.Popen(
        [sys.executable, "-c", PUT_STDIN, ws.url],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdin is not None
    try:
        child.stdin.write(b"x" * SENT)
        child.stdin.flush()
    except BrokenPipeError:
        pytest.fail(f"the writer died early: {child.communicate()[1].decode()}")

    def temporary() -> Path | None:
        for tmp in ws.blobs.scan_temporaries():
            if Path(tmp.name).name.startswith(f"{child.pid}-") and tmp.size == SENT:
                return Path(tmp.name)
        return None

    wait_until(lambda: temporary() is not None)
    path = temporary()
    assert path is not None
    child.send_signal(stop)
    _, err = child.communicate(timeout=30)
    assert not processes.alive(child.pid)
    return subprocess.CompletedProcess(child.args, child.returncode, None, err), path


def test_a_killed_put_leaves_a_temporary_that_gc_removes(ws, wait_until):
    ended, tmp = interrupted_put(ws, wait_until, signal.SIGKILL)
    assert ended.returncode == -signal.SIGKILL
    assert tmp.is_file()

    dry = collect_garbage(ws, dry_run=True)

    assert found(dry) == [("temporary", str(tmp), SENT)]
    assert (dry.dry_run, dry.bytes_freed) == (True, SENT)
    assert tmp.is_file()  # a dry run removes nothing

    done = collect_garbage(ws)

    assert found(done) == [("temporary", str(tmp), SENT)]
    assert (done.dry_run, done.bytes_freed) == (False, SENT)
    assert not tmp.exists()
    assert list(ws.blobs.scan_temporaries()) == []
    assert list(ws.blobs.scan()) == []  # the half-written bytes never became a blob
    assert collect_garbage(ws, dry_run=True).items == []


def test_a_put_ended_by_sigterm_leaves_nothing(ws, wait_until, system_tmp):
    ended, tmp = interrupted_put(ws, wait_until, signal.SIGTERM)

    assert ended.returncode == 128 + signal.SIGTERM, ended.stderr.decode()
    assert b"Traceback" not in ended.stderr
    assert not tmp.exists()
    assert list(ws.blobs.scan_temporaries()) == []
    assert list(ws.blobs.scan()) == []
    assert list(system_tmp.iterdir()) == []
    assert collect_garbage(ws, dry_run=True).items == []


def test_temporaries_of_dead_processes_go_those_of_live_ones_stay(ws, system_tmp):
    dead, live = dead_pid(), os.getpid()
    stale_dir = system_tmp / f"mlyard-register-{dead}-x"
    (stale_dir / "model").mkdir(parents=True)
    (stale_dir / "model" / "model.joblib").write_bytes(b"m" * 100)
    busy_dir = system_tmp / f"mlyard-register-{live}-y"
    (busy_dir / "model").mkdir(parents=True)
    (busy_dir / "model" / "model.joblib").write_bytes(b"m" * 100)
    unrelated = system_tmp / f"other-tool-{dead}-z"
    unrelated.mkdir()

    datastore = Path(ws.get_default_datastore().url)
    stale_part = datastore / "raw" / f".x.csv.{dead}-abcd1234.mlyard-part"
    stale_part.parent.mkdir(parents=True)
    stale_part.write_bytes(b"1,2\n" * 10)
    busy_part = datastore / "raw" / f".y.csv.{live}-abcd1234.mlyard-part"
    busy_part.write_bytes(b"1,2\n")
    (datastore / "raw" / "x.csv").write_bytes(b"1,2\n")  # a file, not a temporary

    stale_blob_tmp = Path(backing(ws).blobs.root, "tmp")  # where the blob store stages writes
    (stale_blob_tmp / f"{dead}-0123abcd").write_bytes(b"b" * 7)
    (stale_blob_tmp / f"{live}-0123abcd").write_bytes(b"b" * 7)

    expected = [
        ("temporary", f"default:{stale_part}", 40),
        ("temporary", str(stale_blob_tmp / f"{dead}-0123abcd"), 7),
        ("temporary", str(stale_dir), 100),
    ]
    assert found(collect_garbage(ws, dry_run=True)) == sorted(expected)
    assert stale_dir.exists() and stale_part.exists()

    report = collect_garbage(ws)

    assert found(report) == sorted(expected)
    assert report.bytes_freed == 147
    assert not stale_dir.exists() and not stale_part.exists()
    assert not (stale_blob_tmp / f"{dead}-0123abcd").exists()
    assert busy_dir.is_dir() and (busy_dir / "model" / "model.joblib").is_file()
    assert busy_part.is_file() and (stale_blob_tmp / f"{live}-0123abcd").is_file()
    assert unrelated.is_dir()
    assert ws.get_default_datastore().open("raw/x.csv").read() == b"1,2\n"


def test_unreferenced_blobs_go_referenced_ones_stay(ws, tmp_path):
    orphan, orphan_size = ws.blobs.put_bytes(b"stored by a registration that then failed")

    notes = tmp_path / "notes.txt"
    notes.write_text("a run file")
    exp = Experiment(ws, "gc")
    with exp.start_run() as run:
        run.upload_file("notes.txt", notes)

    csv = tmp_path / "numbers.csv"
    np.savetxt(csv, np.arange(12.0).reshape(4, 3), delimiter=",")
    store = ws.get_default_datastore()
    store.upload_files([csv], target_path="d")
    dataset = Dataset.Tabular.from_delimited_files(path=[(store, "d/numbers.csv")]).register(
        ws, "numbers"
    )

    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    joblib.dump(Ridge().fit(X, y), tmp_path / "ridge.joblib")
    model = Model.register(
        ws, "ridge", tmp_path / "ridge.joblib", model_framework=Model.Framework.SCIKITLEARN
    )

    assert collect_garbage(ws, dry_run=True, min_age=0).items == [
        Garbage("blob", orphan, orphan_size)
    ]
    assert ws.blobs.exists(orphan)

    report = collect_garbage(ws, min_age=0)

    assert report.items == [Garbage("blob", orphan, orphan_size)]
    assert report.bytes_freed == orphan_size
    assert not ws.blobs.exists(orphan)
    # everything a record points at still reads, verified
    assert run.download_file("notes.txt", tmp_path / "out" / "notes.txt").read_text() == (
        "a run file"
    )
    assert (
        Dataset.get_by_name(ws, "numbers")
        .to_pandas_dataframe()
        .equals(dataset.to_pandas_dataframe())
    )
    np.testing.assert_allclose(Model(ws, "ridge").load().predict(X), Ridge().fit(X, y).predict(X))
    assert model.version == 1
    assert collect_garbage(ws, min_age=0).items == []


def test_the_bytes_of_a_failed_registration_are_collected(ws, tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n1,2,3,4\n")
    with pytest.raises(InvalidInputError):
        Dataset.Tabular.from_delimited_files(path=str(ragged)).register(ws, "ragged")
    assert Dataset.list(ws) == []
    left = sorted(b.name for b in ws.blobs.scan())
    assert left  # the snapshot was stored before the table failed to parse

    report = collect_garbage(ws, min_age=0)

    assert sorted(g.where for g in report.items) == left
    assert list(ws.blobs.scan()) == []


def test_a_fresh_unreferenced_blob_is_kept_by_default(ws):
    orphan, _ = ws.blobs.put_bytes(b"a registration under way has stored this")

    assert collect_garbage(ws).items == []
    assert collect_garbage(ws, min_age=3600).items == []
    assert ws.blobs.exists(orphan)

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
from tests.outside import DatastoreFiles

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


def staged(ws, system_tmp: Path) -> list[tuple[str, int]]:
    """(name, size) of what blob puts are staging where the blobs are kept: the blob
    store's temporaries, and the spools of an object store's puts (hashed locally
    before their single PUT) in the system's temporary folder."""
    spools = [(str(p), p.stat().st_size) for p in system_tmp.glob("mlyard-spool-*")]
    return [(t.name, t.size) for t in backing(ws).blobs.scan_temporaries()] + spools


def interrupted_put(
    ws, wait_until, system_tmp: Path, stop: signal.Signals
) -> tuple[subprocess.CompletedProcess, str, int]:
    """Start a process storing its stdin as a blob; once ``SENT`` bytes are staged (the
    pipe stays open, so it waits for more), send it ``stop`` and wait until it is gone.
    Returns how it ended, where its bytes were staged, and its pid."""
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

    def temporary() -> str | None:
        return next((name for name, size in staged(ws, system_tmp) if size == SENT), None)

    wait_until(lambda: temporary() is not None)
    path = temporary()
    assert path is not None
    child.send_signal(stop)
    _, err = child.communicate(timeout=30)
    assert not processes.alive(child.pid)
    return subprocess.CompletedProcess(child.args, child.returncode, None, err), path, child.pid


# Local only: the killed process wrote the blob store's folder itself, so its temporary
# stays for gc. A client of a server writes nothing there (see the test after this one).
def test_a_killed_put_leaves_a_temporary_that_gc_removes(local_ws, wait_until, system_tmp):
    ws = local_ws
    ended, name, pid = interrupted_put(ws, wait_until, system_tmp, signal.SIGKILL)
    tmp = Path(name)
    assert ended.returncode == -signal.SIGKILL
    assert tmp.is_file() and tmp.name.startswith(f"{pid}-")  # the writer's own

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


def test_a_client_killed_mid_upload_leaves_nothing_on_the_server(server_ws, wait_until, system_tmp):
    ws = server_ws
    ended, _, _ = interrupted_put(ws, wait_until, system_tmp, signal.SIGKILL)
    assert ended.returncode == -signal.SIGKILL

    wait_until(lambda: staged(ws, system_tmp) == [])  # the server saw the cut request

    assert list(ws.blobs.scan()) == []
    assert collect_garbage(ws, dry_run=True).items == []


def test_a_put_ended_by_sigterm_leaves_nothing(ws, wait_until, system_tmp):
    ended, _, _ = interrupted_put(ws, wait_until, system_tmp, signal.SIGTERM)

    assert ended.returncode == 128 + signal.SIGTERM, ended.stderr.decode()
    assert b"Traceback" not in ended.stderr
    wait_until(lambda: staged(ws, system_tmp) == [])  # at once, or once a server sees it
    assert list(ws.blobs.scan()) == []
    assert list(system_tmp.iterdir()) == []
    assert collect_garbage(ws, dry_run=True).items == []


def test_temporaries_of_dead_processes_go_those_of_live_ones_stay(ws, system_tmp):
    dead, live = dead_pid(), os.getpid()  # a live server on loopback runs in this process
    stale_dir = system_tmp / f"mlyard-register-{dead}-x"
    (stale_dir / "model").mkdir(parents=True)
    (stale_dir / "model" / "model.joblib").write_bytes(b"m" * 100)
    busy_dir = system_tmp / f"mlyard-register-{live}-y"
    (busy_dir / "model").mkdir(parents=True)
    (busy_dir / "model" / "model.joblib").write_bytes(b"m" * 100)
    unrelated = system_tmp / f"other-tool-{dead}-z"
    unrelated.mkdir()

    datastore = DatastoreFiles(ws.get_default_datastore())
    stale_part = f"raw/.x.csv.{dead}-abcd1234.mlyard-part"
    datastore.write(stale_part, b"1,2\n" * 10)
    busy_part = f"raw/.y.csv.{live}-abcd1234.mlyard-part"
    datastore.write(busy_part, b"1,2\n")
    datastore.write("raw/x.csv", b"1,2\n")  # a file, not a temporary

    expected = [
        ("temporary", f"default:{datastore.key(stale_part)}", 40),
        ("temporary", str(stale_dir), 100),
    ]
    blobs = backing(ws).blobs
    stale_blob_tmp = Path(blobs.root, "tmp")  # where a blob store in a folder stages writes
    if blobs.local:  # (on an object store, a blob's single PUT is its commit)
        (stale_blob_tmp / f"{dead}-0123abcd").write_bytes(b"b" * 7)
        (stale_blob_tmp / f"{live}-0123abcd").write_bytes(b"b" * 7)
        expected.append(("temporary", str(stale_blob_tmp / f"{dead}-0123abcd"), 7))
    assert found(collect_garbage(ws, dry_run=True)) == sorted(expected)
    assert stale_dir.exists() and datastore.exists(stale_part)

    report = collect_garbage(ws)

    assert found(report) == sorted(expected)
    assert report.bytes_freed == sum(size for _, _, size in expected)
    assert not stale_dir.exists() and not datastore.exists(stale_part)
    assert busy_dir.is_dir() and (busy_dir / "model" / "model.joblib").is_file()
    assert datastore.exists(busy_part)
    if blobs.local:
        assert not (stale_blob_tmp / f"{dead}-0123abcd").exists()
        assert (stale_blob_tmp / f"{live}-0123abcd").is_file()
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

"""`mlyard gc`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlyard.cli import app
from tests.outside import DatastoreFiles

runner = CliRunner()


def mlyard(ws, *args: str):
    return runner.invoke(app, ["-w", ws.url, *args])


pytestmark = pytest.mark.usefixtures("system_tmp")


def rows(output: str) -> list[tuple[str, ...]]:
    """The body rows of the table in ``output``, folded cells joined up again."""
    out: list[list[str]] = []
    for line in output.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0] or not out:
            out.append(cells)
        else:  # a continuation line of a folded row
            out[-1] = [a + b for a, b in zip(out[-1], cells, strict=True)]
    return [tuple(r) for r in out]


@pytest.fixture
def garbage(ws, system_tmp):
    """A stale folder of a dead registration, its datastore part file, and a blob
    nothing points at; {where: kind} of each."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(done.stdout)
    stale_dir = system_tmp / f"mlyard-register-{dead}-x"
    stale_dir.mkdir()
    (stale_dir / "model.joblib").write_bytes(b"m" * 2048)
    datastore = DatastoreFiles(ws.get_default_datastore())
    part = datastore.key(f".x.csv.{dead}-abcd1234.mlyard-part")
    datastore.write(f".x.csv.{dead}-abcd1234.mlyard-part", b"1,2\n" * 256)
    orphan, _ = ws.blobs.put_bytes(b"left by a registration that failed")
    (system_tmp / f"mlyard-register-{os.getpid()}-y").mkdir()  # this process's: in use
    return {str(stale_dir): "temporary", f"default:{part}": "temporary", orphan: "blob"}


def test_dry_run_lists_and_removes_nothing(ws, garbage, system_tmp):
    out = mlyard(ws, "gc", "--dry-run", "--min-age", "0")

    assert out.exit_code == 0, out.output
    assert out.output.startswith("would remove")
    assert {where: kind for kind, where, _ in rows(out.output)} == garbage
    assert "would free 3.0 KB: 2 temporaries, 1 unreferenced blob" in out.output
    assert Path(next(w for w in garbage if w.startswith(str(system_tmp)))).is_dir()
    assert ws.blobs.exists(next(w for w, k in garbage.items() if k == "blob"))


def test_gc_removes_and_says_how_much_it_freed(ws, garbage, system_tmp):
    out = mlyard(ws, "gc", "--min-age", "0")

    assert out.exit_code == 0, out.output
    assert out.output.startswith("removed")
    assert {where: kind for kind, where, _ in rows(out.output)} == garbage
    assert "freed 3.0 KB: 2 temporaries, 1 unreferenced blob" in out.output
    assert sorted(p.name for p in system_tmp.iterdir()) == [f"mlyard-register-{os.getpid()}-y"]
    assert not ws.blobs.exists(next(w for w, k in garbage.items() if k == "blob"))

    again = mlyard(ws, "gc", "--min-age", "0")
    assert again.exit_code == 0
    assert "removed: none" in again.output
    assert "freed 0 B: 0 temporaries, 0 unreferenced blobs" in again.output


def test_the_default_min_age_keeps_fresh_blobs(ws, garbage):
    out = mlyard(ws, "gc")

    assert out.exit_code == 0, out.output
    assert {kind for kind, _, _ in rows(out.output)} == {"temporary"}
    assert "2 temporaries, 0 unreferenced blobs" in out.output
    assert ws.blobs.exists(next(w for w, k in garbage.items() if k == "blob"))


def test_a_negative_min_age_is_a_clear_error(ws, garbage):
    out = mlyard(ws, "gc", "--min-age", "-1")

    assert out.exit_code == 1
    assert isinstance(out.exception, SystemExit)  # no traceback
    assert "error [--min-age]: --min-age must be >= 0" in out.output
    assert ws.blobs.exists(next(w for w, k in garbage.items() if k == "blob"))


def test_gc_of_a_missing_workspace_is_a_clear_error(tmp_path):
    out = runner.invoke(app, ["-w", str(tmp_path / "nowhere"), "gc"])

    assert out.exit_code == 1
    assert isinstance(out.exception, SystemExit)
    assert "there is no workspace" in out.output
    assert not (tmp_path / "nowhere").exists()  # gc does not create one

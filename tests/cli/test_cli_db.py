"""`mlyard db upgrade` and `mlyard db copy`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mlyard import Workspace
from mlyard.cli import app
from mlyard.store._sql.database import HEAD_REVISION
from tests.admin.workspaces import assert_same, fill
from tests.cli.test_cli_gc import rows
from tests.store.test_migrations import _at_revision

runner = CliRunner()


def test_upgrade_reports_the_revision_before_and_after(tmp_path):
    (tmp_path / "old").mkdir()
    _at_revision(f"sqlite:///{tmp_path / 'old' / 'mlyard.db'}", "0001")

    done = runner.invoke(app, ["-w", str(tmp_path / "old"), "db", "upgrade"])

    assert done.exit_code == 0, done.output
    assert f"revision 0001 -> {HEAD_REVISION}" in done.output
    again = runner.invoke(app, ["db", "upgrade", str(tmp_path / "old")])
    assert again.exit_code == 0, again.output
    assert f"already at revision {HEAD_REVISION}" in again.output


def test_upgrade_of_a_mistyped_path_is_one_clear_line(tmp_path):
    done = runner.invoke(app, ["db", "upgrade", str(tmp_path / "typo")])
    assert done.exit_code == 1
    assert "there is no workspace at" in done.output and "Traceback" not in done.output
    assert not (tmp_path / "typo").exists()


@pytest.mark.postgres
def test_copy_prints_progress_and_the_counts_per_table(tmp_path, pg_url, monkeypatch):
    monkeypatch.setenv("MLYARD_PROGRESS_MIN_BYTES", "0")  # a bar even for small copies
    with Workspace.open(tmp_path / "src") as src:
        fill(src, tmp_path / "scratch")
    password_url = pg_url.replace("postgres@", "postgres:hunter2@")  # trust auth ignores it

    done = runner.invoke(
        app, ["db", "copy", str(tmp_path / "src"), password_url, "--artifacts", str(tmp_path / "a")]
    )

    assert done.exit_code == 0, done.output
    assert "copying blobs" in done.output and "verifying the copied blobs" in done.output
    assert "copying datastore default" in done.output
    counts = {r[0]: r[1:] for r in rows(done.output)}
    assert counts["runs"] == ("3", "3") and counts["model_versions"] == ("1", "1")
    assert counts["workspace_meta"] == ("0", "0")
    assert "hunter2" not in done.output
    with Workspace.open(tmp_path / "src") as src, Workspace.open(pg_url) as dst:
        assert_same(src, dst)

    again = runner.invoke(app, ["db", "copy", str(tmp_path / "src"), pg_url])
    assert again.exit_code == 1
    assert "error [dst]: the destination" in again.output and "is not empty" in again.output


@pytest.mark.postgres
def test_copy_into_a_new_database_asks_for_artifacts(tmp_path, pg_url):
    Workspace.open(tmp_path / "src").close()

    done = runner.invoke(app, ["db", "copy", str(tmp_path / "src"), pg_url])

    assert done.exit_code == 1
    assert "error [artifacts]:" in done.output and "--artifacts s3://" in done.output

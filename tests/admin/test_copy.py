"""`copy_workspace`: a laptop's folder workspace moved to PostgreSQL and S3, verified."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from mlyard import Experiment, Model, Workspace
from mlyard.admin import copy_workspace
from mlyard.errors import ConflictError, IntegrityError, InvalidInputError
from mlyard.store import schema_revision
from mlyard.store._sql.database import HEAD_REVISION
from tests.admin.workspaces import assert_same, fill, overwrite_blob, row_counts
from tests.store.test_migrations import _at_revision

FRESH = {"datastores": 1}  # what opening a workspace writes (with its workspace_meta)


@pytest.fixture
def source(tmp_path) -> Workspace:
    ws = Workspace.open(tmp_path / "src")
    fill(ws, tmp_path / "scratch")
    yield ws
    ws.close()


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v and k != "workspace_meta"}


@pytest.fixture(
    params=[
        "folder",
        pytest.param("postgresql+folder", marks=pytest.mark.postgres),
        pytest.param("postgresql+s3", marks=pytest.mark.postgres),
    ]
)
def destination(request, tmp_path) -> tuple[str, str | None]:
    """Where a copy goes: (workspace URL, artifact root)."""
    if request.param == "folder":
        return str(tmp_path / "dst"), None
    url = request.getfixturevalue("pg_url")
    if request.param == "postgresql+s3":
        return url, request.getfixturevalue("s3_prefix")
    return url, str(tmp_path / "dst-artifacts")


def test_a_copy_reads_alike_through_the_sdk(source, destination):
    url, artifacts = destination

    report = copy_workspace(source.url, url, artifact_root=artifacts, show_progress=False)

    counts = row_counts(source)
    assert {c.table: c.source for c in report.tables} == counts
    assert all(c.copied == c.source - c.left_out for c in report.tables)
    assert (report.blobs, report.datastore_files) == (len(source.store.referenced_blobs()), 2)
    with Workspace.open(url) as dst:
        if artifacts:
            assert dst.blobs.url == artifacts
            assert dst.get_default_datastore().url == f"{artifacts}/datastores/default"
        assert nonzero(row_counts(dst)) == nonzero(counts)
        assert_same(source, dst)
        # ids were kept, and the ones allocated next come after them
        last = max(int(e.id) for e in Experiment.list(source))
        assert int(Experiment(dst, "next").id) == last + 1
        with Experiment(dst, "next").start_run() as run:
            run.log_metric("loss", 1.0)
        assert run.get_metric_history("loss").values.tolist() == [1.0]


def test_a_workspace_that_holds_something_is_refused_and_left_as_it_was(source, tmp_path):
    with Workspace.open(tmp_path / "dst") as dst:
        with Experiment(dst, "mine").start_run() as run:
            run.log("mse", 1.0)
        before = (row_counts(dst), sorted(b.name for b in dst.blobs.scan()))

    with pytest.raises(ConflictError, match="not empty .*experiments: 1 rows, runs: 1 rows") as err:
        copy_workspace(source.url, tmp_path / "dst", show_progress=False)

    assert err.value.field == "dst" and "new folder" in str(err.value)
    with Workspace.open(tmp_path / "dst") as dst:
        assert (row_counts(dst), sorted(b.name for b in dst.blobs.scan())) == before
        assert [e.name for e in Experiment.list(dst)] == ["mine"]


def test_a_corrupted_source_blob_fails_the_copy_naming_it(source, tmp_path):
    [model_file] = [f for f in Model(source, "diabetes-model").manifest.files if "joblib" in f.path]
    clean = source.blobs.read_bytes(model_file.sha256)
    overwrite_blob(source, model_file.sha256, clean[:-10])

    with pytest.raises(IntegrityError, match=f"blob {model_file.sha256} .* is corrupted"):
        copy_workspace(source.url, tmp_path / "dst", show_progress=False)

    with Workspace.open(tmp_path / "dst") as dst:
        assert nonzero(row_counts(dst)) == FRESH  # nothing looks copied
        assert not dst.blobs.exists(model_file.sha256)
    # Repaired at the source, the same copy runs again into the same destination.
    source.blobs.put_bytes(clean)
    copy_workspace(source.url, tmp_path / "dst", show_progress=False)
    with Workspace.open(tmp_path / "dst") as dst:
        assert_same(source, dst)


def test_a_datastore_file_changed_outside_mlyard_fails_the_copy(source, tmp_path):
    on_disk = Path(source.get_default_datastore().url) / "diabetes" / "labels.csv"
    original = on_disk.read_bytes()
    on_disk.write_bytes(original.replace(b"e+02", b"e+03", 1))

    with pytest.raises(IntegrityError, match="datastore 'default' file 'diabetes/labels.csv'"):
        copy_workspace(source.url, tmp_path / "dst", show_progress=False)

    with Workspace.open(tmp_path / "dst") as dst:
        assert nonzero(row_counts(dst)) == FRESH
        assert dst.get_default_datastore().list() == []  # all the datastore's files or none
    on_disk.write_bytes(original)
    copy_workspace(source.url, tmp_path / "dst", show_progress=False)
    with Workspace.open(tmp_path / "dst") as dst:
        assert_same(source, dst)


def test_a_source_at_an_older_revision_is_left_alone(tmp_path):
    (tmp_path / "old").mkdir()
    _at_revision(f"sqlite:///{tmp_path / 'old' / 'mlyard.db'}", "0001")

    with pytest.raises(ConflictError, match="revision 0001") as err:
        copy_workspace(tmp_path / "old", tmp_path / "dst", show_progress=False)

    assert "mlyard db upgrade" in str(err.value)
    assert schema_revision(f"sqlite:///{tmp_path / 'old' / 'mlyard.db'}") == "0001"
    assert not (tmp_path / "dst").exists()
    assert HEAD_REVISION != "0001"


def test_bad_arguments_are_refused_before_anything_is_written(source, tmp_path):
    with pytest.raises(InvalidInputError, match="same workspace"):
        copy_workspace(source.url, source.url + "/")
    with pytest.raises(InvalidInputError, match="--artifacts") as err:
        copy_workspace(source.url, tmp_path / "dst", artifact_root=str(tmp_path / "a"))
    assert err.value.field == "artifacts"
    assert not (tmp_path / "dst").exists()


@pytest.mark.postgres
def test_a_database_workspace_copies_back_to_a_folder(pg_url, tmp_path):
    with Workspace.open(pg_url, artifact_root=str(tmp_path / "artifacts")) as src:
        fill(src, tmp_path / "scratch")

        report = copy_workspace(pg_url, tmp_path / "dst", show_progress=False)

        [meta] = [c for c in report.tables if c.table == "workspace_meta"]
        assert (meta.source, meta.copied, meta.left_out) == (1, 0, 1)  # its artifact_root
        with Workspace.open(tmp_path / "dst") as dst:
            assert dst.store.find_meta("artifact_root") is None
            # inside the folder again, by a relative URL, so the folder can move
            assert dst.store.get_datastore(None).url == "./datastores/default"
            copied = tmp_path / "dst" / "datastores" / "default" / "diabetes" / "labels.csv"
            assert copied.is_file()
            assert_same(src, dst)


@pytest.mark.postgres
def test_a_row_the_destination_refuses_leaves_it_empty(source, pg_url, tmp_path):
    # SQLite keeps a name longer than its column allows; PostgreSQL refuses it, after
    # the tables before `runs` were written in the same transaction.
    [run] = Experiment.get(source, "diabetes").runs(max_results=1)
    with source.store._db.write() as conn:  # type: ignore[attr-defined]
        rename = text("UPDATE runs SET name = :name WHERE run_id = :id")
        conn.execute(rename, {"name": "x" * 300, "id": run.id})

    with pytest.raises(InvalidInputError, match="refused a row of table runs") as err:
        copy_workspace(source.url, pg_url, artifact_root=str(tmp_path / "a"), show_progress=False)

    assert err.value.field == "src"
    with Workspace.open(pg_url) as dst:
        assert nonzero(row_counts(dst)) == FRESH
        assert Experiment.list(dst) == []

"""Registering datasets: immutable, versioned, verified snapshots."""

from __future__ import annotations

import numpy as np
import pytest

from mlyard import Dataset, FileDataset, TabularDataset
from mlyard.errors import (
    ConflictError,
    IntegrityError,
    InvalidInputError,
    NotFoundError,
)
from tests.data.data_helpers import sha, tree, write
from tests.outside import rewrite_blob


@pytest.fixture
def features(store, src):
    np.savetxt(src / "feature.csv", np.arange(12.0).reshape(4, 3), delimiter=",")
    store.upload_files([src / "feature.csv"], target_path="exp")
    return Dataset.Tabular.from_delimited_files(path=[(store, "exp/feature.csv")])


def replace_in_datastore(store, src, text: str) -> None:
    write(src / "feature.csv", text)
    store.upload_files([src / "feature.csv"], target_path="exp", overwrite=True)


def test_register_snapshots_the_files(ws, features, store):
    reg = features.register(ws, name="features", description="inputs", tags={"k": "v", "n": 3})

    assert isinstance(reg, TabularDataset)
    assert (reg.name, reg.version, reg.is_registered) == ("features", 1, True)
    assert (reg.description, reg.tags) == ("inputs", {"k": "v", "n": "3"})
    [record] = reg.files
    stored = store.open("exp/feature.csv").read()
    assert (record.path, record.sha256, record.size) == ("feature.csv", sha(stored), len(stored))
    assert ws.blobs.read_bytes(record.sha256) == stored
    assert reg.sources == [{"datastore": "default", "path": "exp/feature.csv"}]
    assert reg.profile["row_count"] == 4
    assert len(reg.fingerprint) == 64
    assert repr(reg) == "TabularDataset(name='features', version=1, files=1)"
    assert not features.is_registered and features.name is None and features.version is None


def test_the_spec_keeps_reader_options_and_lineage(ws, features):
    reg = features.register(ws, name="features")
    spec = ws.store.get_dataset_version("features", 1).spec
    assert spec == {
        "format": "delimited",
        "header": False,
        "separator": ",",
        "encoding": "utf-8",
        "columns": ["Column1", "Column2", "Column3"],
        "sources": [{"datastore": "default", "path": "exp/feature.csv"}],
    }
    assert list(reg.to_pandas_dataframe().columns) == ["Column1", "Column2", "Column3"]


def test_new_content_makes_the_next_version(ws, features, store, src):
    v1 = features.register(ws, name="features")
    replace_in_datastore(store, src, "1,2,3\n")
    v2 = features.register(ws, name="features", description="second")

    assert (v1.version, v2.version) == (1, 2)
    latest = Dataset.get_by_name(ws, "features")
    assert (latest.version, latest.description) == (2, "second")
    assert Dataset.get_by_name(ws, "features", version="latest").version == 2
    first = Dataset.get_by_name(ws, "features", version=1)
    assert first.to_pandas_dataframe().shape == (4, 3)
    assert latest.to_pandas_dataframe().shape == (1, 3)


def test_identical_content_returns_the_existing_version(ws, features, store, src):
    v1 = features.register(ws, name="features", tags={"a": "1"})
    again = features.register(ws, name="features", tags={"ignored": "yes"})
    # the same bytes reached through another path are the same content too
    store.upload_files([src / "feature.csv"], target_path="copy")
    other = Dataset.Tabular.from_delimited_files(path=(store, "copy/feature.csv"))
    same = other.register(ws, name="features")

    assert again.version == same.version == 1
    assert again.tags == {"a": "1"}
    assert [d.version for d in ws.store.list_dataset_versions("features")] == [1]
    assert v1.fingerprint == again.fingerprint


def test_other_reader_options_are_other_content(ws, src):
    write(src / "a.csv", "a;b\n1;2\n")
    one = Dataset.Tabular.from_delimited_files(path=str(src / "a.csv"))
    two = Dataset.Tabular.from_delimited_files(path=str(src / "a.csv"), separator=";")
    assert one.register(ws, "a").version == 1
    assert two.register(ws, "a").version == 2


def test_registered_data_survives_overwriting_the_datastore(ws, features, store, src):
    reg = features.register(ws, name="features")
    before = reg.to_pandas_dataframe()
    replace_in_datastore(store, src, "9,9,9\n")

    assert reg.to_pandas_dataframe().equals(before)
    assert Dataset.get_by_name(ws, "features", 1).to_pandas_dataframe().equals(before)
    assert features.to_pandas_dataframe().shape == (1, 3)  # the unregistered one reads live


def test_a_corrupted_blob_is_detected_on_read(ws, features, tmp_path):
    reg = features.register(ws, name="features")
    # still valid CSV, other numbers
    rewrite_blob(ws, reg.files[0].sha256, lambda data: data.replace(b"1.1", b"7.1", 1))

    fresh = Dataset.get_by_name(ws, "features")
    with pytest.raises(IntegrityError, match="dataset file 'feature.csv' is corrupted"):
        fresh.to_pandas_dataframe()
    with pytest.raises(IntegrityError):
        fresh.download(tmp_path / "out")
    assert tree(tmp_path / "out") == {}


def test_a_corrupted_blob_that_no_longer_parses_is_still_an_integrity_error(ws, features):
    reg = features.register(ws, name="features")
    rewrite_blob(ws, reg.files[0].sha256, lambda _: b"1,2\n1,2,3,4,5\n")
    with pytest.raises(IntegrityError):
        reg.to_pandas_dataframe()


def test_get_by_name_errors_say_what_exists(ws, features):
    with pytest.raises(NotFoundError, match="no dataset named 'nope'") as err:
        Dataset.get_by_name(ws, "nope")
    assert err.value.field == "name"
    assert "register" in str(err.value)

    features.register(ws, name="features")
    with pytest.raises(NotFoundError, match="(?i)registered datasets are: features"):
        Dataset.get_by_name(ws, "nope")
    with pytest.raises(NotFoundError, match=r"one of \[1\]") as err:
        Dataset.get_by_name(ws, "features", version=7)
    assert err.value.field == "version"


@pytest.mark.parametrize("version", [0, -1, "first", 1.5, True])
def test_bad_versions_are_refused(ws, version):
    with pytest.raises(InvalidInputError) as err:
        Dataset.get_by_name(ws, "features", version=version)
    assert err.value.field == "version"


def test_a_version_number_as_text_or_numpy_is_accepted(ws, features):
    features.register(ws, name="features")
    assert Dataset.get_by_name(ws, "features", version="1").version == 1
    assert Dataset.get_by_name(ws, "features", version=np.int64(1)).version == 1


def test_list_gives_the_latest_version_of_each(ws, features, store, src):
    assert Dataset.list(ws) == []
    features.register(ws, name="b-features")
    replace_in_datastore(store, src, "1,2,3\n")
    features.register(ws, name="b-features")
    Dataset.File.from_files(path=(store, "exp/")).register(ws, name="a-files")

    listed = Dataset.list(ws)

    assert [(d.name, d.version, type(d)) for d in listed] == [
        ("a-files", 1, FileDataset),
        ("b-features", 2, TabularDataset),
    ]


@pytest.mark.parametrize("name", ["", "has space", "a/b", "a:1", None, "x" * 300])
def test_bad_names_are_refused(ws, features, name):
    with pytest.raises(InvalidInputError) as err:
        features.register(ws, name=name)
    assert err.value.field == "name"
    assert Dataset.list(ws) == []


def test_bad_tags_description_and_workspace_are_refused(ws, features):
    with pytest.raises(InvalidInputError) as err:
        features.register(ws, name="f", tags=["a"])
    assert err.value.field == "tags"
    with pytest.raises(InvalidInputError) as err:
        features.register(ws, name="f", tags={"a": {"nested": 1}})
    assert err.value.field == "tags.a"
    with pytest.raises(InvalidInputError) as err:
        features.register(ws, name="f", description=3)
    assert err.value.field == "description"
    with pytest.raises(InvalidInputError) as err:
        features.register("./yard", name="f")
    assert err.value.field == "workspace"


def test_an_unreadable_table_is_not_registered(ws, src):
    write(src / "ragged.csv", "a,b\n1,2\n1,2,3,4\n")
    ds = Dataset.Tabular.from_delimited_files(path=str(src / "ragged.csv"))
    with pytest.raises(InvalidInputError, match="ragged.csv"):
        ds.register(ws, name="ragged")
    assert Dataset.list(ws) == []


def test_one_name_holds_one_kind(ws, features, store):
    features.register(ws, name="features")
    files = Dataset.File.from_files(path=(store, "exp/"))
    with pytest.raises(ConflictError, match="tabular"):
        files.register(ws, name="features")


def test_a_registered_dataset_can_be_registered_again(ws, features):
    reg = features.register(ws, name="features")
    copy = reg.register(ws, name="features-copy", description="same bytes")
    assert (copy.name, copy.version) == ("features-copy", 1)
    assert copy.files == reg.files
    assert copy.sources == reg.sources
    assert copy.to_pandas_dataframe().equals(reg.to_pandas_dataframe())


def test_registering_into_another_workspace_copies_the_blobs(ws, features, tmp_path):
    from mlyard import Workspace

    reg = features.register(ws, name="features")
    with Workspace.open(tmp_path / "other-yard") as other:
        moved = reg.register(other, name="features")
        assert other.blobs.exists(reg.files[0].sha256)
        assert moved.to_pandas_dataframe().equals(reg.to_pandas_dataframe())


def test_large_registration_shows_progress(ws, src, capsys, monkeypatch):
    monkeypatch.setenv("MLYARD_PROGRESS_MIN_BYTES", "10")
    write(src / "a.csv", "x\n" + "1\n" * 100)
    Dataset.Tabular.from_delimited_files(path=str(src / "a.csv")).register(ws, name="a")
    assert "registering a" in capsys.readouterr().out
    write(src / "a.csv", "x\n" + "2\n" * 100)
    ds = Dataset.Tabular.from_delimited_files(path=str(src / "a.csv"))
    ds.register(ws, name="a", show_progress=False)
    assert capsys.readouterr().out == ""


def test_files_of_an_unregistered_dataset_are_hashed(src):
    write(src / "a.csv", "x\n1\n")
    ds = Dataset.Tabular.from_delimited_files(path=str(src / "a.csv"))
    assert [(f.path, f.sha256, f.size) for f in ds.files] == [("a.csv", sha(b"x\n1\n"), 4)]
    assert repr(ds) == "TabularDataset(unregistered, files=['a.csv'])"

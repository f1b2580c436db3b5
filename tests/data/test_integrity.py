"""No silently changed data: files changed outside mlyard are refused at registration,
and a corrupted snapshot is repaired by storing its clean bytes again."""

from __future__ import annotations

import pytest

from mlyard import Dataset, Experiment
from mlyard.errors import IntegrityError, NotFoundError
from tests.data.data_helpers import sha, write
from tests.outside import DatastoreFiles, rewrite_blob

CLEAN = "1,2,3\n4,5,6\n7,8,9\n"
SAME_SIZE = "1,2,3\n4,5,6\n7,8,0\n"  # one digit changed in place: the size says nothing


def change_outside(store, path: str, text: str) -> None:
    """Write the datastore file itself, as anything outside mlyard would."""
    DatastoreFiles(store).write(path, text)


def tabular(store, path="exp/numbers.csv"):
    return Dataset.Tabular.from_delimited_files(path=[(store, path)])


def files(store, path="exp/"):
    return Dataset.File.from_files(path=(store, path))


FACTORIES = {"tabular": tabular, "file": files}


@pytest.fixture
def uploaded(store, src):
    write(src / "numbers.csv", CLEAN)
    write(src / "other.csv", "0,0,0\n")
    store.upload_files([src / "numbers.csv", src / "other.csv"], target_path="exp")
    return store


def assert_nothing_registered(ws, name: str) -> None:
    with pytest.raises(NotFoundError):
        Dataset.get_by_name(ws, name)
    assert Dataset.list(ws) == []
    assert ws.store.referenced_blobs() == set()


@pytest.mark.parametrize("make", FACTORIES.values(), ids=FACTORIES.keys())
@pytest.mark.parametrize("changed", [SAME_SIZE, CLEAN + "10,11,12\n"], ids=["same-size", "longer"])
def test_a_file_changed_outside_mlyard_is_not_registered(ws, uploaded, make, changed):
    dataset = make(uploaded)
    change_outside(uploaded, "exp/numbers.csv", changed)

    with pytest.raises(IntegrityError) as err:
        dataset.register(ws, name="numbers")

    assert "datastore 'default': exp/numbers.csv changed after it was uploaded" in str(err.value)
    assert "nothing was registered" in str(err.value.fix)
    assert_nothing_registered(ws, "numbers")


def test_a_change_made_after_the_dataset_was_defined_is_caught(ws, uploaded):
    dataset = tabular(uploaded)
    assert dataset.to_pandas_dataframe().shape == (3, 3)
    change_outside(uploaded, "exp/numbers.csv", SAME_SIZE)

    with pytest.raises(IntegrityError, match="exp/numbers.csv"):
        dataset.register(ws, name="numbers")
    assert_nothing_registered(ws, "numbers")


def test_uploading_the_file_again_makes_it_registrable(ws, uploaded, src):
    change_outside(uploaded, "exp/numbers.csv", SAME_SIZE)
    with pytest.raises(IntegrityError):
        tabular(uploaded).register(ws, name="numbers")

    write(src / "numbers.csv", SAME_SIZE)  # the change, made the mlyard way
    uploaded.upload_files([src / "numbers.csv"], target_path="exp", overwrite=True)
    reg = tabular(uploaded).register(ws, name="numbers")

    assert reg.version == 1
    assert reg.files[0].sha256 == sha(SAME_SIZE.encode())
    assert Dataset.get_by_name(ws, "numbers").to_pandas_dataframe().iloc[2].tolist() == [7, 8, 0]


def test_files_never_uploaded_through_mlyard_are_registered_as_they_are(ws, uploaded):
    # Nothing was recorded for them, so there is nothing to hold them to.
    change_outside(uploaded, "exp/dropped-in.csv", "5,5,5\n")

    reg = files(uploaded).register(ws, name="all")

    assert [f.path for f in reg.files] == ["dropped-in.csv", "numbers.csv", "other.csv"]
    assert reg.files[0].sha256 == sha(b"5,5,5\n")


def corrupt_blob(ws, sha256: str, data: bytes) -> None:
    rewrite_blob(ws, sha256, lambda _: data)


def register_again(ws, store, _src) -> None:
    tabular(store).register(ws, name="numbers")  # same content: returns version 1


def register_elsewhere(ws, store, _src) -> None:
    tabular(store).register(ws, name="numbers-copy")


def log_as_run_file(ws, _store, src) -> None:
    with Experiment(ws, "same-bytes").start_run() as run:
        run.upload_file("numbers.csv", src / "numbers.csv")


REPAIRS = {
    "register-again": register_again,
    "register-elsewhere": register_elsewhere,
    "run-file": log_as_run_file,
}


@pytest.mark.parametrize("repair", REPAIRS.values(), ids=REPAIRS.keys())
@pytest.mark.parametrize("bad", [SAME_SIZE, CLEAN[:-6]], ids=["same-size", "truncated"])
def test_storing_the_clean_bytes_again_repairs_a_corrupted_snapshot(ws, uploaded, src, repair, bad):
    reg = tabular(uploaded).register(ws, name="numbers")
    expected = reg.to_pandas_dataframe()
    corrupt_blob(ws, reg.files[0].sha256, bad.encode())
    with pytest.raises(IntegrityError, match="dataset file 'numbers.csv' is corrupted"):
        Dataset.get_by_name(ws, "numbers").to_pandas_dataframe()

    repair(ws, uploaded, src)

    assert Dataset.get_by_name(ws, "numbers", version=1).to_pandas_dataframe().equals(expected)
    assert [d.version for d in Dataset.versions(ws, "numbers")] == [1]
    again = tabular(uploaded).register(ws, name="numbers")  # the same bytes, once more
    assert again.version == 1
    assert again.to_pandas_dataframe().equals(expected)

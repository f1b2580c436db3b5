"""What the ``path=`` argument of the dataset factories resolves to."""

from __future__ import annotations

import re

import pytest

from mlyard import Dataset
from mlyard.errors import InvalidInputError, NotFoundError
from tests.data.data_helpers import write


@pytest.fixture
def images(store, src):
    write(src / "images/cat.png", b"cat")
    write(src / "images/sub/dog.png", b"dog")
    write(src / "images/notes.txt", b"notes")
    store.upload(src / "images", target_path="images")
    return store


def test_a_folder_prefix_takes_every_file_under_it(images):
    ds = Dataset.File.from_files(path=[(images, "images/")])
    assert ds.to_path() == ["cat.png", "notes.txt", "sub/dog.png"]
    assert ds.sources == [{"datastore": "default", "path": "images"}]


def test_a_glob_takes_matching_files(images):
    ds = Dataset.File.from_files(path=(images, "images/*.png"))
    assert ds.to_path() == ["cat.png"]
    deep = Dataset.File.from_files(path=(images, "images/**/*.png"))
    assert deep.to_path() == ["cat.png", "sub/dog.png"]


def test_a_single_file_is_named_by_its_file_name(images):
    assert Dataset.File.from_files(path=(images, "images/sub/dog.png")).to_path() == ["dog.png"]


def test_plain_local_paths_and_globs(src):
    write(src / "a.csv", "x\n1\n")
    write(src / "b.csv", "x\n2\n")
    assert Dataset.File.from_files(path=str(src / "a.csv")).to_path() == ["a.csv"]
    ds = Dataset.File.from_files(path=[str(src / "*.csv")])
    assert ds.to_path() == ["a.csv", "b.csv"]
    assert ds.sources == [{"url": str(src / "*.csv")}]
    assert Dataset.File.from_files(path=src).to_path() == ["a.csv", "b.csv"]


def test_files_are_sorted_by_name_across_sources(images, src):
    write(src / "a.txt", "a")
    ds = Dataset.File.from_files(path=[(images, "images/sub/"), str(src / "a.txt")])
    assert ds.to_path() == ["a.txt", "dog.png"]


def test_the_same_file_named_twice_counts_once(images):
    ds = Dataset.File.from_files(path=[(images, "images/cat.png"), (images, "images/*.png")])
    assert ds.to_path() == ["cat.png"]


def test_two_files_with_one_name_are_refused(images, src):
    write(src / "cat.png", "another cat")
    with pytest.raises(InvalidInputError, match="both be named 'cat.png'") as err:
        Dataset.File.from_files(path=[(images, "images/cat.png"), str(src / "cat.png")])
    assert err.value.field == "path"


@pytest.mark.parametrize("path", ["nothing/", "images/*.csv", "images/missing.png"])
def test_nothing_matched_is_not_found(images, path):
    with pytest.raises(NotFoundError, match=re.escape(f"default:{path.rstrip('/')}")) as err:
        Dataset.File.from_files(path=[(images, path)])
    assert err.value.field == "path"


def test_a_missing_local_path_is_not_found(tmp_path):
    with pytest.raises(NotFoundError, match="nope.csv"):
        Dataset.Tabular.from_delimited_files(path=str(tmp_path / "nope.csv"))


@pytest.mark.parametrize(
    "path", [None, [], 42, ("just-a-string", "x"), ("a", "b", "c"), [{"path": "x"}]]
)
def test_bad_path_arguments_name_the_field(path):
    with pytest.raises(InvalidInputError) as err:
        Dataset.File.from_files(path=path)
    assert err.value.field == "path"
    assert "datastore" in str(err.value)


def test_paths_must_stay_inside_the_datastore(store):
    with pytest.raises(InvalidInputError, match="inside the datastore") as err:
        Dataset.File.from_files(path=(store, "../../etc/passwd"))
    assert err.value.field == "path"

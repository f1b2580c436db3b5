"""File datasets: any files, downloaded with their names, versioned like tables."""

from __future__ import annotations

import pytest

from mlyard import Dataset, FileDataset
from mlyard.errors import AlreadyExistsError, NotFoundError
from tests.data.data_helpers import tree, write
from tests.outside import DatastoreFiles


@pytest.fixture
def images(store, src):
    write(src / "images/cat.png", b"\x89PNG cat")
    write(src / "images/sub/dog.png", b"\x89PNG dog")
    store.upload(src / "images", target_path="images")
    return Dataset.File.from_files(path=[(store, "images/")])


def test_download_keeps_names_inside_the_dataset(images, tmp_path):
    paths = images.download(tmp_path / "out")
    assert isinstance(images, FileDataset)
    assert paths == [tmp_path / "out/cat.png", tmp_path / "out/sub/dog.png"]
    assert tree(tmp_path / "out") == {"cat.png": b"\x89PNG cat", "sub/dog.png": b"\x89PNG dog"}


def test_download_without_a_target_uses_a_new_folder(images):
    paths = images.download()
    assert [p.read_bytes() for p in paths] == [b"\x89PNG cat", b"\x89PNG dog"]
    assert paths[0].parent.name.startswith("mlyard-dataset-")


def test_download_refuses_existing_files_unless_asked(images, tmp_path):
    write(tmp_path / "out/sub/dog.png", "mine")
    with pytest.raises(AlreadyExistsError, match="dog.png") as err:
        images.download(tmp_path / "out")
    assert err.value.field == "target_path"
    assert tree(tmp_path / "out") == {"sub/dog.png": b"mine"}  # cat.png not written
    images.download(tmp_path / "out", overwrite=True)
    assert (tmp_path / "out/sub/dog.png").read_bytes() == b"\x89PNG dog"


def test_register_and_download_the_snapshot(ws, images, store, src, tmp_path):
    reg = images.register(ws, name="pets", tags={"kind": "images"})
    write(src / "images/cat.png", b"another cat")
    store.upload(src / "images", target_path="images", overwrite=True)

    again = Dataset.get_by_name(ws, "pets")
    assert isinstance(again, FileDataset)
    assert (again.version, again.tags, again.to_path()) == (1, {"kind": "images"}, reg.to_path())
    again.download(tmp_path / "out")
    assert tree(tmp_path / "out")["cat.png"] == b"\x89PNG cat"
    assert images.register(ws, name="pets").version == 2


def test_a_file_deleted_after_definition_is_reported(images, store, tmp_path):
    DatastoreFiles(store).remove("images/cat.png")
    with pytest.raises(NotFoundError, match="deleted after the dataset was defined"):
        images.download(tmp_path / "out")
    assert store.list("images")[0].path == "images/sub/dog.png"

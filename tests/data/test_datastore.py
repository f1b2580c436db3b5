"""Datastore uploads, listings and downloads: checksummed, all or nothing."""

from __future__ import annotations

import os
import tracemalloc

import pytest
from fsspec.implementations.local import LocalFileSystem

from mlyard.errors import AlreadyExistsError, IntegrityError, InvalidInputError, NotFoundError
from mlyard.store.records import FileRecord
from tests.data.data_helpers import sha, tree, write
from tests.live_server import backing
from tests.outside import DatastoreFiles


def test_default_datastore_lives_in_the_workspace(ws, store):
    assert store.name == "default"
    assert store.is_default
    # in the workspace folder, or next to the blobs under a database's artifact root
    ws = backing(ws)
    folder = ws.url == str(ws.home)
    home = str(ws.home) if folder else ws.blobs.url
    assert DatastoreFiles(store).url == f"{home}/datastores/default"
    assert store.url == DatastoreFiles(store).url  # a remote one names the server's
    assert repr(store) == f"Datastore(name='default', url={store.url!r})"


def test_upload_list_download_round_trip(ws, store, src, tmp_path):
    a = write(src / "a.csv", "x,y\n1,2\n")
    b = write(src / "b.bin", bytes(range(256)) * 10)

    records = store.upload_files(files=[str(a), b], target_path="exp/")

    assert records == [
        FileRecord("exp/a.csv", sha(a.read_bytes()), a.stat().st_size),
        FileRecord("exp/b.bin", sha(b.read_bytes()), 2560),
    ]
    assert DatastoreFiles(store).tree() == {
        "exp/a.csv": a.read_bytes(),
        "exp/b.bin": b.read_bytes(),
    }
    assert ws.store.get_datastore_files("default") == records
    assert store.list() == records
    assert store.list("exp/a.csv") == records[:1]
    assert store.exists("exp/a.csv") and store.exists("exp") and not store.exists("nope")
    with store.open("exp/a.csv") as f:
        assert f.read() == b"x,y\n1,2\n"

    paths = store.download(prefix="exp", target_path=tmp_path / "out")

    assert paths == [tmp_path / "out/exp/a.csv", tmp_path / "out/exp/b.bin"]
    assert tree(tmp_path / "out") == {"exp/a.csv": a.read_bytes(), "exp/b.bin": b.read_bytes()}


def test_existing_target_is_refused_before_anything_is_written(store, src):
    write(src / "a.csv", "old")
    store.upload_files([src / "a.csv"], target_path="exp")
    write(src / "a.csv", "new")
    write(src / "c.csv", "c")

    with pytest.raises(AlreadyExistsError, match="default:exp/a.csv") as err:
        store.upload_files([src / "c.csv", src / "a.csv"], target_path="exp")

    assert err.value.field == "target_path"
    assert "overwrite=True" in str(err.value)
    assert DatastoreFiles(store).tree() == {"exp/a.csv": b"old"}  # c.csv was not written either


def test_overwrite_replaces_the_file_and_its_record(ws, store, src):
    write(src / "a.csv", "old")
    store.upload_files([src / "a.csv"])
    write(src / "a.csv", "newer")

    [record] = store.upload_files([src / "a.csv"], overwrite=True)

    assert record == FileRecord("a.csv", sha(b"newer"), 5)
    assert DatastoreFiles(store).read("a.csv") == b"newer"
    assert ws.store.get_datastore_files("default") == [record]


def test_missing_source_is_refused_before_anything_is_written(ws, store, src):
    write(src / "a.csv", "a")

    with pytest.raises(NotFoundError, match="missing.csv") as err:
        store.upload_files([src / "a.csv", src / "missing.csv"], target_path="exp")

    assert err.value.field == "files"
    assert DatastoreFiles(store).tree() == {}
    assert ws.store.get_datastore_files("default") == []


def test_a_folder_given_as_a_file_is_refused(store, src):
    (src / "folder").mkdir()
    with pytest.raises(InvalidInputError, match="upload") as err:
        store.upload_files([src / "folder"])
    assert err.value.field == "files"


@pytest.mark.parametrize("files", [[], None, [3]])
def test_files_must_be_paths(store, files):
    with pytest.raises(InvalidInputError) as err:
        store.upload_files(files)
    assert err.value.field == "files"


def test_a_single_path_is_accepted(store, src):
    write(src / "a.csv", "a")
    assert [r.path for r in store.upload_files(src / "a.csv", target_path="one")] == ["one/a.csv"]


@pytest.mark.parametrize("target", ["../escape", "/abs/path", "a/../../b", "..", "C:/x"])
def test_paths_outside_the_datastore_are_refused(store, src, target):
    write(src / "a.csv", "a")
    with pytest.raises(InvalidInputError, match="inside the datastore") as err:
        store.upload_files([src / "a.csv"], target_path=target)
    assert err.value.field == "target_path"
    with pytest.raises(InvalidInputError):
        store.upload(src, target_path=target)
    with pytest.raises(InvalidInputError) as err:
        store.download(prefix=target, target_path=src / "out")
    assert err.value.field == "prefix"
    with pytest.raises(InvalidInputError) as err:
        store.open(target)
    assert err.value.field == "path"
    assert DatastoreFiles(store).tree() == {}
    assert not DatastoreFiles(store).exists("../escape")


def test_identical_reupload_keeps_one_file_and_leaves_the_source_alone(store, src):
    a = write(src / "a.csv", "x\n1\n")
    before = a.stat()

    first = store.upload_files([a], target_path="exp")
    again = store.upload_files([a], target_path="exp", overwrite=True)

    assert first == again
    assert store.list() == first
    assert a.read_bytes() == b"x\n1\n"
    assert a.stat().st_mtime_ns == before.st_mtime_ns
    assert DatastoreFiles(store).tree() == {"exp/a.csv": b"x\n1\n"}  # no temporary files left


def test_same_file_name_twice_is_refused(store, src):
    write(src / "one/a.csv", "1")
    write(src / "two/a.csv", "2")
    with pytest.raises(InvalidInputError, match="both be stored") as err:
        store.upload_files([src / "one/a.csv", src / "two/a.csv"])
    assert err.value.field == "files"


def test_a_file_cannot_be_written_where_a_folder_or_file_is(store, src):
    write(src / "a.csv", "a")
    store.upload_files([src / "a.csv"], target_path="exp")
    write(src / "exp", "a file named like the folder")

    with pytest.raises(InvalidInputError, match="is a folder"):
        store.upload_files([src / "exp"], overwrite=True)
    with pytest.raises(InvalidInputError, match="is a file"):
        store.upload_files([src / "a.csv"], target_path="exp/a.csv/deeper", overwrite=True)


def test_upload_folder_keeps_relative_paths(store, src):
    write(src / "tree/top.txt", "t")
    write(src / "tree/sub/deep/leaf.txt", "l")

    records = store.upload(src / "tree", target_path="copy")

    assert [r.path for r in records] == ["copy/sub/deep/leaf.txt", "copy/top.txt"]
    assert DatastoreFiles(store).tree() == {"copy/sub/deep/leaf.txt": b"l", "copy/top.txt": b"t"}
    with pytest.raises(AlreadyExistsError):
        store.upload(src / "tree", target_path="copy")


def test_upload_folder_needs_a_folder_with_files(store, src):
    write(src / "file.txt", "f")
    (src / "empty").mkdir()
    with pytest.raises(NotFoundError) as err:
        store.upload(src / "missing")
    assert err.value.field == "src_dir"
    with pytest.raises(InvalidInputError, match="upload_files"):
        store.upload(src / "file.txt")
    with pytest.raises(InvalidInputError, match="no files"):
        store.upload(src / "empty")


def upload_memory_limit(store) -> int:
    """What uploading may hold in memory at its peak, in this process: 8 MiB of chunks
    in flight. A live server on loopback shares this process and adds its side's: as
    much again writing to a folder; three 5 MiB multipart parts (s3fs) writing to S3."""
    if backing(store.workspace) is store.workspace:
        return 8 << 20
    return (16 << 20) if isinstance(DatastoreFiles(store).fs, LocalFileSystem) else (24 << 20)


def test_large_file_streams_in_chunks_with_a_progress_bar(store, src, tmp_path, capsys):
    size = 32 << 20  # more than any limit: a file read whole would break it
    big = src / "big.bin"
    with open(big, "wb") as f:
        for _ in range(size >> 20):
            f.write(os.urandom(1 << 20))
    expected = sha(big.read_bytes())
    write(src / "warm-up.txt", "x")  # clients made on first use are not the upload's
    store.upload_files([src / "warm-up.txt"], show_progress=False)

    tracemalloc.start()
    try:
        [record] = store.upload_files([big], target_path="large")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert record == FileRecord("large/big.bin", expected, size)
    assert peak < upload_memory_limit(store) < size  # streamed in 1 MiB chunks
    assert "uploading to default" in capsys.readouterr().out

    [path] = store.download("large", target_path=tmp_path / "out")
    assert sha(path.read_bytes()) == expected
    assert "downloading from default" in capsys.readouterr().out


def test_show_progress_false_draws_nothing(store, src, capsys, monkeypatch):
    monkeypatch.setenv("MLYARD_PROGRESS_MIN_BYTES", "1")
    write(src / "a.csv", "a")
    store.upload_files([src / "a.csv"], show_progress=False)
    assert capsys.readouterr().out == ""
    store.upload_files([src / "a.csv"], target_path="again")
    assert "uploading to default" in capsys.readouterr().out


def test_download_refuses_existing_local_files(store, src, tmp_path):
    write(src / "a.csv", "a")
    write(src / "b.csv", "b")
    store.upload_files([src / "a.csv", src / "b.csv"])
    out = tmp_path / "out"
    write(out / "b.csv", "local")

    with pytest.raises(AlreadyExistsError, match="b.csv") as err:
        store.download(target_path=out)

    assert err.value.field == "target_path"
    assert tree(out) == {"b.csv": b"local"}  # a.csv was not written either
    store.download(target_path=out, overwrite=True)
    assert tree(out) == {"a.csv": b"a", "b.csv": b"b"}


def test_download_of_nothing_is_not_found(store, tmp_path):
    with pytest.raises(NotFoundError, match="no files under 'nope'") as err:
        store.download("nope", target_path=tmp_path)
    assert err.value.field == "prefix"
    with pytest.raises(NotFoundError):
        store.open("nope.csv")


def test_download_detects_a_file_changed_outside_mlyard(store, src, tmp_path):
    write(src / "a.csv", "1,2,3")
    store.upload_files([src / "a.csv"])
    DatastoreFiles(store).write("a.csv", b"1,2,4")  # same size, other bytes

    with pytest.raises(IntegrityError, match="default:a.csv"):
        store.download(target_path=tmp_path / "out")

    assert tree(tmp_path / "out") == {}


def test_list_hashes_files_not_uploaded_through_mlyard(store, src):
    write(src / "a.csv", "a")
    store.upload_files([src / "a.csv"], target_path="d")
    DatastoreFiles(store).write("d/manual.txt", "placed by hand")
    DatastoreFiles(store).write("elsewhere.txt", "x")

    assert store.list("d") == [
        FileRecord("d/a.csv", sha(b"a"), 1),
        FileRecord("d/manual.txt", sha(b"placed by hand"), 14),
    ]
    assert [r.path for r in store.list()] == ["d/a.csv", "d/manual.txt", "elsewhere.txt"]
    assert store.list("nothing-here") == []


def test_a_second_datastore_in_another_folder(ws, store, src, tmp_path):
    other = ws.register_datastore("other", str(tmp_path / "elsewhere"))
    write(src / "a.csv", "a")

    other.upload_files([src / "a.csv"], target_path="x")

    assert tree(tmp_path / "elsewhere") == {"x/a.csv": b"a"}
    assert store.list() == []
    assert not other.is_default
    assert sorted(ws.datastores) == ["default", "other"]
    again = ws.get_datastore("other")
    assert again.url == str(tmp_path / "elsewhere")
    assert again.list() == [FileRecord("x/a.csv", sha(b"a"), 1)]
    assert ws.store.get_datastore_files("default") == []


@pytest.mark.parametrize("url", [3, "", None])
def test_a_datastore_url_must_be_a_path_or_a_url(ws, url):
    with pytest.raises(InvalidInputError) as err:
        ws.register_datastore("odd", url)
    assert err.value.field == "url"
    assert sorted(ws.datastores) == ["default"]


def test_a_server_datastore_is_a_folder_the_server_names(server_ws, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInputError, match="absolute path the server sees") as err:
        server_ws.register_datastore("here", "./elsewhere")
    assert err.value.field == "url"
    assert not (tmp_path / "elsewhere").exists()  # nothing made on this side
    assert sorted(server_ws.datastores) == ["default"]


@pytest.fixture
def memory_store(ws):
    """A datastore on fsspec's in-process memory filesystem: a real non-local fsspec
    backend, so the object-store code path (temporary key, then ``fs.mv``) runs."""
    import uuid

    import fsspec

    bucket = f"/bucket-{uuid.uuid4().hex[:8]}"
    yield ws.register_datastore("mem", f"memory://{bucket}/store")
    fsspec.filesystem("memory").rm(bucket, recursive=True)


def test_a_datastore_on_a_non_local_filesystem(memory_store, src, tmp_path):
    import fsspec

    write(src / "a.csv", "x\n1\n")
    write(src / "tree/b.csv", "x\n2\n")

    [a] = memory_store.upload_files([src / "a.csv"], target_path="exp")
    [b] = memory_store.upload(src / "tree", target_path="exp")

    assert (a.path, b.path) == ("exp/a.csv", "exp/b.csv")
    root = memory_store.url.removeprefix("memory://")
    assert fsspec.filesystem("memory").find(root) == [f"{root}/exp/a.csv", f"{root}/exp/b.csv"]
    assert memory_store.list("exp") == [a, b]
    with pytest.raises(AlreadyExistsError):
        memory_store.upload_files([src / "a.csv"], target_path="exp")
    assert memory_store.open("exp/b.csv").read() == b"x\n2\n"
    memory_store.download("exp", target_path=tmp_path / "out")
    assert tree(tmp_path / "out") == {"exp/a.csv": b"x\n1\n", "exp/b.csv": b"x\n2\n"}


def test_an_unknown_scheme_is_a_clear_error(ws, src):
    odd = ws.register_datastore("odd", "nosuchscheme://bucket/x")
    write(src / "a.csv", "a")
    with pytest.raises(InvalidInputError, match="nosuchscheme") as err:
        odd.upload_files([src / "a.csv"])
    assert err.value.field == "url"
    assert "pip install" in str(err.value)

"""`mlyard datastore` and `mlyard datasets`."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from mlyard import Dataset
from mlyard.cli import app

runner = CliRunner()


def mlyard(ws, *args: str):
    return runner.invoke(app, ["-w", ws.url, *args])


def test_upload_list_download(ws, tmp_path):
    src = tmp_path / "feature.csv"
    np.savetxt(src, np.arange(30.0).reshape(10, 3), delimiter=",")
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    out = mlyard(ws, "datastore", "upload", str(src), str(folder), "-t", "exp/")
    assert out.exit_code == 0, out.output
    assert "exp/feature.csv" in out.output and "exp/more/a.txt" in out.output
    out = mlyard(ws, "datastore", "upload", str(src), "-t", "exp/")
    assert out.exit_code == 1 and "already exists" in out.output
    assert mlyard(ws, "datastore", "upload", str(src), "-t", "exp/", "--overwrite").exit_code == 0
    out = mlyard(ws, "datastore", "list", "exp")
    assert out.exit_code == 0 and "feature.csv" in out.output
    out = mlyard(ws, "datastore", "download", "exp", str(tmp_path / "dl"))
    assert out.exit_code == 0 and "2 file(s)" in out.output
    assert (tmp_path / "dl" / "exp" / "feature.csv").read_bytes() == src.read_bytes()
    out = mlyard(ws, "datastore", "download", "nothing-here", str(tmp_path / "dl2"))
    assert out.exit_code == 1 and "error" in out.output


def test_register_store_and_list(ws, tmp_path):
    out = mlyard(ws, "datastore", "register", "shared", str(tmp_path / "shared"))
    assert out.exit_code == 0
    out = mlyard(ws, "datastore", "stores")
    assert "shared" in out.output and "default" in out.output


def test_datasets_list_and_show(ws, tmp_path):
    src = tmp_path / "f.csv"
    np.savetxt(src, np.arange(30.0).reshape(10, 3), delimiter=",")
    store = ws.get_default_datastore()
    store.upload_files([str(src)], "d/")
    Dataset.Tabular.from_delimited_files(path=[(store, "d/f.csv")]).register(
        ws, "numbers", description="ten rows"
    )
    out = mlyard(ws, "datasets", "list")
    assert out.exit_code == 0 and "numbers" in out.output and "10" in out.output
    out = mlyard(ws, "datasets", "show", "numbers")
    assert out.exit_code == 0
    for text in ("ten rows", "f.csv", "Column3", "float64"):
        assert text in out.output
    out = mlyard(ws, "datasets", "show", "nope")
    assert out.exit_code == 1 and "no dataset named 'nope'" in out.output

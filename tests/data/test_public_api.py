"""The data layer's public surface."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
import tempfile

import pytest

import mlyard
import mlyard.data


def test_exports_are_sorted_and_reachable_from_the_package_root():
    assert mlyard.data.__all__ == sorted(mlyard.data.__all__)
    for name in mlyard.data.__all__:
        assert getattr(mlyard, name) is getattr(mlyard.data, name)


def test_importing_the_data_layer_does_not_import_pandas_or_pyarrow():
    code = (
        "import sys, mlyard.data; "
        "print(sorted(m for m in ('pandas', 'pyarrow', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "module",
    ["__init__", "_paths", "dataset", "datastore", "files", "profile", "tabular"],
)
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # examples use mkdtemp
    name = "mlyard.data" if module == "__init__" else f"mlyard.data.{module}"
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0

"""The public surface: what `import mlyard` offers, and that settings are documented."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import mlyard
from mlyard import settings

ROOT = Path(__file__).resolve().parents[1]


def test_all_is_sorted_and_every_name_resolves():
    assert mlyard.__all__ == sorted(mlyard.__all__)
    assert set(mlyard.__all__) == set(mlyard._EXPORTS)
    for name in mlyard.__all__:
        assert getattr(mlyard, name) is not None


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for s in settings.SETTINGS:
        assert f"`{s.env}`" in readme, f"{s.env} is not documented in README.md"


def test_bad_setting_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("MLYARD_FLUSH_SIZE", "lots")
    with pytest.raises(mlyard.InvalidInputError) as err:
        settings.get("flush_size")
    assert err.value.field == "MLYARD_FLUSH_SIZE"


def _modules():
    for info in pkgutil.walk_packages(mlyard.__path__, "mlyard."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

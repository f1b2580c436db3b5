"""Fixtures for the data layer: the default datastore and small file helpers."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def store(ws):
    return ws.get_default_datastore()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """A folder for local source files, outside the workspace."""
    folder = tmp_path / "src"
    folder.mkdir()
    return folder

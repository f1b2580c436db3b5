"""Every store test runs against each backend: SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from mlyard.store import open_store
from tests.conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    s = open_store(url)
    yield s
    s.close()

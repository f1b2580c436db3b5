"""Every store test runs against each backend: SQLite, PostgreSQL, and the REST store
of a live server over each."""

from __future__ import annotations

import pytest

from mlyard.store import open_store
from mlyard.store._rest import RestStore
from mlyard.wire.client import Connection
from tests.conftest import LOCAL_BACKENDS


# A server opens its store as a workspace (default datastore, artifact root): the
# contract's fresh-store expectations hold for the folder workspace a server serves.
@pytest.fixture(params=[*LOCAL_BACKENDS, "server"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    elif request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        from tests.live_server import live_server

        served = str(tmp_path / "served")
        root = None
        if request.param != "server":
            served, root = request.getfixturevalue("pg_url"), str(tmp_path / "artifacts")
        with live_server(served, root) as server_url:
            s = RestStore(Connection(server_url))
            yield s
            s.close()
        return
    s = open_store(url)
    yield s
    s.close()


@pytest.fixture(params=LOCAL_BACKENDS)
def sql_store(request, tmp_path):
    """A SQL store, for tests that reach under the interface (e.g. to plant rows)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    s = open_store(url)
    yield s
    s.close()

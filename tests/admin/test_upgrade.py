"""`upgrade_workspace`: the schema migrations run on purpose, and say what they did."""

from __future__ import annotations

import pytest

from mlyard import Workspace
from mlyard.admin import upgrade_workspace
from mlyard.errors import NotFoundError
from mlyard.store import schema_revision
from mlyard.store._sql.database import HEAD_REVISION
from tests.store.test_migrations import _at_revision


@pytest.fixture(params=["folder", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_workspace(request, tmp_path) -> tuple[str, str]:
    """(workspace URL, its database URL) of a workspace left at revision 0001."""
    if request.param == "folder":
        (tmp_path / "old").mkdir()
        database = f"sqlite:///{tmp_path / 'old' / 'mlyard.db'}"
        _at_revision(database, "0001")
        return str(tmp_path / "old"), database
    url = request.getfixturevalue("pg_url")
    _at_revision(url, "0001")
    return url, url


def test_an_old_schema_is_upgraded_and_reported(old_workspace):
    url, database = old_workspace

    done = upgrade_workspace(url)

    assert (done.before, done.after, done.changed) == ("0001", HEAD_REVISION, True)
    assert schema_revision(database) == HEAD_REVISION
    again = upgrade_workspace(url)
    assert (again.before, again.after, again.changed) == (HEAD_REVISION, HEAD_REVISION, False)


@pytest.mark.postgres
def test_an_empty_database_gets_the_schema(pg_url):
    done = upgrade_workspace(pg_url)
    assert (done.before, done.after, done.changed) == (None, HEAD_REVISION, True)


def test_a_missing_workspace_is_not_created(tmp_path):
    with pytest.raises(NotFoundError, match="no workspace"):
        upgrade_workspace(tmp_path / "typo")
    with pytest.raises(NotFoundError, match="no database file"):
        upgrade_workspace(f"sqlite:///{tmp_path / 'typo.db'}")
    assert list(tmp_path.iterdir()) == []


def test_a_current_workspace_is_left_as_it_is(tmp_path):
    Workspace.open(tmp_path / "yard").close()
    done = upgrade_workspace(tmp_path / "yard")
    assert (done.before, done.after, done.changed) == (HEAD_REVISION, HEAD_REVISION, False)

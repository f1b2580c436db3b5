"""Schema upgrades made explicit: which revision a workspace was at, and is at now.

Opening a workspace already brings its schema to the revision this mlyard knows
(``HEAD_REVISION``); ``mlyard db upgrade`` does only that, and says what it did, so an
administrator can upgrade a shared database on purpose, before the team's clients open
it.

Example:
    >>> import tempfile
    >>> from mlyard import Workspace
    >>> folder = tempfile.mkdtemp() + "/yard"
    >>> Workspace.open(folder).close()
    >>> done = upgrade_workspace(folder)
    >>> done.changed
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlyard.errors import NotFoundError
from mlyard.store import printable_url, upgrade_schema
from mlyard.workspace import store_url


@dataclass(frozen=True)
class SchemaUpgrade:
    """The schema revision of a workspace before and after an upgrade."""

    workspace: str  # fit to print: a database URL's password is masked
    before: str | None  # None: there was no mlyard schema; it was created
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def upgrade_workspace(url: str | Path) -> SchemaUpgrade:
    """Run the schema migrations on the workspace at ``url`` (a folder or database URL).

    A folder must already hold a workspace, and a ``sqlite:///`` file must exist: a
    mistyped path is an error, not a new database.
    """
    database = store_url(url)
    _require_sqlite_file(database)
    before, after = upgrade_schema(database)
    return SchemaUpgrade(printable_url(str(url)), before, after)


def _require_sqlite_file(url: str) -> None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    path = parsed.database
    if parsed.get_backend_name() == "sqlite" and path and path != ":memory:":
        if not Path(path).is_file():
            raise NotFoundError(
                f"there is no database file at {path!r}",
                field="url",
                fix="check the path of the sqlite:/// URL",
            )

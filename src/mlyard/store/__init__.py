"""Metadata persistence: one :class:`Store` interface, one factory from URL to backend."""

from __future__ import annotations

from mlyard.errors import InvalidInputError
from mlyard.store._base import Store


def open_store(url: str) -> Store:
    """The store behind ``url``: ``sqlite:///…`` or ``postgresql://…``.

    Opening brings the database's schema to the current revision.
    """
    from mlyard.store._sql import SqlStore

    return SqlStore(_sql_url(url))


def schema_revision(url: str) -> str | None:
    """The schema revision of the database at ``url``, read without upgrading it
    (``None``: no mlyard schema there yet)."""
    from mlyard.store._sql.database import read_revision

    return read_revision(_sql_url(url))


def upgrade_schema(url: str) -> tuple[str | None, str]:
    """Run the migrations on the database at ``url``; return the revisions before and
    after (``None`` before: the schema was created)."""
    from mlyard.store._sql.database import Database

    db = Database(_sql_url(url))
    try:
        return db.upgraded_from, db.revision()
    finally:
        db.close()


def printable_url(url: str) -> str:
    """``url`` fit to print: a database URL's password is masked.

    Example:
        >>> printable_url("postgresql://me:secret@db/mlyard")
        'postgresql://me:***@db/mlyard'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # a folder, not a URL
        return url


def _sql_url(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme in ("sqlite", "postgresql"):
        return url
    if scheme == "postgres":
        return "postgresql" + url[len("postgres") :]
    raise InvalidInputError(
        f"no store backend for {url!r}",
        field="url",
        fix="use a folder path, sqlite:///path/to.db or postgresql://user@host/db",
    )


__all__ = ["Store", "open_store", "printable_url", "schema_revision", "upgrade_schema"]

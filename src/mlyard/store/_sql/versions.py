"""Version numbers for every versioned concept, allocated safely under concurrent writers.

Taking ``max(version) + 1`` is only safe while no other transaction can do the same
for the same name. SQLite already guarantees it: every write transaction starts with
``BEGIN IMMEDIATE`` and holds the database's one write lock. PostgreSQL lets writers
run side by side, so the allocating transaction first takes a transaction-scoped
advisory lock on (concept, name): a second writer of the same name waits until the
first commits, then sees its version. Writers of different names never wait.

Example:
    >>> with db.write() as conn:  # doctest: +SKIP
    ...     version = next_version(conn, tables.model_versions, "diabetes-model")
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select, text


def lock_name(conn: Connection, concept: str, name: str) -> None:
    """Hold a lock on (``concept``, ``name``) until this transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"mlyard:{concept}:{name}"},
        )
    # SQLite: BEGIN IMMEDIATE already serialises every writer of the database.


def next_version(conn: Connection, table: Table, name: str) -> int:
    """The next version number of ``name`` in ``table`` (columns ``name``, ``version``),
    reserved for this transaction."""
    lock_name(conn, table.name, name)
    current = conn.execute(select(func.max(table.c.version)).where(table.c.name == name))
    return (current.scalar() or 0) + 1

"""INSERT … ON CONFLICT for the dialects we run on (SQLite and PostgreSQL).

Statements are built and compiled once per (dialect, table, columns, keys) and run as
:class:`Prepared` statements: the hot write path pays no statement-building cost. Rows
touching typed columns (JSON) go through SQLAlchemy instead, which serialises them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table

from mlyard.store._sql._prepared import Prepared

_CACHE: dict[tuple, Prepared] = {}


def _insert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    where: Callable[[Any, Any], Any] | None = None,
    keep: Sequence[str] = (),
    distinct: bool = False,
) -> None:
    """Insert ``rows``; where a row with the same ``keys`` exists, overwrite its other
    columns except ``keep`` (only when ``where(existing_columns, excluded)`` holds).
    ``distinct``: no two rows share their ``keys`` (PostgreSQL then sends them as one
    statement)."""
    if not rows:
        return
    columns = tuple(rows[0])
    cache_key = (
        "upsert",
        conn.dialect.name,
        table.name,
        columns,
        tuple(keys),
        where,
        tuple(keep),
        distinct,
    )
    prepared = _CACHE.get(cache_key)
    if prepared is None:
        stmt = _insert(conn.dialect.name, table)
        update = {c: stmt.excluded[c] for c in columns if c not in keys and c not in keep}
        condition = where(table.c, stmt.excluded) if where else None
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=update, where=condition)
        typed = _typed(table, columns)
        prepared = _CACHE[cache_key] = Prepared(stmt, typed=typed, multirow=distinct)
    prepared.executemany(conn, rows)


def _typed(table: Table, columns: Sequence[str]) -> bool:
    return any(isinstance(table.c[c].type, JSON) for c in columns)


def insert_ignore(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert ``rows``, skipping those whose ``keys`` already exist."""
    if not rows:
        return
    cache_key = ("ignore", conn.dialect.name, table.name, tuple(keys))
    prepared = _CACHE.get(cache_key)
    if prepared is None:
        stmt = _insert(conn.dialect.name, table).on_conflict_do_nothing(index_elements=list(keys))
        # Rows repeating a key are fine in one statement: the later ones are skipped.
        prepared = _CACHE[cache_key] = Prepared(stmt, multirow=True)
    prepared.executemany(conn, rows)

"""Statements compiled once per dialect and run straight on the DBAPI cursor.

SQLAlchemy's per-execution machinery costs about 0.1 ms a statement on a small
machine; a run's start and end execute a handful each, so the hot tracking path uses
these instead. They run on the connection's own DBAPI connection, inside the
transaction SQLAlchemy began, and driver errors are re-raised as SQLAlchemy's so the
store's error translation still applies. Only plain column values (str, int, float,
bytes, None) may be bound: no type processing happens here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc


class Prepared:
    """``typed=True`` runs the statement through SQLAlchemy instead (same interface),
    for columns whose values need type processing, such as JSON."""

    def __init__(self, statement: Any, typed: bool = False):
        self.statement = statement
        self.typed = typed
        self._compiled: dict[tuple, tuple[str, tuple[str, ...] | None]] = {}

    def _sql(self, conn: Connection, keys: tuple[str, ...]) -> tuple[str, tuple[str, ...] | None]:
        cache_key = (conn.dialect.name, keys)
        found = self._compiled.get(cache_key)
        if found is None:
            compiled: Any = self.statement.compile(dialect=conn.dialect, column_keys=list(keys))
            order = tuple(compiled.positiontup) if compiled.positional else None
            found = self._compiled[cache_key] = (compiled.string, order)
        return found

    def _run(self, conn: Connection, rows: Sequence[dict[str, Any]], many: bool):
        sql, order = self._sql(conn, tuple(rows[0]))
        params: list[Any] = [tuple(r[k] for k in order) for r in rows] if order else list(rows)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params[0])
        except conn.dialect.loaded_dbapi.Error as e:
            raise sa_exc.DBAPIError.instance(
                sql, params[:1], e, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
            ) from e
        return cursor

    def execute(self, conn: Connection, params: dict[str, Any]) -> Any:
        """Run once; return the DBAPI cursor (for ``fetchone``/``fetchall``/``rowcount``)."""
        return self._run(conn, [params], many=False)

    def scalar(self, conn: Connection, params: dict[str, Any]) -> Any:
        """Run once; the first column of the first row (None without rows). In a
        pipeline, this read is what sends the statements before it, and their errors
        arrive here: raised as SQLAlchemy's, like the statement's own."""
        cursor = self.execute(conn, params)
        try:
            row = cursor.fetchone()
        except conn.dialect.loaded_dbapi.Error as e:
            sql, _ = self._sql(conn, tuple(params))
            raise sa_exc.DBAPIError.instance(
                sql, [params], e, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
            ) from e
        finally:
            cursor.close()
        return None if row is None else row[0]

    def executemany(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.typed:
            conn.execute(self.statement, list(rows))
        else:
            self._run(conn, rows, many=True).close()

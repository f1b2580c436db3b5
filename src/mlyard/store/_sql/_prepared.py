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

from sqlalchemy import Connection, bindparam
from sqlalchemy import exc as sa_exc

ROWS_PER_STATEMENT = 100  # of an INSERT's rows sent as one statement (PostgreSQL)


class Prepared:
    """``typed=True`` runs the statement through SQLAlchemy instead (same interface),
    for columns whose values need type processing, such as JSON.

    ``multirow=True`` (an INSERT): on PostgreSQL, ``executemany`` sends its rows as one
    statement of many VALUES rows (up to ``ROWS_PER_STATEMENT``) instead of one
    statement a row; the driver's cost is per statement. Only for rows whose conflict
    keys are distinct: one statement cannot update a row twice.
    """

    def __init__(self, statement: Any, typed: bool = False, multirow: bool = False):
        self.statement = statement
        self.typed = typed
        self.multirow = multirow
        self._compiled: dict[tuple, tuple[str, tuple[str, ...] | None]] = {}

    def _sql(
        self, conn: Connection, keys: tuple[str, ...], rows: int = 0
    ) -> tuple[str, tuple[str, ...] | None]:
        cache_key = (conn.dialect.name, keys, rows)
        found = self._compiled.get(cache_key)
        if found is None:
            stmt = self.statement
            if rows:  # VALUES (:a__0, :b__0), (:a__1, :b__1), …
                stmt = stmt.values([{k: bindparam(f"{k}__{i}") for k in keys} for i in range(rows)])
                compiled: Any = stmt.compile(dialect=conn.dialect)
            else:
                compiled = stmt.compile(dialect=conn.dialect, column_keys=list(keys))
            order = tuple(compiled.positiontup) if compiled.positional else None
            found = self._compiled[cache_key] = (compiled.string, order)
        return found

    def _run_rows(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        keys = tuple(rows[0])
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[start : start + ROWS_PER_STATEMENT]
            sql, order = self._sql(conn, keys, len(part))
            flat = {f"{k}__{i}": row[k] for i, row in enumerate(part) for k in keys}
            params: Any = tuple(flat[k] for k in order) if order else flat
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql, params)
            except conn.dialect.loaded_dbapi.Error as e:
                raise sa_exc.DBAPIError.instance(
                    sql, [params], e, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
                ) from e
            finally:
                cursor.close()

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
        elif self.multirow and len(rows) > 1 and conn.dialect.name == "postgresql":
            self._run_rows(conn, rows)
        else:
            self._run(conn, rows, many=True).close()

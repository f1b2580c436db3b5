"""Copying one SQL workspace's metadata into another: one consistent read, one write.

The source is read in one transaction, a snapshot (SQLite's WAL read transaction,
PostgreSQL's ``REPEATABLE READ``): the rows copied and the blobs they point at hang
together even if someone writes to the source meanwhile. The destination is written in
one transaction too: every table of :data:`~mlyard.store._sql.tables.metadata` in
foreign-key order (so tables added later are copied without a change here), in batches,
keeping ids; then PostgreSQL's sequences are moved past the copied ids and the row
counts compared. Only then is it committed, so an interrupted copy leaves the
destination as empty as it was.

The destination must be fresh: no rows but what opening a workspace writes (its
default datastore, its ``workspace_meta`` such as ``artifact_root``). Its datastore
rows are replaced by the source's; its ``workspace_meta`` values are kept, and the
source's values for those keys are left out, as is the source's ``artifact_root``
(where the source's bytes are, never the copy's).

Example:
    >>> with Snapshot(src_store) as snap:  # doctest: +SKIP
    ...     counts = snap.copy_into(dst_store, datastore_url=lambda name, url: url)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy import exc as sa_exc

from mlyard.errors import ConflictError, IntegrityError, InvalidInputError
from mlyard.store import printable_url
from mlyard.store._base import Store
from mlyard.store._sql import tables as t
from mlyard.store._sql.database import Database, translate_errors
from mlyard.store._sql.datasets import _datastore
from mlyard.store._sql.versions import lock_name
from mlyard.store._sql.workspace import blob_references
from mlyard.store.records import BlobReference, DatastoreRecord, FileRecord

BATCH = 1000  # rows per INSERT: bounded memory, few round trips
_NEVER_COPIED = frozenset({"artifact_root"})  # workspace_meta keys about where, not what
DatastoreUrl = Callable[[str, str], str]  # (name, url in the source) -> url in the copy


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table of a copy: rows in the source, rows copied, and source rows left out
    (``workspace_meta`` values saying where the source keeps its bytes, or that the
    destination has its own of)."""

    table: str
    source: int
    copied: int
    left_out: int = 0


def _database(store: Store, field: str) -> Database:
    db = getattr(store, "_db", None)
    if not isinstance(db, Database):
        raise InvalidInputError(
            f"{store!r} is not a SQL workspace; copies go from one SQL store to another",
            field=field,
            fix="pass a workspace folder, a sqlite:/// or a postgresql:// URL",
        )
    return db


def unexpected_rows(store: Store) -> dict[str, int]:
    """{table: rows} of what makes ``store`` more than a freshly opened workspace."""
    with _database(store, "dst").read() as conn:
        return _unexpected(conn)


def not_empty(url: str, rows: dict[str, int]) -> ConflictError:
    """The error for a copy into the workspace ``url`` that already holds ``rows``."""
    held = ", ".join(f"{table}: {n} rows" for table, n in list(rows.items())[:4])
    if len(rows) > 4:
        held += f", and {len(rows) - 4} more tables"
    return ConflictError(
        f"the destination {printable_url(url)} is not empty (it holds {held}); a copy only goes "
        "into a fresh workspace, so nothing was copied",
        field="dst",
        fix="copy into a new folder, or an empty database (or schema)",
    )


def _unexpected(conn: Connection) -> dict[str, int]:
    return {table.name: n for table in t.metadata.sorted_tables if (n := _extra(conn, table))}


def _extra(conn: Connection, table: Table) -> int:
    if table is t.workspace_meta:
        return 0  # the destination's own, kept
    query = select(func.count()).select_from(table)
    if table is t.datastores:  # opening a workspace registers its default datastore
        query = query.where(t.datastores.c.is_default.is_(False))
    return int(conn.execute(query).scalar_one())


class Snapshot:
    """A consistent read of a SQL store, to be copied into another one.

    Use it as a context manager; everything read inside sees the same moment.
    """

    def __init__(self, store: Store):
        self._db = _database(store, "src")
        self._conn: Connection | None = None

    def __enter__(self) -> Snapshot:
        with translate_errors():
            conn = self._db.engine.connect()
            try:
                if self._db.dialect == "postgresql":
                    conn.execution_options(isolation_level="REPEATABLE READ")
                conn.begin()
            except BaseException:
                conn.close()
                raise
        self._conn = conn
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()  # ends the read transaction
            self._conn = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("use the snapshot inside `with Snapshot(store) as snap:`")
        return self._conn

    # -- reading -------------------------------------------------------------------
    def blobs(self) -> dict[str, BlobReference]:
        """{sha256: the first record that points at it} over every referenced blob."""
        found: dict[str, BlobReference] = {}
        with translate_errors():
            for ref in blob_references(self.conn):
                found.setdefault(ref.sha256, ref)
        return found

    def datastores(self) -> list[tuple[DatastoreRecord, list[FileRecord]]]:
        """Every datastore with the files recorded in it, by name."""
        f = t.datastore_files.c
        out = []
        with translate_errors():
            for row in self.conn.execute(select(t.datastores).order_by(t.datastores.c.name)):
                files = self.conn.execute(
                    select(f.path, f.sha256, f.size).where(f.datastore == row.name).order_by(f.path)
                )
                out.append((_datastore(row), [FileRecord(*r) for r in files]))
        return out

    # -- writing -------------------------------------------------------------------
    def copy_into(self, dst: Store, *, datastore_url: DatastoreUrl) -> list[TableCount]:
        """Copy every row into ``dst`` in one transaction; return the counts per table.

        Args:
            dst: a fresh SQL store (checked again inside the transaction).
            datastore_url: gives each datastore's URL in the copy.

        Raises:
            ConflictError: ``dst`` is not fresh; nothing is written.
            IntegrityError: a table's copy does not hold as many rows as its source;
                nothing is committed.
        """
        db = _database(dst, "dst")
        with db.write() as out:
            lock_name(out, "copy", "workspace")  # two copies into one database take turns
            if extra := _unexpected(out):
                raise not_empty(dst.url, extra)
            own = set(out.execute(select(t.workspace_meta.c.key)).scalars())
            out.execute(t.datastores.delete())  # the fresh default, replaced by the source's
            counts = [self._copy_table(table, out, own, datastore_url) for table in _tables()]
            for c in counts:
                if c.copied != c.source - c.left_out:
                    raise IntegrityError(
                        f"table {c.table}: the source holds {c.source - c.left_out} rows to copy, "
                        f"the copy {c.copied}; nothing was committed",
                        fix="retry the copy; if it fails again, report it as a bug",
                    )
            if db.dialect == "postgresql":
                _reset_sequences(out)
        return counts

    def _copy_table(
        self, table: Table, out: Connection, own_meta: set[str], datastore_url: DatastoreUrl
    ) -> TableCount:
        left_out_keys = own_meta | _NEVER_COPIED
        query = select(table).order_by(*table.primary_key.columns)
        result = self.conn.execute(query.execution_options(yield_per=BATCH))
        left_out = 0
        for part in result.partitions():
            rows = [row._asdict() for row in part]
            if table is t.workspace_meta:
                left_out += sum(r["key"] in left_out_keys for r in rows)
                rows = [r for r in rows if r["key"] not in left_out_keys]
            elif table is t.datastores:
                for r in rows:
                    r["url"] = datastore_url(r["name"], r["url"])
            if rows:
                _insert(out, table, rows)
        own = len(own_meta) if table is t.workspace_meta else 0
        return TableCount(table.name, _count(self.conn, table), _count(out, table) - own, left_out)


def _insert(out: Connection, table: Table, rows: list[dict]) -> None:
    try:
        out.execute(table.insert(), rows)
    except sa_exc.SQLAlchemyError as e:
        # SQLite keeps what PostgreSQL refuses (text past a column's length, say).
        cause = e.orig if isinstance(e, sa_exc.DBAPIError) and e.orig is not None else e
        detail = str(cause).splitlines()[0]
        raise InvalidInputError(
            f"the destination refused a row of table {table.name}: {detail}; nothing was committed",
            field="src",
            fix="correct that row in the source, then run the copy again",
        ) from e


def _tables() -> list[Table]:
    return list(t.metadata.sorted_tables)  # parents before children


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _reset_sequences(conn: Connection) -> None:
    """Move each serial column's sequence past the ids just inserted explicitly."""
    for table in _tables():
        column = table.autoincrement_column
        if column is None:
            continue
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'
            ),
            {"table": table.name, "column": column.name},
        )

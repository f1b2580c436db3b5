"""One engine per store: connection set-up, transactions, error translation, migrations.

SQLite is opened in WAL mode so readers never block the writer, and every write
transaction starts with ``BEGIN IMMEDIATE``: a writer takes the lock up front and
waits (``busy_timeout``) for another process's writer instead of failing half-way
with "database is locked" when it tries to upgrade a read lock.
"""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from mlyard import settings
from mlyard.errors import InvalidInputError, MlyardError, StoreError
from mlyard.store._sql._prepared import Prepared

HEAD_REVISION = "0004"
_MIGRATIONS = Path(__file__).parent / "migrations"
_WRITE = "mlyard_write"
# Statements of a PostgreSQL tracking write, before its first: a commit that answers
# once its WAL is written, not yet flushed (see Database.write).
_LAZY_COMMIT = Prepared(text("SELECT set_config('synchronous_commit', 'off', true)"))


def _json_dumps(obj: object) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def _sqlite_engine(url: str) -> Engine:
    busy = float(settings.get("busy_timeout"))
    engine = create_engine(
        url,
        connect_args={"timeout": busy, "check_same_thread": False},
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event below decide how each transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against application crashes in WAL mode; only a power
        # loss can drop the last transactions, never corrupt the file. FULL syncs
        # every commit (MLYARD_SYNC_COMMIT).
        cur.execute(f"PRAGMA synchronous={'FULL' if settings.get('sync_commit') else 'NORMAL'}")
        # Tracking writes many small transactions: checkpoint the WAL (a write-back
        # with an fsync) every ~40 MB instead of every ~4 MB, and shrink it afterwards.
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        cur.execute("PRAGMA journal_size_limit=67108864")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            try:
                import psycopg  # noqa: F401
            except ImportError as e:
                raise StoreError(
                    "PostgreSQL workspaces need the psycopg driver",
                    fix='pip install "mlyard[postgres]"',
                ) from e
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(
            parsed,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            # The most recently used connection first: a server's hot statements are
            # prepared on it (psycopg prepares a statement on its fifth use on a
            # connection), where handing them out in turn spreads the warm-up over all.
            pool_use_lifo=True,
        )
        _ping_when_idle(engine)
        return engine
    return create_engine(parsed, json_serializer=_json_dumps, json_deserializer=orjson.loads)


PING_AFTER = 1.0  # seconds a pooled connection may idle before it is checked


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use when it has been idle: one that the
    database closed meanwhile (a restart, an idle timeout) is replaced, not failed on.

    SQLAlchemy's ``pool_pre_ping`` checks on every checkout, a round trip each time; a
    connection handed back within the last second is taken as it is. (If the database
    restarts in that second, the calls using it fail and the pool drops it.)
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, proxy) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as e:
            raise sa_exc.DisconnectionError(str(e)) from e  # the pool connects anew


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver errors into :class:`StoreError`; let mlyard's own errors through."""
    try:
        yield
    except MlyardError:
        raise
    except OverflowError as e:  # sqlite3 refuses integers beyond 64 bits before SQL runs
        raise InvalidInputError(
            f"a number is too large to store: {e}", field="value", fix="use values within int64"
        ) from e
    except sa_exc.DataError as e:  # PostgreSQL: out of range, bad text for a type
        detail = str(e.orig) if e.orig is not None else str(e)
        raise InvalidInputError(
            f"a value cannot be stored: {detail.splitlines()[0]}",
            field="value",
            fix="use values within int64 and text without NUL characters",
        ) from e
    except sa_exc.OperationalError as e:
        detail = str(e.orig) if e.orig is not None else str(e)
        fix = None
        if "locked" in detail:
            fix = "another process held the write lock too long; raise MLYARD_BUSY_TIMEOUT"
        raise StoreError(f"the metadata database failed: {detail}", fix=fix) from e
    except sa_exc.SQLAlchemyError as e:
        raise StoreError(f"the metadata database failed: {e}") from e


def is_unique_violation(err: BaseException) -> bool:
    """Whether ``err`` (or what it wraps) is a unique or primary-key violation."""
    cause = err.__cause__ if isinstance(err, StoreError) else err
    if not isinstance(cause, sa_exc.IntegrityError):
        return False
    text_ = str(cause.orig).lower()
    return "unique" in text_ or "duplicate" in text_


def is_foreign_key_violation(err: BaseException) -> bool:
    """Whether ``err`` (or what it wraps) is a row referring to one that is not there."""
    cause = err.__cause__ if isinstance(err, StoreError) else err
    return isinstance(cause, sa_exc.IntegrityError) and "foreign key" in str(cause.orig).lower()


class Database:
    """An engine plus the two ways to use it: ``read()`` and ``write()``.

    Opening one brings its schema to ``HEAD_REVISION``; ``upgraded_from`` is the
    revision it was at (``None``: the database had no mlyard schema yet).
    """

    def __init__(self, url: str):
        self.url = url
        self._sync_commit = bool(settings.get("sync_commit"))
        self.engine = _engine_for(url)
        self.dialect = self.engine.dialect.name
        # PostgreSQL reads run outside a transaction: at its READ COMMITTED level each
        # statement takes its own snapshot anyway, and a read is then one round trip
        # instead of three (BEGIN, the query, ROLLBACK). SQLite keeps its read
        # transaction: there it is what makes several statements see one snapshot.
        self._reader = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else self.engine
        )
        _dispose_in_forked_children(self.engine)
        with translate_errors():
            self.upgraded_from = migrate(self)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with translate_errors(), self._reader.connect() as conn:
            yield conn
            if conn.in_transaction():
                # A read that took a snapshot (a search) ends in COMMIT, which for a read
                # is the same as ROLLBACK, except to psycopg: after a ROLLBACK it forgets
                # the connection's prepared statements (one more round trip to drop
                # them), and every statement after it is planned anew.
                conn.commit()

    @contextmanager
    def write(self, *, pipelined: bool = False, tracking: bool = False) -> Iterator[Connection]:
        """One write transaction: committed on success, rolled back on any error.

        ``pipelined`` (PostgreSQL): statements go out without waiting for each other's
        answers, in psycopg's pipeline mode; a fetch waits for what came before it, and
        the commit for the rest. A run's start or end is then one or two round trips
        instead of ten. Only for :class:`~._prepared.Prepared` statements, whose errors
        are raised at the next fetch or at the commit rather than where they were sent.

        ``tracking``: what a run logs, committed as SQLite's WAL mode commits here: in
        order and atomically, but flushed to disk shortly after the commit rather than
        before it answers (PostgreSQL's ``synchronous_commit=off``), unless
        ``MLYARD_SYNC_COMMIT`` is set. A crash of the database's machine can drop the
        last fraction of a second of logs; it never leaves a half-written transaction.
        """
        postgres = self.dialect == "postgresql"
        with translate_errors(), self.engine.connect() as conn, ExitStack() as stack:
            conn.execution_options(**{_WRITE: True})
            if pipelined and postgres:
                stack.enter_context(_pipeline(conn))
            stack.enter_context(_transaction(conn))
            if tracking and postgres and not self._sync_commit:
                _LAZY_COMMIT.execute(conn, {}).close()
            yield conn

    def revision(self) -> str:
        """The schema revision now (``HEAD_REVISION`` once opened)."""
        with self.read() as conn:
            return _current_revision(conn) or ""

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def _transaction(conn: Connection) -> Iterator[None]:
    """``conn.begin()``, except that the error raised is the block's (or the commit's)
    even when the rollback fails too, as it does in an aborted pipeline: the pipeline
    rolls the connection back once it has ended (:func:`_pipeline`)."""
    transaction = conn.begin()
    try:
        yield
        transaction.commit()
    except BaseException:
        with suppress(sa_exc.DBAPIError):
            transaction.rollback()
        raise


@contextmanager
def _pipeline(conn: Connection) -> Iterator[None]:
    """psycopg's pipeline mode, its errors raised as SQLAlchemy's. When the block
    failed, its own error is the one raised: the pipeline's exit would then only say
    that the pipeline was aborted."""
    error = conn.dialect.loaded_dbapi.Error
    dbapi_conn: Any = conn.connection.dbapi_connection
    pipeline = dbapi_conn.pipeline()
    pipeline.__enter__()
    try:
        yield
    except BaseException as failed:
        with suppress(error):
            pipeline.__exit__(type(failed), failed, failed.__traceback__)
        with suppress(error):
            dbapi_conn.rollback()  # what an aborted pipeline could not roll back
        raise
    try:
        pipeline.__exit__(None, None, None)
    except error as e:
        raise sa_exc.DBAPIError.instance(None, None, e, error, dialect=conn.dialect) from e


def _dispose_in_forked_children(engine: Engine) -> None:
    # A forked child must not reuse the parent's pooled connections.
    ref = weakref.ref(engine)

    def _after_fork() -> None:
        eng = ref()
        if eng is not None:
            eng.dispose(close=False)

    os.register_at_fork(after_in_child=_after_fork)


def _current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def read_revision(url: str) -> str | None:
    """The schema revision of the database at ``url``, read without migrating it
    (``None``: no mlyard schema there)."""
    engine = _engine_for(url)
    try:
        with translate_errors(), engine.connect() as conn:
            return _current_revision(conn)
    finally:
        engine.dispose()


def migrate(db: Database) -> str | None:
    """Bring the schema to ``HEAD_REVISION``; cheap when it already is. Returns the
    revision the schema was at before."""
    with db.read() as conn:
        if (found := _current_revision(conn)) == HEAD_REVISION:
            return found
    with db.write() as conn:
        if db.dialect == "postgresql":
            # Serialise concurrent first opens; released at commit.
            conn.execute(text("SELECT pg_advisory_xact_lock(7201)"))
        current = _current_revision(conn)
        if current == HEAD_REVISION:
            return current
        if current is not None and current > HEAD_REVISION:
            raise StoreError(
                f"this workspace's schema is at revision {current}, newer than this mlyard "
                f"({HEAD_REVISION})",
                fix="upgrade mlyard: pip install -U mlyard",
            )
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return current

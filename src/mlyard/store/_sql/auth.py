"""Users and API tokens on SQL."""

from __future__ import annotations

import secrets
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, bindparam, or_, select, update

from mlyard.errors import AlreadyExistsError, ConflictError, NotFoundError
from mlyard.store._base import AuthStore
from mlyard.store._sql import tables as t
from mlyard.store._sql._prepared import Prepared
from mlyard.store._sql.auth_watch import AuthWatch, announce
from mlyard.store._sql.database import Database, is_unique_violation
from mlyard.store.records import Role, TokenRecord, UserRecord, now_ms

_U = t.users.c
_T = t.tokens.c
# The token columns in TokenRecord's order, so a joined row splits without names.
_TOKEN_COLUMNS = (
    _T.token_id,
    _T.user_name,
    _T.label,
    _T.prefix,
    _T.created_at,
    _T.expires_at,
    _T.revoked_at,
    _T.last_used_at,
)
_USER_COLUMNS = (_U.name, _U.role, _U.created_at, _U.disabled_at)
# Every request a server answers looks its caller's token up: compiled once.
_FIND_TOKEN = Prepared(
    select(*_TOKEN_COLUMNS, *_USER_COLUMNS)
    .join(t.users, _U.name == _T.user_name)
    .where(_T.token_hash == bindparam("token_hash"))
)


def _user(row) -> UserRecord:
    return UserRecord(row.name, Role(row.role), row.created_at, row.disabled_at)


def _token(row) -> TokenRecord:
    return TokenRecord(*row[: len(_TOKEN_COLUMNS)])


def _no_user(name: str) -> NotFoundError:
    return NotFoundError(f"no user named {name!r}", fix="list them with `mlyard users list`")


def _no_token(token_id: str) -> NotFoundError:
    return NotFoundError(
        f"no token with id {token_id!r}", fix="list them with `mlyard tokens list`"
    )


def _fetch_user(conn: Connection, name: str) -> UserRecord:
    row = conn.execute(select(*_USER_COLUMNS).where(_U.name == name)).first()
    if row is None:
        raise _no_user(name)
    return _user(row)


class SqlAuthStore(AuthStore):
    _db: Database

    # -- users ---------------------------------------------------------------------
    def create_user(self, name: str, role: Role) -> UserRecord:
        try:
            with self._db.write() as conn:
                conn.execute(
                    t.users.insert().values(name=name, role=Role(role).value, created_at=now_ms())
                )
                return _fetch_user(conn, name)
        except Exception as e:
            if is_unique_violation(e):
                raise AlreadyExistsError(
                    f"there is already a user named {name!r}",
                    field="name",
                    fix="choose another name, or see them with `mlyard users list`",
                ) from None
            raise

    def get_user(self, name: str) -> UserRecord:
        with self._db.read() as conn:
            return _fetch_user(conn, name)

    def list_users(self) -> list[UserRecord]:
        with self._db.read() as conn:
            rows = conn.execute(select(*_USER_COLUMNS).order_by(_U.name)).all()
        return [_user(r) for r in rows]

    def set_user_role(self, name: str, role: Role) -> UserRecord:
        with self._changing_auth() as conn:
            conn.execute(update(t.users).where(_U.name == name).values(role=Role(role).value))
            return _fetch_user(conn, name)

    def disable_user(self, name: str) -> UserRecord:
        with self._changing_auth() as conn:
            conn.execute(
                update(t.users)
                .where(_U.name == name, _U.disabled_at.is_(None))
                .values(disabled_at=now_ms())
            )
            return _fetch_user(conn, name)

    # -- tokens --------------------------------------------------------------------
    def create_token(
        self,
        user: str,
        label: str,
        token_hash: str,
        prefix: str,
        expires_at: int | None = None,
    ) -> TokenRecord:
        token_id = secrets.token_hex(8)
        try:
            with self._db.write() as conn:
                owner = _fetch_user(conn, user)
                if owner.disabled:
                    raise ConflictError(
                        f"user {user!r} is disabled; it cannot get new tokens",
                        field="user",
                        fix="create a new user for whoever needs access",
                    )
                conn.execute(
                    t.tokens.insert().values(
                        token_id=token_id,
                        user_name=user,
                        label=label,
                        token_hash=token_hash,
                        prefix=prefix,
                        created_at=now_ms(),
                        expires_at=expires_at,
                    )
                )
                row = conn.execute(select(*_TOKEN_COLUMNS).where(_T.token_id == token_id)).one()
                return _token(row)
        except Exception as e:
            if is_unique_violation(e):
                raise AlreadyExistsError(
                    "this token is stored already", field="token_hash", fix="mint a new token"
                ) from None
            raise

    def list_tokens(self, user: str | None = None) -> list[TokenRecord]:
        query = select(*_TOKEN_COLUMNS).order_by(_T.created_at, _T.token_id)
        if user is not None:
            query = query.where(_T.user_name == user)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
            if user is not None and not rows:
                _fetch_user(conn, user)
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: str) -> TokenRecord:
        with self._changing_auth() as conn:
            conn.execute(
                update(t.tokens)
                .where(_T.token_id == token_id, _T.revoked_at.is_(None))
                .values(revoked_at=now_ms())
            )
            row = conn.execute(select(*_TOKEN_COLUMNS).where(_T.token_id == token_id)).first()
        if row is None:
            raise _no_token(token_id)
        return _token(row)

    def find_token(self, token_hash: str) -> tuple[TokenRecord, UserRecord] | None:
        with self._db.read() as conn:
            cursor = _FIND_TOKEN.execute(conn, {"token_hash": token_hash})
            row = cursor.fetchone()
            cursor.close()
        if row is None:
            return None
        n = len(_TOKEN_COLUMNS)
        name, role, created_at, disabled_at = row[n:]
        return _token(row), UserRecord(name, Role(role), created_at, disabled_at)

    def watch_auth(self) -> AuthWatch | None:
        if self._db.dialect != "postgresql":
            return None
        watch = AuthWatch(self._db.engine)
        self.__dict__.setdefault("_auth_watches", weakref.WeakSet()).add(watch)
        return watch

    @contextmanager
    def _changing_auth(self) -> Iterator[Connection]:
        """A write that changes who may do what: announced to every process's watch,
        and seen by this store's own watches before the call returns."""
        with self._db.write() as conn:
            yield conn
            announce(conn)
        for watch in list(self.__dict__.get("_auth_watches", ())):
            watch.changed_here()

    def touch_token(self, token_id: str, at: int) -> None:
        with self._db.write() as conn:
            conn.execute(
                update(t.tokens)
                .where(
                    _T.token_id == token_id,
                    or_(_T.last_used_at.is_(None), _T.last_used_at < at),
                )
                .values(last_used_at=at)
            )

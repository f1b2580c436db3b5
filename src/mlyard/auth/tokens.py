"""API tokens: issued once, stored as a keyed hash, checked on every request.

Example:
    >>> import tempfile
    >>> from mlyard import Workspace
    >>> from mlyard.auth import create_user
    >>> ws = Workspace.open(tempfile.mkdtemp() + "/yard")
    >>> _ = create_user(ws, "alice", "editor")
    >>> issued = create_token(ws, "alice", label="laptop")
    >>> authenticate(ws.store, issued.token).user
    'alice'
    >>> _ = revoke_token(ws, issued.record.token_id)
    >>> authenticate(ws.store, issued.token)
    Traceback (most recent call last):
    ...
    mlyard.errors.UnauthenticatedError: this token was revoked...
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mlyard.auth.keys import (
    MAX_TOKEN_LENGTH,
    PREFIX,
    SHOWN,
    find_workspace_key,
    hash_token,
    mint_token,
    workspace_key,
)
from mlyard.auth.roles import Principal
from mlyard.errors import InvalidInputError, NotFoundError, StoreError, UnauthenticatedError
from mlyard.names import check_label, check_name
from mlyard.store import Store
from mlyard.store.records import TokenRecord, now_ms

if TYPE_CHECKING:
    from mlyard.workspace import Workspace

# A token's last use is written at most once a minute: a write per request would make
# every read a write, and serialise all requests on SQLite.
_TOUCH_EVERY_MS = 60_000
_MAX_LIFETIME = 100 * 365 * 24 * 3600.0
_NEW = "create one with `mlyard tokens create USER`"


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: ``token`` is the secret, shown this once and never stored;
    ``record`` is what the workspace keeps. The repr leaves the secret out."""

    token: str = field(repr=False)
    record: TokenRecord


def create_token(
    ws: Workspace,
    user: str,
    label: str = "",
    expires_in: float | timedelta | None = None,
) -> IssuedToken:
    """Issue a token for ``user``, valid ``expires_in`` seconds (``None``: until revoked).

    Raises:
        NotFoundError: no such user.
        ConflictError: the user is disabled.
        InvalidInputError: a bad label or lifetime.
    """
    check_name(user, "user name", field="user")
    if label:
        check_label(label, "token label", field="label")
    lifetime = None if expires_in is None else _lifetime_ms(expires_in)
    issue = getattr(ws.store, "issue_token", None)
    if issue is not None:  # a served workspace: its key is the server's alone
        secret, issued = issue(user, label, None if lifetime is None else lifetime / 1000)
        return IssuedToken(secret, issued)
    expires_at = None if lifetime is None else now_ms() + lifetime
    token = mint_token()
    token_hash = hash_token(workspace_key(ws.store), token)
    record = ws.store.create_token(user, label, token_hash, token[:SHOWN], expires_at=expires_at)
    return IssuedToken(token, record)


def _lifetime_ms(expires_in: Any) -> int:
    seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not math.isfinite(seconds)
        or not 0 < seconds <= _MAX_LIFETIME
    ):
        raise InvalidInputError(
            f"expires_in must be a positive number of seconds, got {expires_in!r:.40}",
            field="expires_in",
            fix="e.g. expires_in=timedelta(days=30), or None for a token that never expires",
        )
    return max(1, int(seconds * 1000))


def list_tokens(ws: Workspace, user: str | None = None) -> list[TokenRecord]:
    """Tokens of ``user`` (or of everyone), revoked and expired ones included, oldest
    first. Raises ``NotFoundError`` for an unknown user."""
    if user is not None:
        check_name(user, "user name", field="user")
    return ws.store.list_tokens(user)


def revoke_token(ws: Workspace, token_id: str, *, user: str | None = None) -> TokenRecord:
    """Revoke a token; it admits no one from the next request on.

    With ``user``, only a token of that user is revoked (for users revoking their own).

    Raises:
        NotFoundError: no such token (of ``user``, when given).
    """
    if not isinstance(token_id, str) or not token_id:
        raise InvalidInputError(
            "token_id must be a token's id", field="token_id", fix="see `mlyard tokens list`"
        )
    if user is not None and all(t.token_id != token_id for t in ws.store.list_tokens(user)):
        raise NotFoundError(
            f"user {user!r} has no token with id {token_id!r}",
            field="token_id",
            fix="list them with `mlyard tokens list`",
        )
    return ws.store.revoke_token(token_id)


def authenticate(store: Store, token: Any) -> Principal:
    """The user ``token`` admits, with their role; one indexed read per call.

    Raises:
        UnauthenticatedError: no token, or one that is unknown (to this workspace),
            revoked or expired, or whose user is disabled.
    """
    return admit(store, hashed(store, token))[0]


def admit(store: Store, token_hash: str | None) -> tuple[Principal, TokenRecord]:
    """Who the token stored as ``token_hash`` admits, and its record (as of now)."""
    found = None if token_hash is None else store.find_token(token_hash)
    if found is None:
        raise UnauthenticatedError("this token is not known to the workspace", fix=_NEW)
    record, user = found
    now = now_ms()
    if record.revoked_at is not None:
        raise UnauthenticatedError("this token was revoked", fix=_NEW)
    check_expiry(record, now)
    if user.disabled:
        raise UnauthenticatedError(
            f"user {user.name!r} is disabled", fix="ask an admin of the workspace"
        )
    if touch(store, record, now):
        record = replace(record, last_used_at=now)
    return Principal(user.name, user.role, record.token_id), record


def hashed(store: Store, token: Any) -> str | None:
    """The keyed hash of ``token`` (``None`` before the workspace's first token).
    Raises ``UnauthenticatedError`` for anything but an mlyard token."""
    if not token or not isinstance(token, str):
        raise UnauthenticatedError("this needs an API token", fix=_NEW)
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        raise UnauthenticatedError(f"that is not an mlyard API token (they start {PREFIX})")
    key = find_workspace_key(store)
    return None if key is None else hash_token(key, token)


def check_expiry(record: TokenRecord, now: int) -> None:
    if record.expired(now):
        raise UnauthenticatedError("this token has expired", fix=_NEW)


def touch(store: Store, record: TokenRecord, now: int) -> bool:
    """Record the token's use at ``now`` unless one was recorded within the minute;
    whether it wrote."""
    if record.last_used_at is not None and now - record.last_used_at < _TOUCH_EVERY_MS:
        return False
    try:
        store.touch_token(record.token_id, now)
    except StoreError:
        pass  # when it was last used is a hint; a busy database must not refuse the call
    return True

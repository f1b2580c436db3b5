"""A server's :func:`~mlyard.auth.authenticate`: each token read once, then remembered.

Checking a token is one indexed read, on every request. Where the store can watch
changes to users and tokens as any process commits them (PostgreSQL's LISTEN/NOTIFY,
:meth:`~mlyard.store.Store.watch_auth`), an :class:`Authenticator` remembers the tokens
it admitted and admits them again without reading, until a token is revoked or a user
disabled or given a new role anywhere (then it reads again), the token expires, or the
watch's connection drops (then every check reads until it is back). A change made
through this process is seen before the call making it returns; one made through
another process when PostgreSQL delivers its notification, within a millisecond of
the commit on an idle machine. Where the store cannot watch (SQLite, whose read is
cheap), every check reads.

Example:
    >>> check = Authenticator(ws.store)  # doctest: +SKIP
    >>> check(token).user  # doctest: +SKIP
    'alice'
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mlyard.auth.roles import Principal
from mlyard.auth.tokens import admit, check_expiry, hashed, touch
from mlyard.store import Store
from mlyard.store.records import TokenRecord, now_ms

MAX_REMEMBERED = 10_000  # tokens; past it, forget them all and start again


class Authenticator:
    def __init__(self, store: Store):
        self._store = store
        self._watch = store.watch_auth()
        # token hash -> (the watch's generation when read, who it admits, its record)
        self._known: dict[str, tuple[int, Principal, TokenRecord]] = {}

    def __call__(self, token: Any) -> Principal:
        """Who ``token`` admits; raises ``UnauthenticatedError`` as ``authenticate``."""
        token_hash = hashed(self._store, token)
        watch = self._watch
        if watch is None or token_hash is None:
            return admit(self._store, token_hash)[0]
        seen = watch.generation
        known = self._known.get(token_hash)
        if known is not None and known[0] == seen and watch.live:
            _, principal, record = known
            now = now_ms()
            check_expiry(record, now)
            if touch(self._store, record, now):
                self._remember(token_hash, seen, principal, replace(record, last_used_at=now))
            return principal
        principal, record = admit(self._store, token_hash)
        if watch.live and watch.generation == seen:  # nothing changed while it read
            self._remember(token_hash, seen, principal, record)
        return principal

    def _remember(self, token_hash: str, seen: int, who: Principal, record: TokenRecord) -> None:
        if len(self._known) >= MAX_REMEMBERED:
            self._known.clear()
        self._known[token_hash] = (seen, who, record)

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()

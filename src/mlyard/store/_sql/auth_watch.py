"""Changes to users and tokens, as other processes commit them (PostgreSQL only).

A server process that remembers which tokens it has checked must forget them when a
token is revoked or a user disabled or given another role, in any process. The store
announces each such change in its own transaction (``NOTIFY mlyard_auth``, delivered
at commit), and :class:`AuthWatch` listens on a connection of its own, in a thread,
counting changes in :attr:`generation`. While the connection is down the watch is not
:attr:`live` (it reconnects, and counts the gap as a change).

Example:
    >>> watch = store.watch_auth()  # doctest: +SKIP
    >>> seen = watch.generation  # doctest: +SKIP
    >>> # … something checked while watch.live and watch.generation == seen …
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from sqlalchemy import Connection, Engine, text

log = logging.getLogger("mlyard.store")
CHANNEL = "mlyard_auth"
_NOTIFY = text(f"NOTIFY {CHANNEL}")
POLL = 1.0  # seconds between checks of whether to stop
RETRY = (0.1, 0.5, 1.0, 2.0, 5.0)  # waits between reconnections


def announce(conn: Connection) -> None:
    """Tell every watch about this transaction's change, once it commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY)


class AuthWatch:
    """Counts committed changes to users and tokens, from a thread of its own."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._generation = 0
        self._live = False
        self._stop = threading.Event()
        self._listening = threading.Event()  # set once LISTEN ran (or the first try failed)
        self._thread = threading.Thread(target=self._run, name="mlyard-auth-watch", daemon=True)
        self._thread.start()
        self._listening.wait(timeout=10)

    @property
    def generation(self) -> int:
        """How many changes (and connection losses) the watch has seen."""
        return self._generation

    @property
    def live(self) -> bool:
        """Whether every change committed from now on will show in :attr:`generation`."""
        return self._live and os.getpid() == self._pid  # a forked child has no thread

    def changed_here(self) -> None:
        """Count a change this process committed (before its notification arrives)."""
        with self._lock:
            self._generation += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=POLL * 5)

    def _changed(self, live: bool) -> None:
        with self._lock:
            self._generation += 1
            self._live = live

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                self._listen()
                attempt = 0
            except Exception as e:  # a lost connection: stop trusting, then reconnect
                self._changed(live=False)
                if not self._stop.is_set():
                    log.warning("watching users and tokens: %s; reconnecting", e)
            finally:
                self._listening.set()
            self._stop.wait(RETRY[min(attempt, len(RETRY) - 1)])
            attempt += 1

    def _listen(self) -> None:
        raw = self._engine.raw_connection()
        raw.detach()  # this connection listens for the watch's life, outside the pool
        conn: Any = raw.dbapi_connection
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            self._changed(live=True)  # whatever happened before LISTEN is now past
            self._listening.set()
            while not self._stop.is_set():
                for _ in conn.notifies(timeout=POLL):
                    self._changed(live=True)
        finally:
            self._live = False
            conn.close()

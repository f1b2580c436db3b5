"""Nothing stays RUNNING forever: heartbeats, SIGTERM, and dead runs found by readers.

A run records the machine and process that own it. While the process lives, one
daemon thread stamps a heartbeat on all its open runs every ``MLYARD_HEARTBEAT_INTERVAL``
seconds. SIGTERM ends the process as Ctrl-C does — the runs are flushed and end as
KILLED — unless the program installed its own handler. Only ``kill -9`` (or a power
cut) ends a process without that; its runs keep what the last flush wrote (at most
``MLYARD_FLUSH_INTERVAL`` seconds of logging is lost), and the next reader marks them
LOST: at once on the same machine (the owning pid is gone), elsewhere once the
heartbeat is 6 intervals old.

Example:
    >>> lost_reason(record, now_ms())  # doctest: +SKIP
    'lost: process 4242 on laptop stopped without ending the run'
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mlyard import processes, settings
from mlyard.store.records import RunRecord, RunStatus, now_ms

if TYPE_CHECKING:
    from mlyard.tracking.run import Run
    from mlyard.workspace import Workspace

log = logging.getLogger("mlyard.tracking")
SILENT_BEATS = 6  # heartbeats missed before another machine calls a run LOST


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM: unwinds like Ctrl-C, exits with 143."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


_state = {"terminated": False, "checked": False}


def _on_sigterm(signum: int, frame: object) -> None:
    _state["terminated"] = True
    raise Terminated()


def handle_sigterm() -> None:
    """Turn SIGTERM into :class:`Terminated` in this process, if nothing else handles it.

    Checked once per process (from its main thread): a handler the program sets later
    is its own business."""
    if _state["checked"] or threading.current_thread() is not threading.main_thread():
        return
    _state["checked"] = True
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def terminated() -> bool:
    """Whether this process received SIGTERM."""
    return _state["terminated"]


# -- the runs this process owns, and their heartbeat -----------------------------------
class _Owned:
    def __init__(self) -> None:
        self.runs: set[Run] = set()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.failure: str | None = None

    def add(self, run: Run) -> None:
        with self.lock:
            self.runs.add(run)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="mlyard-beat", daemon=True)
                self.thread.start()

    def discard(self, run: Run) -> None:
        with self.lock:
            self.runs.discard(run)

    def list(self) -> list[Run]:
        with self.lock:
            return list(self.runs)

    def _loop(self) -> None:
        last = time.monotonic()
        while True:
            # Short naps, so a changed interval takes effect within half a second.
            interval = float(settings.get("heartbeat_interval"))
            time.sleep(min(interval, 0.5))
            if time.monotonic() - last >= interval:
                last = time.monotonic()
                self.beat()

    def beat(self) -> None:
        """Stamp a heartbeat on every owned run, one statement per store."""
        by_store: dict[int, tuple[Workspace, list[str]]] = {}
        for run in self.list():
            by_store.setdefault(id(run.workspace.store), (run.workspace, []))[1].append(run.id)
        for ws, ids in by_store.values():
            try:
                ws.store.heartbeat(ids, now_ms())
                self.failure = None
            except Exception as e:  # the store may be briefly down; the next beat retries
                if str(e) != self.failure:
                    self.failure = str(e)
                    log.warning("mlyard: could not record the runs' heartbeat (%s)", e)


OWNED = _Owned()


def _forget_after_fork() -> None:
    # A forked child owns none of its parent's runs: it must neither beat for them
    # nor end them at its exit. Its signal handlers are its own to check again.
    global OWNED
    OWNED = _Owned()
    _state["checked"] = False


os.register_at_fork(after_in_child=_forget_after_fork)


# -- readers: telling dead runs from live ones -----------------------------------------
def lost_reason(record: RunRecord, now: int) -> str | None:
    """Why a RUNNING run is dead, or None if it may be alive."""
    if record.status is not RunStatus.RUNNING:
        return None
    if record.host == processes.machine() and record.pid is not None:
        if record.pid == os.getpid() or processes.alive_since(record.pid, record.start_time / 1000):
            return None
        return (
            f"lost: process {record.pid} on {record.host} stopped without ending the run"
            " (killed, or the machine restarted)"
        )
    beat = record.heartbeat_at or record.start_time
    silence = (now - beat) / 1000
    if silence > SILENT_BEATS * float(settings.get("heartbeat_interval")):
        owner = f"process {record.pid} on {record.host}" if record.host else "its process"
        return f"lost: {owner} has not sent a heartbeat for {silence:.0f} s"
    return None


def settle(ws: Workspace, records: Sequence[RunRecord]) -> list[RunRecord]:
    """``records`` with every dead RUNNING run marked LOST in the store (and here)."""
    now = now_ms()
    out = []
    for record in records:
        reason = lost_reason(record, now)
        if reason is not None:
            ws.store.mark_lost(record.run_id, record.heartbeat_at or record.start_time, reason)
            record = ws.store.get_run(record.run_id)
        out.append(record)
    return out

"""Buffered logging: a metric call appends to three lists; the store sees batches.

Each run's buffer is flushed when it holds ``MLYARD_FLUSH_SIZE`` points, by one
background thread every ``MLYARD_FLUSH_INTERVAL`` seconds, when the run ends (in the
same transaction that sets its status), and at interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable

from mlyard import settings
from mlyard.store.records import MetricSeries

log = logging.getLogger("mlyard.tracking")


class Batch:
    """What a buffer hands over: metric series, params and tags."""

    __slots__ = ("metrics", "params", "tags")

    def __init__(self, metrics: list[MetricSeries], params: dict[str, str], tags: dict[str, str]):
        self.metrics = metrics
        self.params = params
        self.tags = tags

    def __bool__(self) -> bool:
        return bool(self.metrics or self.params or self.tags)


class RunBuffer:
    """Pending points of one run, per key as columns (steps, values, timestamps)."""

    def __init__(self, write: Callable[[Batch], None]):
        self._write = write
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush of this run at a time
        self._series: dict[str, tuple[list[int], list[float], list[int]]] = {}
        self._params: dict[str, str] = {}
        self._tags: dict[str, str] = {}
        self._count = 0
        self._limit = int(settings.get("flush_size"))
        self.failure: str | None = None  # the last background flush error, said once
        _FLUSHER.watch(self)

    def add_metric(self, key: str, value: float, step: int, timestamp: int) -> None:
        with self._lock:
            cols = self._series.get(key)
            if cols is None:
                cols = self._series[key] = ([], [], [])
            cols[0].append(step)
            cols[1].append(value)
            cols[2].append(timestamp)
            self._count += 1
            full = self._count >= self._limit
        if full:
            self.flush()

    def add_params(self, params: dict[str, str]) -> None:
        with self._lock:
            self._params.update(params)

    def add_tags(self, tags: dict[str, str]) -> None:
        with self._lock:
            self._tags.update(tags)

    @property
    def pending(self) -> bool:
        return bool(self._count or self._params or self._tags)

    def take(self) -> Batch:
        """Remove and return everything pending (nothing is removed if it cannot be
        turned into a batch)."""
        with self._lock:
            metrics = [
                MetricSeries.of(key, values, steps, stamps)
                for key, (steps, values, stamps) in self._series.items()
            ]
            batch = Batch(metrics, self._params, self._tags)
            self._series, self._params, self._tags = {}, {}, {}
            self._count = 0
        return batch

    def give_back(self, batch: Batch) -> None:
        """Return a batch that could not be written, ahead of anything newer."""
        with self._lock:
            for m in batch.metrics:
                cols = self._series.setdefault(m.key, ([], [], []))
                cols[0][:0] = m.steps.tolist()
                cols[1][:0] = m.values.tolist()
                cols[2][:0] = m.timestamps.tolist()
                self._count += len(m)
            self._params = {**batch.params, **self._params}
            self._tags = {**batch.tags, **self._tags}

    def flush(self, final: Callable[[Batch], None] | None = None) -> None:
        """Write what is pending (through ``final`` instead of the normal writer, if
        given, which then runs even when nothing is pending)."""
        with self._flush_lock:
            batch = self.take()
            if not batch and final is None:
                return
            try:
                (final or self._write)(batch)
            except BaseException:
                self.give_back(batch)
                raise


class _Flusher:
    """One daemon thread flushing every watched buffer on an interval."""

    def __init__(self) -> None:
        self._buffers: weakref.WeakSet[RunBuffer] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, buffer: RunBuffer) -> None:
        with self._lock:
            self._buffers.add(buffer)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="mlyard-flush", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(float(settings.get("flush_interval")))
            self.flush_all(background=True)

    def flush_all(self, background: bool = False) -> None:
        with self._lock:
            buffers = list(self._buffers)
        for buffer in buffers:
            if not buffer.pending:
                continue
            try:
                buffer.flush()
                buffer.failure = None
            except Exception as e:  # the data was given back; the next tick or run end retries
                if not background:
                    raise
                if str(e) != buffer.failure:  # say it once, not every second
                    buffer.failure = str(e)
                    log.warning("mlyard: could not write logged values yet (%s); will retry", e)


_FLUSHER = _Flusher()


def _reset_after_fork() -> None:
    # The child has no flusher thread; it starts one on its first logged run.
    global _FLUSHER
    _FLUSHER = _Flusher()


os.register_at_fork(after_in_child=_reset_after_fork)
atexit.register(lambda: _FLUSHER.flush_all(background=True))

"""Writing what a run logs: params, tags, metric chunks and latest values.

Every statement here is built once at import; the hot path only binds values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, and_, bindparam, or_, select

from mlyard.errors import ConflictError, NotFoundError
from mlyard.store._sql import tables as t
from mlyard.store._sql._upsert import insert_ignore, upsert
from mlyard.store.records import MetricPoint, MetricSeries

RUN_EXISTS = select(t.runs.c.run_id).where(t.runs.c.run_id == bindparam("run_id"))
_RUN_PARAMS = select(t.params.c.key, t.params.c.value).where(
    t.params.c.run_id == bindparam("run_id")
)
_INSERT_CHUNKS = t.metric_chunks.insert()
_CHUNKS = (
    select(t.metric_chunks.c.steps, t.metric_chunks.c["values"], t.metric_chunks.c.timestamps)
    .where(
        t.metric_chunks.c.run_id == bindparam("run_id"), t.metric_chunks.c.key == bindparam("key")
    )
    .order_by(t.metric_chunks.c.id)
)


def require_run(conn: Connection, run_id: str) -> None:
    if conn.execute(RUN_EXISTS, {"run_id": run_id}).first() is None:
        raise NotFoundError(f"no run with id {run_id!r}")


def write_batch(
    conn: Connection,
    run_id: str,
    metrics: Sequence[MetricSeries],
    params: dict[str, str] | None,
    tags: dict[str, str] | None,
) -> None:
    if params:
        _insert_params(conn, run_id, params)
    if tags:
        upsert(
            conn,
            t.tags,
            [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()],
            ("run_id", "key"),
        )
    if metrics:
        _insert_metrics(conn, run_id, metrics)


def _insert_params(conn: Connection, run_id: str, params: dict[str, str]) -> None:
    existing = dict(conn.execute(_RUN_PARAMS, {"run_id": run_id}).all())
    for key, value in params.items():
        if key in existing and existing[key] != value:
            raise ConflictError(
                f"param {key!r} of run {run_id} is already {existing[key]!r}; "
                f"cannot change it to {value!r}",
                field=f"params.{key}",
                fix="params are fixed once logged; log a metric or tag, or start a new run",
            )
    new = [{"run_id": run_id, "key": k, "value": v} for k, v in params.items() if k not in existing]
    insert_ignore(conn, t.params, new, ("run_id", "key"))


def _newer(existing, excluded):
    """latest_metrics keeps the point with the highest (step, timestamp)."""
    return or_(
        excluded.step > existing.step,
        and_(excluded.step == existing.step, excluded.timestamp >= existing.timestamp),
    )


def _insert_metrics(conn: Connection, run_id: str, series: Sequence[MetricSeries]) -> None:
    chunks = []
    latest: dict[str, MetricPoint] = {}
    for m in series:
        if not len(m):
            continue
        chunks.append(
            {
                "run_id": run_id,
                "key": m.key,
                "count": len(m),
                "steps": m.steps.astype("<i8", copy=False).tobytes(),
                "values": m.values.astype("<f8", copy=False).tobytes(),
                "timestamps": m.timestamps.astype("<i8", copy=False).tobytes(),
            }
        )
        p = m.last()
        cur = latest.get(p.key)
        if cur is None or (p.step, p.timestamp) >= (cur.step, cur.timestamp):
            latest[p.key] = p
    if not chunks:
        return
    conn.execute(_INSERT_CHUNKS, chunks)
    rows = [
        {
            "run_id": run_id,
            "key": p.key,
            "value": None if math.isnan(p.value) else p.value,
            "step": p.step,
            "timestamp": p.timestamp,
        }
        for p in latest.values()
    ]
    upsert(conn, t.latest_metrics, rows, ("run_id", "key"), where=_newer)


def read_series(conn: Connection, run_id: str, key: str) -> MetricSeries:
    rows = conn.execute(_CHUNKS, {"run_id": run_id, "key": key}).all()
    if not rows:
        require_run(conn, run_id)
    steps = np.frombuffer(b"".join(r[0] for r in rows), dtype="<i8")
    values = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f8")
    stamps = np.frombuffer(b"".join(r[2] for r in rows), dtype="<i8")
    if len(steps) > 1 and not _sorted(steps, stamps):
        order = np.lexsort((stamps, steps))  # stable: equal points keep logging order
        steps, values, stamps = steps[order], values[order], stamps[order]
    return MetricSeries(key, steps, values, stamps)


def _sorted(steps: np.ndarray, stamps: np.ndarray) -> bool:
    ds = np.diff(steps)
    return bool(np.all((ds > 0) | ((ds == 0) & (np.diff(stamps) >= 0))))

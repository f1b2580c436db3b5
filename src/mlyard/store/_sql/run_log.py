"""Writing what a run logs: params, tags, metric chunks and latest values.

Every statement here is compiled once per dialect; the hot path only binds values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import (
    Connection,
    Double,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    update,
)

from mlyard.errors import ConflictError, NotFoundError
from mlyard.store._sql import tables as t
from mlyard.store._sql._prepared import Prepared
from mlyard.store._sql._upsert import insert_ignore, upsert
from mlyard.store.records import MetricPoint, MetricSeries

RUN_EXISTS = Prepared(select(t.runs.c.experiment_id).where(t.runs.c.run_id == bindparam("run_id")))
_RUN_PARAMS = Prepared(
    select(t.params.c.key, t.params.c.value).where(t.params.c.run_id == bindparam("run_id"))
)
_INSERT_CHUNKS = Prepared(t.metric_chunks.insert(), multirow=True)
_CHUNKS = (
    select(t.metric_chunks.c.steps, t.metric_chunks.c["values"], t.metric_chunks.c.timestamps)
    .where(
        t.metric_chunks.c.run_id == bindparam("run_id"), t.metric_chunks.c.key == bindparam("key")
    )
    .order_by(t.metric_chunks.c.id)
)


def require_run(conn: Connection, run_id: str) -> int:
    """The run's experiment id; NotFoundError if there is no such run."""
    cursor = RUN_EXISTS.execute(conn, {"run_id": run_id})
    found = cursor.fetchone()
    cursor.close()
    if found is None:
        raise NotFoundError(f"no run with id {run_id!r}")
    return found[0]


class StoredParams:
    """A run's stored params, asked for now and read when needed: in a pipelined write
    the question travels with the statements before it, in one round trip."""

    def __init__(self, conn: Connection, run_id: str):
        self._cursor = _RUN_PARAMS.execute(conn, {"run_id": run_id})

    def read(self) -> dict[str, str]:
        try:
            return dict(self._cursor.fetchall())
        finally:
            self._cursor.close()


def write_batch(
    conn: Connection,
    run_id: str,
    experiment_id: int | None,
    metrics: Sequence[MetricSeries],
    params: dict[str, str] | None,
    tags: dict[str, str] | None,
    stored: StoredParams | None = None,
) -> None:
    """Store a batch for a run known to exist (of ``experiment_id``, looked up if None);
    ``stored``: its params, if already asked for."""
    changed = []
    if params:
        _insert_params(conn, run_id, params, stored or StoredParams(conn, run_id))
        changed.append("params")
    if metrics and _insert_metrics(conn, run_id, experiment_id, metrics):
        changed.append("metrics")
    if tags:
        upsert(
            conn,
            t.tags,
            [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()],
            ("run_id", "key"),
            distinct=True,
        )
        changed.append("tags")
    if changed:
        refresh_run_json(conn, run_id, tuple(changed))


_KEYED = {"params": t.params, "metrics": t.latest_metrics, "tags": t.tags}
_REFRESH: dict[tuple[str, tuple[str, ...]], Prepared] = {}


def _json_safe(dialect: str, value: Any) -> Any:
    """Infinities as strings: JSON has no literal for them. SQLite writes a bare
    ``Inf``; PostgreSQL already quotes them."""
    if dialect == "postgresql" or not isinstance(value.type, Double):
        return value
    # Constants rendered inline: Prepared statements bind only the run id.
    big: Any = literal_column("1.7976931348623157e308")
    return case(
        (value > big, literal_column("'Infinity'")),
        (value < -big, literal_column("'-Infinity'")),
        else_=value,
    )


def refresh_run_json(conn: Connection, run_id: str, kinds: tuple[str, ...]) -> None:
    """Recompute the run's JSON copies of ``kinds`` (params, metrics, tags) in SQL."""
    dialect = conn.dialect.name
    prepared = _REFRESH.get((dialect, kinds))
    if prepared is None:
        agg = func.json_object_agg if dialect == "postgresql" else func.json_group_object
        values = {
            f"{kind}_json": cast(
                select(agg(_KEYED[kind].c.key, _json_safe(dialect, _KEYED[kind].c.value)))
                .where(_KEYED[kind].c.run_id == t.runs.c.run_id)
                .scalar_subquery(),
                Text,
            )
            for kind in kinds
        }
        stmt = update(t.runs).where(t.runs.c.run_id == bindparam("b_run_id")).values(values)
        prepared = _REFRESH[(dialect, kinds)] = Prepared(stmt)
    prepared.execute(conn, {"b_run_id": run_id}).close()


def _insert_params(
    conn: Connection, run_id: str, params: dict[str, str], stored: StoredParams
) -> None:
    existing = stored.read()
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


def _insert_metrics(
    conn: Connection, run_id: str, experiment_id: int | None, series: Sequence[MetricSeries]
) -> bool:
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
        return False
    if experiment_id is None:
        experiment_id = require_run(conn, run_id)
    _INSERT_CHUNKS.executemany(conn, chunks)
    rows = [
        {
            "run_id": run_id,
            "key": p.key,
            "value": None if math.isnan(p.value) else p.value,
            "step": p.step,
            "timestamp": p.timestamp,
            "experiment_id": experiment_id,
        }
        for p in latest.values()
    ]
    upsert(conn, t.latest_metrics, rows, ("run_id", "key"), where=_newer, distinct=True)
    return True


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
    # Compare neighbours, not their difference: np.diff overflows near the int64 limits.
    before, after = steps[:-1], steps[1:]
    return bool(np.all((after > before) | ((after == before) & (stamps[1:] >= stamps[:-1]))))

"""Run rows to :class:`RunRecord`: each run row carries JSON copies of its params, latest
metrics and tags (kept in step by ``run_log.refresh_run_json``), so a page of 1,000 runs
is 1,000 rows, not 15,000."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select

from mlyard.store._sql import tables as t
from mlyard.store.records import RunRecord, RunStatus

_R = t.runs.c
COLUMNS = (
    _R.run_id,
    _R.experiment_id,
    _R.name,
    _R.status,
    _R.start_time,
    _R.end_time,
    _R.user_id,
    _R.lifecycle_stage,
    _R.error,
    _R.params_json,
    _R.metrics_json,
    _R.tags_json,
    _R.host,
    _R.pid,
    _R.heartbeat_at,
)
_BY_ID = select(*COLUMNS).where(_R.run_id.in_(bindparam("ids", expanding=True)))
_STATUS = {s.value: s for s in RunStatus}


def get_runs(conn: Connection, run_ids: Sequence[str]) -> list[RunRecord]:
    return [record(row) for row in conn.execute(_BY_ID, {"ids": list(run_ids)}).all()]


def record(row: Any) -> RunRecord:
    """A row of :data:`COLUMNS` as a record."""
    run_id, eid, name, status, start, end, user, stage, error, params, metrics, tags = row[:12]
    host, pid, heartbeat = row[12:]
    # Positional: a page holds up to thousands of records.
    return RunRecord(
        run_id,
        str(eid),
        name,
        _STATUS[status],
        start,
        end,
        user,
        stage,
        error,
        _json(params),
        _metrics(metrics),
        _json(tags),
        host,
        pid,
        heartbeat,
    )


def _json(value: Any) -> dict[str, Any]:
    if value.__class__ is str:
        return orjson.loads(value)
    if value is None:
        return {}
    if isinstance(value, dict):  # psycopg decodes json columns itself
        return value
    return orjson.loads(value)


def _metrics(value: Any) -> dict[str, float]:
    data = _json(value)
    # NaN is stored as NULL and infinities arrive as the strings "Infinity" and
    # "-Infinity". Two substring scans settle the common all-numbers case; a key that
    # merely contains such text only costs the slow path below.
    if isinstance(value, str) and "null" not in value and 'Infinity"' not in value:
        return data
    if any(v is None or isinstance(v, str) for v in data.values()):
        return {k: math.nan if v is None else float(v) for k, v in data.items()}
    return data

"""Find runs: compile parsed filters to SQL and load each run with its data in one query.

Filters and orderings use the keyed tables (params, latest_metrics, tags); each run row
already carries JSON copies of its params, metrics and tags (kept in step by
``run_log.refresh_run_json``), so a page of 1,000 runs is 1,000 rows, not 15,000.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    exists,
    select,
)

from mlyard.store._sql import tables as t
from mlyard.store.records import RunRecord, RunStatus
from mlyard.store.search import ATTRIBUTES, Clause, parse_filter, parse_order_by

_OPS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "LIKE": lambda col, v: col.like(v),
    "ILIKE": lambda col, v: col.ilike(v),
    "IN": lambda col, v: col.in_(v),
    "NOT IN": lambda col, v: col.not_in(v),
}
_KIND_TABLE = {"param": t.params, "metric": t.latest_metrics, "tag": t.tags}
_R = t.runs.c
_COLUMNS = (
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
_BY_ID = select(*_COLUMNS).where(_R.run_id.in_(bindparam("ids", expanding=True)))


def _condition(clause: Clause) -> ColumnElement[bool]:
    compare = _OPS[clause.op]
    if clause.kind == "attribute":
        return compare(t.runs.c[ATTRIBUTES[clause.key][0]], clause.value)
    table = _KIND_TABLE[clause.kind]
    return exists().where(
        table.c.run_id == _R.run_id,
        table.c.key == clause.key,
        compare(table.c.value, clause.value),
    )


def _ordered(query: Select, order_by: Sequence[str] | str) -> Select:
    for i, key in enumerate(parse_order_by(order_by)):
        if key.kind == "attribute":
            column: Any = t.runs.c[ATTRIBUTES[key.key][0]]
        else:
            joined = _KIND_TABLE[key.kind].alias(f"order_{i}")
            query = query.outerjoin(
                joined, (joined.c.run_id == _R.run_id) & (joined.c.key == key.key)
            )
            column = joined.c.value
            # Runs without the key sort last in either direction, as in MLflow.
            query = query.order_by(column.is_(None))
        query = query.order_by(column.asc() if key.ascending else column.desc())
    return query.order_by(_R.start_time.desc(), _R.run_id)


def search_runs(
    conn: Connection,
    experiment_ids: Sequence[int] | None,
    filter_string: str | None,
    order_by: Sequence[str] | str,
    max_results: int,
    offset: int,
) -> list[RunRecord]:
    query = select(*_COLUMNS).where(_R.lifecycle_stage == "active")
    if experiment_ids is not None:
        query = query.where(_R.experiment_id.in_(list(experiment_ids)))
    for clause in parse_filter(filter_string):
        query = query.where(_condition(clause))
    query = _ordered(query, order_by).limit(max_results).offset(offset)
    return [_record(row) for row in conn.execute(query).all()]


def get_runs(conn: Connection, run_ids: Sequence[str]) -> list[RunRecord]:
    return [_record(row) for row in conn.execute(_BY_ID, {"ids": list(run_ids)}).all()]


def _json(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):  # psycopg decodes json columns itself
        return value
    return orjson.loads(value)


_STATUS = {s.value: s for s in RunStatus}


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


def _record(row: Any) -> RunRecord:
    run_id, eid, name, status, start, end, user, stage, error, params, metrics, tags = row[:12]
    host, pid, heartbeat = row[12:]
    return RunRecord(
        run_id=run_id,
        experiment_id=str(eid),
        name=name,
        status=_STATUS[status],
        start_time=start,
        end_time=end,
        user_id=user,
        lifecycle_stage=stage,
        error=error,
        params=_json(params),
        metrics=_metrics(metrics),
        tags=_json(tags),
        host=host,
        pid=pid,
        heartbeat_at=heartbeat,
    )

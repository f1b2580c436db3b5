"""The SQL of a run search: filter conditions, sort terms, and the index a search reads.

Every statement starts from one index range — a :class:`Driver` — and reaches the runs
table and the keyed tables by primary key, so its plan does not hinge on row estimates.

Statements are built once per shape: building one costs more than running a selective
search, so every value (experiment ids, compared values, range bounds) becomes a
:class:`Slot`, and a :class:`Statement` pairs the cached statement with this search's
values.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Double,
    Integer,
    Select,
    bindparam,
    exists,
    func,
    literal_column,
    select,
)

from mlyard.store._sql import tables as t
from mlyard.store._sql._prepared import Prepared
from mlyard.store._sql.run_rows import COLUMNS
from mlyard.store.search import ATTRIBUTES, Clause, OrderKey

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
# Comparisons the (experiment_id, key, value) index answers as one range.
INDEXED_OPS = frozenset(("=", "<", "<=", ">", ">="))
_KIND_TABLE = {"param": t.params, "metric": t.latest_metrics, "tag": t.tags}
_NULLABLE_ATTRIBUTES = frozenset(c.name for c in t.runs.c if c.nullable)
_R = t.runs.c
_LM = t.latest_metrics
_DRIVER = _LM.alias("driver")
_SHAPES = 512  # statements kept per builder (a shape: ops, keys, sort, limit)


@dataclass(frozen=True)
class Slot:
    """A value a statement takes as the parameter ``name`` (``many``: a list, for IN)."""

    name: str
    many: bool = False

    def bind(self) -> Any:
        return bindparam(self.name, expanding=self.many)


def _value(value: Any) -> Any:
    return value.bind() if isinstance(value, Slot) else value


class Statement(NamedTuple):
    """A statement and the values of its slots: ``conn.execute(*statement)``."""

    select: Select
    params: dict[str, Any]


@dataclass(frozen=True)
class Filter:
    """What a run must satisfy: the clauses, and no value (or NaN) for the ``lacking``
    metrics."""

    clauses: tuple[Clause, ...]
    lacking: tuple[str, ...] = ()

    def where(self, run_id: Any) -> list[Any]:
        # Keyed conditions follow the driver's run_id: checked before the run is read.
        conditions = [_R.lifecycle_stage == "active"]
        conditions += [_condition(c, run_id) for c in self.clauses]
        for i, key in enumerate(self.lacking):
            m = _LM.alias(f"lacking_{i}")
            conditions.append(
                ~exists().where(m.c.run_id == run_id, m.c.key == key, m.c.value.is_not(None))
            )
        return conditions


Bound = tuple[Any, bool]  # (value, inclusive)


@dataclass(frozen=True)
class Driver:
    """Where a search starts: one range of an index — the latest values of metric ``key``
    in experiments ``ids`` (no key: the runs of those experiments, by start time when
    ``by_start``) — with its ``column`` between ``low`` and ``high``, each entry naming a
    run. An ``ordered`` driver yields the runs in its sort order."""

    ids: Any  # experiment ids, or their Slot
    key: str | None = None
    by_start: bool = False
    ascending: bool = True
    ordered: bool = True
    low: Bound | None = None
    high: Bound | None = None
    present: bool = False  # the column may not be NULL (a metric's NaN)

    @property
    def table(self) -> Any:
        return t.runs if self.key is None else _DRIVER

    @property
    def column(self) -> Any:
        if self.key is not None:
            return _DRIVER.c.value
        return _R.start_time if self.by_start else None

    @property
    def run_id(self) -> Any:
        return self.table.c.run_id

    def where(self) -> list[Any]:
        # One bound a side: SQLite seeks the index with only one of several.
        conditions = [_in(self.table.c.experiment_id, self.ids)]
        if self.key is not None:
            conditions.append(_DRIVER.c.key == self.key)
        if self.low is not None:
            value, inclusive = self.low
            value = _value(value)
            conditions.append(self.column >= value if inclusive else self.column > value)
        if self.high is not None:
            value, inclusive = self.high
            value = _value(value)
            conditions.append(self.column <= value if inclusive else self.column < value)
        if self.present and self.low is None and self.high is None:
            conditions.append(self.column.is_not(None))
        return conditions

    def source(self) -> Any:
        if self.table is t.runs:
            return t.runs
        return self.table.join(t.runs, _R.run_id == self.table.c.run_id)

    def narrowed(self, op: str, value: Any) -> Driver:
        """The range also satisfying ``column <op> value``, an :data:`INDEXED_OPS` one."""
        low, high = self.low, self.high
        if op in (">", ">=", "="):
            low = _tighter(low, (value, op != ">"), upward=True)
        if op in ("<", "<=", "="):
            high = _tighter(high, (value, op != "<"), upward=False)
        return replace(self, low=low, high=high)

    def within(self, edge: Any) -> Driver:
        """The entries sorting no later than ``edge``."""
        return self.narrowed("<=" if self.ascending else ">=", edge)

    def in_order(self) -> Any:
        return self.column.asc() if self.ascending else self.column.desc()


def _tighter(old: Bound | None, new: Bound, upward: bool) -> Bound:
    if old is None:
        return new
    if new[0] == old[0]:
        return (new[0], new[1] and old[1])
    return new if (new[0] > old[0]) == upward else old


def _in(column: Any, ids: Any) -> ColumnElement[bool]:
    if isinstance(ids, Slot):
        return column.in_(ids.bind()) if ids.many else column == ids.bind()
    return column == ids[0] if len(ids) == 1 else column.in_(list(ids))


def metric_range(experiment_ids: Sequence[int], clause: Clause) -> Driver:
    """The runs whose metric satisfies ``clause``, an :data:`INDEXED_OPS` comparison."""
    driver = Driver(tuple(experiment_ids), clause.key, ordered=False)
    return driver.narrowed(clause.op, clause.value)


def metric_order(
    experiment_ids: Sequence[int], key: OrderKey, clauses: Sequence[Clause] = ()
) -> Driver:
    """The runs with a value (not NaN) of metric ``key``, by that value; the range
    narrowed by the indexed comparisons among ``clauses`` on the same metric."""
    driver = Driver(tuple(experiment_ids), key.key, ascending=key.ascending, present=True)
    for c in clauses:
        if c.kind == "metric" and c.key == key.key and c.op in INDEXED_OPS:
            driver = driver.narrowed(c.op, c.value)
    return driver


def start_time_order(experiment_ids: Sequence[int], ascending: bool) -> Driver:
    return Driver(tuple(experiment_ids), by_start=True, ascending=ascending)


def all_runs(experiment_ids: Sequence[int]) -> Driver:
    return Driver(tuple(experiment_ids), ordered=False)


def _slotted(driver: Driver, flt: Filter) -> tuple[Driver, Filter, dict[str, Any]]:
    """``driver`` and ``flt`` with their values replaced by slots, and those values."""
    values: dict[str, Any] = {}

    def slot(name: str, value: Any) -> Slot:
        many = isinstance(value, list | tuple)
        values[name] = list(value) if many else value
        return Slot(name, many)

    ids = driver.ids
    low, high = driver.low, driver.high
    driver = replace(
        driver,
        ids=slot("ids", ids if len(ids) > 1 else ids[0]),
        low=None if low is None else (slot("low", low[0]), low[1]),
        high=None if high is None else (slot("high", high[0]), high[1]),
    )
    clauses = tuple(replace(c, value=slot(f"v{i}", c.value)) for i, c in enumerate(flt.clauses))
    return driver, replace(flt, clauses=clauses), values


def _condition(clause: Clause, run_id: Any) -> ColumnElement[bool]:
    compare, value = _OPS[clause.op], _value(clause.value)
    if clause.kind == "attribute":
        return compare(t.runs.c[ATTRIBUTES[clause.key][0]], value)
    table = _KIND_TABLE[clause.kind]
    return exists().where(
        table.c.run_id == run_id, table.c.key == clause.key, compare(table.c.value, value)
    )


def count_matches(conn: Connection, experiment_ids: Sequence[int], clause: Clause, cap: int) -> int:
    """How many runs satisfy ``clause``, an :data:`INDEXED_OPS` comparison, counting no
    further than ``cap``."""
    many = len(experiment_ids) > 1
    ids: Any = list(experiment_ids) if many else experiment_ids[0]
    params = {"ids": ids, "key": clause.key, "value": clause.value, "cap": cap}
    if conn.dialect.name == "postgresql" and not many:
        # It may run in a pipeline, after the search's BEGIN (run_search._index_plans).
        return int(_count_prepared(clause.op).scalar(conn, params))
    return conn.execute(_count_statement(clause.op, many), params).scalar_one()


@cache
def _count_prepared(op: str) -> Prepared:
    return Prepared(_count_statement(op, False))


@cache
def _count_statement(op: str, many: bool) -> Select:
    # Built once per shape: every search counts first, and building costs more than
    # counting a selective range.
    m = _LM.c
    eids: Any = bindparam("ids", expanding=True) if many else bindparam("ids")
    capped: Select = (
        select(literal_column("1"))
        .where(
            m.experiment_id.in_(eids) if many else m.experiment_id == eids,
            m.key == bindparam("key"),
            _OPS[op](m.value, bindparam("value", type_=Double)),
        )
        .limit(bindparam("cap", type_=Integer))
    )
    return select(func.count()).select_from(capped.subquery())


def nth_value(driver: Driver, position: int) -> Statement:
    """The sort value at ``position`` (from 1) in the driver's range, matching or not."""
    slotted, _, values = _slotted(driver, Filter(()))
    return Statement(_nth_value(slotted, position), values)


@lru_cache(maxsize=_SHAPES)
def _nth_value(driver: Driver, position: int) -> Select:
    return (
        select(driver.column)
        .select_from(driver.table)
        .where(*driver.where())
        .order_by(driver.in_order())
        .offset(position - 1)
        .limit(1)
    )


def leading_values(driver: Driver, flt: Filter, n: int) -> Statement:
    """The sort values of the first ``n`` matching runs, read in index order."""
    slotted, checks, values = _slotted(driver, flt)
    return Statement(_leading_values(slotted, checks, n), values)


@lru_cache(maxsize=_SHAPES)
def _leading_values(driver: Driver, flt: Filter, n: int) -> Select:
    return (
        select(driver.column)
        .select_from(driver.source())
        .where(*driver.where(), *flt.where(driver.run_id))
        .order_by(driver.in_order())
        .limit(n)
    )


def ranked(driver: Driver, flt: Filter, keys: Sequence[OrderKey], n: int) -> Statement:
    """The first ``n`` matching runs' rows in full order. With an ordered driver,
    ``keys[0]`` is the driver's column (absent: start time, newest first)."""
    slotted, checks, values = _slotted(driver, flt)
    return Statement(_ranked(slotted, checks, tuple(keys), n), values)


@lru_cache(maxsize=_SHAPES)
def _ranked(driver: Driver, flt: Filter, keys: tuple[OrderKey, ...], n: int) -> Select:
    source, terms = driver.source(), []
    if driver.ordered:
        terms.append(driver.in_order())
        keys = keys[1:]
    for i, key in enumerate(keys):
        if key.kind == "attribute":
            column: Any = t.runs.c[ATTRIBUTES[key.key][0]]
            nullable = column.name in _NULLABLE_ATTRIBUTES
        else:
            joined = _KIND_TABLE[key.kind].alias(f"order_{i}")
            source = source.outerjoin(
                joined, (joined.c.run_id == _R.run_id) & (joined.c.key == key.key)
            )
            column, nullable = joined.c.value, True
        if nullable:  # runs without the key sort last in either direction, as in MLflow
            terms.append(column.is_(None))
        terms.append(column.asc() if key.ascending else column.desc())
    return (
        select(*COLUMNS)
        .select_from(source)
        .where(*driver.where(), *flt.where(driver.run_id))
        .order_by(*terms, _R.start_time.desc(), _R.run_id)
        .limit(n)
    )

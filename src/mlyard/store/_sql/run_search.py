"""Find runs: pick the index a search reads, so it stays fast at 100,000 runs.

Neither planner can make this choice: SQLite (without STAT4) cannot tell ``m1 < 500``
from ``m1 < 1e9``, and PostgreSQL, even with fresh statistics, cannot see that the runs
with ``m1 < 500`` are the ones with the lowest ``m2``. So the store decides, from capped
counts on the (experiment_id, key, value) index:

1. **A selective metric filter drives.** If an indexed metric comparison matches at
   most :data:`SELECTIVE` runs, those runs are read, checked and sorted.
2. **Otherwise the sort key drives** (a metric, or start time, the default). Per
   experiment, the index yields the sort values of the first ``n`` matching runs in
   order; the last one bounds a statement that sorts the runs within it in full (ties:
   newest first, then run id). Runs lacking the metric (or NaN) follow, by the keys
   after it. A filter on the sort metric itself narrows that range. When another
   metric filter could drive instead, each experiment reads at most a few times ``n``
   index entries, then at most ``max(SELECTIVE, 4n)``; past that the matches are not
   near the top of the order, and that filter drives after all. A wrong first guess
   thus costs about as much as the right way.
3. Sorting by a param, a tag or another attribute sorts every matching run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy import exc as sa_exc

from mlyard.store._sql import search_sql as q
from mlyard.store._sql import tables as t
from mlyard.store._sql._prepared import Prepared
from mlyard.store._sql.run_rows import record
from mlyard.store.records import RunRecord
from mlyard.store.search import ATTRIBUTES, Clause, OrderKey, parse_filter, parse_order_by

__all__ = ["SELECTIVE", "search_runs"]

# A filter matching at most this many runs drives the search: sorting 2,000 runs costs
# about what reading 2,000 index entries in sort order and checking them costs.
SELECTIVE = 2000
# PostgreSQL planner settings while a search runs (see _index_plans).
_PLANNER = {
    "enable_seqscan": "off",
    "enable_bitmapscan": "off",
    "enable_hashjoin": "off",
    "enable_mergejoin": "off",
    "max_parallel_workers_per_gather": "0",
    # A plan with a disabled node is priced past jit_above_cost: compiling it would
    # take milliseconds longer than running it.
    "jit": "off",
    # Plans for the values at hand: a prepared statement's generic plan, chosen after a
    # few runs of it, knows neither the range of a comparison nor how many runs an
    # experiment holds, and was seen to take 3x longer.
    "plan_cache_mode": "force_custom_plan",
    # Joins in the order written (the driver's range first, then by primary key): the
    # plan the statements are shaped for, found with less planning.
    "join_collapse_limit": "1",
    "from_collapse_limit": "1",
}


_INDEX_PLANS = Prepared(
    text("SELECT " + ", ".join(f"set_config('{k}', '{v}', true)" for k, v in _PLANNER.items()))
)


class _OverBudget(Exception):
    """Reading in sort order found too few matches within its budget."""


def search_runs(
    conn: Connection,
    experiment_ids: Sequence[int] | None,
    filter_string: str | None,
    order_by: Sequence[str] | str,
    max_results: int,
    offset: int,
) -> list[RunRecord]:
    clauses = parse_filter(filter_string)
    keys = parse_order_by(order_by)
    if experiment_ids is None:  # every experiment: each is searched through its own index
        experiment_ids = conn.execute(select(t.experiments.c.experiment_id)).scalars().all()
    ids = list(dict.fromkeys(experiment_ids))
    if not ids or max_results <= 0:
        return []
    offset = max(offset, 0)
    n = offset + max_results
    # Filters that could drive; one on the leading sort metric narrows that index instead.
    lead = keys[0].key if keys and keys[0].kind == "metric" else None
    indexed = [c for c in clauses if c.kind == "metric" and c.op in q.INDEXED_OPS and c.key != lead]
    # The counts of one experiment's ranges are plain statements: they may go out with
    # the search's BEGIN (see search_sql.count_matches).
    with _index_plans(conn, pipelined=len(ids) == 1):
        count, smallest = _smallest(conn, ids, indexed, SELECTIVE + 1)
    if smallest is not None and count <= SELECTIVE:
        rows = _from_filter(conn, ids, clauses, smallest, keys, n)
    else:
        budget = max(SELECTIVE, 4 * n) if indexed else None
        try:
            rows = _in_order(conn, ids, q.Filter(clauses), keys, n, budget)
        except _OverBudget:
            if len(indexed) > 1:
                _, smallest = _smallest(conn, ids, indexed, 20 * SELECTIVE)
            assert smallest is not None
            rows = _from_filter(conn, ids, clauses, smallest, keys, n)
    return [record(row) for row in rows[offset:n]]


@contextmanager
def _index_plans(conn: Connection, pipelined: bool) -> Iterator[None]:
    """PostgreSQL: one snapshot for the search's statements, and plans that follow the
    index each statement is shaped for. Without statistics (autovacuum off, or just
    after a bulk load) its planner expects a handful of rows and sorts whole ranges;
    with them, it trades a few thousand primary-key probes for a scan of every run."""
    if conn.dialect.name != "postgresql":
        yield  # SQLite: one read transaction is already one snapshot
        return
    if not conn.in_transaction():
        conn.execution_options(isolation_level="REPEATABLE READ")
        conn.begin()
    # The transaction's BEGIN and the settings go out together, and with the statements
    # inside when ``pipelined`` (plain ones only): one round trip for all of them.
    with conn.connection.dbapi_connection.pipeline():  # type: ignore[union-attr]
        _INDEX_PLANS.execute(conn, {}).close()
        if pipelined:
            yield
    if not pipelined:
        yield


def _default_plans(conn: Connection) -> None:
    """PostgreSQL: back to the planner's own choices, for a statement that sorts every
    matching run (hash joins beat index probes there)."""
    if conn.dialect.name == "postgresql":
        names = ", ".join(f"'{k}'" for k in _PLANNER)
        conn.exec_driver_sql(
            f"SELECT set_config(name, reset_val, true) FROM pg_settings WHERE name IN ({names})"
        )


def _smallest(
    conn: Connection, ids: list[int], indexed: list[Clause], cap: int
) -> tuple[int, Clause | None]:
    """The indexed clause matching the fewest runs, and how many (counted up to cap)."""
    best: tuple[int, Clause | None] = (cap, None)
    for clause in indexed:
        count = q.count_matches(conn, ids, clause, cap)
        if best[1] is None or count < best[0]:
            best = (count, clause)
    return best


def _from_filter(
    conn: Connection,
    ids: list[int],
    clauses: Sequence[Clause],
    driving: Clause,
    keys: Sequence[OrderKey],
    n: int,
) -> list[Any]:
    rest = q.Filter(tuple(c for c in clauses if c is not driving))
    statement = q.ranked(q.metric_range(ids, driving), rest, keys, n)
    return _fetch(conn, statement, ends_search=True)


def _in_order(
    conn: Connection,
    ids: list[int],
    flt: q.Filter,
    keys: Sequence[OrderKey],
    n: int,
    budget: int | None,
) -> list[Any]:
    lead = keys[0] if keys else None
    if lead is None or (lead.kind == "attribute" and ATTRIBUTES[lead.key][0] == "start_time"):
        by_start = partial(q.start_time_order, ascending=lead is not None and lead.ascending)
        return _bounded(conn, ids, by_start, flt, keys, n, budget)
    if lead.kind != "metric":
        _default_plans(conn)
        return list(conn.execute(*q.ranked(q.all_runs(ids), flt, keys, n)).all())
    by_metric = partial(q.metric_order, key=lead, clauses=flt.clauses)
    rows = _bounded(conn, ids, by_metric, flt, keys, n, budget)
    # Runs lacking the metric come next, unless a filter on it rules them out.
    needs_it = any(c.kind == "metric" and c.key == lead.key for c in flt.clauses)
    if len(rows) < n and not needs_it:
        lacking = replace(flt, lacking=(*flt.lacking, lead.key))
        rows += _in_order(conn, ids, lacking, keys[1:], n - len(rows), budget)
    return rows


def _bounded(
    conn: Connection,
    ids: list[int],
    driver_for: Callable[[Sequence[int]], q.Driver],
    flt: q.Filter,
    keys: Sequence[OrderKey],
    n: int,
    budget: int | None,
) -> list[Any]:
    """The first ``n`` matching runs with a value of the driver's column, in order."""
    full: list[Any] = []  # each experiment's n-th value, or its last when it has fewer
    short: list[Any] = []
    for eid in ids:
        values = _first_values(conn, driver_for([eid]), flt, n, budget)
        if values:
            (full if len(values) == n else short).append(values[-1])
    if not (full or short):
        return []
    driver = driver_for(ids)
    # The first n runs of all experiments sort no later than any one experiment's n-th;
    # when no experiment has n, every matching run is wanted.
    if driver.ascending:
        edge = min(full) if full else max(short)
    else:
        edge = max(full) if full else min(short)
    return _fetch(conn, q.ranked(driver.within(edge), flt, keys, n))


def _fetch(conn: Connection, statement: q.Statement, *, ends_search: bool = False) -> list[Any]:
    """The rows of a ranked statement. On PostgreSQL it runs on the driver's cursor
    (SQLAlchemy's per-execution work costs a tenth of a millisecond), and the search's
    last statement goes out with the COMMIT ending the search's snapshot: one round
    trip for both."""
    compiled = (
        _compiled(statement.select, conn.dialect) if conn.dialect.name == "postgresql" else None
    )
    if compiled is None:  # SQLite, or a list of values (IN) for SQLAlchemy to expand
        return list(conn.execute(*statement).all())
    dbapi: Any = conn.connection.dbapi_connection
    args = compiled.construct_params(statement.params)
    cursor = dbapi.cursor()
    try:
        if ends_search and conn.in_transaction():
            with dbapi.pipeline():
                cursor.execute(compiled.string, args)
                conn.commit()  # sends both, and waits for both answers
        else:
            cursor.execute(compiled.string, args)
        return cursor.fetchall()
    except conn.dialect.loaded_dbapi.Error as e:
        error = conn.dialect.loaded_dbapi.Error
        raise sa_exc.DBAPIError.instance(compiled.string, [args], e, error) from e
    finally:
        cursor.close()


@lru_cache(maxsize=512)
def _compiled(select: Any, dialect: Any) -> Any:
    """``select`` compiled for ``dialect`` (once per statement shape), or ``None`` when it
    expands a list parameter at execution."""
    compiled = select.compile(dialect=dialect)
    if any(b.expanding for b in compiled.binds.values()) or compiled._bind_processors:
        return None
    return compiled


def _first_values(
    conn: Connection, driver: q.Driver, flt: q.Filter, n: int, budget: int | None
) -> list[Any]:
    """One experiment's sort values of its first ``n`` matching runs, reading at most
    ``budget`` index entries (and their ties): a few times ``n`` first, which settles
    most searches, then the whole budget."""
    if budget is None:
        return list(conn.execute(*q.leading_values(driver, flt, n)).scalars().all())
    for reach in sorted({min(4 * n + 60, budget), budget}):
        edge = conn.execute(*q.nth_value(driver, reach)).scalar()
        within = driver if edge is None else driver.within(edge)
        values = list(conn.execute(*q.leading_values(within, flt, n)).scalars().all())
        if edge is None or len(values) == n:
            return values
    raise _OverBudget

"""Run search against a brute-force evaluation of the same records, on every backend.

2,000 runs in three experiments, with missing keys, NaN, ±inf, metrics whose latest
point was not logged last, ties in sort values and start times, running, failed and
deleted runs. Shrinking ``SELECTIVE`` makes every way of searching run: a selective
filter read first, reading in sort order, and sort order giving up for the filter.
"""

from __future__ import annotations

import math
import random
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import update

from mlyard.store._sql import run_search, tables
from mlyard.store.records import MetricSeries, RunStatus
from mlyard.store.search import ATTRIBUTES, parse_filter, parse_order_by

METRICS = ("m1", "m2", "m3")
SPECIAL = (math.nan, math.inf, -math.inf)
FILTERS = (
    None,
    "metrics.m1 < 10",
    "metrics.m1 >= 40",
    "metrics.m1 = 7",
    "metrics.m1 != 7",
    "metrics.m3 >= 1e309",
    "metrics.m2 >= -1e308 and attributes.status = 'COMPLETED'",
    "metrics.m2 <= 25 and metrics.m3 > 10",
    "metrics.m1 < 20 and params.p1 = 'b'",
    "metrics.m2 > 45 and tags.t1 = 'x'",
    "params.p1 = 'a'",
    "params.p1 != 'a'",
    "params.p1 IN ('a', 'c')",
    "params.p1 NOT IN ('a')",
    "params.p2 LIKE 'v1%'",
    "tags.t1 ILIKE 'X'",
    "status != 'FAILED'",
    "start_time > 1000150",
    "end_time < 1000100",
    "run_name LIKE 'r1%'",
)
ORDERS = (
    [],
    ["metrics.m2 DESC"],
    ["metrics.m2 ASC"],
    ["metrics.m1 ASC", "metrics.m3 DESC"],
    ["metrics.nope DESC"],
    ["params.p2 DESC"],
    ["tags.t1 ASC", "metrics.m1 DESC"],
    ["start_time ASC"],
    ["start_time DESC", "metrics.m1 ASC"],
    ["end_time ASC"],
)
# Filters on the sort metric narrow the index range the search reads in order.
SAME_METRIC = (
    ("metrics.m2 > 10 and metrics.m2 <= 40", ["metrics.m2 ASC"]),
    ("metrics.m2 >= 10 and metrics.m2 < 40 and metrics.m2 != 20", ["metrics.m2 DESC"]),
    ("metrics.m2 = 7 and metrics.m2 >= 7", ["metrics.m2 DESC", "metrics.m1 ASC"]),
    ("metrics.m2 < 5 and metrics.m2 > 30", ["metrics.m2 ASC"]),
    ("metrics.m1 >= -1e308 and status = 'COMPLETED'", ["metrics.m1 DESC"]),
)
PAGES = ((1, 0), (7, 0), (25, 3), (100, 0), (1000, 0), (10, 900))


@dataclass
class Truth:
    """What one run logged, as the search should see it."""

    run_id: str
    experiment_id: str
    name: str
    status: str
    start_time: int
    end_time: int | None
    user_id: str = "u"
    active: bool = True
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def _value(rng: random.Random) -> float:
    return rng.choice(SPECIAL) if rng.random() < 0.08 else float(rng.randint(0, 50))


def _series(rng: random.Random, key: str) -> tuple[MetricSeries, float]:
    """One or three points; the latest (highest step) is not always logged last."""
    if rng.random() < 0.7:
        value = _value(rng)
        return MetricSeries.of(key, [value], steps=[0], timestamps=[1]), value
    values = [_value(rng) for _ in range(3)]
    steps = rng.sample([0, 1, 2], 3)
    latest = values[steps.index(2)]
    return MetricSeries.of(key, values, steps=steps, timestamps=[1, 1, 1]), latest


def _plan(rng: random.Random, eid: str, i: int) -> tuple[Truth, list[MetricSeries]]:
    start = 1_000_000 + rng.randint(0, 600)  # many runs share a start time
    t = Truth("", eid, f"r{i}", "RUNNING", start, None)
    if rng.random() < 0.8:
        t.tags["t1"] = rng.choice("xy")
    series = []
    for key in METRICS:
        if rng.random() < 0.85:
            s, t.metrics[key] = _series(rng, key)
            series.append(s)
    if rng.random() < 0.8:
        t.params["p1"] = rng.choice("abc")
    t.params["p2"] = f"v{rng.randint(0, 25):02d}"
    status = rng.choice(["COMPLETED"] * 6 + ["FAILED", "RUNNING"])
    if status != "RUNNING":
        t.status, t.end_time = status, start + rng.randint(0, 50)
    return t, series


def _store(store, t: Truth, series: list[MetricSeries]) -> None:
    t.run_id = store.create_run(
        t.experiment_id, t.name, "u", t.tags, start_time=t.start_time
    ).run_id
    if t.end_time is None:
        store.log_batch(t.run_id, series, t.params)
    else:
        status = RunStatus(t.status)
        store.end_run(t.run_id, status, t.end_time, metrics=series, params=t.params)


def _build(store, rng: random.Random) -> list[Truth]:
    planned = []
    for name, count in (("a", 1400), ("b", 450), ("c", 150)):
        eid = store.create_experiment(name).experiment_id
        planned += [_plan(rng, eid, i) for i in range(count)]
    with ThreadPoolExecutor(4) as pool:  # the store is thread-safe; PostgreSQL likes company
        list(pool.map(lambda p: _store(store, *p), planned))
    truth = [t for t, _ in planned]
    deleted = rng.sample(truth, 40)
    with store._db.write() as conn:  # no API deletes runs yet; searches must skip them
        ids = [t.run_id for t in deleted]
        conn.execute(
            update(tables.runs).where(tables.runs.c.run_id.in_(ids)).values(lifecycle_stage="x")
        )
    for t in deleted:
        t.active = False
    return truth


def _value_of(t: Truth, kind: str, key: str):
    """The run's value for a filter or sort key; None when missing or NaN."""
    if kind == "attribute":
        return getattr(t, ATTRIBUTES[key][0])
    value = {"metric": t.metrics, "param": t.params, "tag": t.tags}[kind].get(key)
    return None if isinstance(value, float) and math.isnan(value) else value


def _like(pattern: str, value: str, fold: bool) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if fold else 0) is not None


def _holds(t: Truth, clause) -> bool:
    value, op, want = _value_of(t, clause.kind, clause.key), clause.op, clause.value
    if value is None:  # a missing key, NaN or NULL satisfies no comparison
        return False
    if op in ("LIKE", "ILIKE"):
        return _like(want, value, op == "ILIKE")
    if op in ("IN", "NOT IN"):
        return (value in want) == (op == "IN")
    return {
        "=": value == want,
        "!=": value != want,
        "<": value < want,
        "<=": value <= want,
        ">": value > want,
        ">=": value >= want,
    }[op]


def brute_force(truth, experiment_ids, filter_string, order_by, max_results, offset):
    clauses = parse_filter(filter_string)
    rows = [
        t
        for t in truth
        if t.active and t.experiment_id in experiment_ids and all(_holds(t, c) for c in clauses)
    ]
    rows.sort(key=lambda t: t.run_id)
    rows.sort(key=lambda t: t.start_time, reverse=True)
    for key in reversed(parse_order_by(order_by)):  # stable sorts, least significant first
        present = [t for t in rows if _value_of(t, key.kind, key.key) is not None]
        present.sort(key=lambda t, k=key: _value_of(t, k.kind, k.key), reverse=not key.ascending)
        missing = [t for t in rows if _value_of(t, key.kind, key.key) is None]
        rows = present + missing  # runs without the key sort last
    return [t.run_id for t in rows[offset : offset + max_results]]


class _Plans:
    """Counts how often each way of searching ran."""

    def __init__(self, monkeypatch):
        self.counts = {"filter": 0, "order": 0, "over budget": 0}
        for name, attr in (("filter", "_from_filter"), ("order", "_bounded")):
            monkeypatch.setattr(run_search, attr, self._counting(name, getattr(run_search, attr)))
        counts = self.counts

        class OverBudget(run_search._OverBudget):
            def __init__(self, *args):
                counts["over budget"] += 1
                super().__init__(*args)

        monkeypatch.setattr(run_search, "_OverBudget", OverBudget)

    def _counting(self, name, real):
        def spy(*args, **kwargs):
            self.counts[name] += 1
            return real(*args, **kwargs)

        return spy


def test_search_matches_brute_force(sql_store, monkeypatch):
    store = sql_store  # it plants deleted runs through SQL; over REST the same SQL answers
    rng = random.Random(7)
    truth = _build(store, rng)
    a, b, c = (store.find_experiment(n).experiment_id for n in "abc")
    plans = _Plans(monkeypatch)
    combos = [(f, o) for f in FILTERS for o in ORDERS]
    # The default, then small enough that filters seldom drive and sort order runs out.
    for selective in (run_search.SELECTIVE, 60, 1):
        monkeypatch.setattr(run_search, "SELECTIVE", selective)
        for filter_string, order_by in [*SAME_METRIC, *rng.sample(combos, 70)]:
            ids = rng.choice([[a], [b], [a, c], [a, b, c]])
            max_results, offset = rng.choice(PAGES)
            found = store.search_runs(ids, filter_string, order_by, max_results, offset)
            want = brute_force(truth, ids, filter_string, order_by, max_results, offset)
            assert [r.run_id for r in found] == want, (ids, filter_string, order_by, offset)
    assert all(plans.counts.values()), plans.counts
    by_id = {t.run_id: t for t in truth}
    for r in store.search_runs([a, b, c], None, ["metrics.m1 DESC"], max_results=50):
        expected = by_id[r.run_id].metrics
        assert r.metrics.keys() == expected.keys()
        for k, v in expected.items():
            assert (math.isnan(v) and math.isnan(r.metrics[k])) or r.metrics[k] == v

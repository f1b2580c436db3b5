"""``bench_tracking.py --scale``: search at 100,000 runs, on SQLite and PostgreSQL.

Each backend gets one experiment of 100,000 runs, built through mlyard's store API
exactly as ``Experiment.start_run`` stores them (system tags, a generated name, the
start time of creation; run i logs m_j = i*j and p_j = j, then ends COMPLETED).
PostgreSQL is built from two processes of three threads each, in a throwaway schema
that is dropped afterwards. Then, median of several calls through the SDK:

(a) ``exp.runs("metrics.m1 < 500", order_by "metrics.m2 DESC", max_results=100)``
(b) ``exp.best_run("m2", mode="max")``
(c) ``exp.runs("metrics.m0 = 0", order_by "metrics.m3 DESC", max_results=100)``:
    every run matches

Every answer is checked against a brute-force sort of the runs built. For reference,
MLflow's SQLite store gets 10,000 runs (``MlflowClient`` create_run, log_batch and
set_terminated per run: about 70 runs/s, so it is built in a side process while mlyard's
runs are) and the same three searches. No search is timed before every build is done.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

PG_URL = os.environ.get("MLYARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REPEAT = 7
TARGET_MS = 30.0


class Built(NamedTuple):
    run_id: str
    start_time: int
    i: int


# name -> (filter, order_by, max_results, which runs qualify, sort key over Built)
QUERIES: dict[str, tuple] = {
    "(a) m1 < 500, m2 DESC, 100": (
        "metrics.m1 < 500",
        ["metrics.m2 DESC"],
        100,
        lambda b: b.i < 500,
        lambda b: (-2 * b.i, -b.start_time, b.run_id),
    ),
    "(b) best_run m2 max": (
        None,
        None,
        1,
        lambda b: True,
        lambda b: (-2 * b.i, -b.start_time, b.run_id),
    ),
    "(c) m0 = 0 (all), m3 DESC, 100": (
        "metrics.m0 = 0",
        ["metrics.m3 DESC"],
        100,
        lambda b: True,
        lambda b: (-3 * b.i, -b.start_time, b.run_id),
    ),
}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _median_s(fn: Callable[[], object], repeat: int = REPEAT) -> tuple[float, object]:
    result = fn()  # warm: the first call compiles statements and fills caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _expected(built: list[Built], query: tuple) -> list[str]:
    _, _, n, qualifies, key = query
    return [b.run_id for b in sorted(filter(qualifies, built), key=key)[:n]]


def _log_runs(url: str, experiment_id: str, indexes: range, threads: int = 1) -> list[Built]:
    from mlyard.store import open_store
    from mlyard.store.records import MetricSeries, RunStatus, now_ms
    from mlyard.tracking import context
    from mlyard.tracking.names import run_name

    store = open_store(url)
    tags, user = context.run_context(), context.current_user()

    def one(i: int) -> Built:
        run = store.create_run(experiment_id, run_name(), user, tags)
        stamp = now_ms()
        metrics = [MetricSeries.of(f"m{j}", [float(i * j)], [0], [stamp]) for j in range(5)]
        params = {f"p{j}": str(j) for j in range(5)}
        store.end_run(run.run_id, RunStatus.COMPLETED, stamp, metrics=metrics, params=params)
        return Built(run.run_id, run.start_time, i)

    try:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, indexes, chunksize=64))
    finally:
        store.close()


def _build(url: str, experiment_id: str, n: int, procs: int, threads: int) -> list[Built]:
    if procs == 1:
        return _log_runs(url, experiment_id, range(n), threads)
    cuts = [k * n // procs for k in range(procs + 1)]
    with ProcessPoolExecutor(procs) as pool:
        parts = [
            pool.submit(_log_runs, url, experiment_id, range(lo, hi), threads)
            for lo, hi in zip(cuts, cuts[1:], strict=False)
        ]
        return [b for part in parts for b in part.result()]


def build_mlyard(ws, n: int, procs: int, threads: int) -> tuple[object, list[Built]]:
    from mlyard import Experiment

    exp = Experiment(ws, "scale")
    t0 = time.perf_counter()
    built = _build(ws.store.url, exp.id, n, procs, threads)
    _say(f"  {ws.store.url.split(':')[0]}: {n:,} runs in {time.perf_counter() - t0:.0f} s")
    return exp, built


def time_mlyard(exp, built: list[Built]) -> dict[str, float]:
    times = {}
    for name, query in QUERIES.items():
        if query[0] is None:
            seconds, found = _median_s(lambda: [exp.best_run("m2", mode="max")])
        else:
            seconds, found = _median_s(lambda q=query: exp.runs(*q[:3]))
        assert [r.id for r in found] == _expected(built, query), name
        times[name] = seconds
    return times


def build_mlflow(root: Path, n: int) -> tuple[str, str, list[Built]]:
    """In its own process: MLflow runs about 70 runs/s whatever the threads."""
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    eid = client.create_experiment("scale", artifact_location=str(root / "artifacts"))
    t0, built = time.perf_counter(), []
    for i in range(n):
        run = client.create_run(eid)
        stamp = int(time.time() * 1000)
        metrics = [Metric(f"m{j}", float(i * j), stamp, 0) for j in range(5)]
        params = [Param(f"p{j}", str(j)) for j in range(5)]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id, end_time=stamp)
        built.append(Built(run.info.run_id, run.info.start_time, i))
    _say(f"  MLflow: {n:,} runs in {time.perf_counter() - t0:.0f} s")
    return uri, eid, built


def time_mlflow(uri: str, eid: str, built: list[Built]) -> dict[str, float]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    times = {}
    for name, query in QUERIES.items():
        filter_, order, max_results = query[:3]
        if filter_ is None:  # what best_run asks mlyard, in MLflow's words
            filter_ = "metrics.m2 >= -1e308 and attributes.status = 'FINISHED'"
            order = ["metrics.m2 DESC"]
        args = ([eid], filter_, order, max_results)
        seconds, found = _median_s(
            lambda a=args: client.search_runs(a[0], a[1], order_by=a[2], max_results=a[3]),
            repeat=3,  # up to seconds a call
        )
        assert [r.info.run_id for r in found] == _expected(built, query), name
        times[name] = seconds
    return times


def _postgres_schema() -> tuple[str, Callable[[], None]]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def run(tmp: Path, n: int, n_mlflow: int) -> None:
    """Build everything first (MLflow in a side process meanwhile), then time searches
    with nothing else running."""
    from mlyard import Workspace

    _say(f"building {n:,} runs each on SQLite and PostgreSQL, {n_mlflow:,} on MLflow …")
    (tmp / "mlflow").mkdir()
    url, drop = _postgres_schema()
    workspaces = [
        Workspace.open(tmp / "yard"),
        Workspace.open(url, artifact_root=str(tmp / "artifacts")),
    ]
    try:
        with ProcessPoolExecutor(1) as side:
            mlflow_built = side.submit(build_mlflow, tmp / "mlflow", n_mlflow)
            built = [
                build_mlyard(workspaces[0], n, procs=1, threads=1),
                build_mlyard(workspaces[1], n, procs=2, threads=3),
            ]
            uri, eid, mlflow_runs = mlflow_built.result()
        results = {
            backend: time_mlyard(exp, runs)
            for backend, (exp, runs) in zip(("SQLite", "PostgreSQL"), built, strict=True)
        }
        _say("timing searches …")
        mlflow = time_mlflow(uri, eid, mlflow_runs)
    finally:
        for ws in workspaces:
            ws.close()
        drop()
    _report(results, mlflow, n, n_mlflow)


def _report(results: dict[str, dict[str, float]], mlflow: dict[str, float], n, n_mlflow):
    print(f"\nsearch, median ms{'':13}{'SQLite':>10}{'PostgreSQL':>12}{'MLflow':>10}")
    print(f"{'runs in the experiment':30}{n:>10,}{n:>12,}{n_mlflow:>10,}")
    for name in QUERIES:
        row = [results["SQLite"][name], results["PostgreSQL"][name], mlflow[name]]
        cells = zip(row, (10, 12, 10), strict=True)
        print(f"{name:30}" + "".join(f"{1000 * s:>{w}.1f}" for s, w in cells))
    print("(every answer equals a brute-force sort of the runs built)")
    worst = max(s for times in results.values() for s in times.values()) * 1000
    verdict = "met" if worst <= TARGET_MS else "MISSED"
    print(
        f"slowest mlyard search {worst:.1f} ms at {n:,} runs (target <= {TARGET_MS:.0f}): {verdict}"
    )
    parts, ratios = [], []
    for backend, times in results.items():
        here = [mlflow[q] / times[q] for q in QUERIES]
        ratios += here
        parts.append(
            f"{backend} " + " ".join(f"{c} {r:.0f}x" for c, r in zip("abc", here, strict=True))
        )
    print(
        f"ratio MLflow at {n_mlflow:,} runs / mlyard at {n:,} runs: {'; '.join(parts)}; "
        f"lowest {min(ratios):.0f}x"
    )

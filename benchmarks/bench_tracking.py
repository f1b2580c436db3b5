"""Tracking speed: mlyard vs MLflow's SQLite store, same machine, same run.

(a) 1,000 runs, each with 5 params and 5 metrics   → runs/s
(b) 100,000 metric points in one run               → points/s
(c) search over those runs: metric filter + order  → seconds per search
(d) read the 100,000-point metric history          → seconds per read

Each side uses its recommended API: MLflow's fluent ``start_run`` with ``log_params`` /
``log_metrics`` for (a) and ``MlflowClient.log_batch`` in 1,000-point batches (its
fastest path) for (b); mlyard's ``Experiment.start_run`` with the same calls for (a) and
one ``log_metric`` call per point for (b). The ratio line is printed last.

Usage: python benchmarks/bench_tracking.py [--runs 1000] [--points 100000]
       python benchmarks/bench_tracking.py --scale [--scale-runs 100000] [--mlflow-runs 10000]

``--scale`` instead times searches in a 100,000-run experiment on SQLite and PostgreSQL
against MLflow at 10,000 runs (see ``search_scale.py``); it takes about six minutes.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

FILTER = "metrics.m1 < 500"
ORDER = ["metrics.m2 DESC"]


def _timed(fn, repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_mlflow(root: Path, n_runs: int, n_points: int) -> dict[str, float]:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    os.chdir(root)
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    client = MlflowClient()
    exp_id = client.create_experiment("bench", artifact_location=str(root / "artifacts"))

    def runs() -> None:
        for i in range(n_runs):
            with mlflow.start_run(experiment_id=exp_id):
                mlflow.log_params({f"p{j}": j for j in range(5)})
                mlflow.log_metrics({f"m{j}": float(i * j) for j in range(5)})

    t_runs = _timed(runs)
    run_id = client.create_run(exp_id).info.run_id
    stamp = int(time.time() * 1000)

    def points() -> None:
        for start in range(0, n_points, 1000):
            batch = [Metric("loss", i * 0.1, stamp + i, i) for i in range(start, start + 1000)]
            client.log_batch(run_id, metrics=batch)

    t_points = _timed(points)
    found: list = []
    t_search = _timed(
        lambda: found.append(
            client.search_runs([exp_id], FILTER, order_by=ORDER, max_results=1000)
        ),
        repeat=5,
    )
    history: list = []
    t_history = _timed(lambda: history.append(client.get_metric_history(run_id, "loss")), 3)
    assert len(history[-1]) == n_points, len(history[-1])
    return {
        "runs": t_runs,
        "points": t_points,
        "search": t_search,
        "history": t_history,
        "found": len(found[-1]),
    }


def bench_mlyard(root: Path, n_runs: int, n_points: int) -> dict[str, float]:
    from mlyard import Experiment, Workspace

    ws = Workspace.open(root / "yard")
    exp = Experiment(ws, "bench")

    def runs() -> None:
        for i in range(n_runs):
            with exp.start_run() as run:
                run.log_params({f"p{j}": j for j in range(5)})
                run.log_metrics({f"m{j}": float(i * j) for j in range(5)})

    t_runs = _timed(runs)
    run = exp.start_run()

    def points() -> None:
        for i in range(n_points):
            run.log_metric("loss", i * 0.1, step=i)
        run.flush()  # everything durable before the clock stops

    t_points = _timed(points)
    run.complete()
    found: list = []
    t_search = _timed(
        lambda: found.append(exp.runs(filter=FILTER, order_by=ORDER, max_results=1000)), 5
    )
    history: list = []
    t_history = _timed(lambda: history.append(run.get_metric_history("loss")), 3)
    assert len(history[-1]) == n_points, len(history[-1])
    return {
        "runs": t_runs,
        "points": t_points,
        "search": t_search,
        "history": t_history,
        "found": len(found[-1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--scale", action="store_true", help="search at 100,000 runs")
    parser.add_argument("--scale-runs", type=int, default=100_000)
    parser.add_argument("--mlflow-runs", type=int, default=10_000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "false")
    if args.scale:
        import search_scale

        with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
            search_scale.run(Path(tmp), args.scale_runs, args.mlflow_runs)
        return
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-tracking-") as tmp:
        for name, bench in (("MLflow", bench_mlflow), ("mlyard", bench_mlyard)):
            root = Path(tmp) / name
            root.mkdir()
            print(f"running {name} …", file=sys.stderr, flush=True)
            results[name] = bench(root, args.runs, args.points)
    assert results["MLflow"]["found"] == results["mlyard"]["found"], results
    m, y = results["MLflow"], results["mlyard"]
    rows = [
        ("(a) runs/s", args.runs / m["runs"], args.runs / y["runs"], True),
        ("(b) points/s", args.points / m["points"], args.points / y["points"], True),
        ("(c) search s", m["search"], y["search"], False),
        ("(d) history s", m["history"], y["history"], False),
    ]
    print(f"{'':16}{'MLflow':>14}{'mlyard':>14}{'ratio':>10}")
    ratios = []
    for label, mv, yv, higher_better in rows:
        ratio = yv / mv if higher_better else mv / yv
        ratios.append(ratio)
        print(f"{label:16}{mv:>14.4g}{yv:>14.4g}{ratio:>9.1f}x")
    print(f"(search returned {y['found']} runs on both sides)")
    parts = " ".join(f"({c}) {r:.1f}x" for c, r in zip("abcd", ratios, strict=True))
    print(f"ratio mlyard/MLflow: {parts}; lowest {min(ratios):.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()

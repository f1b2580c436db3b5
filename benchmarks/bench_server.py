"""Claim: ``mlyard server`` serves a team at least 20x faster than ``mlflow server``.

The same remote workload, each platform through its own client against its own server
on this machine, one server at a time, in one run:

(a) 200 runs, each with 5 params and 5 metrics         → runs/s
(b) 100,000 metric points in one run                    → points/s
(c) a filtered search over those runs (filter + order)  → ms per search (median of 21)

and for each server the time from spawning it to its first 200 on ``GET /health``, and
the peak RSS of its whole process tree (psutil, every 50 ms during the workload).
Targets: at least 20x MLflow on (a), (b) and (c), ready in under 2 s. Before (a), each
client logs ``WARM_UP`` runs to another experiment and searches it as often, untimed:
a team server runs for days, and its first requests (compiling and preparing
statements, filling pools) are not its pace.

* mlyard: ``mlyard server --workspace DIR`` (SQLite) and ``mlyard server --store
  postgresql+psycopg://… --artifacts DIR`` (a fresh schema, dropped afterwards); one
  worker (the default), auth on: the client shows the first admin's token. Client: the
  SDK as a user writes it — ``Experiment.start_run`` with ``log_params`` and
  ``log_metrics`` for (a), one ``log_metric`` call per point for (b) (the SDK buffers
  points and sends a run's buffer as one request, up to 5,000 points), ``exp.runs``
  for (c).
* MLflow: ``mlflow server --backend-store-uri sqlite:///…`` with its defaults (4
  uvicorn workers); the client finds it through ``MLFLOW_TRACKING_URI``. Its fluent
  ``start_run`` with ``log_params`` and ``log_metrics`` for (a); for (b)
  ``MlflowClient.log_batch`` with 1,000 points per call, the most its server accepts in
  one request and what a user logging many points reaches for (``log_metric`` per
  point would be a request per point); ``search_runs`` for (c). MLflow's points/s is
  measured on the first ``--mlflow-points`` points (default 20,000; its rate does not
  fall as the run grows) and the run says so; everything else on the full workload.

Usage: python benchmarks/bench_server.py [--runs 200] [--points 100000]
                                          [--mlflow-points 20000]

It takes about four minutes, most of it MLflow's. The ratio lines are printed last.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table
from servers import (
    Server,
    free_port,
    load_note,
    median_seconds,
    mlyard_command,
    mlyard_env,
    postgres_schema,
    print_ratio,
    say,
)

FILTER = "metrics.m1 < 100 and params.p0 = '0'"
ORDER = ["metrics.m2 DESC"]
SEARCHES = 21
WARM_UP = 20  # runs, then searches, in another experiment before the clock starts
TARGET = 20.0
READY_TARGET = 2.0


@dataclass
class Figures:
    system: str  # mlyard, MLflow
    backend: str  # SQLite, PostgreSQL
    ready_s: float = float("nan")
    runs_per_s: float = float("nan")
    points_per_s: float = float("nan")
    search_s: float = float("nan")
    peak_rss: int = 0
    found: int = -1
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.system} ({self.backend})"


# -- mlyard --------------------------------------------------------------------------
def mlyard_workload(url: str, token: str, args: argparse.Namespace, out: Figures) -> None:
    from mlyard import Experiment, Workspace

    ws = Workspace.open(url, token=token)
    try:

        def runs(exp: Experiment, n: int) -> None:
            for i in range(n):
                with exp.start_run() as run:
                    run.log_params({f"p{j}": j for j in range(5)})
                    run.log_metrics({f"m{j}": float(i * j) for j in range(5)})

        warm = Experiment(ws, "warm-up")
        runs(warm, WARM_UP)
        for _ in range(WARM_UP):
            warm.runs(filter=FILTER, order_by=ORDER, max_results=1000)
        exp = Experiment(ws, "bench")
        t0 = time.perf_counter()
        runs(exp, args.runs)
        out.runs_per_s = args.runs / (time.perf_counter() - t0)

        run = exp.start_run()
        t0 = time.perf_counter()
        for i in range(args.points):
            run.log_metric("loss", i * 0.1, step=i)
        run.flush()  # every point is in the server's store before the clock stops
        out.points_per_s = args.points / (time.perf_counter() - t0)
        run.complete()

        found: list = []

        def search() -> None:
            found.append(exp.runs(filter=FILTER, order_by=ORDER, max_results=1000))

        out.search_s = median_seconds(search, SEARCHES)
        out.found = len(found[-1])
        stored = len(run.get_metric_history("loss"))
        assert stored == args.points, f"mlyard stored {stored} of {args.points} points"
    finally:
        ws.close()


def bench_mlyard(tmp: Path, backend: str, args: argparse.Namespace) -> Figures:
    from mlyard import Workspace
    from mlyard.auth import init_admin

    out = Figures("mlyard", backend)
    home = tmp / "home"
    env = mlyard_env(home)
    os.environ["MLYARD_HOME"] = str(home)  # the client's folders, too
    with _workspace(tmp, backend) as (url, artifacts):
        ws = Workspace.open(url, artifact_root=artifacts)
        token = init_admin(ws).token
        ws.close()
        port = free_port()
        where = (
            ["--workspace", url]
            if artifacts is None
            else ["--store", url, "--artifacts", artifacts]
        )
        cmd = mlyard_command(*where, "--port", str(port))
        with Server(out.name, cmd, port, tmp / f"mlyard-{backend}.log", env=env) as server:
            out.ready_s = server.wait_ready()
            say(f"{out.name}: ready in {out.ready_s:.2f} s; running the workload …")
            with server.sampling():
                mlyard_workload(server.url, token, args, out)
            out.peak_rss = server.peak_rss
    return out


@contextmanager
def _workspace(tmp: Path, backend: str) -> Iterator[tuple[str, str | None]]:
    """(URL, artifact root or None) of a fresh workspace on ``backend``."""
    if backend == "SQLite":
        yield str(tmp / "yard"), None
    else:
        with postgres_schema() as url:
            yield url, str(tmp / "artifacts")


# -- MLflow --------------------------------------------------------------------------
def mlflow_workload(url: str, args: argparse.Namespace, out: Figures) -> None:
    os.environ["MLFLOW_TRACKING_URI"] = url
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient()

    def runs(exp_id: str, n: int) -> None:
        for i in range(n):
            with mlflow.start_run(experiment_id=exp_id):
                mlflow.log_params({f"p{j}": j for j in range(5)})
                mlflow.log_metrics({f"m{j}": float(i * j) for j in range(5)})

    warm = client.create_experiment("warm-up")
    runs(warm, WARM_UP)
    for _ in range(WARM_UP):
        client.search_runs([warm], FILTER, order_by=ORDER, max_results=1000)
    exp_id = client.create_experiment("bench")
    t0 = time.perf_counter()
    runs(exp_id, args.runs)
    out.runs_per_s = args.runs / (time.perf_counter() - t0)

    sample = min(args.points, args.mlflow_points)
    run_id = client.create_run(exp_id).info.run_id
    stamp = int(time.time() * 1000)
    t0 = time.perf_counter()
    for start in range(0, sample, 1000):
        batch = [
            Metric("loss", i * 0.1, stamp + i, i) for i in range(start, min(start + 1000, sample))
        ]
        client.log_batch(run_id, metrics=batch)
    out.points_per_s = sample / (time.perf_counter() - t0)
    client.set_terminated(run_id)
    if sample < args.points:
        out.notes.append(
            f"MLflow's points/s was measured on {sample:,} of the {args.points:,} points "
            "(its rate extrapolated)"
        )

    found: list = []

    def search() -> None:
        found.append(client.search_runs([exp_id], FILTER, order_by=ORDER, max_results=1000))

    out.search_s = median_seconds(search, SEARCHES)
    out.found = len(found[-1])
    stored = len(client.get_metric_history(run_id, "loss"))
    assert stored == sample, f"MLflow stored {stored} of {sample} points"


def bench_mlflow(tmp: Path, args: argparse.Namespace) -> Figures:
    out = Figures("MLflow", "SQLite")
    folder = tmp / "mlflow"
    folder.mkdir()
    port = free_port()
    cmd = [sys.executable, "-m", "mlflow", "server"]
    cmd += ["--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}"]
    cmd += ["--artifacts-destination", str(folder / "mlartifacts")]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    with Server(out.name, cmd, port, tmp / "mlflow.log", cwd=folder) as server:
        say(f"{out.name}: starting (it takes a while) …")
        out.ready_s = server.wait_ready()
        say(f"{out.name}: ready in {out.ready_s:.2f} s; running the workload …")
        with server.sampling():
            mlflow_workload(server.url, args, out)
        out.peak_rss = server.peak_rss
    return out


# -- report --------------------------------------------------------------------------
ROWS = (  # label, attribute, format, higher is better
    ("start → ready, s", "ready_s", "{:.2f}", False),
    ("(a) runs/s", "runs_per_s", "{:,.1f}", True),
    ("(b) points/s", "points_per_s", "{:,.0f}", True),
    ("(c) search, ms", "search_s", "{:.1f}", False),
    ("peak RSS, MB", "peak_rss", "{:,.0f}", False),
)


def _value(fig: Figures, attr: str) -> float:
    value = getattr(fig, attr)
    return value * 1000 if attr == "search_s" else value / 2**20 if attr == "peak_rss" else value


def _ratio(mlflow: Figures, mine: Figures, attr: str, higher: bool) -> float:
    a, b = _value(mlflow, attr), _value(mine, attr)
    return b / a if higher else a / b


def report(mlflow: Figures, mine: list[Figures], args: argparse.Namespace, load: str) -> None:
    console = Console()
    table = Table(title=f"{args.runs} runs · {args.points:,} points · search: {FILTER}")
    table.add_column("")
    for fig in (mlflow, *mine):
        table.add_column(fig.name, justify="right")
    for label, attr, fmt, _ in ROWS:
        table.add_row(label, *(fmt.format(_value(f, attr)) for f in (mlflow, *mine)))
    table.add_row("runs found", *(str(f.found) for f in (mlflow, *mine)))
    console.print(table)
    for note in [*mlflow.notes, load]:
        console.print(f"[dim]{note}[/]")

    ratios = Table(title="mlyard / MLflow (how many times better)")
    ratios.add_column("")
    for fig in mine:
        ratios.add_column(fig.name, justify="right")
    ratios.add_column("target", justify="right")
    for label, attr, _, higher in ROWS:
        target = f">= {TARGET:g}x" if attr in ("runs_per_s", "points_per_s", "search_s") else ""
        cells = [f"{_ratio(mlflow, f, attr, higher):,.1f}x" for f in mine]
        ratios.add_row(label, *cells, target)
    console.print(ratios)

    checked = ("runs_per_s", "points_per_s", "search_s")
    parts, lowest = [], float("inf")
    for fig in mine:
        values = [_ratio(mlflow, fig, a, h) for _, a, _, h in ROWS if a in checked]
        lowest = min(lowest, *values)
        runs, points, search = values
        parts.append(f"{fig.backend}: runs {runs:.0f}x, points {points:.0f}x, search {search:.1f}x")
    ready = " / ".join(f"{f.ready_s:.2f} s" for f in mine)
    rss = " / ".join(f"{f.peak_rss / 2**20:.0f} MB" for f in mine)
    print_ratio(
        console,
        f"ratio mlyard/MLflow: {'; '.join(parts)}; lowest {lowest:.1f}x "
        f"(target >= {TARGET:g}x); mlyard ready {ready} (target < {READY_TARGET:g} s), "
        f"MLflow {mlflow.ready_s:.1f} s; peak RSS {rss} vs MLflow "
        f"{mlflow.peak_rss / 2**20:,.0f} MB",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--mlflow-points", type=int, default=20_000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as name:
        tmp = Path(name)
        mine = []
        for backend in ("SQLite", "PostgreSQL"):
            (tmp / backend).mkdir()
            mine.append(bench_mlyard(tmp / backend, backend, args))
        mlflow = bench_mlflow(tmp, args)
    for fig in mine:
        assert fig.found == mlflow.found, (fig.name, fig.found, mlflow.found)
    report(mlflow, mine, args, load_note(load))


if __name__ == "__main__":
    main()

"""Remote logging batches: a run's buffered points reach the server as one request,
over the connection the workspace keeps alive."""

from __future__ import annotations

import re

import httpx
import psutil

from mlyard import Experiment, Workspace
from tests.live_server import live_server


def _requests(base: str, route: str) -> int:
    text = httpx.get(base + "/metrics").text
    found = re.findall(
        rf'mlyard_requests_total{{method="POST",route="{re.escape(route)}",'
        r'status="\d+"} (\d+)',
        text,
    )
    return sum(int(n) for n in found)


def test_a_runs_points_travel_in_one_request_over_one_connection(tmp_path, monkeypatch):
    monkeypatch.setenv("MLYARD_FLUSH_INTERVAL", "3600")  # only the run's end flushes
    with live_server(str(tmp_path / "yard")) as base:
        ws = Workspace.open(base)
        try:
            with Experiment(ws, "batched").start_run() as run:
                for step in range(1500):  # 4,500 points: under the flush size
                    run.log_metrics({"loss": 1 / (step + 1), "acc": step / 1500}, step)
                    run.log_metric("lr", 0.1, step)
            assert _requests(base, "/api/v1/runs/{run_id}/batch") == 0
            assert _requests(base, "/api/v1/runs/{run_id}/end") == 1  # the points came with it
            assert len(ws.store.get_metric_history(run.id, "loss")) == 1500
            port = int(base.rsplit(":", 1)[1])
            mine = [
                c
                for c in psutil.Process().net_connections("tcp")
                if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
            ]
            assert len(mine) == 1  # every call of the run reused one kept-alive connection
        finally:
            ws.close()

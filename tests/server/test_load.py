"""16 client processes log metrics to one ``mlyard server`` for 30 s: the store ends up
with exactly the points each client counted, in order, once each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mlyard import Run, Workspace
from tests.server.proc_server import admin_token, poll, running

CLIENTS = 16
SECONDS = 30.0
CLIENT = Path(__file__).with_name("load_client.py")


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_sixteen_clients_for_thirty_seconds_lose_nothing(backend, tmp_path, request):
    if backend == "sqlite":
        url, artifacts = str(tmp_path / "yard"), None
        args = ["--workspace", url]
    else:
        url, artifacts = request.getfixturevalue("pg_url"), str(tmp_path / "artifacts")
        args = ["--store", url, "--artifacts", artifacts]
    token = admin_token(url, artifacts)
    work = tmp_path / "clients"
    work.mkdir()
    names = [f"client-{i:02d}" for i in range(CLIENTS)]
    with running(args, tmp_path / "server.log") as server:
        env = {**os.environ, "MLYARD_TOKEN": token}
        clients = []
        try:
            for name in names:
                with open(work / f"{name}.log", "wb") as log:
                    command = [sys.executable, str(CLIENT), server.url, name, str(SECONDS)]
                    clients.append(
                        subprocess.Popen([*command, str(work)], env=env, stdout=log, stderr=log)
                    )
            # all at once: 16 cold interpreters take a while to start on two cores
            poll(
                lambda: all(
                    (work / f"{n}.ready").exists() or c.poll() is not None
                    for n, c in zip(names, clients, strict=True)
                ),
                180,
                "every client has its run",
            )
            (work / "go").touch()
            for client in clients:
                client.wait(timeout=SECONDS + 180)
        finally:
            for client in clients:
                if client.poll() is None:
                    client.kill()
                    client.wait()
        for name, client in zip(names, clients, strict=True):
            assert client.returncode == 0, f"{name}:\n{(work / f'{name}.log').read_text()}"
        results = {n: json.loads((work / f"{n}.json").read_text()) for n in names}

        ws = Workspace.open(server.url, token=token)
        try:
            logged = 0
            for name, result in results.items():
                assert result["errors"] == [], f"{name}: {result['errors']}"
                run = Run.get(ws, result["run_id"])
                assert run.status == "COMPLETED"
                for key, count in result["counts"].items():
                    series = run.get_metric_history(key)
                    every = 1 if key == "loss" else 10
                    expected = np.arange(count, dtype=np.int64) * every
                    assert len(series) == count, f"{name} {key}: {len(series)} of {count} stored"
                    np.testing.assert_array_equal(series.steps, expected)
                    np.testing.assert_array_equal(series.values, expected.astype(float))
                    logged += count
            assert logged > CLIENTS * 100, "the clients hardly logged: no load at all"
            print(f"{logged} points from {CLIENTS} clients in {SECONDS} s ({backend})")
        finally:
            ws.close()
        assert server.stop() == 0, server.output()

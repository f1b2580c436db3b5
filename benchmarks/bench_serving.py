"""Claim: an mlyard scoring service beats ``mlflow models serve`` on the same model.

Targets: at least 5x MLflow's throughput with 16 concurrent clients sending 2-row
payloads, p99 under 50 ms, and under 2 s from the deploy call to ready.

Both servers serve the same fitted diabetes Ridge, in one run, one after the other,
on 127.0.0.1; the same load generator drives both: 16 keep-alive HTTP/1.1 clients
(asyncio protocols, uvloop when installed), each sending its next request as soon as
the answer arrives, for a bounded time. Every answer is checked for status 200.

* mlyard: ``deploy(...)`` from this process, ``wait_for_deployment()``.
* MLflow: ``mlflow.sklearn.save_model`` + ``mlflow models serve -m DIR --env-manager
  local`` (its default: one uvicorn worker); ready when ``GET /ping`` answers 200.

Run::

    .venv/bin/python benchmarks/bench_serving.py [--seconds 15] [--clients 16]

The ratio line is printed last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

from mlyard import Workspace, flavors
from mlyard.flavors import Signature
from mlyard.serving import deploy

HOST = "127.0.0.1"


# -- load generator (identical for both servers) ----------------------------------------
class _Client(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: send a request, wait for the whole answer."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = _content_length(head)
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        del self.buffer[: end + 4 + length]
        self.waiter.set_result(status)

    def connection_lost(self, exc) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed"))

    async def request(self, raw: bytes) -> int:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


def _content_length(head: bytes) -> int:
    start = head.find(b"content-length:")
    if start < 0:
        raise ConnectionError("an answer without Content-Length")
    stop = head.find(b"\r\n", start)
    return int(head[start + 15 : stop if stop >= 0 else len(head)])


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else float("nan")


async def _client_loop(port: int, raw: bytes, until: float, result: LoadResult | None) -> None:
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(_Client, HOST, port)
    clock = time.perf_counter
    while clock() < until:
        t0 = clock()
        try:
            status = await client.request(raw)
        except ConnectionError:
            if result is not None:
                result.errors += 1
            _, client = await loop.create_connection(_Client, HOST, port)
            continue
        if result is not None:
            if status == 200:
                result.latencies.append(clock() - t0)
            else:
                result.errors += 1
    client.transport.close()


async def _load(port: int, raw: bytes, clients: int, seconds: float, warmup: float) -> LoadResult:
    until = time.perf_counter() + warmup
    await asyncio.gather(*(_client_loop(port, raw, until, None) for _ in range(clients)))
    result = LoadResult(seconds)
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_client_loop(port, raw, until, result) for _ in range(clients)))
    return result


def run_load(port: int, path: str, body: bytes, clients: int, seconds: float) -> LoadResult:
    raw = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(_load(port, raw, clients, seconds, warmup=1.0))


# -- the two systems --------------------------------------------------------------------
def _post(port: int, path: str, body: bytes) -> dict:
    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def bench_mlyard(tmp: Path, model, X, args) -> tuple[LoadResult, float]:
    ws = Workspace.open(tmp / "yard")
    folder = tmp / "saved"
    manifest = flavors.save_model(model, folder)
    for f in manifest.files:
        ws.blobs.put_file(folder / f.path)
    record = ws.store.create_model_version(
        "bench-diabetes",
        framework="ScikitLearn",
        framework_version=sklearn.__version__,
        flavor="sklearn",
        manifest=manifest.with_(signature=Signature.infer(X).to_dict()).to_dict(),
    )
    t0 = time.perf_counter()
    service = deploy(ws, "bench-diabetes", [record], overwrite=True)
    try:
        service.wait_for_deployment(show_output=True)
        ready = time.perf_counter() - t0
        body = json.dumps({"data": X[0:2].values.tolist(), "method": "predict"}).encode()
        answer = _post(service.port, "/score", body)["predict"]
        assert np.allclose(answer, model.predict(X[0:2])), answer
        return run_load(service.port, "/score", body, args.clients, args.seconds), ready
    finally:
        service.delete()
        ws.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _wait_ping(port: int, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow models serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/ping", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"mlflow models serve was not ready after {timeout} s")


def bench_mlflow(tmp: Path, model, X, args) -> tuple[LoadResult, float]:
    import mlflow.sklearn

    model_dir = tmp / "mlflow-model"
    mlflow.sklearn.save_model(model, str(model_dir))
    port = _free_port()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.setdefault("MLFLOW_TRACKING_URI", f"sqlite:///{tmp / 'mlflow.db'}")
    cmd = ["mlflow", "models", "serve", "-m", str(model_dir), "--env-manager", "local"]
    cmd += ["-p", str(port), "-h", HOST]
    with open(tmp / "mlflow-serve.log", "wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True
        )
    try:
        _wait_ping(port, proc)
        ready = time.perf_counter() - t0
        split = {"columns": list(X.columns), "data": X[0:2].values.tolist()}
        body = json.dumps({"dataframe_split": split}).encode()
        answer = _post(port, "/invocations", body)["predictions"]
        assert np.allclose(answer, model.predict(X[0:2])), answer
        return run_load(port, "/invocations", body, args.clients, args.seconds), ready
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    # `mlflow models serve` runs uvicorn through a shell: stop the whole group.
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


def _line(name: str, result: LoadResult, ready: float) -> str:
    return (
        f"{name:<8} {result.rps:9.1f} req/s   p50 {result.percentile(50):7.2f} ms   "
        f"p99 {result.percentile(99):7.2f} ms   errors {result.errors:4d}   "
        f"ready {ready:6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="load time per system")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    args = parser.parse_args()
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = Ridge(alpha=0.1).fit(X, y)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as name:
        tmp = Path(name)
        print(f"{args.clients} clients, {args.seconds:g} s each, 2-row payloads, diabetes Ridge")
        mlyard_result, mlyard_ready = bench_mlyard(tmp, model, X, args)
        print(_line("mlyard", mlyard_result, mlyard_ready), flush=True)
        mlflow_result, mlflow_ready = bench_mlflow(tmp, model, X, args)
        print(_line("MLflow", mlflow_result, mlflow_ready), flush=True)
    ratio = mlyard_result.rps / mlflow_result.rps
    print(
        f"ratio: mlyard/MLflow throughput = {ratio:.1f}x (target >= 5x); "
        f"p99 {mlyard_result.percentile(99):.1f} ms (target < 50 ms); "
        f"ready {mlyard_ready:.2f} s (target < 2 s)"
    )


if __name__ == "__main__":
    main()

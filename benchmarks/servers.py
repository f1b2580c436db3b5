"""Servers as real processes for the benchmarks: start, ready time, RSS, stop.

:class:`Server` spawns a command in its own session, times it from the spawn to the
first ``200`` from ``GET /health``, samples the RSS of its whole process tree (the
server and every worker it forks or spawns) while :meth:`Server.sampling` is open,
and stops it with SIGTERM to the group, waiting for it to exit.

Example:
    >>> with Server("mlyard", ["mlyard", "server", "--port", "8765"], 8765, log) as s:
    ...     s.wait_ready()
    ...     with s.sampling():
    ...         workload()
    ...     print(s.ready_s, s.peak_rss)  # doctest: +SKIP
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

HOST = "127.0.0.1"
PG_URL = os.environ.get("MLYARD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def print_ratio(console: Any, text: str) -> None:
    """The ratio line, printed last and unwrapped: what a reader (or a script) greps."""
    console.print(text, highlight=False, soft_wrap=True)


def load_note(before: tuple[float, float, float]) -> str:
    """The machine's 1-minute load average before and after the run: other work on it
    moves every figure (on a 2-core machine, a load of 4 halves a latency-bound rate)."""
    return (
        f"load average (1 min) {before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"on {os.cpu_count()} cores"
    )


def mlyard_env(home: Path) -> dict[str, str]:
    """The environment for an ``mlyard`` process: the mlyard this script imports (also
    from a source checkout), and a home folder of the benchmark's own."""
    import mlyard

    src = str(Path(mlyard.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, PYTHONPATH=path, MLYARD_HOME=str(home))


def mlyard_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mlyard", "server", *args]


def process_tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and all its descendants (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class Server:
    """One server process (and its workers), started at construction."""

    def __init__(
        self,
        name: str,
        cmd: list[str],
        port: int,
        log: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ):
        self.name = name
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.ready_s = float("nan")
        self.peak_rss = 0
        with open(log, "wb") as out:
            self._t0 = time.perf_counter()
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
            )
        self._log = log

    def wait_ready(self, timeout: float = 300.0) -> float:
        """Seconds from the spawn to the first 200 from ``/health``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self._log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")
            if _health(self.port) == 200:
                self.ready_s = time.perf_counter() - self._t0
                return self.ready_s
            time.sleep(0.01)
        raise RuntimeError(f"{self.name} was not ready after {timeout:g} s")

    @contextmanager
    def sampling(self, interval: float = 0.05) -> Iterator[None]:
        """Keep the peak RSS of the process tree (``peak_rss``) while the block runs."""
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                self.peak_rss = max(self.peak_rss, process_tree_rss(self.proc.pid))
                stop.wait(interval)

        thread = threading.Thread(target=sample, name="rss-sampler", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.peak_rss = max(self.peak_rss, process_tree_rss(self.proc.pid))

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM to the process group; SIGKILL if it has not exited after ``grace``."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                say(f"{self.name} did not stop within {wait:g} s of {sig.name}")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _health(port: int) -> int | None:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A database URL whose tables live in a fresh schema, dropped afterwards."""
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]

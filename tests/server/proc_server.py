"""``mlyard server`` as a real process on a free loopback port, for the process tests.

:class:`ServerProcess` starts ``python -m mlyard server …`` (this worktree's code, by
``PYTHONPATH``), waits until ``/health`` answers, and stops it with SIGTERM; whatever
it started is killed at the end even when a test fails half-way (it runs in its own
process group). The tests in this folder about processes — shutdown, several servers
on one store, load, interrupted uploads — use it; in-process servers are
``tests/live_server.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil

from mlyard import Workspace
from mlyard.auth import init_admin

START_LIMIT = 60.0  # a cold interpreter importing FastAPI on a busy 2-core machine
STOP_LIMIT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def refuses(port: int) -> bool:
    """Whether a new connection to ``port`` on loopback is refused."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False  # a timeout: something still holds the port
    return False


def poll(condition: Callable[[], bool], limit: float, what: str) -> None:
    """Wait until ``condition()`` holds; fail naming ``what`` after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still not true after {limit} s")
        time.sleep(0.02)


def admin_token(url: str, artifacts: str | None = None) -> str:
    """The first admin's token of the workspace at ``url`` (created here)."""
    ws = Workspace.open(url, artifact_root=artifacts)
    try:
        return init_admin(ws).token
    finally:
        ws.close()


class ServerProcess:
    """One ``mlyard server`` process (and its workers)."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None):
        self.args = args
        self.log = log
        # its own temporary folder: what it leaves (or its gc collects) there is known
        tmp = log.with_name(f"{log.stem}-tmp")
        tmp.mkdir(exist_ok=True)
        self.env = {**os.environ, "TMPDIR": str(tmp), **(env or {})}
        self.tmp = tmp
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.terminated = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, port: int | None = None) -> ServerProcess:
        """Start on ``port`` (default a free one) and wait until ``/health`` answers."""
        for _ in range(5):  # a free port can be taken between the probe and the bind
            self.launch(port)
            if self.wait_started():
                return self
            if port is not None or "address already in use" not in self.output().lower():
                break
        raise AssertionError(f"mlyard server did not start:\n{self.output()}")

    def launch(self, port: int | None = None) -> None:
        """Start the process on ``port`` (default a free one), without waiting."""
        self.port = port or free_port()
        self.terminated = False
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mlyard", "server", *self.args, "--port", str(self.port)],
                stdout=log,
                stderr=log,
                env={**self.env, "PYTHONUNBUFFERED": "1"},
                start_new_session=True,  # its own group: cleaned up as one
            )

    def wait_started(self) -> bool:
        """Whether ``/health`` answers before the process exits or time runs out."""
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return True
            time.sleep(0.05)
        return False

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tree(self) -> list[psutil.Process]:
        """The server process and every process below it."""
        proc = psutil.Process(self.pid)
        return [proc, *proc.children(recursive=True)]

    def terminate(self) -> None:
        """SIGTERM, once: a second one after uvicorn has let go of its handlers would
        kill the process on its way out (as a second SIGTERM should)."""
        assert self.process is not None
        if not self.terminated:
            self.terminated = True
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL the whole group: no graceful anything."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=STOP_LIMIT)

    def stop(self) -> int:
        """SIGTERM, then the exit code (within ``STOP_LIMIT`` seconds)."""
        assert self.process is not None
        self.terminate()
        return self.process.wait(timeout=STOP_LIMIT)

    def cleanup(self) -> None:
        """Kill what is left of the group (after a failure)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_LIMIT)


@contextlib.contextmanager
def running(
    args: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """A started server; stopped (SIGTERM, exit 0 expected by its test) or killed after."""
    server = ServerProcess(args, log, env)
    try:
        server.start()
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.stop()
        server.cleanup()


def started(servers: list[ServerProcess]) -> None:
    """Start ``servers`` side by side (a cold start costs seconds each)."""
    for server in servers:
        server.launch()
    for server in servers:
        if not server.wait_started():
            server.start()  # its port was taken meanwhile: again, alone


def stopped(servers: list[ServerProcess]) -> list[int]:
    """SIGTERM every server at once; their exit codes."""
    for server in servers:
        server.terminate()
    return [server.stop() for server in servers]


@contextlib.contextmanager
def fresh_schema() -> Iterator[str]:
    """A PostgreSQL URL whose tables go to a new schema, dropped afterwards (what the
    ``pg_url`` fixture gives a test, for a longer scope)."""
    import uuid

    import psycopg

    from tests.conftest import PG_URL

    schema = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def s3_environment(endpoint: str, folder: Path) -> dict[str, str]:
    """The AWS variables that point a process at moto's server (as ``s3_prefix`` sets)."""
    return {
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(folder / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "aws-credentials"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


class StuckLink:
    """A loopback TCP proxy to ``target`` that passes at most ``limit`` bytes of each
    connection upstream, then keeps reading and drops the rest: an upload stuck in the
    network, the server holding its first ``limit`` bytes. Answers pass back whole;
    either end closing closes the other."""

    def __init__(self, target: int, limit: int):
        self.target = target
        self.limit = limit
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        self.stuck = threading.Event()  # set once a connection has reached the limit
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._closed:  # accepted as the link closed: nobody else closes these
                    client.close()
                    server.close()
                    return
                self._sockets += [client, server]
            for args in ((client, server, self.limit), (server, client, None)):
                threading.Thread(target=self._pump, args=args, daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        passed = 0
        try:
            while data := src.recv(1 << 16):
                if limit is not None:
                    data = data[: max(0, limit - passed)]
                    passed += len(data)
                if data:
                    dst.sendall(data)
                if limit is not None and passed >= limit:
                    self.stuck.set()
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            sockets = list(self._sockets)
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept (a close would not)
        self._listener.close()
        self._acceptor.join(timeout=30)
        assert not self._acceptor.is_alive(), "the link's acceptor did not stop"
        for sock in sockets:
            # shutdown first: it wakes a pump blocked in recv and sends the FIN; a bare
            # close would leave the connection open while that recv holds the socket
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

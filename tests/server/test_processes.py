"""``mlyard server`` as a process: SIGTERM lets requests in flight finish, refuses new
connections, and exits 0 without leaving a process behind (one worker or several)."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from mlyard import Workspace
from tests.server.proc_server import STOP_LIMIT, admin_token, poll, refuses, running

MiB = 1 << 20


class GatedReader(io.RawIOBase):
    """``data`` as a stream that stops after ``pause_at`` bytes until released: an
    upload that is surely in flight when the test acts."""

    def __init__(self, data: bytes, pause_at: int):
        self._data = memoryview(data)
        self._pos = 0
        self._pause_at = pause_at
        self.reached = threading.Event()
        self.released = threading.Event()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._pos >= self._pause_at and not self.released.is_set():
            self.reached.set()
            if not self.released.wait(STOP_LIMIT):
                raise TimeoutError("the test never released the upload")
        n = min(len(buffer), len(self._data) - self._pos)
        if self._pos < self._pause_at:
            n = min(n, self._pause_at - self._pos)
        buffer[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def receiving(folder: Path) -> bool:
    """Whether the folder workspace's server holds part of an upload (a temporary)."""
    tmp = folder / "artifacts" / "tmp"
    return any(entry.stat().st_size > 0 for entry in tmp.iterdir())


def group_left(pgid: int) -> list[psutil.Process]:
    """Processes still alive in the server's process group (zombies are gone)."""
    left = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                left.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return left


def _in_flight_upload(ws: Workspace, data: bytes, folder: Path):
    """Start uploading ``data``; return once the server holds part of it."""
    gate = GatedReader(data, pause_at=len(data) // 2)
    pool = ThreadPoolExecutor(1)
    upload = pool.submit(ws.blobs.put, gate)
    pool.shutdown(wait=False)
    assert gate.reached.wait(STOP_LIMIT), upload.exception(timeout=0)
    poll(lambda: receiving(folder), STOP_LIMIT, "the server receives the upload")
    return gate, upload


def test_sigterm_lets_requests_in_flight_finish(tmp_path):
    folder = tmp_path / "yard"
    token = admin_token(str(folder))
    up, down = os.urandom(16 * MiB), os.urandom(16 * MiB)
    with running(["--workspace", str(folder)], tmp_path / "server.log") as server:
        ws = Workspace.open(server.url, token=token)
        down_sha, _ = ws.blobs.put_bytes(down)
        download = ws.blobs.open(down_sha)  # verified against its hash at the end
        head = download.read(MiB)
        gate, upload = _in_flight_upload(ws, up, folder)

        server.terminate()
        poll(lambda: refuses(server.port), STOP_LIMIT, "new connections are refused")
        assert server.process.poll() is None, "the server left before its requests ended"
        gate.released.set()
        sha, size = upload.result(timeout=STOP_LIMIT)
        tail = download.read()
        download.close()

        assert (sha, size) == (hashlib.sha256(up).hexdigest(), len(up))
        assert head + tail == down
        assert server.process.wait(timeout=STOP_LIMIT) == 0, server.output()
        ws.close()
    local = Workspace.open(folder)
    try:
        assert local.blobs.read_bytes(sha) == up
        assert list(local.blobs.scan_temporaries()) == []
    finally:
        local.close()


@pytest.mark.parametrize("workers", [2])
def test_sigterm_stops_every_worker(tmp_path, workers):
    folder = tmp_path / "yard"
    token = admin_token(str(folder))
    data = os.urandom(16 * MiB)
    args = ["--workspace", str(folder), "--workers", str(workers)]
    with running(args, tmp_path / "server.log") as server:
        poll(lambda: len(server.tree()) > workers, STOP_LIMIT, f"{workers} workers start")
        started = server.tree()
        ws = Workspace.open(server.url, token=token)
        gate, upload = _in_flight_upload(ws, data, folder)

        server.terminate()
        poll(lambda: refuses(server.port), STOP_LIMIT, "new connections are refused")
        gate.released.set()
        assert upload.result(timeout=STOP_LIMIT)[0] == hashlib.sha256(data).hexdigest()
        assert server.process.wait(timeout=STOP_LIMIT) == 0, server.output()
        ws.close()
        _, alive = psutil.wait_procs(started, timeout=STOP_LIMIT)
        assert alive == [], f"orphans: {alive}"
        assert group_left(server.pid) == []

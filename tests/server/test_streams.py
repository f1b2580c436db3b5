"""Streamed bodies through the server: uploads pumped ahead of a slow reader without
losing or reordering a byte, failures on either side that end the request instead of
hanging it, and the body timeout that only ever applies to a body still arriving."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from mlyard.server import streams
from mlyard.server.limits import Abort, Guard
from mlyard.server.metrics import Metrics


@contextmanager
def serving(app: Any) -> Iterator[int]:
    """``app`` on a free loopback port, in a thread; yields the port."""
    from tests.conftest import _wait_until

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until(lambda: server.started)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def sink_app(seen: dict[str, Any], read_size: int, pause: float = 0.0) -> FastAPI:
    """``PUT /sink`` reads the body in a worker thread, ``read_size`` bytes a call."""
    app = FastAPI()

    @app.put("/sink")
    async def sink(request: Request) -> JSONResponse:
        def work(body) -> dict[str, Any]:
            digest, sizes = hashlib.sha256(), []
            try:
                while piece := body.read(read_size):
                    sizes.append(len(piece))
                    seen["read"] = seen.get("read", 0) + len(piece)
                    digest.update(piece)
                    if pause and len(sizes) % 64 == 0:
                        time.sleep(pause)  # a slow disk: the pump must wait for room
            except Exception as e:
                seen["error"] = e
                raise
            return {"sha256": digest.hexdigest(), "reads": len(sizes), "largest": max(sizes)}

        return JSONResponse(await streams.run_reading(request, work))

    return app


def put(port: int, path: str, pieces: list[bytes], length: int | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"content-length": str(length)} if length is not None else {}
        conn.request("PUT", path, body=iter(pieces), headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_an_upload_much_larger_than_the_buffer_arrives_whole_and_in_order(monkeypatch):
    monkeypatch.setattr(streams, "BUFFER", 256 << 10)  # the pump must wait, often
    data = os.urandom(12 << 20)
    pieces = [data[i : i + 100_000] for i in range(0, len(data), 100_000)]
    seen: dict[str, Any] = {}
    with serving(sink_app(seen, read_size=1 << 20, pause=0.01)) as port:
        status, body = put(port, "/sink", pieces)  # chunked
        assert status == 200, body
        answer = json.loads(body)
        assert answer["sha256"] == hashlib.sha256(data).hexdigest()
        # A read answers what has arrived, up to what was asked for.
        assert answer["largest"] <= 1 << 20
        status, body = put(port, "/sink", pieces, length=len(data))  # Content-Length
        assert status == 200 and b'"sha256"' in body
    assert "error" not in seen


def test_reads_of_a_few_bytes_take_the_body_in_order():
    data = os.urandom(300_000)
    with serving(sink_app({}, read_size=7)) as port:
        status, body = put(port, "/sink", [data], length=len(data))
    assert status == 200
    assert hashlib.sha256(data).hexdigest() in body.decode()


def test_a_client_that_leaves_mid_body_fails_the_reader_instead_of_hanging_it(wait_until):
    seen: dict[str, Any] = {}
    with serving(sink_app(seen, read_size=1 << 20)) as port:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"PUT /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
        sock.sendall(os.urandom(500_000))
        wait_until(lambda: seen.get("read", 0) > 0)  # the reader has begun
        sock.close()
        wait_until(lambda: "error" in seen)  # the reader learnt that the body was cut


def test_work_that_stops_early_ends_the_request_while_the_body_still_flows(monkeypatch):
    monkeypatch.setattr(streams, "BUFFER", 64 << 10)
    app = FastAPI()

    @app.put("/fail")
    async def fail(request: Request) -> JSONResponse:
        def work(body) -> None:
            body.read(1000)
            raise ValueError("not this one")

        try:
            await streams.run_reading(request, work)
        except ValueError as e:  # raised as itself, not wrapped in an exception group
            return JSONResponse({"refused": str(e)}, status_code=422)
        return JSONResponse({}, status_code=500)

    data = os.urandom(4 << 20)
    with serving(app) as port:
        status, body = put(port, "/fail", [data[i : i + 65536] for i in range(0, len(data), 65536)])
    assert status == 422 and b"not this one" in body


def guarded(app: FastAPI, body_timeout: float) -> Guard:
    """``app`` behind the server's guard, answering its aborts as the server's app does."""

    @app.exception_handler(Abort)
    async def aborted(request: Request, exc: Abort) -> Response:
        status, content = exc.response()
        return Response(content, status, media_type="application/json")

    return Guard(app, Metrics(), max_body=1 << 20, body_timeout=body_timeout)


def test_a_streamed_answer_may_last_longer_than_the_body_timeout():
    app = FastAPI()

    @app.get("/slow")
    def slow() -> StreamingResponse:
        def pieces() -> Iterator[bytes]:
            for _ in range(6):
                time.sleep(0.1)
                yield b"x" * 1000

        return StreamingResponse(pieces(), media_type="application/octet-stream")

    with serving(guarded(app, body_timeout=0.2)) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/slow")
            response = conn.getresponse()
            assert response.status == 200
            assert response.read() == b"x" * 6000  # whole, not cut at 0.2 s
        finally:
            conn.close()


def test_a_stalled_request_body_is_still_refused_with_408():
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"size": len(await request.body())})

    with serving(guarded(app, body_timeout=0.2)) as port:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
        answer = sock.recv(4096)
        sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer


@pytest.mark.parametrize("size", [0, 1, (1 << 20) + 1])
def test_length_header_is_the_rest_of_a_regular_file(tmp_path, size):
    path = tmp_path / "f.bin"
    path.write_bytes(b"z" * size)
    with open(path, "rb") as f:
        f.read(1 if size else 0)
        assert streams.length_header(f) == {"content-length": str(max(size - 1, 0))}
    read, write = os.pipe()
    try:
        with os.fdopen(read, "rb") as pipe:
            assert streams.length_header(pipe) == {}
    finally:
        os.close(write)

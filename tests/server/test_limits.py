"""Bodies too large or too slow: refused early (413, 408) with the JSON error body,
the connection closed, and other clients served meanwhile.

A server that read a body whole before refusing it would answer these requests 408
(their bodies never finish) rather than 413: so a 413 shows the body was not read.
"""

from __future__ import annotations

import select
from contextlib import ExitStack
from pathlib import Path

import pytest

from mlyard.server.streams import UPLOAD_THREADS
from tests.server.prometheus import samples, value
from tests.server.raw import chunk, closed, connect, head, read_reply

LIMIT = 1024
JSON = {"Content-Type": "application/json"}
CHUNKED = {**JSON, "Transfer-Encoding": "chunked"}


@pytest.fixture
def small(serve):
    """A server taking JSON bodies up to 1 KiB, patient with slow ones (60 s)."""
    return serve(max_body=LIMIT, body_timeout=60)


@pytest.fixture
def hasty(serve):
    """A server giving up on a body that stalls for a fraction of a second."""
    return serve(body_timeout=0.3)


def assert_error(reply, status: int, code: str) -> None:
    assert reply.status == status, reply
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert body["error_code"] == code and body["field"] == "body", body


def test_a_body_within_the_limit_is_served(small):
    r = small.http.post("/api/v1/experiments", json={"name": "e", "artifact_location": "x" * 900})
    assert r.status_code == 201, r.text


def test_a_declared_oversized_body_is_refused_before_it_is_read(small):
    with connect(small.url) as sock:
        sock.sendall(head("POST", "/api/v1/experiments", {**JSON, "Content-Length": "10" * 6}))
        sock.sendall(b'{"name": ')  # and nothing more
        reply = read_reply(sock)
        assert_error(reply, 413, "REQUEST_TOO_LARGE")
        assert f"{LIMIT} bytes" in reply.json()["message"]
        assert closed(sock)


def test_a_chunked_body_is_refused_once_it_passes_the_limit(small):
    with connect(small.url) as sock:
        sock.sendall(head("POST", "/api/v1/experiments", CHUNKED))
        sock.sendall(chunk(b'{"name": "' + b"x" * 400))
        for _ in range(3):  # past the limit; the body never ends
            sock.sendall(chunk(b"x" * 400))
        assert_error(read_reply(sock), 413, "REQUEST_TOO_LARGE")
        assert closed(sock)
    assert small.http.get("/api/v1/experiments").json() == []


def test_streamed_uploads_have_no_size_limit(small):
    r = small.http.put("/api/v1/blobs", content=b"x" * (4 * LIMIT))
    assert r.status_code == 201 and r.json()["size"] == 4 * LIMIT


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/api/v1/experiments", {**JSON, "Content-Length": "100"}),
        ("/api/v1/experiments", CHUNKED),
        ("/api/v1/blobs", {"Content-Length": "100"}),
        ("/api/v1/datastores/default/fs/file?path=a.csv", {"Content-Length": "100"}),
    ],
    ids=["json", "json-chunked", "blob", "datastore-file"],
)
def test_a_stalled_body_times_out(hasty, target, headers):
    method = "POST" if target.endswith("experiments") else "PUT"
    start = b'{"name": "e'
    with connect(hasty.url) as sock:
        sock.sendall(head(method, target, headers))
        sock.sendall(chunk(start) if "Transfer-Encoding" in headers else start)
        reply = read_reply(sock)
        assert_error(reply, 408, "INVALID_PARAMETER_VALUE")
        assert "stalled" in reply.json()["message"]
        assert closed(sock)
    # nothing half-sent was kept
    assert hasty.http.get("/api/v1/experiments").json() == []
    assert hasty.http.get("/api/v1/blobs").json() == []
    assert hasty.http.get("/api/v1/datastores/default/fs/find").json() == []


@pytest.fixture
def strict(serve):
    """A server wanting a body that takes over 0.3 s to average 1,000 bytes/s."""
    return serve(body_timeout=0.3, min_body_rate=1000)


STREAMED_TARGETS = ["/api/v1/blobs", "/api/v1/datastores/default/fs/file?path=a.bin"]


@pytest.mark.parametrize("target", STREAMED_TARGETS, ids=["blob", "datastore-file"])
def test_a_trickling_body_times_out(strict, target):
    """A byte every 50 ms never stalls for the body timeout, yet holds a connection
    (and an upload thread) for as long as its sender likes: refused once it is slow
    for longer than the timeout."""
    with connect(strict.url) as sock:
        sock.sendall(head("PUT", target, {"Content-Length": "100000"}))
        sent = 0
        while not select.select([sock], [], [], 0.05)[0]:  # the answer, or the next byte
            assert sent < 200, "a 20 bytes/s body was never refused"
            sock.sendall(b"x")
            sent += 1
        reply = read_reply(sock)
        assert_error(reply, 408, "INVALID_PARAMETER_VALUE")
        assert "bytes/s" in reply.json()["message"]
        assert closed(sock)
    assert strict.http.get("/api/v1/blobs").json() == []
    assert strict.http.get("/api/v1/datastores/default/fs/find").json() == []


@pytest.mark.parametrize("target", STREAMED_TARGETS, ids=["blob", "datastore-file"])
def test_a_slow_steady_body_is_taken(strict, target):
    """100 KB/s for a second: longer than the timeout, fast enough."""
    piece = bytes(5000)
    with connect(strict.url) as sock:
        sock.sendall(head("PUT", target, {"Content-Length": str(20 * len(piece))}))
        for _ in range(20):
            assert not select.select([sock], [], [], 0.05)[0], read_reply(sock)
            sock.sendall(piece)
        reply = read_reply(sock)
    assert reply.status in (201, 204), reply


def test_stalled_clients_do_not_starve_others(small, wait_until):
    """Clients stalled mid-body — more uploads than anyio's default pool has threads
    for routes (40) — while other clients are served at once. (Stalled uploads do
    hold the threads of the upload pool: further uploads wait for them.)"""
    r = small.http.put("/api/v1/datastores/default/fs/file?path=ok.csv", content=b"1,2")
    assert r.status_code == 204
    folder = small.ws.get_datastore("default")._key("")
    with ExitStack() as stack:
        for i in range(48):
            sock = stack.enter_context(connect(small.url))
            target = f"/api/v1/datastores/default/fs/file?path=stalled/{i}"
            sock.sendall(head("PUT", target, {"Content-Length": "1000"}) + b"a few bytes")
        sock = stack.enter_context(connect(small.url))
        sock.sendall(head("POST", "/api/v1/experiments", {**JSON, "Content-Length": "100"}))
        sock.sendall(b'{"name"')
        # every upload thread holds a stalled upload, its file open
        stalled = Path(folder, "stalled")
        wait_until(lambda: stalled.is_dir() and len(list(stalled.iterdir())) >= UPLOAD_THREADS)

        # each answered before any stalled body times out (60 s): the client's timeout
        # (30 s) fails the test rather than waiting on
        assert small.http.get("/health").status_code == 200
        created = small.http.post("/api/v1/experiments", json={"name": "e"})
        assert created.status_code == 201
        assert small.http.get("/api/v1/experiments").json()[0]["name"] == "e"
        assert small.http.get("/api/v1/datastores/default/fs/file?path=ok.csv").content == b"1,2"


def test_an_unreadable_content_length_is_refused(small):
    # uvicorn's own parser refuses it, in plain text, before the app sees the request
    with connect(small.url) as sock:
        sock.sendall(head("POST", "/api/v1/experiments", {**JSON, "Content-Length": "lots"}))
        assert read_reply(sock).status == 400


def test_a_client_hanging_up_mid_upload_is_no_server_error(small, wait_until, caplog):
    with connect(small.url) as sock:
        sock.sendall(head("PUT", "/api/v1/blobs", {"Content-Length": "1000"}) + b"part")
        wait_until(lambda: small.http.get("/api/v1/blobs?temporaries=true").json() != [])

    def puts() -> float:  # answered; the GETs above count on the same route
        found = samples(small.http.get("/metrics").text)
        return sum(
            n
            for (name, labels), n in found.items()
            if name == "mlyard_requests_total"
            and {("route", "/api/v1/blobs"), ("method", "PUT")} <= labels
        )

    wait_until(lambda: puts() > 0)
    found = samples(small.http.get("/metrics").text)
    requests = {"method": "PUT", "route": "/api/v1/blobs", "status": "400"}
    assert value(found, "mlyard_requests_total", **requests) == 1 == puts()
    assert value(found, "mlyard_request_errors_total", route="/api/v1/blobs", kind="server") == 0
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert small.http.get("/api/v1/blobs").json() == []
    wait_until(lambda: small.http.get("/api/v1/blobs?temporaries=true").json() == [])

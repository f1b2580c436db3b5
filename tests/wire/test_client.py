"""The client's keep-alive path for store calls: when it applies, and connections the
server closed while they sat idle."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from mlyard.errors import NotFoundError, StoreError
from mlyard.wire.client import Connection, _KeepAlive


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers every request, then closes the connection without saying so first
    (as a server whose keep-alive timeout passed between two calls)."""

    protocol_version = "HTTP/1.1"
    served: list[str] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        self.served.append(f"{self.path} {body.decode()}")
        if self.path.startswith("/missing"):
            answer, status = (
                b'{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such thing"}',
                404,
            )
        else:
            answer, status = b'{"ok": true}', 200
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def closing_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.served = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_calls_go_on_after_the_server_closed_an_idle_connection(closing_server):
    conn = Connection(closing_server, token="myd_x")
    try:
        assert conn._plain is not None
        for i in range(3):
            assert conn.call("POST", "/calls", {"i": i}) == {"ok": True}
        assert _Handler.served == ['/calls {"i":0}', '/calls {"i":1}', '/calls {"i":2}']
        with pytest.raises(NotFoundError, match="no such thing"):
            conn.call("POST", "/missing", {})
    finally:
        conn.close()


def test_an_unreachable_server_is_a_store_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once it is closed
    conn = Connection(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(StoreError, match="cannot reach the mlyard server"):
            conn.call("GET", "/health")
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("url", "env", "plain"),
    [
        ("http://127.0.0.1:8765", {}, True),
        ("https://yard.example.com", {}, False),  # TLS as httpx does it
        ("http://yard.example.com", {"HTTP_PROXY": "http://proxy.example.com:3128"}, False),
        ("http://yard.example.com", {"ALL_PROXY": "http://proxy.example.com:3128"}, False),
        (
            "http://127.0.0.1:8765",
            {"HTTP_PROXY": "http://proxy.example.com:3128", "NO_PROXY": "127.0.0.1"},
            True,
        ),
    ],
)
def test_the_keep_alive_path_is_for_plain_http_no_proxy_covers(monkeypatch, url, env, plain):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (_KeepAlive.for_url(url) is not None) is plain


class _Shapes(http.server.BaseHTTPRequestHandler):
    """Answers in each shape HTTP/1.1 allows: a length, chunks, until close, no body,
    and after an interim 100."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = b'{"shape": "%s"}' % self.path.strip("/").encode()
        if self.path == "/interim":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\nX-Note: wait\r\n\r\n")
        if self.path == "/empty":
            self.send_response(204)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("x-twice", "a")
        self.send_header("x-twice", "b")
        if self.path == "/chunks":
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for piece in (body[:5], body[5:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/until-close":
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
        else:
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_keep_alive_path_reads_every_shape_of_answer():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Shapes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    conn = Connection(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        assert conn._plain is not None
        for shape in ("length", "chunks", "until-close", "interim", "length", "chunks"):
            assert conn.call("POST", f"/{shape}", {}) == {"shape": shape}
        assert conn.call("POST", "/empty", {}) is None
        status, _ = conn._plain.request("POST", "/length", b"{}", {})
        assert status == 200
        kept = conn._plain._idle[-1]  # read to its end: back in the pool, still open
        assert kept.sock is not None
    finally:
        conn.close()
        server.shutdown()
        server.server_close()

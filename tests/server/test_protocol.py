"""The server's HTTP protocol joins what one step of the event loop writes to a
connection into one write: a response's head and body go out as one segment."""

from __future__ import annotations

import asyncio
import socket

import httpx

from mlyard.server.protocol import JOIN_UP_TO, _Joined
from tests.live_server import serving


class Recording:
    """The transport under the joiner: what reached it, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


def test_the_writes_of_one_step_go_out_as_one_in_order():
    async def main() -> Recording:
        under = Recording()
        joined = _Joined(under, asyncio.get_running_loop())  # type: ignore[arg-type]
        joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
        joined.write(memoryview(b"body"))
        assert under.writes == [] and joined.get_write_buffer_size() == 23
        await asyncio.sleep(0)  # the step ends
        joined.write(b"next")
        joined.close()  # what is pending goes out before the close
        return under

    under = asyncio.run(main())
    assert under.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"] and under.closed


def test_a_step_writing_more_than_the_limit_sends_it_as_it_comes():
    async def main() -> Recording:
        under = Recording()
        joined = _Joined(under, asyncio.get_running_loop())  # type: ignore[arg-type]
        piece = b"x" * (JOIN_UP_TO // 2)
        for _ in range(4):
            joined.write(piece)
        assert len(under.writes) == 2  # sent as the pieces passed the limit
        return under

    under = asyncio.run(main())
    assert sum(map(len, under.writes)) == 2 * JOIN_UP_TO


def test_a_live_server_answers_head_and_body_in_one_segment():
    from fastapi import FastAPI
    from fastapi.responses import Response

    app = FastAPI()

    @app.get("/hello")
    def hello() -> Response:
        return Response(b'{"hello": "world"}', media_type="application/json")

    with serving(app) as base:
        assert httpx.get(base + "/hello").json() == {"hello": "world"}
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n")
            first = sock.recv(65536)  # one read: the whole answer was there
        assert first.startswith(b"HTTP/1.1 200") and first.endswith(b'{"hello": "world"}')

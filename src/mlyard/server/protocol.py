"""HTTP/1.1 as uvicorn's httptools protocol, with what one step of the event loop
writes to a connection sent as one write.

uvicorn writes a response's head and its body with a write each: two system calls
(about 80 µs each on this machine's loopback, most of it waking the client) and two
segments, the first of which the client wakes up for but cannot use without the body.
Here the writes of one step are joined and sent when the step ends, in order; a step
that writes more than :data:`JOIN_UP_TO` (a stream) sends them as they come.

Example:
    >>> uvicorn.Config(app, http=Protocol)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

JOIN_UP_TO = 64 << 10  # bytes: a step writing more sends them at once


class Protocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Joined(transport, self.loop))  # type: ignore[arg-type]


class _Joined:
    """A transport whose writes within one step of the loop go out as one."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))
        self._size += len(data)
        if self._size >= JOIN_UP_TO:  # a stream's pieces go out as they come
            self._flush()

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending) if len(self._pending) > 1 else self._pending[0]
            self._pending, self._size = [], 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending, self._size = [], 0
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

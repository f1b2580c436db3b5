"""Guards in front of every route: body size, slow bodies, and the metrics clock.

A body larger than the limit is answered 413 from its ``Content-Length`` before a
byte of it is read, or as soon as a chunked body passes the limit. Streamed uploads
(blobs, datastore files) have no size limit. A client that stops sending its body for
``body_timeout`` seconds gets 408, so a stalled client holds its connection for that
long, and a worker only if it uploads (see :mod:`mlyard.server.streams`). A client
that keeps sending a byte now and then gets 408 too, once its body has taken longer
than ``body_timeout`` to arrive at less than ``min_rate`` bytes a second on average.
Only the time spent waiting for the client counts: a server slow to write what came
does not make its client too slow. Either answer closes the connection, the rest of
the body unread, and wins over whatever the app answers once its body stopped coming.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from mlyard.errors import InvalidInputError, MlyardError, RequestTooLargeError
from mlyard.server.metrics import Metrics
from mlyard.wire.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STREAMED = ("/api/v1/blobs", "/fs/file")


class Abort(Exception):
    """Stop the request and answer ``error`` (with ``status``, default the table's)."""

    def __init__(self, error: MlyardError, status: int | None = None):
        self.error = error
        self.status = status or error_body(error)[0]

    def response(self) -> tuple[int, bytes]:
        import orjson

        return self.status, orjson.dumps(self.error.to_dict())


class Guard:
    """ASGI middleware: limits, timeouts and per-route metrics."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        max_body: int,
        body_timeout: float,
        min_rate: float = 0.0,
    ):
        self.app = app
        self.metrics = metrics
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        exchange = _Exchange(send)
        streamed = scope["method"] == "PUT" and scope["path"].endswith(STREAMED)
        limit = None if streamed else self.max_body
        try:
            length = _content_length(scope)
            if limit is not None and length is not None and length > limit:
                raise Abort(_too_large(limit))
            await self.app(scope, self._limited(receive, limit, exchange), exchange.send)
            if exchange.abort is not None:
                raise exchange.abort
        except Abort as abort:
            await exchange.answer(abort)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(
                scope["method"], template, exchange.status, time.perf_counter() - started
            )

    def _limited(self, receive: Receive, limit: int | None, exchange: _Exchange) -> Receive:
        seen = 0
        waited = 0.0  # seconds spent waiting for the body's pieces
        timeout, min_rate = self.body_timeout, self.min_rate
        complete = False  # the body has ended: what comes next is the disconnect

        async def limited() -> Message:
            nonlocal seen, waited, complete
            if complete:  # a streamed answer waits here for the client to go: no limit
                return await receive()
            asked = time.perf_counter()
            try:
                with anyio.fail_after(timeout):
                    message = await receive()
            except TimeoutError:
                raise exchange.aborting(
                    InvalidInputError(
                        f"the request body stalled for {timeout:g} s",
                        field="body",
                        fix="send the body without pausing",
                    ),
                    408,
                ) from None
            if message["type"] == "http.request":
                waited += time.perf_counter() - asked
                complete = not message.get("more_body", False)
                seen += len(message.get("body", b""))
                if limit is not None and seen > limit:
                    raise exchange.aborting(_too_large(limit))
                if not complete and waited > timeout and seen < min_rate * waited:
                    raise exchange.aborting(
                        InvalidInputError(
                            f"the request body arrives at {seen / waited:.0f} bytes/s, "
                            f"slower than the {min_rate:.0f} bytes/s the server waits for",
                            field="body",
                            fix="send the body at network speed",
                        ),
                        408,
                    )
            return message

        return limited


class _Exchange:
    """One request's answer, as the guard sees it pass: its status, and the abort that
    overrides whatever the app answers after it. (The app may catch the abort raised
    in its ``receive``: FastAPI answers any failure to read a JSON body with a 400.)"""

    def __init__(self, send: Send):
        self._send = send
        self.status = 500  # until the app answers: a crash before is the server's
        self.started = False
        self.abort: Abort | None = None

    def aborting(self, error: MlyardError, status: int | None = None) -> Abort:
        self.abort = Abort(error, status)
        return self.abort

    async def send(self, message: Message) -> None:
        if self.abort is not None and not self.started:
            return  # the app's answer to a body it could not read: the abort's goes out
        if message["type"] == "http.response.start":
            self.status, self.started = message["status"], True
        await self._send(message)

    async def answer(self, abort: Abort) -> None:
        """Send ``abort``'s answer, unless one is under way; close the connection, as
        the rest of the body is never read."""
        if self.started:
            return
        self.status, self.started = abort.status, True
        status, content = abort.response()
        await self._send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(content)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await self._send({"type": "http.response.body", "body": content})


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                raise Abort(InvalidInputError("bad Content-Length", field="headers")) from None
    return None


def _too_large(limit: int) -> RequestTooLargeError:
    size = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"
    return RequestTooLargeError(
        f"the request body is larger than {size}",
        field="body",
        fix="send smaller batches, or upload files as blobs",
    )

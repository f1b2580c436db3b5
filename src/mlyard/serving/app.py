"""The scoring service: a small ASGI app, one per deployment, in its own process.

Routes::

    POST /score          score rows with a model             -> {"<method>": [...]}
    GET  /health         up, and which models and methods    -> 200 JSON
    GET  /swagger.json   OpenAPI document of /score
    GET  /               a one-line greeting

It is a bare ASGI callable rather than a framework app: four fixed routes need no
router, and the request path stays short — read the body, parse it with orjson,
predict inline on the event loop (a thread hop costs more than scoring a few rows of
a typical model), write the bytes. Every error is a JSON body naming the field;
nothing a client sends can stop the service.

Example:
    >>> app = ScoringApp("svc", [served])  # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8890)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson

from mlyard.errors import InvalidInputError, MlyardError, NotFoundError
from mlyard.serving import openapi
from mlyard.serving.payload import MAX_BODY_BYTES, encode_error, encode_result, parse_score
from mlyard.serving.served import ServedModel

log = logging.getLogger("mlyard.serving")

Response = tuple[int, bytes]
_HEADERS = [(b"content-type", b"application/json")]


class ScoringApp:
    """ASGI app serving ``models`` (the first is the default) as service ``name``."""

    def __init__(
        self,
        name: str,
        models: Sequence[ServedModel],
        on_ready: Callable[[], None] | None = None,
    ):
        if not models:
            raise InvalidInputError("a service needs at least one model", field="models")
        self.name = name
        self.models = {m.key: m for m in models}
        self._by_name: dict[str, ServedModel] = {}
        for m in models:
            self._by_name.setdefault(m.name, m)  # a bare name means its first listed version
        self.default = models[0]
        self._on_ready = on_ready
        self._health = orjson.dumps(
            {
                "status": "Healthy",
                "service": name,
                "pid": os.getpid(),
                "models": [m.describe() for m in models],
            }
        )
        self._swagger = orjson.dumps(openapi.document(name, models))
        root = orjson.dumps({"service": name, "score": "POST /score", "docs": "/swagger.json"})
        self._static = {"/health": self._health, "/swagger.json": self._swagger, "/": root}

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        path, verb = scope["path"], scope["method"]
        if path == "/score":
            if verb != "POST":
                return await _send(send, *_error(405, "use POST /score", "method", "POST"))
            body = await _read_body(receive)
            response = self.score(body) if body is not None else _too_large()
            return await _send(send, *response)
        content = self._static.get(path)
        if content is None:
            return await _send(send, *_error(404, f"no route {path}", "path", "GET /swagger.json"))
        if verb not in ("GET", "HEAD"):
            return await _send(send, *_error(405, f"use GET {path}", "method", "GET"))
        await _send(send, 200, content)

    def score(self, body: bytes) -> Response:
        """Answer one ``/score`` body: (HTTP status, JSON bytes)."""
        try:
            request = parse_score(body)
            model = self._pick(request.model)
            method = model.method_for(request.method)
            result = model.predict(request.rows, method)
        except MlyardError as e:
            return _status(e), encode_error(e)
        except Exception as e:  # the model itself failed: report it, keep serving
            log.exception("scoring failed")
            message = f"the model raised {type(e).__name__}: {e}"
            return _error(500, message, "data", "check the input, then service.get_logs()")
        try:
            return 200, encode_result(method, result)
        except TypeError as e:
            return _error(500, f"{method} returned output that is not JSON: {e}", "method", None)

    def _pick(self, requested: str | None) -> ServedModel:
        if requested is None:
            return self.default
        model = self.models.get(requested) or self._by_name.get(requested)
        if model is None:
            raise NotFoundError(
                f"this service has no model {requested!r}",
                field="model",
                fix=f"use one of {', '.join(self.models)}, or leave 'model' out",
            )
        return model

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self._on_ready is not None:
                    self._on_ready()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None past ``MAX_BODY_BYTES``."""
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body
    parts, size = [body], len(body)
    while message.get("more_body"):
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        parts.append(chunk)
    return b"".join(parts)


async def _send(send: Send, status: int, body: bytes) -> None:
    headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _error(status: int, message: str, field: str, fix: str | None) -> Response:
    code = {404: "RESOURCE_DOES_NOT_EXIST", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}
    body: dict[str, str] = {"error_code": code.get(status, "MODEL_ERROR"), "message": message}
    if fix:
        body["message"] = f"{message.rstrip('.')}. {fix}"
    body["field"] = field
    return status, orjson.dumps(body)


def _status(err: MlyardError) -> int:
    if isinstance(err, NotFoundError):
        return 404
    return 400 if isinstance(err, InvalidInputError) else 500


def _too_large() -> Response:
    limit = MAX_BODY_BYTES // (1024 * 1024)
    return _error(413, f"the body is larger than {limit} MiB", "body", "send fewer rows per call")

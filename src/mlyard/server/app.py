"""The team server's app: the routers, one error table, guards, offline docs.

``create_app(ws)`` builds the FastAPI app over an open workspace; it keeps nothing in
memory that another server process on the same store would need (every answer comes
from the store, the blob store or this host's deployer), so several processes — or
several machines behind a load balancer — serve one workspace.

Example:
    >>> app = create_app(Workspace.open("./yard"))  # doctest: +SKIP
    >>> uvicorn.run(app, port=8765)  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from mlyard import __version__, static
from mlyard.errors import InvalidInputError, MethodNotAllowedError, MlyardError, NotFoundError
from mlyard.server.answers import crash_response, error_response, invalid
from mlyard.server.gate import OpenGate
from mlyard.server.lane import Lane
from mlyard.server.limits import Abort, Guard
from mlyard.server.metrics import Metrics
from mlyard.server.route import worker_pool
from mlyard.server.routes import ROUTERS
from mlyard.wire.errors import error_body
from mlyard.workspace import Workspace

MAX_BODY = 64 << 20  # JSON bodies; blobs and datastore files stream without a limit
BODY_TIMEOUT = 30.0  # `mlyard server` reads MLYARD_BODY_TIMEOUT
MIN_BODY_RATE = 1024.0  # bytes/s; `mlyard server` reads MLYARD_MIN_BODY_RATE
# FastAPI's own OpenTelemetry hooks (in its newer releases) run on every request even
# with no provider configured; the server has its Prometheus /metrics instead.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}}
    if "telemetry" in inspect.signature(FastAPI).parameters
    else {}
)


def create_app(
    ws: Workspace,
    *,
    gate: Any = None,
    max_body: int = MAX_BODY,
    body_timeout: float = BODY_TIMEOUT,
    min_body_rate: float = MIN_BODY_RATE,
    close_workspace: bool = False,
) -> Guard:
    """The ASGI app serving ``ws`` (closed with the app when ``close_workspace``)."""

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        yield
        api.state.threads.shutdown(wait=True)
        close_gate = getattr(api.state.gate, "close", None)
        if close_gate is not None:
            close_gate()
        if close_workspace:
            ws.close()

    api = FastAPI(
        title="mlyard server",
        version=__version__,
        description="Experiments, datasets, models and services of one mlyard workspace.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        **_NO_TELEMETRY,
    )
    api.state.workspace = ws
    api.state.gate = gate or OpenGate()
    api.state.metrics = Metrics()
    api.state.threads = worker_pool()
    lane = Lane(api)
    for router in ROUTERS:
        lane.include_router(router)
    _errors(api)
    _docs(api)
    return Guard(lane, api.state.metrics, max_body, body_timeout, min_body_rate)


def _errors(api: FastAPI) -> None:
    @api.exception_handler(MlyardError)
    async def mlyard_error(request: Request, exc: MlyardError) -> Response:
        return error_response(exc, request.method, request.url.path)

    @api.exception_handler(Abort)
    async def aborted(request: Request, exc: Abort) -> Response:
        status, content = exc.response()
        return Response(content, status, media_type="application/json")

    @api.exception_handler(RequestValidationError)
    async def rejected(request: Request, exc: RequestValidationError) -> Response:
        return error_response(invalid(exc.errors()), request.method, request.url.path)

    @api.exception_handler(ClientDisconnect)
    async def gone(request: Request, exc: ClientDisconnect) -> Response:
        # Nobody reads this answer; it keeps a client that hung up mid-body out of the
        # server's errors (and its log of crashes).
        err = InvalidInputError("the client closed the connection mid-body")
        return error_response(err, request.method, request.url.path)

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        path = request.url.path
        if exc.status_code == 404:
            err: MlyardError = NotFoundError(f"no route {path}", field="path", fix="see /docs")
        elif exc.status_code == 405:
            err = MethodNotAllowedError(f"{request.method} is not allowed on {path}")
        else:
            err = InvalidInputError(str(exc.detail), field="body")
        status, body = error_body(err)
        return Response(
            orjson.dumps(body), exc.status_code, exc.headers, media_type="application/json"
        )

    @api.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        return crash_response(exc, request.method, request.url.path)


def _docs(api: FastAPI) -> None:
    """Swagger UI from the package's own copy (installed from npm), never a CDN; its
    Authorize button takes an API token."""
    assets = static.vendor("swagger-ui-dist")

    def schema() -> dict[str, Any]:
        if api.openapi_schema is None:
            doc = get_openapi(
                title=api.title,
                version=api.version,
                description=api.description,
                routes=api.routes,
            )
            doc.setdefault("components", {})["securitySchemes"] = {
                "token": {"type": "http", "scheme": "bearer", "description": "myd_… token"}
            }
            doc["security"] = [{"token": []}]
            api.openapi_schema = doc
        return api.openapi_schema

    api.openapi = schema  # type: ignore[method-assign]
    api.mount("/static/swagger", StaticFiles(directory=assets, check_dir=False), name="swagger")

    @api.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="mlyard server",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

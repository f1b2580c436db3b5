"""How a route runs: the caller's check and a blocking endpoint in one worker-thread hop.

Routes are plain functions that block (they read and write the store), so they run off
the event loop. Written the FastAPI way, the caller's check would be a dependency
resolved on the event loop or in a worker thread of its own, and cost more than a small
store call. :class:`Route` instead reads the role an endpoint needs from its ``ws``
parameter's default (``ws: Workspace = editor``, see :class:`Needs`), hides that
parameter from FastAPI, and checks the caller's token in the thread the endpoint runs
in, right before it, passing it the workspace. An ``async`` endpoint (a streamed
upload) has its caller checked before FastAPI reads anything of the request.

Who asks still comes before what they sent: a request FastAPI cannot validate is
answered 401/403 when its caller may not call the route, and 400 only when they may.

Example:
    >>> router = APIRouter(prefix="/api/v1/runs", route_class=Route)  # doctest: +SKIP
    >>> @router.get("/{run_id}")  # doctest: +SKIP
    ... def get_run(run_id: str, ws: Workspace = viewer) -> Response: ...
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

WORKER_THREADS = 40  # blocking endpoints running at once per server process (as anyio's)
_REQUEST = "_mlyard_request"  # the parameter a wrapped endpoint gets its request by


@dataclass(frozen=True)
class Needs:
    """The default of an endpoint's workspace parameter: the role its caller needs."""

    role: str


def worker_pool() -> ThreadPoolExecutor:
    """The threads an app's blocking endpoints run in (``app.state.threads``)."""
    return ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="mlyard-route")


async def in_thread(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in one of the app's worker threads, with this task's context."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return await loop.run_in_executor(request.app.state.threads, context.run, fn, *args)


def check(request: Request, role: str | None) -> None:
    """Raise 401/403 unless the caller holds ``role`` (no role: an open route)."""
    if role is not None:
        request.app.state.gate.require(request, role)


class Route(APIRoute):
    """A route whose caller is checked in the thread its blocking endpoint runs in."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any):
        self.blocking = not asyncio.iscoroutinefunction(endpoint)
        self.own_endpoint = endpoint  # as written, for the lane (mlyard.server.lane)
        self.role, endpoint = _checked(endpoint, self.blocking)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Any]:
        handle = super().get_route_handler()
        role, blocking = self.role, self.blocking
        if role is None:
            return handle

        async def app(request: Request) -> Any:
            if not blocking:
                await in_thread(request, check, request, role)
                return await handle(request)
            try:
                return await handle(request)
            except RequestValidationError:
                await in_thread(request, check, request, role)  # 401/403 before 400
                raise

        return app


def _checked(endpoint: Callable[..., Any], blocking: bool) -> tuple[str | None, Any]:
    """The role ``endpoint`` needs, and the endpoint FastAPI calls in its place: with the
    marked parameter hidden, and, for a blocking one, the check and the call in one
    worker thread."""
    signature = inspect.signature(endpoint, eval_str=True)
    params = list(signature.parameters.values())
    marked = [p for p in params if isinstance(p.default, Needs)]
    if not marked:
        if not blocking:
            return None, endpoint
        marked_name, role = None, None
    else:
        (param,) = marked
        marked_name, role = param.name, param.default.role
        params.remove(param)
    # FastAPI hands the request to one parameter: the endpoint's own, if it has one.
    own = next((p.name for p in params if p.annotation is Request), None)
    if own is None:
        params.append(
            inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        )

    def arguments(kwargs: dict[str, Any]) -> tuple[Request, dict[str, Any]]:
        request = kwargs[own] if own is not None else kwargs.pop(_REQUEST)
        if marked_name is not None:
            kwargs[marked_name] = request.app.state.workspace
        return request, kwargs

    if blocking:

        @functools.wraps(endpoint)
        async def run(**kwargs: Any) -> Any:
            request, kwargs = arguments(kwargs)

            def checked() -> Any:
                check(request, role)
                return endpoint(**kwargs)

            return await in_thread(request, checked)

    else:  # checked by the route before FastAPI reads the request

        @functools.wraps(endpoint)
        async def run(**kwargs: Any) -> Any:
            return await endpoint(**arguments(kwargs)[1])

    run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return role, run

"""The lane: plain JSON routes answered without FastAPI's per-request machinery.

Most of what a team server answers is small JSON calls: start a run, end it with its
batch, search. FastAPI takes each through five middlewares, a walk over nested routers,
dependency solving and a body parsed by the standard ``json`` module; measured here,
that was most of the server's CPU for a run, several times the store's own share. The
lane sits between the guard and FastAPI and answers the routes it can read whole —
a blocking endpoint whose parameters are path strings, at most one pydantic body, the
request and the caller's workspace (``ws: Workspace = editor``), returning a
``Response`` — straight away; any other request goes on to FastAPI unchanged.

What the caller sees is the same either way, and tests run every router through it:
the route FastAPI would pick (first full match, in router order), the caller checked
before the body (401/403 before 400), the body validated by the same model (pydantic
parsing the JSON itself), errors from the one table (:mod:`mlyard.server.answers`),
and the route's template in the metrics.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from re import Pattern
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ValidationError
from starlette.convertors import Convertor, StringConvertor
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import BaseRoute

from mlyard.errors import MlyardError
from mlyard.server.answers import crash_response, error_response, invalid
from mlyard.server.limits import Abort, Receive, Scope, Send
from mlyard.server.route import Needs, Route, check, in_thread

_MISSING = [{"type": "missing", "loc": ("body",), "msg": "Field required"}]
_NOT_JSON = [
    {
        "type": "model_attributes_type",
        "loc": ("body",),
        "msg": "Input should be a valid dictionary or object to extract fields from",
    }
]


@dataclass(frozen=True)
class Plain:
    """How to call one route's endpoint from a request, without FastAPI."""

    route: Route
    paths: tuple[str, ...]  # path parameters, passed as found
    body: tuple[str, type[BaseModel]] | None  # (parameter, model)
    request: str | None  # the parameter that gets the request
    workspace: str | None  # the parameter that gets the workspace

    @classmethod
    def of(cls, route: BaseRoute) -> Plain | None:
        """The plan for ``route``, or ``None`` when FastAPI must serve it."""
        if not isinstance(route, Route) or not route.blocking or route.dependencies:
            return None
        convertors: dict[str, Convertor[Any]] = route.param_convertors
        if not all(isinstance(c, StringConvertor) for c in convertors.values()):
            return None
        signature = inspect.signature(route.own_endpoint, eval_str=True)
        returns = signature.return_annotation
        if not (inspect.isclass(returns) and issubclass(returns, Response)):
            return None
        paths: list[str] = []
        body = request = workspace = None
        for p in signature.parameters.values():
            kind, default = p.annotation, p.default
            if isinstance(default, Needs):
                workspace = p.name
            elif kind is Request:
                request = p.name
            elif p.name in convertors and kind is str and default is p.empty:
                paths.append(p.name)
            elif inspect.isclass(kind) and issubclass(kind, BaseModel) and body is None:
                if default is not p.empty:
                    return None
                body = (p.name, kind)
            else:
                return None  # a query parameter, a header, a form, …
        if set(paths) != set(convertors):
            return None
        return cls(route, tuple(paths), body, request, workspace)

    def call(self, request: Request, body: bytes | None) -> Response:
        """Check the caller, read the body and run the endpoint (in a worker thread)."""
        check(request, self.route.role)
        params = request.scope["path_params"]
        kwargs: dict[str, Any] = {name: params[name] for name in self.paths}
        if self.body is not None:
            name, model = self.body
            kwargs[name] = _parsed(model, request, body)
        if self.request is not None:
            kwargs[self.request] = request
        if self.workspace is not None:
            kwargs[self.workspace] = request.app.state.workspace
        return self.route.own_endpoint(**kwargs)


class Lane:
    """ASGI app: the plain routes of the routers included through it answered here,
    everything else by ``api``."""

    def __init__(self, api: FastAPI):
        self.api = api
        # Per method, in router order: every route taking it, with its plan if plain.
        self._by_method: dict[str, list[tuple[Pattern[str], Plain | None]]] = {}

    def include_router(self, router: APIRouter) -> None:
        """Add ``router``'s routes to the app, after those already there."""
        self.api.include_router(router)
        for route in router.routes:
            plain = Plain.of(route)
            for method in getattr(route, "methods", None) or ():
                entries = self._by_method.setdefault(method, [])
                entries.append((route.path_regex, plain))  # type: ignore[attr-defined]

    def plain_routes(self) -> list[str]:
        """``METHOD path`` of every route the lane answers (for tests and docs)."""
        return sorted(
            f"{method} {plain.route.path}"
            for method, entries in self._by_method.items()
            for _, plain in entries
            if plain is not None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            for pattern, plain in self._by_method.get(scope["method"], ()):
                found = pattern.match(scope["path"])
                if found is not None:
                    if plain is not None:
                        await self._answer(plain, found.groupdict(), scope, receive, send)
                        return
                    break
        await self.api(scope, receive, send)

    async def _answer(
        self, plain: Plain, params: dict[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        scope["app"] = self.api
        scope["route"] = plain.route
        scope["path_params"] = params
        request = Request(scope, receive)
        try:
            body = await _body(receive) if plain.body is not None else None
            response = await in_thread(request, plain.call, request, body)
        except Abort:
            raise  # the guard answers it
        except ClientDisconnect:
            return  # nobody to answer
        except MlyardError as exc:
            response = error_response(exc, scope["method"], scope["path"])
        except Exception as exc:
            response = crash_response(exc, scope["method"], scope["path"])
        await response(scope, receive, send)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _parsed(model: type[BaseModel], request: Request, body: bytes | None) -> BaseModel:
    """``body`` as ``model``, failing as FastAPI would (a 400 naming the field)."""
    if not body:
        raise invalid(_MISSING)
    kind = request.headers.get("content-type")
    if kind is not None and not _is_json(kind):
        raise invalid(_NOT_JSON)
    try:
        return model.model_validate_json(body)
    except ValidationError as e:
        raise invalid(e.errors()) from None


def _is_json(content_type: str) -> bool:
    main = content_type.partition(";")[0].strip().lower()
    kind, _, subtype = main.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))

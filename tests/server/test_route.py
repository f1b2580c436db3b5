"""The route class every router uses: the caller is checked in the thread the endpoint
runs in (one hop off the event loop, not two), and still before anything else counts."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from mlyard.errors import UnauthenticatedError
from mlyard.server import create_app
from mlyard.server.context import editor, viewer
from mlyard.server.route import Route
from mlyard.workspace import Workspace
from tests.live_server import serving


class Recorder:
    """A gate admitting the token ``good`` and noting the thread of every check."""

    def __init__(self) -> None:
        self.checks: list[tuple[str, int]] = []

    def require(self, request: Request, role: str) -> None:
        self.checks.append((role, threading.get_ident()))
        if request.headers.get("authorization") != "Bearer good":
            raise UnauthenticatedError("no token that admits anyone")


class Body(BaseModel):
    n: int


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Recorder, list[int]]]:
    gate, ran = Recorder(), []
    router = APIRouter(route_class=Route)

    @router.get("/blocking")
    def blocking(ws: Workspace = viewer) -> Response:
        assert isinstance(ws, Workspace)
        ran.append(threading.get_ident())
        return Response(b"{}", media_type="application/json")

    @router.post("/validated")
    def validated(body: Body, ws: Workspace = editor) -> Response:
        ran.append(threading.get_ident())
        return Response(b"{}", media_type="application/json")

    @router.post("/streamed")
    async def streamed(request: Request, ws: Workspace = editor) -> Response:
        assert isinstance(ws, Workspace)
        ran.append(len(await request.body()))
        return Response(b"{}", media_type="application/json")

    app = create_app(Workspace.open(str(tmp_path / "yard")), gate=gate, close_workspace=True)
    app.app.include_router(router)
    with serving(app) as base:
        yield base, gate, ran


def _get(base: str, path: str, token: str | None = "good", **kw) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.request(kw.pop("method", "GET"), base + path, headers=headers, timeout=30, **kw)


def test_the_check_and_the_endpoint_run_in_one_worker_thread(served):
    base, gate, ran = served
    for _ in range(5):
        assert _get(base, "/blocking").status_code == 200
    assert [role for role, _ in gate.checks] == ["viewer"] * 5
    assert [thread for _, thread in gate.checks] == ran
    assert threading.main_thread().ident not in ran


def test_a_caller_who_may_not_call_gets_401_before_a_body_is_judged(served):
    base, gate, ran = served
    bad = {"method": "POST", "json": {"n": "not a number"}}
    assert _get(base, "/validated", token="bad", **bad).status_code == 401
    assert (
        _get(base, "/validated", token=None, method="POST", content=b"{not json").status_code == 401
    )
    assert _get(base, "/validated", **bad).status_code == 400  # admitted: the body is wrong
    assert _get(base, "/validated", method="POST", json={"n": 1}).status_code == 200
    assert len(ran) == 1


def test_an_async_endpoint_checks_its_caller_before_reading_the_body(served):
    base, gate, ran = served
    big = b"x" * 100_000
    assert _get(base, "/streamed", token="bad", method="POST", content=big).status_code == 401
    assert ran == []
    assert _get(base, "/streamed", method="POST", content=big).status_code == 200
    assert ran == [len(big)] and gate.checks[-1][0] == "editor"


def test_a_role_on_a_router_of_another_route_class_fails_when_declared():
    plain = APIRouter()
    with pytest.raises(Exception, match="Workspace"):  # FastAPI: not a field type

        @plain.get("/plain")
        def unchecked(ws: Workspace = viewer) -> Response:
            return Response(b"{}", media_type="application/json")

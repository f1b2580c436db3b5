"""The lane answers plain JSON routes without FastAPI's machinery, and answers them as
FastAPI does: the same status and body for good requests and for every kind of bad one.

Two live servers over one workspace: the app as shipped (guard → lane → FastAPI) and
the same FastAPI app behind the guard alone. Every request goes to both."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mlyard import Experiment, Workspace
from mlyard.auth import Role, create_token, create_user, init_admin
from mlyard.server import create_app
from mlyard.server.app import BODY_TIMEOUT, MAX_BODY
from mlyard.server.gate import gate_for
from mlyard.server.lane import Lane
from mlyard.server.limits import Guard
from tests.live_server import serving

JSON = "application/json"
WORDED_APART = (b"{", b"[]")


@pytest.fixture(scope="module")
def twins(tmp_path_factory) -> Iterator[tuple[str, str, dict[str, str], str]]:
    ws = Workspace.open(str(tmp_path_factory.mktemp("lane") / "yard"))
    tokens = {"admin": init_admin(ws).token}
    create_user(ws, "a-viewer", Role.VIEWER)
    tokens["viewer"] = create_token(ws, "a-viewer").token
    exp_id = Experiment(ws, "lane").id
    app = create_app(ws, gate=gate_for(ws, True))
    lane = app.app
    assert isinstance(lane, Lane)
    direct = Guard(lane.api, lane.api.state.metrics, MAX_BODY, BODY_TIMEOUT)
    try:
        with serving(app) as laned, serving(direct) as fastapi:
            yield laned, fastapi, tokens, exp_id
    finally:
        ws.close()


def _both(twins, method: str, path: str, body: bytes | None, kind: str | None, who: str | None):
    laned, fastapi, tokens, _ = twins
    headers = {"authorization": f"Bearer {tokens[who]}"} if who else {}
    if kind:
        headers["content-type"] = kind
    return [
        httpx.request(method, base + path, content=body, headers=headers, timeout=30)
        for base in (laned, fastapi)
    ]


def test_the_hot_routes_take_the_lane_and_the_rest_go_on_to_fastapi(tmp_path):
    lane = create_app(Workspace.open(str(tmp_path / "yard")), close_workspace=True).app
    plain = lane.plain_routes()
    for route in (
        "POST /api/v1/runs",
        "POST /api/v1/runs/{run_id}/end",
        "POST /api/v1/runs/search",
    ):
        assert route in plain
    # Query parameters, streamed bodies and the docs are FastAPI's.
    for route in ("GET /api/v1/runs/{run_id}/metrics", "PUT /api/v1/blobs", "GET /docs"):
        assert route not in plain


RUN = b'{"experiment_id": "%s", "name": "r", "user_id": "u"}'
CASES = [  # method, path, body, content type, caller
    ("POST", "/api/v1/runs", None, JSON, "admin"),
    ("POST", "/api/v1/runs", b"", None, "admin"),
    ("POST", "/api/v1/runs", b"{", JSON, "admin"),
    ("POST", "/api/v1/runs", b"[]", JSON, "admin"),
    ("POST", "/api/v1/runs", b'{"experiment_id": 5, "name": "r", "user_id": "u"}', JSON, "admin"),
    ("POST", "/api/v1/runs", b'{"experiment_id": "1", "name": "r"}', JSON, "admin"),
    (
        "POST",
        "/api/v1/runs",
        b'{"experiment_id": "1", "name": "r", "user_id": "u", "x": 1}',
        JSON,
        "admin",
    ),
    ("POST", "/api/v1/runs", b'{"experiment_id": "", "name": "r", "user_id": "u"}', JSON, "admin"),
    (
        "POST",
        "/api/v1/runs",
        b'{"experiment_id": "no-such", "name": "r", "user_id": "u"}',
        JSON,
        "admin",
    ),
    (
        "POST",
        "/api/v1/runs",
        b'{"experiment_id": "1", "name": "r", "user_id": "u"}',
        "text/plain",
        "admin",
    ),
    ("POST", "/api/v1/runs", b"{", JSON, None),
    ("POST", "/api/v1/runs", b"{", JSON, "viewer"),
    (
        "POST",
        "/api/v1/runs/no-such-run/end",
        b'{"status": "COMPLETED", "end_time": 1}',
        JSON,
        "admin",
    ),
    ("POST", "/api/v1/runs/no-such-run/end", b'{"status": "NOPE", "end_time": 1}', JSON, "admin"),
    (
        "POST",
        "/api/v1/runs/no-such-run/end",
        b'{"status": "FINISHED", "end_time": -1}',
        JSON,
        "admin",
    ),
    ("POST", "/api/v1/runs/no-such-run/batch", b'{"params": {"": "x"}}', JSON, "admin"),
    ("POST", "/api/v1/runs/search", b'{"filter_string": "metrics.m <"}', JSON, "viewer"),
    ("POST", "/api/v1/runs/search", b'{"max_results": "many"}', "application/vnd.x+json", "viewer"),
    ("GET", "/api/v1/runs/no-such-run", None, None, "viewer"),
    ("POST", "/api/v1/experiments", b'{"name": "lane"}', JSON, "admin"),
    ("DELETE", "/api/v1/runs/x", None, None, "admin"),  # no such method: FastAPI's 405
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]} {c[1]} {c[2]!r} {c[3]} {c[4]}")
def test_a_bad_request_gets_the_same_answer_from_the_lane_as_from_fastapi(twins, case):
    laned, fastapi = _both(twins, *case)
    assert laned.status_code >= 400
    mine, theirs = laned.json(), fastapi.json()
    # The lane's pydantic reads the JSON itself, FastAPI's gets it from the json module:
    # where a body is not JSON, or not an object, each says so in its own words.
    if case[2] in WORDED_APART:
        assert mine["message"].split(":")[0] == theirs["message"].split(":")[0]
        mine["message"] = theirs["message"]
    assert (laned.status_code, mine) == (fastapi.status_code, theirs)


def test_good_requests_do_the_same_through_either(twins):
    exp_id = twins[3]
    started = _both(twins, "POST", "/api/v1/runs", RUN % exp_id.encode(), JSON, "admin")
    assert [r.status_code for r in started] == [201, 201]
    ids = [r.json()["run_id"] for r in started]
    assert [r.json()["user_id"] for r in started] == ["admin", "admin"]  # the caller
    end = b'{"status": "COMPLETED", "end_time": 1, "params": {"p": "1"}}'
    for base, run_id in zip(twins[:2], ids, strict=True):
        answer = httpx.post(
            f"{base}/api/v1/runs/{run_id}/end",
            content=end,
            headers={"authorization": f"Bearer {twins[2]['admin']}", "content-type": JSON},
        )
        assert answer.status_code == 204, answer.text
    found = _both(twins, "POST", "/api/v1/runs/search", b"{}", JSON, "viewer")
    assert found[0].json() == found[1].json()
    assert {r["run_id"] for r in found[0].json()} >= set(ids)
    assert all(r["params"] == {"p": "1"} for r in found[0].json() if r["run_id"] in ids)


def test_the_lane_counts_its_requests_by_route_template(twins):
    laned, _, tokens, _ = twins
    httpx.get(f"{laned}/api/v1/runs/abc", headers={"authorization": f"Bearer {tokens['viewer']}"})
    shown = httpx.get(
        f"{laned}/metrics", headers={"authorization": f"Bearer {tokens['viewer']}"}
    ).text
    assert 'route="/api/v1/runs/{run_id}",status="404"' in shown

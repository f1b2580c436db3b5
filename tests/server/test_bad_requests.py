"""Malformed requests get a 400 whose JSON body names the field at fault — never a
500, never an HTML page; unknown routes and methods answer JSON too."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mlyard.store.records import MetricSeries
from mlyard.wire import codec
from mlyard.wire.requests import Batch
from tests.live_server import live_server

JSON = {"content-type": "application/json"}
RUN = "{run}"  # replaced by the id of a run the server holds


@pytest.fixture(scope="module")
def http(tmp_path_factory) -> Iterator[tuple[httpx.Client, str]]:
    """A client of one server for the module (these requests change nothing), and the
    id of a run it holds."""
    with live_server(str(tmp_path_factory.mktemp("bad") / "yard")) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            experiment = client.post("/api/v1/experiments", json={"name": "e"}).json()
            body = {"experiment_id": experiment["experiment_id"], "name": "r", "user_id": "u"}
            yield client, client.post("/api/v1/runs", json=body).json()["run_id"]


def raw(text: str) -> dict[str, Any]:
    return {"content": text.encode(), "headers": JSON}


CASES: dict[str, tuple[str, str, dict[str, Any], str]] = {
    # name: (method, path, request, the field the answer names)
    "bad JSON": ("POST", "/api/v1/experiments", raw('{"name": '), "body"),
    "no body": ("POST", "/api/v1/experiments", raw(""), "body"),
    "a list, not an object": ("POST", "/api/v1/experiments", {"json": []}, "body"),
    "form instead of JSON": ("POST", "/api/v1/experiments", {"data": {"name": "e"}}, "body"),
    "wrong type": ("POST", "/api/v1/experiments", {"json": {"name": 5}}, "name"),
    "missing field": ("POST", "/api/v1/experiments", {"json": {}}, "name"),
    "unknown field": ("POST", "/api/v1/experiments", {"json": {"name": "e", "x": 1}}, "x"),
    "NUL in a name": ("POST", "/api/v1/experiments", {"json": {"name": "a\x00b"}}, "name"),
    "huge int": ("POST", "/api/v1/runs/heartbeat", {"json": {"run_ids": [], "at": 10**30}}, "at"),
    "huge int inside a manifest": (
        "POST",
        "/api/v1/models/m/versions",
        {"json": {"framework": "f", "flavor": "f", "manifest": {"a": [{"b": -(2**63) - 1}]}}},
        "manifest",
    ),
    "NaN time": ("POST", "/api/v1/runs/heartbeat", raw('{"run_ids": [], "at": NaN}'), "at"),
    "infinite lease": (
        "POST",
        "/api/v1/workspace/locks/k",
        raw('{"owner": "o", "ttl_ms": Infinity}'),
        "ttl_ms",
    ),
    "NaN age": ("POST", "/api/v1/workspace/gc", raw('{"min_age": NaN}'), "min_age"),
    "negative pid": (
        "POST",
        "/api/v1/runs",
        {"json": {"experiment_id": "1", "name": "r", "user_id": "u", "pid": -1}},
        "pid",
    ),
    "bad sha256 in a list": (
        "POST",
        f"/api/v1/runs/{RUN}/files",
        {"json": {"files": [{"path": "a", "sha256": "xyz", "size": 1}]}},
        "files.0",
    ),
    "param of a number": (
        "POST",
        f"/api/v1/runs/{RUN}/batch",
        {"json": {"params": {"p": 5}}},
        "params.p",
    ),
    "huge max_results": (
        "POST",
        "/api/v1/runs/search",
        {"json": {"max_results": 10**30}},
        "max_results",
    ),
    "text version": ("GET", "/api/v1/models/m/versions/latest-ish", {}, "version"),
    "huge version": ("GET", "/api/v1/models/m/versions/99999999999999999999", {}, "version"),
    "version 0": ("GET", "/api/v1/datasets/d/versions/0", {}, "version"),
    "huge alias version": (
        "PUT",
        "/api/v1/models/m/aliases/prod",
        {"json": {"version": 2**40}},
        "version",
    ),
    "bad boolean": ("GET", "/api/v1/blobs?temporaries=maybe", {}, "temporaries"),
    "negative count": ("GET", "/api/v1/services/s/logs?lines=-1", {}, "lines"),
    "missing query": ("GET", f"/api/v1/runs/{RUN}/metrics", {}, "key"),
    "bad sha256 query": ("PUT", "/api/v1/blobs?sha256=xyz", {"content": b"x"}, "sha256"),
    "bad sha256 path": ("GET", "/api/v1/blobs/not-a-sha", {}, "sha256"),
    "unknown state": (
        "PATCH",
        "/api/v1/deployments/d/state",
        {"json": {"state": "Sleeping"}},
        "state",
    ),
    "relative datastore folder": (
        "POST",
        "/api/v1/datastores",
        {"json": {"name": "s", "url": "data/here"}},
        "url",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_request_is_a_400_naming_the_field(http, case):
    client, run_id = http
    method, path, request, field = CASES[case]
    r = client.request(method, path.replace(RUN, run_id), **request)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE", body
    assert body["field"] == field, body
    assert body["message"] and "Traceback" not in body["message"]


def test_nan_is_a_metric_value(http):
    """Where NaN is a value (a metric), it is stored, not refused."""
    client, run_id = http
    body = Batch(metrics=[MetricSeries.of("loss", [math.nan, 1.0], [0, 1], [5, 6])])
    r = client.post(f"/api/v1/runs/{run_id}/batch", content=body.model_dump_json(), headers=JSON)
    assert r.status_code == 204, r.text
    r = client.get(f"/api/v1/runs/{run_id}/metrics", params={"key": "loss"})
    history = codec.decode(r.content, MetricSeries)
    assert math.isnan(history.values[0]) and history.values[1] == 1.0


def test_an_unknown_route_is_a_json_404(http):
    client, _ = http
    r = client.get("/api/v1/nothing/here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "/api/v1/nothing/here" in r.json()["message"]


def test_a_wrong_method_is_a_json_405_listing_the_allowed_ones(http):
    client, _ = http
    r = client.delete("/health")
    assert r.status_code == 405 and r.headers["content-type"] == "application/json"
    assert r.json()["error_code"] == "METHOD_NOT_ALLOWED"
    assert r.headers["allow"] == "GET"

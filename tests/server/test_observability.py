"""What operators and newcomers reach first: health, Prometheus metrics, the API docs
(offline: every asset from the server itself) and a valid OpenAPI document."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from mlyard import __version__
from mlyard.store.records import DeploymentRecord, DeploymentState
from tests.server.prometheus import samples, value


def test_health_answers_with_the_version_and_names_no_store(served):
    r = served.http.get("/health")  # open to load balancers: a store URL may hold secrets
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": __version__}


def test_metrics_count_requests_errors_and_latency_by_route_template(served):
    experiment = served.http.post("/api/v1/experiments", json={"name": "e"}).json()
    for _ in range(3):
        assert served.http.get(f"/api/v1/experiments/{experiment['experiment_id']}").is_success
    assert served.http.get("/api/v1/experiments/nope").status_code == 404
    assert served.http.get("/no/such/route").status_code == 404

    r = served.http.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE mlyard_requests_total counter" in r.text
    assert "# TYPE mlyard_request_seconds histogram" in r.text
    found = samples(r.text)

    route = "/api/v1/experiments/{experiment_id}"  # the template, never the id
    assert value(found, "mlyard_requests_total", method="GET", route=route, status="200") == 3
    assert value(found, "mlyard_requests_total", method="GET", route=route, status="404") == 1
    assert value(found, "mlyard_request_errors_total", route=route, kind="client") == 1
    assert value(found, "mlyard_request_errors_total", route="unmatched", kind="client") == 1
    routes = {dict(labels).get("route") for _, labels in found}
    assert f"/api/v1/experiments/{experiment['experiment_id']}" not in routes

    buckets = sorted(
        (float(dict(labels)["le"]), n)
        for (name, labels), n in found.items()
        if name == "mlyard_request_seconds_bucket" and dict(labels)["route"] == route
    )
    counts = [n for _, n in buckets]
    assert buckets[-1][0] == float("inf") and counts == sorted(counts)  # cumulative
    assert counts[-1] == value(found, "mlyard_request_seconds_count", route=route) == 4
    assert value(found, "mlyard_request_seconds_sum", route=route) > 0


def test_a_server_error_is_counted_as_one(served):
    # Waiting for a service that failed is the server's failure to report (502).
    failed = DeploymentRecord("svc", ("m:1",), DeploymentState.FAILED, "", "h", {}, 1, 1)
    served.ws.store.put_deployment(failed)
    r = served.http.post("/api/v1/services/svc/wait")
    assert r.status_code == 502 and r.json()["error_code"] == "DEPLOYMENT_FAILED", r.text

    found = samples(served.http.get("/metrics").text)
    route = "/api/v1/services/{name}/wait"
    assert value(found, "mlyard_requests_total", method="POST", route=route, status="502") == 1
    assert value(found, "mlyard_request_errors_total", route=route, kind="server") == 1
    assert value(found, "mlyard_request_errors_total", route=route, kind="client") == 0


def test_docs_work_offline(served):
    r = served.http.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://", r.text), "the docs page loads something from afar"
    assets = set(re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", r.text))
    assert {a for a in assets if a.endswith((".js", ".css"))}, r.text
    for asset in assets:
        assert asset.startswith("/static/"), asset
        got = served.http.get(asset)
        assert got.status_code == 200 and len(got.content) > 100, asset


def test_openapi_document_is_valid_and_lists_the_api(served):
    r = served.http.get("/openapi.json")
    assert r.status_code == 200
    document = r.json()
    validate(document)
    assert document["info"]["version"] == __version__
    assert {"/health", "/api/v1/runs/{run_id}", "/api/v1/blobs"} <= set(document["paths"])
    assert "/docs" not in document["paths"]

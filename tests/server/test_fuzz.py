"""Schemathesis over the server's own OpenAPI document, over real HTTP: whatever a
client sends — valid for the schema or not — the server never answers 5xx for it,
and a 4xx is the JSON error body.

One test per operation, each a few generated requests (``EXAMPLES``), so the whole
run stays under a minute on two cores. The requests go to a live server holding an
experiment, a run, a model version, a dataset version and a datastore file, and half
of them name those (``KNOWN``), so they reach the store rather than stop at a 404.

Schemathesis' pytest loader for a schema from a fixture needs a pytest internal that
pytest 9 removed, so the tests are parametrized here by the routes, and each draws
from the operation's own strategies (positive and negative).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from mlyard.server.routes import ROUTERS
from tests.live_server import live_server

EXAMPLES = 12
OPERATIONS = sorted(
    (method, route.path)  # type: ignore[attr-defined]
    for router in ROUTERS
    for route in router.routes
    for method in sorted(route.methods)  # type: ignore[attr-defined]
)
# Registering a datastore names a folder of the server's machine — any folder, "/"
# included — that the fuzzed file operations would then write to. It gets a server
# of its own, whose datastores nothing else touches.
ISOLATED = {("POST", "/api/v1/datastores")}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Iterator[tuple[str, dict[str, Any]]]:
    """One server for every operation, and the path parameters of what it holds."""
    with live_server(str(tmp_path_factory.mktemp("fuzzed") / "yard")) as url:
        with httpx.Client(base_url=url) as http:
            yield url, _seed(http)


def _seed(http: httpx.Client) -> dict[str, Any]:
    def ok(response: httpx.Response) -> Any:
        assert response.is_success, response.text
        return response.json() if response.content else None

    experiment = ok(http.post("/api/v1/experiments", json={"name": "e"}))
    run = ok(
        http.post(
            "/api/v1/runs",
            json={"experiment_id": experiment["experiment_id"], "name": "r", "user_id": "u"},
        )
    )
    model = {"framework": "ScikitLearn", "flavor": "sklearn", "manifest": {}}
    ok(http.post("/api/v1/models/m/versions", json=model))
    dataset = {"kind": "file", "fingerprint": "f", "spec": {}, "files": []}
    ok(http.post("/api/v1/datasets/d/versions", json=dataset))
    ok(http.put("/api/v1/datastores/default/fs/file", params={"path": "a/b.csv"}, content=b"1"))
    return {
        "experiment_id": experiment["experiment_id"],
        "run_id": run["run_id"],
        "version": 1,
    }


def _known(path: str, ids: dict[str, Any]) -> dict[str, Any]:
    """Path parameters naming what the server holds, for the operation at ``path``."""
    known = {k: v for k, v in ids.items() if f"{{{k}}}" in path}
    if "{name}" in path:
        for prefix, name in (("datastores", "default"), ("models", "m"), ("datasets", "d")):
            if path.startswith(f"/api/v1/{prefix}/"):
                known["name"] = name
    return known


@pytest.fixture(scope="module")
def schema(seeded) -> Any:
    return schemathesis.openapi.from_url(f"{seeded[0]}/openapi.json")


@pytest.fixture
def base_url(seeded, method, path, tmp_path) -> Iterator[str]:
    if (method, path) in ISOLATED:
        with live_server(str(tmp_path / "yard")) as url:
            yield url
    else:
        yield seeded[0]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_request_gets_a_server_error(seeded, schema, base_url, method, path):
    operation = schema[path][method]
    known = _known(path, seeded[1])
    strategies = [
        operation.as_strategy(generation_mode=mode, path_parameters=parameters)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for parameters in ([None, known] if known else [None])
    ]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def answered(case):
        response = case.call(base_url=base_url, timeout=30)
        assert response.status_code < 500, (
            f"{response.status_code}: {response.text[:1000]}\n{case.as_curl_command()}"
        )
        if response.status_code >= 400 and method != "HEAD":
            assert {"error_code", "message"} <= set(response.json()), response.text

    answered()

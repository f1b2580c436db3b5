"""Tokens and roles on every route of a live server: 401 without a token that admits
someone, 403 without the role the route names, and the caller recorded as creator."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from mlyard import Dataset, Experiment, Model, Workspace
from mlyard.auth import Role, create_token, create_user, disable_user, init_admin, revoke_token
from mlyard.cli import app
from mlyard.errors import ConflictError, PermissionDeniedError, UnauthenticatedError
from mlyard.server.routes import ROUTERS
from tests.live_server import live_server, served

OPEN = {"/health"}  # for load balancers: it says "up" and the version, nothing else
BELOW = {Role.EDITOR: Role.VIEWER, Role.ADMIN: Role.EDITOR}


ROUTES = [
    (method, route.path, route.role)
    for router in ROUTERS
    for route in router.routes
    for method in sorted(route.methods)
]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "1" if m[1] == "version" else "x", path)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, dict[Role, str]]]:
    with live_server(str(tmp_path_factory.mktemp("auth") / "yard"), auth=True) as base:
        ws = served(base)
        tokens = {Role.ADMIN: init_admin(ws).token}
        for role in (Role.EDITOR, Role.VIEWER):
            create_user(ws, f"an-{role.value}", role)
            tokens[role] = create_token(ws, f"an-{role.value}").token
        yield base, tokens


def _call(base: str, method: str, path: str, token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
    headers["content-type"] = "application/json"
    return httpx.request(method, base + _url(path), content=body, headers=headers, timeout=30)


def test_every_route_but_health_names_the_role_it_needs():
    unguarded = [(m, p) for m, p, role in ROUTES if role is None and p not in OPEN]
    assert unguarded == []
    assert len(ROUTES) > 60


@pytest.mark.parametrize(("method", "path", "role"), ROUTES, ids=lambda x: str(x))
def test_401_without_a_token_403_without_the_role(server, method, path, role):
    base, tokens = server
    if path in OPEN:
        assert _call(base, method, path).status_code == 200
        return
    for token in (None, "myd_not-a-token-of-this-workspace", "Basic abc"):
        answer = _call(base, method, path, token)
        assert answer.status_code == 401, (answer.status_code, answer.text)
        if method != "HEAD":
            assert answer.json()["error_code"] == "UNAUTHENTICATED"
    needed = Role(role)
    if needed in BELOW:
        answer = _call(base, method, path, tokens[BELOW[needed]])
        assert answer.status_code == 403, (answer.status_code, answer.text)
        if method != "HEAD":
            body = answer.json()
            assert body["error_code"] == "PERMISSION_DENIED"
            assert f"needs the {needed.value} role" in body["message"]
    assert _call(base, method, path, tokens[needed]).status_code not in (401, 403)


def test_the_api_document_asks_for_a_bearer_token(server):
    base, _ = server
    doc = httpx.get(base + "/openapi.json", timeout=30).json()  # open, like /docs: no data in them
    assert doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert doc["security"] == [{"token": []}]
    assert doc["paths"]["/health"]["get"]["security"] == []


def test_the_workspace_key_never_leaves_the_server(server):
    base, tokens = server
    answer = _call(base, "GET", "/api/v1/workspace/meta/auth_key", tokens[Role.ADMIN])
    assert answer.status_code == 403 and "never leaves" in answer.json()["message"]


def test_the_sdk_on_a_server_needs_a_token_that_admits_someone(server, monkeypatch):
    base, tokens = server
    monkeypatch.delenv("MLYARD_TOKEN", raising=False)
    with pytest.raises(UnauthenticatedError, match="needs an API token"):
        Workspace.open(base).get_default_datastore()
    viewer = Workspace.open(base, token=tokens[Role.VIEWER])
    try:
        assert "default" in viewer.datastores  # reading is fine
        with pytest.raises(PermissionDeniedError, match="needs the editor role"):
            Experiment(viewer, "not-allowed").start_run()
    finally:
        viewer.close()


def test_revoked_tokens_and_disabled_users_are_refused_from_the_next_request(server):
    base, _ = server
    ws = served(base)
    create_user(ws, "leaver", Role.EDITOR)
    first, second = create_token(ws, "leaver"), create_token(ws, "leaver")
    assert _call(base, "GET", "/api/v1/experiments", first.token).status_code == 200
    revoke_token(ws, first.record.token_id)
    assert _call(base, "GET", "/api/v1/experiments", first.token).status_code == 401
    assert _call(base, "GET", "/api/v1/experiments", second.token).status_code == 200
    disable_user(ws, "leaver")
    answer = _call(base, "GET", "/api/v1/experiments", second.token)
    assert answer.status_code == 401 and "disabled" in answer.json()["message"]


def test_users_manage_their_own_tokens_admins_everyones(server):
    base, tokens = server
    me = Workspace.open(base, token=tokens[Role.VIEWER])
    try:
        mine = create_token(me, "an-viewer", label="second laptop")
        assert mine.token.startswith("myd_") and mine.record.user == "an-viewer"
        assert {t.user for t in me.store.list_tokens()} == {"an-viewer"}
        with pytest.raises(PermissionDeniedError):
            create_token(me, "an-editor")
        with pytest.raises(PermissionDeniedError):
            me.store.list_tokens("an-editor")
        me.store.revoke_token(mine.record.token_id)
        assert _call(base, "GET", "/api/v1/experiments", mine.token).status_code == 401
    finally:
        me.close()


def test_the_server_records_who_called_not_who_they_claim(server, tmp_path, monkeypatch):
    import joblib
    from sklearn.linear_model import Ridge

    base, _ = server
    create_user(served(base), "carol", Role.EDITOR)
    monkeypatch.setenv("MLYARD_USER", "mallory")  # a claim the server does not believe
    ws = Workspace.open(base, token=create_token(served(base), "carol").token)
    try:
        with Experiment(ws, "who").start_run() as run:
            run.log("m", 1.0)
        assert run.record.user_id == "carol" and run.tags["mlyard.user"] == "carol"

        (tmp_path / "x.csv").write_text("a,b\n1,2\n")
        store = ws.get_default_datastore()
        store.upload_files([str(tmp_path / "x.csv")], target_path="who/")
        ds = Dataset.Tabular.from_delimited_files(path=[(store, "who/x.csv")])
        assert ds.register(ws, "who-data").created_by == "carol"

        joblib.dump(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), tmp_path / "m.joblib")
        model = Model.register(
            ws, "who-model", tmp_path / "m.joblib", model_framework=Model.Framework.SCIKITLEARN
        )
        assert model.created_by == "carol" and Model(ws, "who-model").created_by == "carol"
    finally:
        ws.close()


def test_server_init_prints_the_first_admin_token_once(tmp_path):
    runner = CliRunner()
    folder = str(tmp_path / "yard")
    out = runner.invoke(app, ["server", "init", "--workspace", folder])
    assert out.exit_code == 0, out.output
    assert "cannot be shown again" in out.output
    (token,) = re.findall(r"^myd_\S+$", out.output, flags=re.M)
    with live_server(folder, auth=True) as base:
        assert _call(base, "GET", "/api/v1/users", token).status_code == 200
    again = runner.invoke(app, ["server", "init", "--workspace", folder])
    assert again.exit_code == 1 and "already has an admin" in again.output
    assert "myd_" not in again.output
    with pytest.raises(ConflictError):
        init_admin(Workspace.open(folder))

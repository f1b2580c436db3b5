"""`mlyard users` and `mlyard tokens`."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from mlyard.auth import Role, authenticate, get_user, list_tokens
from mlyard.cli import app
from mlyard.errors import UnauthenticatedError
from tests.live_server import backing

runner = CliRunner()


def mlyard(ws, *args: str):
    return runner.invoke(app, ["-w", ws.url, *args])


def ok(ws, *args: str) -> str:
    out = mlyard(ws, *args)
    assert out.exit_code == 0, out.output
    return out.output


def test_users_are_created_listed_promoted_and_disabled(ws):
    assert "give them a token" in ok(ws, "users", "create", "alice", "--role", "editor")
    ok(ws, "users", "create", "bob")
    listing = ok(ws, "users", "list")
    assert re.search(r"alice\s*│\s*editor\s*│\s*active", listing)
    assert re.search(r"bob\s*│\s*viewer\s*│\s*active", listing)
    assert "now admin" in ok(ws, "users", "role", "alice", "admin")
    assert get_user(ws, "alice").role is Role.ADMIN
    ok(ws, "users", "disable", "bob")
    assert re.search(r"bob\s*│\s*viewer\s*│\s*disabled", ok(ws, "users", "list"))


def test_a_token_is_printed_once_and_works(ws):
    ok(ws, "users", "create", "alice", "-r", "editor")
    out = ok(ws, "tokens", "create", "alice", "--label", "laptop", "--expires-in", "30d")
    assert "cannot be shown again" in out
    (token,) = re.findall(r"^myd_\S+$", out, flags=re.M)
    assert authenticate(backing(ws).store, token).user == "alice"
    (record,) = list_tokens(ws, "alice")
    assert record.token_id in out and record.expires_at is not None
    listing = ok(ws, "tokens", "list")
    assert record.token_id in listing and "laptop" in listing and "active" in listing
    assert token not in listing and token[10:20] not in listing
    assert "revoked token" in ok(ws, "tokens", "revoke", record.token_id)
    with pytest.raises(UnauthenticatedError):
        authenticate(backing(ws).store, token)
    assert "revoked" in ok(ws, "tokens", "list", "--user", "alice")


@pytest.mark.parametrize(
    "args, field",
    [
        (["users", "create", "bad name"], "name"),
        (["users", "create", "carol", "--role", "owner"], "role"),
        (["users", "create", "alice"], "name"),  # taken
        (["users", "role", "alice", "boss"], "role"),
        (["tokens", "create", "alice", "--expires-in", "soon"], "--expires-in"),
        (["tokens", "create", "alice", "--expires-in", "0d"], "--expires-in"),
        (["tokens", "create", "alice", "--label", "a\tb"], "label"),
        (["tokens", "list", "--user", "no/such"], "user"),
    ],
)
def test_bad_input_is_one_clear_line(ws, args, field):
    ok(ws, "users", "create", "alice")
    out = mlyard(ws, *args)
    assert out.exit_code == 1, out.output
    assert f"error [{field}]:" in out.output
    assert "Traceback" not in out.output and len(out.output.strip().splitlines()) <= 3


@pytest.mark.parametrize(
    "args",
    [
        ["users", "disable", "nobody"],
        ["users", "role", "nobody", "admin"],
        ["tokens", "create", "nobody"],
        ["tokens", "list", "--user", "nobody"],
        ["tokens", "revoke", "0123456789abcdef"],
    ],
)
def test_unknown_names_say_how_to_list_them(ws, args):
    out = mlyard(ws, *args)
    assert out.exit_code == 1 and "error" in out.output
    assert "mlyard users list" in out.output or "mlyard tokens list" in out.output


def test_a_disabled_user_gets_no_token(ws):
    ok(ws, "users", "create", "alice")
    ok(ws, "users", "disable", "alice")
    out = mlyard(ws, "tokens", "create", "alice")
    assert out.exit_code == 1 and "disabled" in out.output and "myd_" not in out.output


@pytest.mark.parametrize(
    "args", [["users", "list"], ["users", "create", "a"], ["tokens", "create", "a"]]
)
def test_no_command_creates_a_workspace(tmp_path, args):
    missing = tmp_path / "nowhere"
    out = runner.invoke(app, ["-w", str(missing), *args])
    assert out.exit_code == 1 and "there is no workspace at" in out.output
    assert not missing.exists()

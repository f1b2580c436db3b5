"""Tokens: shown once, stored as a keyed hash, refused as soon as they stop being valid."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from mlyard import Workspace
from mlyard.auth import (
    Role,
    authenticate,
    create_token,
    create_user,
    disable_user,
    init_admin,
    list_tokens,
    revoke_token,
    set_role,
)
from mlyard.auth.keys import PREFIX, find_workspace_key, hash_token, workspace_key
from mlyard.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
)
from mlyard.store.records import now_ms
from tests.live_server import backing


# Tokens are checked, and the workspace key kept, where the store is: on a server's own
# side for a remote workspace (`backing(ws)`), as its TokenGate does on each request.
@pytest.fixture
def alice(ws):
    create_user(ws, "alice", Role.EDITOR)
    return "alice"


def test_a_token_admits_its_user_with_their_role(ws, alice):
    issued = create_token(ws, alice, label="laptop")
    assert issued.token.startswith(PREFIX) and len(issued.token) > 40
    principal = authenticate(backing(ws).store, issued.token)
    assert (principal.user, principal.role) == ("alice", Role.EDITOR)
    assert principal.token_id == issued.record.token_id
    assert issued.token not in repr(issued)  # logs of the result never hold the secret


def test_the_workspace_keeps_only_a_keyed_hash(ws, alice):
    issued = create_token(ws, alice)
    key = workspace_key(backing(ws).store)
    (stored,) = list_tokens(ws, alice)
    assert issued.token not in repr(stored)
    assert issued.record.prefix == issued.token[:10] == stored.prefix
    found = backing(ws).store.find_token(hash_token(key, issued.token))
    assert found is not None and found[0].token_id == issued.record.token_id
    # neither the token itself nor an unkeyed hash of it is what the store looks up
    import hashlib

    assert backing(ws).store.find_token(issued.token) is None
    assert backing(ws).store.find_token(hashlib.sha256(issued.token.encode()).hexdigest()) is None


def test_the_token_is_nowhere_in_the_database_file(folder_ws):
    create_user(folder_ws, "alice", "viewer")
    issued = create_token(folder_ws, "alice")
    folder_ws.close()
    secret = issued.token[10:].encode()  # what the listing's prefix does not show
    for db in folder_ws.home.glob("mlyard.db*"):
        assert secret not in db.read_bytes(), db


def test_a_token_of_another_workspace_admits_no_one(ws, tmp_path):
    other = Workspace.open(tmp_path / "other")
    try:
        for w in (ws, other):
            create_user(w, "alice", Role.ADMIN)
        mine, theirs = create_token(ws, "alice"), create_token(other, "alice")
        assert workspace_key(backing(ws).store) != workspace_key(other.store)
        with pytest.raises(UnauthenticatedError, match="not known"):
            authenticate(other.store, mine.token)
        with pytest.raises(UnauthenticatedError, match="not known"):
            authenticate(backing(ws).store, theirs.token)
        assert authenticate(other.store, theirs.token).user == "alice"
    finally:
        other.close()


def test_revoking_takes_effect_on_the_next_request(ws, alice):
    keep, drop = create_token(ws, alice), create_token(ws, alice)
    authenticate(backing(ws).store, drop.token)
    revoke_token(ws, drop.record.token_id)
    with pytest.raises(UnauthenticatedError, match="revoked"):
        authenticate(backing(ws).store, drop.token)
    assert authenticate(backing(ws).store, keep.token).user == "alice"
    assert {t.token_id: t.state() for t in list_tokens(ws, alice)} == {
        keep.record.token_id: "active",
        drop.record.token_id: "revoked",
    }


def test_a_user_revokes_only_their_own_tokens(ws, alice):
    create_user(ws, "bob", Role.VIEWER)
    bobs = create_token(ws, "bob")
    with pytest.raises(NotFoundError):
        revoke_token(ws, bobs.record.token_id, user=alice)
    assert authenticate(backing(ws).store, bobs.token).user == "bob"
    revoke_token(ws, bobs.record.token_id, user="bob")
    with pytest.raises(UnauthenticatedError):
        authenticate(backing(ws).store, bobs.token)


def test_disabling_a_user_stops_all_their_tokens_at_once(ws, alice):
    tokens = [create_token(ws, alice).token for _ in range(3)]
    for token in tokens:
        authenticate(backing(ws).store, token)
    disable_user(ws, alice)
    for token in tokens:
        with pytest.raises(UnauthenticatedError, match="disabled"):
            authenticate(backing(ws).store, token)
    with pytest.raises(ConflictError):
        create_token(ws, alice)


def test_a_new_role_applies_on_the_next_request(ws, alice):
    token = create_token(ws, alice).token
    set_role(ws, alice, "viewer")
    assert authenticate(backing(ws).store, token).role is Role.VIEWER


def test_expired_tokens_are_refused(ws, alice):
    # A token whose expiry has passed, stored as create_token would store it.
    token = PREFIX + "expired-token-for-the-test-0123456789abcdef"
    key = workspace_key(backing(ws).store)
    backing(ws).store.create_token(
        alice, "", hash_token(key, token), token[:10], expires_at=now_ms() - 1
    )
    with pytest.raises(UnauthenticatedError, match="expired"):
        authenticate(backing(ws).store, token)
    assert list_tokens(ws, alice)[0].state() == "expired"
    # one with time left works, and knows when it ends
    before = now_ms()
    fresh = create_token(ws, alice, expires_in=timedelta(hours=1))
    assert fresh.record.expires_at is not None
    assert before + 3_600_000 <= fresh.record.expires_at <= now_ms() + 3_600_000
    assert authenticate(backing(ws).store, fresh.token).user == "alice"


@pytest.mark.parametrize("expires_in", [0, -5, float("nan"), float("inf"), True, "1d", 1e12])
def test_a_bad_lifetime_names_the_field(ws, alice, expires_in):
    with pytest.raises(InvalidInputError) as err:
        create_token(ws, alice, expires_in=expires_in)
    assert err.value.field == "expires_in"
    assert list_tokens(ws, alice) == []


@pytest.mark.parametrize(
    "token", [None, "", 123, b"myd_bytes", "Bearer myd_x", "ghp_abc", PREFIX + "x" * 500]
)
def test_anything_else_is_unauthenticated(ws, alice, token):
    create_token(ws, alice)
    with pytest.raises(UnauthenticatedError):
        authenticate(backing(ws).store, token)


def test_checking_a_token_never_writes_a_key(ws):
    with pytest.raises(UnauthenticatedError, match="not known"):
        authenticate(backing(ws).store, PREFIX + "made-up")
    assert find_workspace_key(backing(ws).store) is None


def test_the_last_use_is_recorded(ws, alice):
    issued = create_token(ws, alice)
    assert list_tokens(ws, alice)[0].last_used_at is None
    before = now_ms()
    authenticate(backing(ws).store, issued.token)
    used = list_tokens(ws, alice)[0].last_used_at
    assert used is not None and used >= before


# Local only: each handle opens the workspace's database itself. A server makes the key
# alone (its clients never see it), so its clients have nothing to agree on.
def test_every_process_of_a_workspace_agrees_on_the_key(local_ws):
    """Fresh handles on one workspace racing to make the key all end up with one."""
    handles = [Workspace.open(local_ws.url) for _ in range(4)]
    barrier = threading.Barrier(len(handles))
    keys: list[bytes] = []

    def make(h):
        barrier.wait()
        keys.append(workspace_key(h.store))

    threads = [threading.Thread(target=make, args=(h,)) for h in handles]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(keys) == 4 and len(set(keys)) == 1
        create_user(handles[0], "alice", "viewer")
        token = create_token(handles[1], "alice").token
        assert authenticate(handles[2].store, token).user == "alice"
    finally:
        for h in handles:
            h.close()


def test_init_admin_makes_the_first_admin_once(ws):
    issued = init_admin(ws)
    principal = authenticate(backing(ws).store, issued.token)
    assert (principal.user, principal.role) == ("admin", Role.ADMIN)
    with pytest.raises(ConflictError) as err:
        init_admin(ws, "root")
    assert "admin" in str(err.value) and "mlyard tokens create admin" in str(err.value)
    # a workspace whose admins were all disabled can be given a new one
    disable_user(ws, "admin")
    with pytest.raises(AlreadyExistsError):
        init_admin(ws)  # the name is still taken
    assert authenticate(backing(ws).store, init_admin(ws, "root").token).role is Role.ADMIN


def test_bad_names_name_the_field(ws):
    with pytest.raises(InvalidInputError) as err:
        create_user(ws, "no spaces", "viewer")
    assert err.value.field == "name"
    with pytest.raises(InvalidInputError) as err:
        create_user(ws, "alice", "owner")
    assert err.value.field == "role" and "viewer, editor, admin" in str(err.value)
    with pytest.raises(InvalidInputError) as err:
        create_token(ws, "../alice")
    assert err.value.field == "user"
    create_user(ws, "alice", "viewer")
    with pytest.raises(InvalidInputError) as err:
        create_token(ws, "alice", label="two\nlines")
    assert err.value.field == "label"

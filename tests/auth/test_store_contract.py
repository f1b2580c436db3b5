"""The users-and-tokens part of the Store contract, on every backend."""

from __future__ import annotations

import pytest

from mlyard.auth.keys import workspace_key
from mlyard.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from mlyard.store.records import Role, TokenRecord, UserRecord

HASH_A, HASH_B, HASH_C = "a" * 64, "b" * 64, "c" * 64


@pytest.fixture
def store(local_ws):
    # The store's half of auth: a served workspace's clients reach users through the
    # server's routes (tests/server/test_auth.py) and never see a token hash.
    return local_ws.store


# Token hashes are written and looked up only by the store that holds the workspace
# key: an embedded one, or a server's own (tests/auth/test_tokens.py reaches it). A
# remote workspace's store refuses, naming the field, as the last test here checks.


def test_users_are_created_listed_and_changed(store):
    alice = store.create_user("alice", Role.EDITOR)
    assert isinstance(alice, UserRecord)
    assert (alice.name, alice.role, alice.disabled) == ("alice", Role.EDITOR, False)
    store.create_user("bob", Role.VIEWER)
    assert [u.name for u in store.list_users()] == ["alice", "bob"]
    assert store.get_user("alice") == alice
    promoted = store.set_user_role("alice", Role.ADMIN)
    assert promoted.role is Role.ADMIN and store.get_user("alice").role is Role.ADMIN


def test_a_taken_name_is_refused_even_when_disabled(store):
    store.create_user("alice", Role.VIEWER)
    store.disable_user("alice")
    with pytest.raises(AlreadyExistsError) as err:
        store.create_user("alice", Role.ADMIN)
    assert err.value.field == "name" and "alice" in str(err.value)
    assert store.get_user("alice").role is Role.VIEWER  # unchanged


def test_disabling_twice_keeps_the_first_time(store):
    store.create_user("alice", Role.VIEWER)
    first = store.disable_user("alice")
    assert first.disabled and first.disabled_at is not None
    assert store.disable_user("alice").disabled_at == first.disabled_at


def test_unknown_users_and_tokens_are_not_found(store):
    for call in (
        lambda: store.get_user("nope"),
        lambda: store.set_user_role("nope", Role.ADMIN),
        lambda: store.disable_user("nope"),
        lambda: store.list_tokens("nope"),
        lambda: store.create_token("nope", "", HASH_A, "myd_x"),
        lambda: store.revoke_token("nope"),
    ):
        with pytest.raises(NotFoundError) as err:
            call()
        assert "nope" in str(err.value)
    assert store.find_token(HASH_A) is None
    assert store.list_users() == [] and store.list_tokens() == []
    store.touch_token("nope", 1)  # skipped silently


def test_tokens_are_stored_by_hash_and_found_with_their_user(store):
    store.create_user("alice", Role.EDITOR)
    assert store.list_tokens("alice") == []  # a known user without tokens
    token = store.create_token("alice", "laptop", HASH_A, "myd_abcdef", expires_at=None)
    assert isinstance(token, TokenRecord) and token.token_id
    assert (token.user, token.label, token.prefix) == ("alice", "laptop", "myd_abcdef")
    assert (token.expires_at, token.revoked_at, token.last_used_at) == (None, None, None)
    found = store.find_token(HASH_A)
    assert found is not None
    got, user = found
    assert got == token and user == store.get_user("alice")
    with pytest.raises(AlreadyExistsError):
        store.create_token("alice", "again", HASH_A, "myd_abcdef")


def test_tokens_list_oldest_first_per_user_or_all(store):
    store.create_user("alice", Role.EDITOR)
    store.create_user("bob", Role.VIEWER)
    a1 = store.create_token("alice", "1", HASH_A, "p1")
    b1 = store.create_token("bob", "2", HASH_B, "p2", expires_at=2**62)
    a2 = store.create_token("alice", "3", HASH_C, "p3")
    assert [t.token_id for t in store.list_tokens("alice")] == [a1.token_id, a2.token_id]
    assert {t.token_id for t in store.list_tokens()} == {a1.token_id, b1.token_id, a2.token_id}
    assert store.list_tokens("bob")[0].expires_at == 2**62


def test_a_disabled_user_gets_no_new_token(store):
    store.create_user("alice", Role.EDITOR)
    store.disable_user("alice")
    with pytest.raises(ConflictError) as err:
        store.create_token("alice", "", HASH_A, "p")
    assert err.value.field == "user"
    assert store.find_token(HASH_A) is None


def test_revoked_tokens_stay_listed_and_found(store):
    store.create_user("alice", Role.EDITOR)
    token = store.create_token("alice", "", HASH_A, "p")
    revoked = store.revoke_token(token.token_id)
    assert revoked.revoked_at is not None
    assert store.revoke_token(token.token_id).revoked_at == revoked.revoked_at
    found = store.find_token(HASH_A)
    assert found is not None and found[0].revoked_at == revoked.revoked_at
    assert store.list_tokens("alice")[0].state() == "revoked"


def test_touching_a_token_never_moves_its_last_use_back(store):
    store.create_user("alice", Role.EDITOR)
    token = store.create_token("alice", "", HASH_A, "p")
    store.touch_token(token.token_id, 5000)
    store.touch_token(token.token_id, 4000)
    assert store.list_tokens("alice")[0].last_used_at == 5000
    store.touch_token(token.token_id, 6000)
    found = store.find_token(HASH_A)
    assert found is not None and found[0].last_used_at == 6000


def test_a_server_keeps_token_hashes_and_its_key_to_itself(server_ws):
    store = server_ws.store
    store.create_user("alice", Role.EDITOR)
    for call in (
        lambda: store.create_token("alice", "", HASH_A, "p"),
        lambda: store.find_token(HASH_A),
        lambda: store.touch_token("t", 1),
    ):
        with pytest.raises(InvalidInputError, match="happens on the server") as err:
            call()
        assert err.value.field == "token"
    with pytest.raises(PermissionDeniedError, match="never leaves the server") as denied:
        workspace_key(store)
    assert denied.value.field == "key"
    assert store.list_tokens("alice") == []

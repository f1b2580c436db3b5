"""A server's authenticator remembers the tokens it admitted, where the store can tell it
when users or tokens change (PostgreSQL), and forgets them as soon as any process
revokes a token, disables a user or changes a role, or the watch's connection drops.

The changes are made through a second workspace object on the same database: its own
engine and connections, as another server process would have."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from mlyard import Workspace
from mlyard.auth import Role, create_token, create_user, disable_user, revoke_token, set_role
from mlyard.auth.authenticator import Authenticator
from mlyard.errors import UnauthenticatedError
from tests.conftest import PG_URL


@pytest.fixture
def setup(local_ws) -> Iterator[tuple[Workspace, Workspace, Authenticator, list[str]]]:
    """(the server's workspace, another process's, the authenticator, its token reads)"""
    create_user(local_ws, "alice", Role.EDITOR)
    other = Workspace.open(local_ws.url)
    reads: list[str] = []
    store = local_ws.store
    find_token = store.find_token

    def noted(token_hash: str):  # the store's own read, counted
        reads.append(token_hash)
        return find_token(token_hash)

    store.find_token = noted  # type: ignore[method-assign]
    authenticate = Authenticator(store)
    try:
        yield local_ws, other, authenticate, reads
    finally:
        authenticate.close()
        del store.find_token
        other.close()


def _refused(authenticate: Authenticator, token: str) -> bool:
    try:
        authenticate(token)
    except UnauthenticatedError:
        return True
    return False


def _remembers(ws: Workspace) -> bool:
    return ws.store._db.dialect == "postgresql"


def test_a_token_is_read_once_where_the_store_watches_and_every_time_where_not(setup):
    ws, _, authenticate, reads = setup
    token = create_token(ws, "alice").token
    for _ in range(5):
        assert authenticate(token).user == "alice"
    assert len(reads) == (1 if _remembers(ws) else 5)


def test_a_change_made_through_the_same_store_is_seen_at_once(setup):
    ws, _, authenticate, _ = setup
    issued = create_token(ws, "alice")
    other = create_token(ws, "alice").token
    assert authenticate(issued.token).role is Role.EDITOR
    assert authenticate(other).role is Role.EDITOR
    revoke_token(ws, issued.record.token_id)
    with pytest.raises(UnauthenticatedError, match="revoked"):
        authenticate(issued.token)
    set_role(ws, "alice", Role.VIEWER)
    assert authenticate(other).role is Role.VIEWER
    disable_user(ws, "alice")
    with pytest.raises(UnauthenticatedError, match="disabled"):
        authenticate(other)


def test_a_token_revoked_elsewhere_is_refused(setup, wait_until):
    ws, other, authenticate, _ = setup
    issued = create_token(ws, "alice")
    assert authenticate(issued.token).user == "alice"
    revoke_token(other, issued.record.token_id)
    wait_until(lambda: _refused(authenticate, issued.token))
    with pytest.raises(UnauthenticatedError, match="revoked"):
        authenticate(issued.token)


def test_a_user_disabled_elsewhere_is_refused(setup, wait_until):
    ws, other, authenticate, _ = setup
    token = create_token(ws, "alice").token
    assert authenticate(token).user == "alice"
    disable_user(other, "alice")
    wait_until(lambda: _refused(authenticate, token))
    with pytest.raises(UnauthenticatedError, match="disabled"):
        authenticate(token)


def test_a_role_changed_elsewhere_is_the_role_from_then_on(setup, wait_until):
    ws, other, authenticate, _ = setup
    token = create_token(ws, "alice").token
    assert authenticate(token).role is Role.EDITOR
    set_role(other, "alice", Role.VIEWER)
    wait_until(lambda: authenticate(token).role is Role.VIEWER)


def test_a_remembered_token_still_expires(setup, wait_until):
    ws, _, authenticate, reads = setup
    token = create_token(ws, "alice", expires_in=1.0).token
    assert authenticate(token).user == "alice"
    wait_until(lambda: _refused(authenticate, token))
    with pytest.raises(UnauthenticatedError, match="expired"):
        authenticate(token)


@pytest.mark.postgres
@pytest.mark.parametrize("local_ws", ["postgresql"], indirect=True)
def test_while_the_watch_is_down_every_check_reads_and_it_comes_back(setup, wait_until):
    ws, other, authenticate, reads = setup
    issued = create_token(ws, "alice")
    authenticate(issued.token)
    watch = authenticate._watch
    assert watch is not None and watch.live
    seen = watch.generation
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query = 'LISTEN mlyard_auth' AND pid <> pg_backend_pid()"
        )
    wait_until(lambda: watch.generation > seen)  # the loss counts as a change
    revoke_token(other, issued.record.token_id)
    with pytest.raises(UnauthenticatedError, match="revoked"):
        authenticate(issued.token)
    wait_until(lambda: watch.live)  # listening again
    fresh = create_token(ws, "alice").token
    before = len(reads)
    for _ in range(3):
        authenticate(fresh)
    assert len(reads) == before + 1

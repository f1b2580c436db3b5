"""API tokens: anyone admitted manages their own; admins manage everyone's.

The server mints and hashes tokens with the workspace's key, which never leaves it;
the answer to a create holds the secret, shown this once.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from mlyard import auth
from mlyard.server.context import reply, viewer
from mlyard.server.gate import caller, is_admin
from mlyard.server.route import Route
from mlyard.store.records import TokenRecord
from mlyard.wire import codec
from mlyard.wire.requests import TokenCreate
from mlyard.workspace import Workspace

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], route_class=Route)


def _own(request: Request, user: str | None) -> str | None:
    """The user whose tokens a caller may touch: anyone's for admins, else their own."""
    if is_admin(request):
        return user
    principal = caller(request)
    assert principal is not None  # an open server's callers are admins
    if user is not None and user != principal.user:
        auth.require(principal, auth.Role.ADMIN)
    return principal.user


@router.post("", status_code=201)
def create_token(body: TokenCreate, request: Request, ws: Workspace = viewer) -> Response:
    _own(request, body.user)
    issued = auth.create_token(ws, body.user, body.label, body.expires_in)
    return reply({"token": issued.token, "record": codec.dump(issued.record)}, status=201)


@router.get("/current")
def current(request: Request, ws: Workspace = viewer) -> Response:
    """Who the caller's token admits, and their role (on an open server: no one)."""
    principal = caller(request)
    if principal is None:
        return reply({"user": None, "role": "admin", "token_id": None})
    return reply(
        {"user": principal.user, "role": principal.role.value, "token_id": principal.token_id}
    )


@router.get("")
def list_tokens(request: Request, user: str | None = None, ws: Workspace = viewer) -> Response:
    return reply(auth.list_tokens(ws, _own(request, user)), list[TokenRecord])


@router.delete("/{token_id}")
def revoke_token(token_id: str, request: Request, ws: Workspace = viewer) -> Response:
    return reply(auth.revoke_token(ws, token_id, user=_own(request, None)))

"""Asking a workspace whom a token admits: its store here, or the server over HTTP."""

from __future__ import annotations

from mlyard.auth import Principal, Role, authenticate
from mlyard.wire.client import Connection
from mlyard.workspace import Workspace


def admits(ws: Workspace, token: str) -> Principal:
    """Who ``token`` admits to ``ws``; raises ``UnauthenticatedError`` like a server."""
    if ws.server is None:
        return authenticate(ws.store, token)
    conn = Connection(ws.url, token)
    try:
        answer = conn.call("GET", "/api/v1/tokens/current")
    finally:
        conn.close()
    return Principal(answer["user"], Role(answer["role"]), answer["token_id"])

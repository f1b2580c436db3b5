"""Who may call what: the server's check of the caller's token and role.

Every route names the role it needs (:mod:`mlyard.server.context`); the app's gate
decides. :class:`TokenGate` reads ``Authorization: Bearer <token>``, authenticates it
against the workspace (:class:`~mlyard.auth.authenticator.Authenticator`) and checks
the role: 401 without a token that admits a user, 403 without the role.
:class:`OpenGate` lets everyone do everything
(``mlyard server --no-auth``, loopback only).

Either way the gate leaves who asked in ``request.state.principal``, so routes record
the caller, not a name the client claims, as the creator of runs, datasets and models.
"""

from __future__ import annotations

from fastapi import Request

from mlyard.auth import Principal, Role, require
from mlyard.auth.authenticator import Authenticator
from mlyard.workspace import Workspace

_SCHEME = "bearer "


class OpenGate:
    """No authentication: every caller is an admin, known by the name they claim."""

    def require(self, request: Request, role: str) -> None:
        request.state.principal = None

    def close(self) -> None:
        pass


class TokenGate:
    """Callers show a token of the workspace; their user's role must allow the route."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self._authenticate = Authenticator(ws.store)

    def require(self, request: Request, role: str) -> None:
        header = request.headers.get("authorization", "")
        token = header[len(_SCHEME) :].strip() if header.lower().startswith(_SCHEME) else ""
        principal = self._authenticate(token)
        require(principal, role)
        request.state.principal = principal

    def close(self) -> None:
        self._authenticate.close()


def caller(request: Request) -> Principal | None:
    """Who the request acts for (``None`` on an open server)."""
    return getattr(request.state, "principal", None)


def creator(request: Request, claimed: str | None) -> str | None:
    """The user to record as a creator: the caller when known, else what was claimed."""
    principal = caller(request)
    return principal.user if principal is not None else claimed


def is_admin(request: Request) -> bool:
    principal = caller(request)
    return principal is None or principal.allows(Role.ADMIN)


def gate_for(ws: Workspace, auth: bool) -> OpenGate | TokenGate:
    """The gate a server over ``ws`` uses: tokens when ``auth``, else open."""
    return TokenGate(ws) if auth else OpenGate()

"""Who may call what: the server's check of the caller's token and role.

:class:`OpenGate` lets everyone do everything (``mlyard server --no-auth``, loopback
only). The token gate of :mod:`mlyard.auth` replaces it when auth is on.
"""

from __future__ import annotations

from fastapi import Request


class OpenGate:
    """No authentication: every caller is an admin."""

    def require(self, request: Request, role: str) -> None:
        request.state.user = None


def gate_for(ws, auth: bool):
    """The gate a server over ``ws`` uses: tokens when ``auth``, else open."""
    if not auth:
        return OpenGate()
    from mlyard.errors import InvalidInputError

    raise InvalidInputError(
        "this build cannot check tokens yet", field="--no-auth", fix="start with --no-auth"
    )

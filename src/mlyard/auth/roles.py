"""Roles and who may do what: ``viewer`` < ``editor`` < ``admin``, per workspace.

=========  ==========================================================
role       may
=========  ==========================================================
viewer     read everything
editor     also create runs, datasets and models (and log to runs)
admin      also manage users and tokens, deploy, and delete
=========  ==========================================================

A front (the server's routes) authenticates a request into a :class:`Principal`, then
calls :func:`require` with the role the action needs.

Example:
    >>> alice = Principal("alice", Role.EDITOR)
    >>> require(alice, Role.EDITOR)
    >>> require(alice, "admin")
    Traceback (most recent call last):
    ...
    mlyard.errors.PermissionDeniedError: user 'alice' is an editor; this needs the admin role...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlyard.errors import InvalidInputError, PermissionDeniedError
from mlyard.store.records import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for, and their role in the workspace."""

    user: str
    role: Role
    token_id: str | None = None  # the token that admitted them, when there was one

    def allows(self, needed: Role | str) -> bool:
        return self.role.allows(needed)


def check_role(value: Any, *, field: str = "role") -> Role:
    """``value`` as a :class:`Role`, or an error naming ``field`` and the roles."""
    try:
        return Role(value)
    except ValueError:
        raise InvalidInputError(
            f"{value!r:.40} is not a role",
            field=field,
            fix=f"use one of {', '.join(r.value for r in Role)}",
        ) from None


def require(principal: Principal, needed: Role | str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``principal``'s role allows ``needed``."""
    needed = check_role(needed, field="needed")
    if not principal.role.allows(needed):
        article = "an" if principal.role.value[0] in "aeiou" else "a"
        raise PermissionDeniedError(
            f"user {principal.user!r} is {article} {principal.role.value}; this needs the "
            f"{needed.value} role",
            fix="ask an admin for it: `mlyard users role NAME ROLE`",
        )

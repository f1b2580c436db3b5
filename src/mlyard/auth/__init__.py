"""Users, roles and API tokens of a workspace.

A user has one role in the workspace (``viewer`` < ``editor`` < ``admin``, see
:mod:`mlyard.auth.roles`) and any number of tokens. A token is shown once, when it is
created; the workspace keeps only its keyed hash (:mod:`mlyard.auth.keys`). Every
request a server receives goes through :func:`authenticate` (token -> who and what
role) and :func:`require` (is the role enough); a revoked token or a disabled user is
refused from the next request on. What the SDK creates records :func:`current_user`.

Example:
    >>> import tempfile
    >>> from mlyard import Workspace
    >>> ws = Workspace.open(tempfile.mkdtemp() + "/yard")
    >>> _ = create_user(ws, "carol", Role.EDITOR)
    >>> principal = authenticate(ws.store, create_token(ws, "carol").token)
    >>> principal.user, principal.role.value, principal.allows(Role.VIEWER)
    ('carol', 'editor', True)
"""

from __future__ import annotations

from mlyard.auth.identity import acting_as, current_user
from mlyard.auth.roles import Principal, check_role, require
from mlyard.auth.tokens import IssuedToken, authenticate, create_token, list_tokens, revoke_token
from mlyard.auth.users import (
    create_user,
    disable_user,
    get_user,
    init_admin,
    list_users,
    set_role,
)
from mlyard.errors import PermissionDeniedError, UnauthenticatedError
from mlyard.store.records import Role, TokenRecord, UserRecord

__all__ = [
    "IssuedToken",
    "PermissionDeniedError",
    "Principal",
    "Role",
    "TokenRecord",
    "UnauthenticatedError",
    "UserRecord",
    "acting_as",
    "authenticate",
    "check_role",
    "create_token",
    "create_user",
    "current_user",
    "disable_user",
    "get_user",
    "init_admin",
    "list_tokens",
    "list_users",
    "require",
    "revoke_token",
    "set_role",
]

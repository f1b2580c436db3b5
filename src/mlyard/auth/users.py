"""Users of a workspace and their roles; the first admin.

Example:
    >>> import tempfile
    >>> from mlyard import Workspace
    >>> ws = Workspace.open(tempfile.mkdtemp() + "/yard")
    >>> issued = init_admin(ws)
    >>> issued.token.startswith("myd_"), [u.name for u in list_users(ws)]
    (True, ['admin'])
    >>> create_user(ws, "bob", "viewer").role.value
    'viewer'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlyard.auth.roles import check_role
from mlyard.auth.tokens import IssuedToken, create_token
from mlyard.errors import ConflictError
from mlyard.names import check_name
from mlyard.store.records import Role, UserRecord

if TYPE_CHECKING:
    from mlyard.workspace import Workspace


def create_user(ws: Workspace, name: str, role: Role | str = Role.VIEWER) -> UserRecord:
    """Add user ``name`` with ``role`` (default ``viewer``); give them a token next.

    Raises:
        AlreadyExistsError: the name is taken, by an active or a disabled user.
        InvalidInputError: a bad name or role.
    """
    check_name(name, "user name", field="name")
    return ws.store.create_user(name, check_role(role))


def get_user(ws: Workspace, name: str) -> UserRecord:
    """The user ``name``. Raises ``NotFoundError``."""
    check_name(name, "user name", field="name")
    return ws.store.get_user(name)


def list_users(ws: Workspace) -> list[UserRecord]:
    """Every user of the workspace, disabled ones included, by name."""
    return ws.store.list_users()


def set_role(ws: Workspace, name: str, role: Role | str) -> UserRecord:
    """Give user ``name`` the role ``role``; it applies from their next request.

    Raises ``NotFoundError`` for an unknown user.
    """
    check_name(name, "user name", field="name")
    return ws.store.set_user_role(name, check_role(role))


def disable_user(ws: Workspace, name: str) -> UserRecord:
    """Disable user ``name``: none of their tokens admits them from the next request on.

    Raises ``NotFoundError`` for an unknown user.
    """
    check_name(name, "user name", field="name")
    return ws.store.disable_user(name)


def init_admin(ws: Workspace, name: str = "admin") -> IssuedToken:
    """Create the workspace's first admin and a token for it (``mlyard server init``).

    Raises:
        ConflictError: the workspace already has an active admin.
        AlreadyExistsError: ``name`` is taken by a user who is not an active admin.
    """
    check_name(name, "user name", field="name")
    admins = [u.name for u in ws.store.list_users() if u.role is Role.ADMIN and not u.disabled]
    if admins:
        raise ConflictError(
            f"this workspace already has an admin ({', '.join(admins)})",
            fix=f"ask for a token with `mlyard tokens create {admins[0]}`",
        )
    create_user(ws, name, Role.ADMIN)
    return create_token(ws, name, label="first admin")

"""Who is acting: the user recorded on the runs, datasets and models this process makes.

Outside a server it is ``MLYARD_USER``, else the login name. A server acting for an
authenticated caller wraps the work in :func:`acting_as`, so what the SDK records
names the caller, not the account the server runs under. The override is a context
variable: each thread and each asyncio task sees its own.

Example:
    >>> with acting_as("alice"):
    ...     current_user()
    'alice'
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from mlyard import settings
from mlyard.names import check_label

_ACTING: ContextVar[str | None] = ContextVar("mlyard_acting_user", default=None)


def current_user() -> str:
    """The user this code acts for: :func:`acting_as`, ``MLYARD_USER``, the login name."""
    acting = _ACTING.get()
    if acting is not None:
        return acting
    configured = str(settings.get("user"))
    if configured:
        return check_label(configured, "MLYARD_USER", field="MLYARD_USER")
    return _login_name()


@contextmanager
def acting_as(user: str) -> Iterator[None]:
    """Record ``user`` as the creator of what the code inside makes."""
    check_label(user, "user", field="user")
    reset = _ACTING.set(user)
    try:
        yield
    finally:
        _ACTING.reset(reset)


@cache
def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers) and no $USER
        return "unknown"

"""What every route needs: the workspace, the caller's role, and one way to reply.

Routes are thin: they check who asks (:func:`role`), call the workspace, and answer
with :func:`reply`, which writes records through the one codec.

Most routes are the server half of :class:`~mlyard.store._rest.RestStore` (DESIGN.md:
"one store interface, two backends"): a remote SDK's store call arrives here and is
answered by the same call on the server's store, after the checks the SDK would have
made (names, keys, values, paths). What is more than a store call — deploying and
watching services, garbage collection — goes through the SDK (``ws.services``,
:func:`mlyard.gc.collect_garbage`).

Example:
    >>> @router.get("/experiments/{experiment_id}")  # doctest: +SKIP
    ... def get(experiment_id: str, ws: Workspace = viewer) -> Response:
    ...     return reply(ws.store.get_experiment(experiment_id))
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import Response

from mlyard.names import MAX_VERSION
from mlyard.server.route import Needs
from mlyard.wire import codec

# A version in a path: bounded here, so a huge number is a 400 naming it, not a number
# the database cannot hold.
Version = Annotated[int, Path(ge=1, le=MAX_VERSION)]


def reply(value: Any, as_type: Any = None, status: int = 200) -> Response:
    """A JSON response holding ``value`` in its codec form."""
    return Response(codec.encode(value, as_type), status, media_type="application/json")


def role(needed: str) -> Any:
    """The default of an endpoint's ``ws`` parameter: the server's workspace, for callers
    holding role ``needed`` (the :class:`~mlyard.server.route.Route` checks them)."""
    return Needs(needed)


viewer = role("viewer")  # read anything
editor = role("editor")  # runs, datasets, models
admin = role("admin")  # users, deployments, deletion

"""A live ``mlyard server`` on a loopback port, in a thread of the test process.

The ``ws`` fixture's server backends use it: real HTTP, real uvicorn, a real store
behind it, without a process start per test. Tests of the server as a process
(workers, shutdown, several processes on one store) start ``mlyard server`` itself.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from mlyard.server import create_app
from mlyard.server.gate import gate_for
from mlyard.server.protocol import Protocol
from mlyard.workspace import Workspace

_SERVED: dict[str, Workspace] = {}


def backing(ws: Workspace) -> Workspace:
    """The workspace behind ``ws``: the server's own, for a workspace a live server
    serves; else ``ws`` itself. Tests reach through it to what the server keeps on its
    machine — its folders, blobs and service processes — to damage or inspect them."""
    return _SERVED.get(ws.url, ws)


def served(base: str) -> Workspace:
    """The workspace the live server at ``base`` serves."""
    return _SERVED[base]


@contextmanager
def live_server(
    url: str,
    artifact_root: str | None = None,
    gate: Any = None,
    *,
    auth: bool = False,
    **options: Any,
) -> Iterator[str]:
    """Serve the workspace at ``url``; yield the server's base URL. With ``auth`` every
    request needs a token (make the first with ``init_admin(served(base))``); ``options``
    go to :func:`~mlyard.server.create_app` (``max_body``, ``body_timeout``)."""
    ws = Workspace.open(url, artifact_root=artifact_root)
    app = create_app(ws, gate=gate or gate_for(ws, auth), close_workspace=True, **options)
    with serving(app) as base:
        _SERVED[base] = ws
        try:
            yield base
        finally:
            _SERVED.pop(base, None)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve the ASGI ``app`` with uvicorn on a free loopback port; yield its base URL."""
    from tests.conftest import _wait_until

    config = uvicorn.Config(app, log_level="warning", lifespan="on", http=Protocol)
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until(lambda: server.started or not thread.is_alive())
        assert thread.is_alive(), "the server thread died while starting"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()

"""A live ``mlyard server`` per test on a loopback port, open to all (no tokens).

``served`` is one with the default settings; ``serve(**options)`` starts one with
other :func:`~mlyard.server.create_app` options, such as a small ``max_body`` or a short
``body_timeout``, so limits are tested with a few bytes and a fraction of a second.
Requests go over real HTTP: httpx, or a raw socket (:mod:`tests.server.raw`) for what
httpx will not send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mlyard import Workspace
from tests.live_server import backing, live_server


@dataclass
class Served:
    """A live server: its URL, a client of it, and the workspace it serves (its own
    folders, to plant or inspect files as someone on the server's machine would)."""

    url: str
    http: httpx.Client
    ws: Workspace
    folder: Path


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    with ExitStack() as stack:
        count = 0

        def start(**options: Any) -> Served:
            nonlocal count
            count += 1
            folder = tmp_path / f"served-{count}"
            url = stack.enter_context(live_server(str(folder), **options))
            http = stack.enter_context(httpx.Client(base_url=url, timeout=30))
            remote = stack.enter_context(Workspace.open(url))
            return Served(url, http, backing(remote), folder)

        yield start


@pytest.fixture
def served(serve) -> Served:
    return serve()

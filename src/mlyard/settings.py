"""Every setting, declared once: name, default, help and the ``MLYARD_*`` variable.

The CLI and the README read this table; ``tests/test_settings.py`` fails when a setting
is missing from the README.

Example:
    >>> from mlyard.settings import get
    >>> get("flush_interval")
    1.0
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _flag(raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    cast: Callable[[str], Any] = str

    @property
    def env(self) -> str:
        return f"MLYARD_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "workspace",
        "./yard",
        "Workspace the SDK and CLI open: a folder, a database URL or a server URL.",
    ),
    Setting(
        "tracking_uri",
        "",
        "An mlyard server URL (http://host:port) to open instead of MLYARD_WORKSPACE.",
    ),
    Setting("token", "", "The token sent to an mlyard server (see `mlyard tokens create`)."),
    Setting(
        "flush_interval", 1.0, "Seconds between background flushes of buffered metrics.", float
    ),
    Setting("flush_size", 5000, "Buffered metric points that trigger an immediate flush.", int),
    Setting(
        "busy_timeout", 60.0, "Seconds a SQLite writer waits for another writer's lock.", float
    ),
    Setting(
        "sync_commit",
        False,
        "Flush each commit of run logging to disk before answering (SQLite synchronous=FULL, "
        "PostgreSQL synchronous_commit=on). Off: a crash of the database's machine can drop "
        "the last fraction of a second of logs, never corrupt the store.",
        _flag,
    ),
    Setting(
        "progress_min_bytes",
        4 * 1024 * 1024,
        "Uploads and downloads at least this large show a progress bar.",
        int,
    ),
    Setting(
        "serve_start",
        "auto",
        "How a scoring process starts: 'fork' (reuse this process's imports), 'spawn' "
        "(fresh interpreter) or 'auto' (fork when the model's flavor allows it).",
    ),
    Setting("deploy_timeout", 120.0, "Seconds wait_for_deployment waits for ready.", float),
    Setting(
        "body_timeout",
        30.0,
        "Seconds `mlyard server` waits for more of a request body (an upload) before "
        "answering 408 and dropping what came.",
        float,
    ),
    Setting(
        "min_body_rate",
        1024.0,
        "Bytes per second a request body must average, once it has taken longer than "
        "MLYARD_BODY_TIMEOUT, or `mlyard server` answers 408 (a trickle holds a connection).",
        float,
    ),
    Setting(
        "heartbeat_interval",
        10.0,
        "Seconds between a live run's heartbeats; a run silent for 6 of them is LOST.",
        float,
    ),
    Setting(
        "home",
        "~/.mlyard",
        "This machine's own folder for database workspaces (service folders and logs).",
    ),
    Setting(
        "machine",
        "",
        "The name this machine goes by for the runs and services it owns (default: its host name).",
    ),
    Setting(
        "user",
        "",
        "The user recorded as creator of the runs, datasets and models this process makes "
        "(default: the login name).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> Any:
    """The value of setting ``name``: its ``MLYARD_*`` variable if set, else the default."""
    setting = _BY_NAME[name]
    raw = os.environ.get(setting.env)
    if raw is None or raw == "":
        return setting.default
    try:
        return setting.cast(raw)
    except ValueError as e:
        from mlyard.errors import InvalidInputError

        raise InvalidInputError(
            f"{setting.env}={raw!r} is not a valid value: {e}",
            field=setting.env,
            fix=f"unset it or give a {setting.cast.__name__}",
        ) from e

"""How a web service is deployed: its address, how its process starts, how long to wait.

Example:
    >>> DeploymentConfig.coerce({"port": 8890}).port
    8890
    >>> DeploymentConfig.coerce(None).host
    '127.0.0.1'
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import Any

from mlyard import settings
from mlyard.errors import InvalidInputError

START_MODES = ("auto", "fork", "spawn")


@dataclass(frozen=True)
class DeploymentConfig:
    """Where and how a scoring service runs.

    Args:
        port: TCP port of the service; ``None`` picks a free one (kept across
            ``overwrite=True`` redeployments of the same name when it is still free).
        host: address to listen on; loopback by default.
        start: ``"fork"`` (reuse this process's imports, ready in well under a second),
            ``"spawn"`` (a fresh interpreter) or ``"auto"``; ``None`` reads
            ``MLYARD_SERVE_START``.
        timeout: seconds ``wait_for_deployment`` waits for ready; ``None`` reads
            ``MLYARD_DEPLOY_TIMEOUT``.
        access_log: whether the server logs every request (off: it costs throughput).

    Example:
        >>> DeploymentConfig(port=8890, start="spawn").to_dict()["start"]
        'spawn'
    """

    port: int | None = None
    host: str = "127.0.0.1"
    start: str | None = None
    timeout: float | None = None
    access_log: bool = False

    def __post_init__(self) -> None:
        _check_port(self.port)
        _check_host(self.host)
        if self.start is not None and self.start not in START_MODES:
            raise InvalidInputError(
                f"start={self.start!r} is not a start mode",
                field="deployment_config.start",
                fix=f"use one of {', '.join(START_MODES)}, or None for MLYARD_SERVE_START",
            )
        if self.timeout is not None and not (
            isinstance(self.timeout, int | float) and self.timeout > 0
        ):
            raise InvalidInputError(
                f"timeout={self.timeout!r} is not a positive number of seconds",
                field="deployment_config.timeout",
                fix="pass e.g. timeout=120",
            )

    @classmethod
    def coerce(cls, value: DeploymentConfig | dict[str, Any] | None) -> DeploymentConfig:
        """A config from ``None`` (defaults), a dict of its fields, or a config."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            known = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(set(value) - known)
            if unknown:
                raise InvalidInputError(
                    f"deployment_config has unknown key(s) {unknown}",
                    field=f"deployment_config.{unknown[0]}",
                    fix=f"known keys: {', '.join(sorted(known))}",
                )
            return cls(**value)
        raise InvalidInputError(
            f"deployment_config must be a DeploymentConfig or a dict, got {type(value).__name__}",
            field="deployment_config",
            fix="pass DeploymentConfig(port=8890) or {'port': 8890}, or None",
        )

    @property
    def start_mode(self) -> str:
        """The start mode in force: this config's, else the ``serve_start`` setting."""
        mode = self.start or str(settings.get("serve_start"))
        if mode not in START_MODES:
            raise InvalidInputError(
                f"MLYARD_SERVE_START={mode!r} is not a start mode",
                field="MLYARD_SERVE_START",
                fix=f"use one of {', '.join(START_MODES)}",
            )
        return mode

    @property
    def ready_timeout(self) -> float:
        """Seconds to wait for ready: this config's, else the ``deploy_timeout`` setting."""
        return float(self.timeout if self.timeout is not None else settings.get("deploy_timeout"))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_port(port: Any) -> None:
    if port is None:
        return
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidInputError(
            f"port={port!r} is not a TCP port",
            field="deployment_config.port",
            fix="pass an integer from 1 to 65535, or None for a free port",
        )


def _check_host(host: Any) -> None:
    if host == "localhost":
        return
    try:
        ipaddress.ip_address(host)
    except (ValueError, TypeError):
        raise InvalidInputError(
            f"host={host!r} is not an IP address",
            field="deployment_config.host",
            fix="pass an address such as '127.0.0.1' (the default)",
        ) from None

"""Running the server: uvicorn with one or several worker processes.

Each worker builds its own app from the environment (:func:`app_from_env`): the
workspace URL, artifact root and whether auth is on travel as ``MLYARD_SERVER_*``
variables, so ``--workers 4`` gives four independent processes over one store.
SIGTERM or Ctrl-C stops taking connections, lets requests in flight finish (up to
``GRACE`` seconds), then closes the store.

Example:
    >>> serve("./yard", port=8765)  # doctest: +SKIP
"""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket
import sys

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

from mlyard import settings
from mlyard.errors import InvalidInputError
from mlyard.server.protocol import Protocol

GRACE = 30
_ENV = {
    "url": "MLYARD_SERVER_WORKSPACE",
    "artifacts": "MLYARD_SERVER_ARTIFACTS",
    "auth": "MLYARD_SERVER_AUTH",
}
log = logging.getLogger("mlyard.server")


def app_from_env():
    """The app of one worker, for the workspace the environment names."""
    from mlyard.server.app import create_app
    from mlyard.server.gate import gate_for
    from mlyard.workspace import Workspace

    ws = Workspace.open(
        os.environ[_ENV["url"]], artifact_root=os.environ.get(_ENV["artifacts"]) or None
    )
    return create_app(
        ws,
        gate=gate_for(ws, os.environ.get(_ENV["auth"]) != "off"),
        body_timeout=float(settings.get("body_timeout")),
        min_body_rate=float(settings.get("min_body_rate")),
        close_workspace=True,
    )


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        except OSError:
            return False


def check_options(host: str, auth: bool, workers: int) -> None:
    if not auth and not is_loopback(host):
        raise InvalidInputError(
            f"--no-auth would let anyone reaching {host} read and change the workspace",
            field="--no-auth",
            fix="serve on 127.0.0.1 without auth, or keep auth on (create tokens with "
            "`mlyard server init`)",
        )
    if workers < 1:
        raise InvalidInputError(f"--workers must be at least 1, got {workers}", field="--workers")


def serve(
    url: str,
    *,
    artifacts: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    workers: int = 1,
    auth: bool = True,
    log_level: str = "warning",
) -> None:
    """Serve the workspace at ``url`` until SIGTERM or Ctrl-C."""
    check_options(host, auth, workers)
    os.environ[_ENV["url"]] = url
    os.environ[_ENV["artifacts"]] = artifacts or ""
    os.environ[_ENV["auth"]] = "on" if auth else "off"
    config = uvicorn.Config(
        "mlyard.server.serve:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=GRACE,
        timeout_keep_alive=30,
        access_log=False,
        http=Protocol,
    )
    # uvicorn ends a process it stopped gracefully by raising the signal again, which
    # kills it with SIGTERM's status (-15, 143 in a shell): a stop that was asked for
    # and went well must say 0 to whatever supervises the server (systemd, Kubernetes).
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        if workers > 1:
            _Workers(config, sockets=[config.bind_socket()]).run()
        else:
            _serve_one(config)
    except KeyboardInterrupt:
        pass  # Ctrl-C: stopped as asked, like SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve_one(config: uvicorn.Config) -> None:
    config.load_app()  # an app that cannot be imported exits 3 here
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's status for a server that never started (port taken…)


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)


class _Workers(Multiprocess):
    """uvicorn's supervisor of worker processes, but the listening socket closes as soon
    as the stop begins. uvicorn's keeps it open until every worker has finished its
    requests: meanwhile the kernel still completes new connections into its backlog,
    where they hang unanswered instead of being refused."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()

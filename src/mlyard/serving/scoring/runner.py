"""The scoring process: read the spec, verify and load the models, serve until stopped.

It needs nothing but its deployment folder — no database, no workspace — and reports
its progress as stages in ``stages.jsonl`` and as lines in ``service.log``. It binds
its port before loading the models, so a taken port fails at once and early clients
wait in the listen queue instead of being refused.

Run by hand (this is what a spawned service runs)::

    python -m mlyard.serving.scoring ./yard/deployments/diabetes-service
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import warnings
from pathlib import Path

from mlyard.errors import DeploymentFailedError
from mlyard.serving.spec import DeploymentDir, ServiceSpec
from mlyard.serving.stages import FAILED, LISTENING, LOADING, StageLog

log = logging.getLogger("mlyard.serving")


def serve(directory: str | Path) -> int:
    """Serve the deployment in ``directory`` until SIGTERM or SIGINT; the exit code."""
    _configure_logging()
    folder = DeploymentDir(directory)
    stages = StageLog(folder.stages_path)
    log.info("scoring process %d starting for %s", os.getpid(), folder.path)
    try:
        spec = folder.read_spec()
        sock = _listen(spec.host, spec.port)
        app = _build_app(folder, spec, stages)
    except Exception as e:
        log.exception("the service cannot start")
        stages.add(FAILED, f"{type(e).__name__}: {e}")
        return 1
    return _run(app, sock, spec)


def _build_app(folder: DeploymentDir, spec: ServiceSpec, stages: StageLog):
    from mlyard.serving.scoring.app import ScoringApp
    from mlyard.serving.scoring.served import ServedModel

    models = []
    for model in spec.models:
        stages.add(LOADING, f"{model.key} (verifying sha256, then loading)")
        log.info("loading model %s from %s", model.key, model.path)
        models.append(ServedModel.load(model, folder.path))
        log.info("model %s serves %s", model.key, ", ".join(models[-1].methods))
    url = f"http://{_url_host(spec.host)}:{spec.port}"

    def ready() -> None:
        log.info("serving %s on %s", spec.name, url)
        stages.add(LISTENING, f"{url} (pid {os.getpid()})")

    return ScoringApp(spec.name, models, on_ready=ready)


def _run(app, sock: socket.socket, spec: ServiceSpec) -> int:
    import uvicorn

    config = uvicorn.Config(
        app,
        loop="auto",  # uvloop and httptools when installed
        http="auto",
        ws="none",
        lifespan="on",
        access_log=spec.access_log,
        log_config=None,  # keep the logging set up here
        server_header=False,
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    log.info("scoring process %d stopped", os.getpid())
    return 0


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise DeploymentFailedError(
            f"cannot listen on {host}:{port}: {e.strerror}",
            field="deployment_config.port",
            fix="choose another port, or stop what listens there",
        ) from None
    sock.listen(2048)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _configure_logging() -> None:
    # A forked server inherits the deployer's handlers and warning filters (a test
    # runner's may turn every warning into an error): start from clean ones.
    warnings.resetwarnings()
    logging.captureWarnings(True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m mlyard.serving.scoring DEPLOYMENT_FOLDER", file=sys.stderr)
        return 2
    return serve(args[0])

"""Waiting for a deployment to be ready, and recording it when it fails.

Ready means: the server reported it listens (stage ``listening``), a real warm-up
``/score`` request with placeholder rows of each model's signature answered 200, and
``/health`` answered 200 listing the models. The deployment is then ``Healthy`` in
the store. If the process dies, reports a failure or a check fails, it is ``Failed``,
its error is stored, its process stopped, and :class:`DeploymentFailedError` carries
the tail of ``service.log``.

Example:
    >>> record = wait_ready(ws, "diabetes-service", show_output=True)  # doctest: +SKIP
       0.00 s  resolving model   diabetes:1 (sklearn)
       ...
       0.41 s  ready             http://127.0.0.1:40431/score
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import orjson

from mlyard.errors import DeploymentFailedError, MlyardError, ServiceError
from mlyard.flavors import Manifest, Signature
from mlyard.serving import client
from mlyard.serving.config import DeploymentConfig
from mlyard.serving.scoring.payload import sample_rows
from mlyard.serving.spec import DeploymentDir
from mlyard.serving.stages import (
    FAILED,
    HEALTH,
    LISTENING,
    READY,
    WARMUP,
    Stage,
    StageLog,
    StagePrinter,
)
from mlyard.store.records import DeploymentRecord, DeploymentState

if TYPE_CHECKING:
    from mlyard.workspace import Workspace


class _Watch:
    """Reads new stages from the log, prints each once, remembers the last of each."""

    def __init__(self, folder: DeploymentDir, show_output: bool):
        self.log = StageLog(folder.stages_path)
        self.show_output = show_output
        self.offset = 0
        self.seen: dict[str, Stage] = {}
        self.printer: StagePrinter | None = None

    def poll(self) -> None:
        new, self.offset = self.log.read(self.offset)
        for stage in new:
            if self.printer is None:  # the first stage is the deploy call
                self.printer = StagePrinter(stage.at, self.show_output)
            self.printer.show(stage)
            self.seen[stage.name] = stage

    def add(self, name: str, detail: str = "") -> None:
        self.log.add(name, detail)
        self.poll()


def wait_ready(
    ws: Workspace, name: str, *, show_output: bool = False, timeout: float | None = None
) -> DeploymentRecord:
    """Wait until service ``name`` is ready; return its ``Healthy`` record.

    Raises:
        DeploymentFailedError: the service failed, now or before; with its log tail.
        ConflictError: the service runs on another machine.
    """
    record = ws.store.get_deployment(name)
    if record.state is DeploymentState.FAILED:
        raise _failure(ws, name, record.error or "it failed earlier")
    ws.deployer.require_owner(record, "wait for")
    folder = ws.deployer.folder(name)
    watch = _Watch(folder, show_output)
    watch.poll()
    if READY in watch.seen:
        if ws.deployer.alive(name):
            return record
        raise _failure(
            ws,
            name,
            "it was ready, but its process has stopped",
            "restart it with services_up(ws), or deploy it again with overwrite=True",
        )
    limit = timeout or DeploymentConfig.coerce(record.config).ready_timeout
    try:
        _await_listening(watch, ws, record, limit)
        _warm_up(watch, folder, record)
        _check_health(watch, record)
    except (MlyardError, OSError) as e:
        raise fail_deployment(ws, name, e) from e
    watch.add(READY, record.scoring_uri)
    return ws.store.set_deployment_state(name, DeploymentState.HEALTHY)


def _await_listening(
    watch: _Watch, ws: Workspace, record: DeploymentRecord, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        watch.poll()
        if FAILED in watch.seen:
            raise ServiceError(watch.seen[FAILED].detail)
        if LISTENING in watch.seen:
            return
        if not ws.deployer.alive(record.name):
            watch.poll()  # it may have reported why just before exiting
            reason = watch.seen[FAILED].detail if FAILED in watch.seen else "no reason given"
            raise ServiceError(f"the scoring process exited before serving ({reason})")
        if time.monotonic() > deadline:
            raise ServiceError(
                f"the scoring process was not serving after {timeout:g} s",
                fix="raise DeploymentConfig(timeout=...) or MLYARD_DEPLOY_TIMEOUT",
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)


def _warm_up(watch: _Watch, folder: DeploymentDir, record: DeploymentRecord) -> None:
    for key in record.models:
        name, _, version = key.partition(":")
        manifest = Manifest.read(folder.model_dir(name, int(version)))
        sig = Signature.from_dict(manifest.signature) if manifest.signature else None
        rows = sample_rows(sig, 2)
        if rows is None:
            watch.add(WARMUP, f"{key}: skipped, the model has no signature to shape rows")
            continue
        watch.add(WARMUP, f"POST /score, {key}, 2 placeholder rows")
        body = orjson.dumps({"data": rows, "model": key})
        status, content = client.call_uri(record.scoring_uri, "POST", body=body)
        if status != 200:
            raise ServiceError(
                f"the warm-up request to {key} answered {status}: "
                f"{content.decode(errors='replace')[:500]}"
            )


def _check_health(watch: _Watch, record: DeploymentRecord) -> None:
    watch.add(HEALTH, "GET /health")
    status, content = client.call_uri(record.scoring_uri, "GET", "/health", timeout=10)
    if status != 200:
        raise ServiceError(f"GET /health answered {status}")
    served = {f"{m['name']}:{m['version']}" for m in orjson.loads(content)["models"]}
    if served != set(record.models):
        raise ServiceError(f"the service serves {sorted(served)}, not {list(record.models)}")


def fail_deployment(ws: Workspace, name: str, error: BaseException) -> DeploymentFailedError:
    """Record ``error`` (state Failed, stage failed), stop the process, build the error."""
    message = str(error)
    stages = ws.deployer.stages(name)
    if FAILED not in {s.name for s in stages.all()}:
        stages.add(FAILED, message)
    ws.store.set_deployment_state(name, DeploymentState.FAILED, message)
    ws.deployer.stop(name)
    return _failure(ws, name, message, getattr(error, "fix", None))


def _failure(
    ws: Workspace, name: str, message: str, fix: str | None = None
) -> DeploymentFailedError:
    fix = fix or "read service.get_logs(), fix the cause, then deploy again with overwrite=True"
    text = f"service {name!r} failed: {message}"
    if fix not in message:
        text = f"{text.rstrip('.')}. {fix}"
    folder = ws.deployer.folder(name)
    tail = folder.log_tail(30)
    if tail:
        text += f"\n--- last lines of {folder.log_path} ---\n{tail}"
    return DeploymentFailedError(text, fix=fix)

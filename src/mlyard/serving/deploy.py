"""Deploying model versions as a web service, and bringing services back up.

``deploy`` does the deploying side's part and returns at once: it resolves the model
versions, copies and verifies their files into the deployment folder, writes the
spec, records the deployment (``Transitioning``) and starts the scoring process.
``wait_for_deployment`` then follows the server's own stages (see
:mod:`mlyard.serving.readiness`).

Example:
    >>> service = deploy(ws, "diabetes-service", [model], overwrite=True)  # doctest: +SKIP
    >>> service.wait_for_deployment(show_output=True)  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlyard.errors import (
    AlreadyExistsError,
    DeploymentFailedError,
    InvalidInputError,
    NotFoundError,
)
from mlyard.flavors import Manifest, get_flavor
from mlyard.names import check_name
from mlyard.serving.config import DeploymentConfig
from mlyard.serving.materialize import materialize, resolve_models
from mlyard.serving.process import (
    choose_mode,
    free_port,
    port_free,
    server_alive,
    start_server,
    stop_server,
)
from mlyard.serving.readiness import (
    FAILED_STATE,
    TRANSITIONING,
    fail_deployment,
    wait_ready,
)
from mlyard.serving.service import Webservice
from mlyard.serving.spec import DeploymentDir, ModelSpec, ServiceSpec
from mlyard.serving.stages import RESOLVING, STARTING, VERIFYING, StageLog
from mlyard.store.records import DeploymentRecord, ModelVersionRecord, now_ms
from mlyard.workspace import require_workspace

if TYPE_CHECKING:
    from mlyard.workspace import Workspace


def deploy(
    workspace: Workspace,
    name: str,
    models: Sequence[Any],
    overwrite: bool = False,
    deployment_config: DeploymentConfig | dict[str, Any] | None = None,
) -> Webservice:
    """Start web service ``name`` serving ``models``; return its handle at once.

    Args:
        workspace: the workspace holding the model versions.
        name: the service name (letters, digits, ``.``, ``_``, ``-``).
        models: model versions (registry ``Model`` objects, ``ModelVersionRecord``, or
            ``"name:version"``); the first is the default for ``/score``.
        overwrite: replace a service of that name (its process is stopped first).
        deployment_config: a :class:`DeploymentConfig`, a dict of its fields, or None.

    Raises:
        AlreadyExistsError: the name is taken and ``overwrite`` is False.
        DeploymentFailedError: a file failed its sha256 check, or the process could
            not start; the deployment is recorded as ``Failed``.

    Example:
        >>> service = deploy(ws, "diabetes-service", ["diabetes:1"])  # doctest: +SKIP
        >>> service.wait_for_deployment()  # doctest: +SKIP
        >>> service.run({"data": [[0.0] * 10], "method": "predict"})  # doctest: +SKIP
        {'predict': [152.13]}
    """
    started = time.time()
    ws = require_workspace(workspace)
    check_name(name, "service name", field="name", max_length=63)
    config = DeploymentConfig.coerce(deployment_config)
    previous = _existing(ws, name)
    if previous is not None and not overwrite:
        raise AlreadyExistsError(
            f"a service named {name!r} exists ({previous.scoring_uri})",
            field="name",
            fix="pass overwrite=True to replace it, or choose another name",
        )
    records = resolve_models(ws, models)
    fork_safe = all(get_flavor(r.flavor).fork_safe for r in records)
    mode = choose_mode(config.start_mode, fork_safe)
    if previous is not None:
        _retire(previous)
    port = config.port or _pick_port(ws, name, config.host, previous)
    folder = DeploymentDir(ws.home / "deployments" / name)
    folder.remove()
    folder.create()
    StageLog(folder.stages_path).add(RESOLVING, _describe(records), at=started)
    ws.store.put_deployment(_new_record(name, records, config, port, folder))
    try:
        _materialize_all(ws, records, folder)
        folder.write_spec(_spec(name, records, config, port))
        _launch(ws, name, folder, mode)
    except Exception as e:
        raise fail_deployment(ws, name, folder, e) from e
    return Webservice(ws, name)


def services_up(workspace: Workspace) -> dict[str, str]:
    """Restart every recorded service whose process is gone (after a reboot or a crash).

    Each restarts as a fresh process (spawn) on its recorded port and is checked like
    a new deployment. Services whose deployment failed are left alone.

    Returns:
        For each service, what happened: ``"running"``, ``"restarted"``,
        ``"not restarted: …"`` or ``"failed: …"``.

    Example:
        >>> services_up(ws)  # doctest: +SKIP
        {'diabetes-service': 'restarted'}
    """
    ws = require_workspace(workspace)
    outcome: dict[str, str] = {}
    restarting = []
    for record in ws.store.list_deployments():
        folder = DeploymentDir(record.directory)
        if record.state == FAILED_STATE:
            outcome[record.name] = "not restarted: its deployment failed; deploy it again"
        elif server_alive(folder, record.pid):
            outcome[record.name] = "running"
        else:
            try:
                _restart(ws, record, folder)
                restarting.append(record.name)
            except Exception as e:
                outcome[record.name] = f"failed: {fail_deployment(ws, record.name, folder, e)}"
    for name in restarting:  # all start first, then load side by side
        try:
            wait_ready(ws, name)
            outcome[name] = "restarted"
        except DeploymentFailedError as e:
            outcome[name] = f"failed: {e}"
    return dict(sorted(outcome.items()))


def _existing(ws: Workspace, name: str) -> DeploymentRecord | None:
    try:
        return ws.store.get_deployment(name)
    except NotFoundError:
        return None


def _retire(previous: DeploymentRecord) -> None:
    folder = DeploymentDir(previous.directory)
    stop_server(folder, previous.pid)
    folder.remove()


def _pick_port(ws: Workspace, name: str, host: str, previous: DeploymentRecord | None) -> int:
    # Ports of other recorded services stay theirs: services_up restarts them there.
    taken = {r.port for r in ws.store.list_deployments() if r.name != name}
    if previous is not None and previous.port not in taken and port_free(host, previous.port):
        return previous.port  # a redeployment keeps its scoring URI
    return free_port(host, avoid=taken)


def _describe(records: list[ModelVersionRecord]) -> str:
    return ", ".join(f"{r.name}:{r.version} ({r.flavor})" for r in records)


def _new_record(
    name: str,
    records: list[ModelVersionRecord],
    config: DeploymentConfig,
    port: int,
    folder: DeploymentDir,
) -> DeploymentRecord:
    now = now_ms()
    return DeploymentRecord(
        name=name,
        models=tuple(f"{r.name}:{r.version}" for r in records),
        state=TRANSITIONING,
        host=config.host,
        port=port,
        pid=None,
        config=config.to_dict(),
        directory=str(folder.path),
        created_at=now,
        updated_at=now,
    )


def _materialize_all(
    ws: Workspace, records: list[ModelVersionRecord], folder: DeploymentDir
) -> None:
    manifests = [Manifest.from_dict(r.manifest) for r in records]
    files = sum(len(m.files) for m in manifests)
    size = sum(f.size for m in manifests for f in m.files)
    StageLog(folder.stages_path).add(
        VERIFYING, f"copying {files} file(s), {size / 1024:.1f} KiB, checking each sha256"
    )
    for record in records:
        materialize(ws, record, folder.model_dir(record.name, record.version))


def _spec(
    name: str, records: list[ModelVersionRecord], config: DeploymentConfig, port: int
) -> ServiceSpec:
    models = tuple(
        ModelSpec(r.name, r.version, DeploymentDir.model_path(r.name, r.version)) for r in records
    )
    return ServiceSpec(name, config.host, port, models, config.access_log)


def _launch(ws: Workspace, name: str, folder: DeploymentDir, mode: str) -> None:
    spec = folder.read_spec()
    StageLog(folder.stages_path).add(STARTING, f"{mode}, port {spec.port}")
    pid = start_server(folder, mode)
    ws.store.update_deployment(name, pid=pid)


def _restart(ws: Workspace, record: DeploymentRecord, folder: DeploymentDir) -> None:
    folder.create()
    missing = not folder.spec_path.is_file() or any(
        not (folder.path / m.path / "model.yaml").is_file() for m in _spec_models(folder)
    )
    if missing:  # the folder was lost: rebuild it from the store and the blobs
        records = resolve_models(ws, list(record.models))
        config = DeploymentConfig.coerce(record.config)
        _materialize_all(ws, records, folder)
        folder.write_spec(_spec(record.name, records, config, record.port))
    StageLog(folder.stages_path).reset()
    ws.store.update_deployment(record.name, state=TRANSITIONING, pid=None, error=None)
    _launch(ws, record.name, folder, "spawn")  # no deployer's imports to reuse here


def _spec_models(folder: DeploymentDir) -> tuple[ModelSpec, ...]:
    try:
        return folder.read_spec().models
    except InvalidInputError:
        return ()

"""Deploying model versions as a web service, and bringing services back up.

``deploy`` does the deploying side's part and returns at once: under the service's
lock, it resolves the model versions, stops a service it replaces, records the
deployment (``Transitioning``, with its scoring URI and this machine as its host),
copies and verifies the model files into the deployment folder and starts the
scoring process. ``wait_for_deployment`` then follows the server's own stages (see
:mod:`mlyard.serving.readiness`).

The lock (a lease in the store, so it holds across machines) makes concurrent deploys
of one name take turns: each one stops exactly the server the record names before
starting its own, so no server is ever left running unrecorded.

Example:
    >>> service = deploy(ws, "diabetes-service", [model], overwrite=True)  # doctest: +SKIP
    >>> service.wait_for_deployment(show_output=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mlyard import processes
from mlyard.errors import (
    AlreadyExistsError,
    DeploymentFailedError,
    InvalidInputError,
    LockedError,
)
from mlyard.flavors import Manifest, get_flavor
from mlyard.names import check_name
from mlyard.serving.config import DeploymentConfig
from mlyard.serving.materialize import materialize, resolve_models
from mlyard.serving.process import choose_mode, free_port, port_free
from mlyard.serving.readiness import fail_deployment, wait_ready
from mlyard.serving.service import Webservice
from mlyard.serving.spec import DeploymentDir, ModelSpec, ServiceSpec
from mlyard.serving.stages import RESOLVING, STARTING, VERIFYING, StageLog
from mlyard.store.records import DeploymentRecord, DeploymentState, ModelVersionRecord, now_ms
from mlyard.workspace import require_workspace

if TYPE_CHECKING:
    from mlyard.workspace import Workspace

LOCK_LEASE_MS = 10 * 60 * 1000  # a deployer that dies holding the lock blocks no longer


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
        LockedError: another process kept deploying this name for too long.
        ConflictError: the service to replace runs on another machine.
        DeploymentFailedError: a file failed its sha256 check, or the process could
            not start; the deployment is recorded as ``Failed``.

    Example:
        >>> service = deploy(ws, "diabetes-service", ["diabetes:1"])  # doctest: +SKIP
        >>> service.wait_for_deployment()  # doctest: +SKIP
        >>> service.run({"data": [[0.0] * 10], "method": "predict"})  # doctest: +SKIP
        {'predict': [152.13]}
    """
    ws = require_workspace(workspace)
    check_name(name, "service name", field="name", max_length=63)
    config = DeploymentConfig.coerce(deployment_config)
    keys = [f"{r.name}:{r.version}" for r in resolve_models(ws, models)]
    record = ws.services.deploy(name, keys, overwrite, config.to_dict())
    return Webservice._of(ws, record)


def deploy_here(
    ws: Workspace,
    name: str,
    models: Sequence[Any],
    overwrite: bool,
    deployment_config: DeploymentConfig | dict[str, Any] | None,
) -> DeploymentRecord:
    """:func:`deploy` on this machine, through ``ws.deployer``; the stored record."""
    started = time.time()
    check_name(name, "service name", field="name", max_length=63)
    config = DeploymentConfig.coerce(deployment_config)
    records = resolve_models(ws, models)
    fork_safe = all(get_flavor(r.flavor).fork_safe for r in records)
    mode = choose_mode(config.start_mode, fork_safe)
    with deploy_lock(ws, name, config.ready_timeout):
        previous = ws.store.find_deployment(name)
        if previous is not None and not overwrite:
            raise AlreadyExistsError(
                f"a service named {name!r} exists ({previous.scoring_uri})",
                field="name",
                fix="pass overwrite=True to replace it, or choose another name",
            )
        if previous is not None:
            ws.deployer.require_owner(previous, "replace")
            ws.deployer.stop(name)
        port = config.port or _pick_port(ws, name, config.host, previous)
        folder = ws.deployer.folder(name)
        folder.remove()
        folder.create()
        StageLog(folder.stages_path).add(RESOLVING, _describe(records), at=started)
        record = ws.store.put_deployment(_new_record(ws, name, records, config, port))
        try:
            _materialize_all(ws, records, folder)
            folder.write_spec(_spec(name, records, config, port))
            _launch(ws, name, folder, mode)
        except Exception as e:
            raise fail_deployment(ws, name, e) from e
    return record


@contextmanager
def deploy_lock(ws: Workspace, name: str, wait: float) -> Iterator[None]:
    """Hold service ``name``'s lock; wait up to ``wait`` seconds for another holder."""
    key = f"deployment:{name}"
    me = f"{processes.machine()}/{os.getpid()}/{time.time_ns()}"
    deadline = time.monotonic() + wait
    delay = 0.02
    while True:
        holder = ws.store.acquire_lock(key, me, LOCK_LEASE_MS)
        if holder is None:
            break
        if _holder_dead(holder):
            ws.store.release_lock(key, holder)
            continue
        if time.monotonic() > deadline:
            raise LockedError(
                f"service {name!r} is being deployed by another process ({holder})",
                field="name",
                fix="wait for that deploy to finish, then try again",
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    try:
        yield
    finally:
        ws.store.release_lock(key, me)


def _holder_dead(holder: str) -> bool:
    """Whether the lock holder ``machine/pid/ns`` was a process on this machine that is
    gone (a holder elsewhere is waited out until its lease ends)."""
    machine, _, rest = holder.partition("/")
    pid = rest.partition("/")[0]
    return machine == processes.machine() and pid.isdigit() and not processes.alive(int(pid))


def services_up(workspace: Workspace) -> dict[str, str]:
    """Restart every service of this machine whose process is gone (after a reboot or a
    crash); on a remote workspace, those of the server's machine.

    Each restarts as a fresh process (spawn) on its recorded port and is checked like
    a new deployment. Services whose deployment failed are left alone, and so are
    services of other machines.

    Returns:
        For each service, what happened: ``"running"``, ``"restarted"``,
        ``"not restarted: …"`` or ``"failed: …"``.

    Example:
        >>> services_up(ws)  # doctest: +SKIP
        {'diabetes-service': 'restarted'}
    """
    return require_workspace(workspace).services.up()


def services_up_here(ws: Workspace) -> dict[str, str]:
    """:func:`services_up` for this machine's deployer."""
    outcome: dict[str, str] = {}
    restarting = []
    for record in ws.store.list_deployments():
        if not ws.deployer.owns(record):
            outcome[record.name] = f"not restarted: it runs on {record.host}"
        elif record.state is DeploymentState.FAILED:
            outcome[record.name] = "not restarted: its deployment failed; deploy it again"
        elif ws.deployer.alive(record.name):
            outcome[record.name] = "running"
        else:
            try:
                with deploy_lock(ws, record.name, DeploymentConfig().ready_timeout):
                    _restart(ws, record)
                restarting.append(record.name)
            except Exception as e:
                outcome[record.name] = f"failed: {fail_deployment(ws, record.name, e)}"
    for name in restarting:  # all start first, then load side by side
        try:
            wait_ready(ws, name)
            outcome[name] = "restarted"
        except DeploymentFailedError as e:
            outcome[name] = f"failed: {e}"
    return dict(sorted(outcome.items()))


def _pick_port(ws: Workspace, name: str, host: str, previous: DeploymentRecord | None) -> int:
    # Ports of this machine's other services stay theirs: services_up restarts them there.
    taken = {r.port for r in ws.store.list_deployments() if r.name != name and ws.deployer.owns(r)}
    if previous is not None and previous.port not in taken and port_free(host, previous.port):
        return previous.port  # a redeployment keeps its scoring URI
    return free_port(host, avoid=taken)


def _describe(records: list[ModelVersionRecord]) -> str:
    return ", ".join(f"{r.name}:{r.version} ({r.flavor})" for r in records)


def _new_record(
    ws: Workspace,
    name: str,
    records: list[ModelVersionRecord],
    config: DeploymentConfig,
    port: int,
) -> DeploymentRecord:
    now = now_ms()
    address = f"[{config.host}]" if ":" in config.host else config.host
    return DeploymentRecord(
        name=name,
        models=tuple(f"{r.name}:{r.version}" for r in records),
        state=DeploymentState.TRANSITIONING,
        scoring_uri=f"http://{address}:{port}/score",
        host=ws.deployer.machine,
        config=config.to_dict(),
        created_at=now,
        updated_at=now,
        deployer=ws.deployer.kind,
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
    ws.deployer.start(name, mode)


def _restart(ws: Workspace, record: DeploymentRecord) -> None:
    folder = ws.deployer.folder(record.name)
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
    ws.store.set_deployment_state(record.name, DeploymentState.TRANSITIONING)
    _launch(ws, record.name, folder, "spawn")  # no deployer's imports to reuse here


def _spec_models(folder: DeploymentDir) -> tuple[ModelSpec, ...]:
    try:
        return folder.read_spec().models
    except InvalidInputError:
        return ()

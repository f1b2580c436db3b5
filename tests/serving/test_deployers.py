"""Services belong to the machine that runs them; deploys of one name take turns."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import psutil
import pytest

from mlyard import Workspace
from mlyard.errors import ConflictError, LockedError
from mlyard.processes import alive, machine
from mlyard.serving import Webservice, deploy, services_up
from tests.conftest import local_only, server_only
from tests.live_server import backing


def _other_machine(ws, tmp_path, monkeypatch) -> Workspace:
    """The same workspace opened as another machine would (its own name and home)."""
    monkeypatch.setenv("MLYARD_MACHINE", "far-away")
    return Workspace.open(ws.url, home=tmp_path / "far-away")


# Local only: machines sharing an embedded workspace's database each run their own
# services. A server's clients all act through it (its services run on its host:
# tests/serving/test_service.py, over every backend).
@local_only
def test_another_machine_sees_the_true_state_and_asks_the_owner(
    ws, diabetes_service, tmp_path, monkeypatch
):
    here = machine()
    far = _other_machine(ws, tmp_path, monkeypatch)
    try:
        seen = Webservice(far, "diabetes-service")
        assert seen.state == "Healthy"  # not "Failed": its pid means nothing there
        assert seen.host == here and seen.pid is None
        assert seen.scoring_uri == diabetes_service.scoring_uri
        for act in (seen.get_logs, seen.delete, seen.wait_for_deployment):
            with pytest.raises(ConflictError, match=f"it runs on {here}") as err:
                act()
            assert err.value.field == "name"
        with pytest.raises(ConflictError, match=f"runs on {here}"):
            deploy(far, "diabetes-service", ["diabetes:1"], overwrite=True)
        assert services_up(far) == {"diabetes-service": f"not restarted: it runs on {here}"}
    finally:
        far.close()
    assert diabetes_service.state == "Healthy"  # untouched by all of that


@server_only
def test_every_client_of_a_server_acts_on_its_services(ws, diabetes_service, tmp_path):
    server_host = backing(ws).deployer.machine
    other = Workspace.open(ws.url)  # another client, as from another machine
    try:
        seen = Webservice(other, "diabetes-service")
        assert seen.state == "Healthy" and seen.host == server_host
        assert seen.pid is None  # a process of the server's host, not of this client
        seen.wait_for_deployment()
        assert "scoring process" in seen.get_logs()
        assert services_up(other) == {"diabetes-service": "running"}
        replaced = deploy(other, "diabetes-service", ["diabetes:1"], overwrite=True)
        replaced.wait_for_deployment()
        assert diabetes_service.refresh().port == replaced.port
        assert diabetes_service.state == "Healthy"
        seen.delete()
        assert Webservice.list(ws) == []
        assert backing(ws).deployer.pid("diabetes-service") is None
    finally:
        other.close()


DEPLOY = textwrap.dedent(
    """
    import sys
    from mlyard import Workspace
    from mlyard.serving import deploy
    ws = Workspace.open(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()  # start together: the test writes "go" once all are ready
    deploy(ws, "contested", ["diabetes:1"], overwrite=True)
    """
)


def _servers(folder) -> list[int]:
    """Live processes serving from the deployment folder (or from a removed one)."""
    found = []
    for proc in psutil.process_iter(["pid", "cwd"]):
        cwd = proc.info.get("cwd") or ""
        if cwd.startswith(str(folder)) and alive(proc.info["pid"]):
            found.append(proc.info["pid"])
    return found


def test_concurrent_overwrite_deploys_leave_exactly_the_recorded_server(ws, diabetes_record):
    n = 8
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", DEPLOY, ws.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    folder = backing(ws).deployer.folder("contested").path
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        errors = [p.communicate("go\n", timeout=180)[1] for p in procs]
        assert [p.returncode for p in procs] == [0] * n, errors
        service = Webservice(ws, "contested")
        # no orphan: every other one was stopped
        assert _servers(folder) == [backing(ws).deployer.pid("contested")]
        service.wait_for_deployment()
        assert service.state == "Healthy"
        service.delete()
        assert _servers(folder) == []
    finally:
        for p in procs:
            p.kill()
            p.wait()
        for pid in _servers(folder):
            psutil.Process(pid).kill()


def test_a_lock_left_by_a_dead_deployer_is_taken_over(services, diabetes_record, ws):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    assert ws.store.acquire_lock("deployment:orphaned", f"{machine()}/{dead}/1", 600_000) is None
    services("orphaned", [diabetes_record]).wait_for_deployment()


def test_a_deploy_held_by_a_live_process_waits_then_says_who(ws, diabetes_record):
    holder = f"{machine()}/{__import__('os').getpid()}/1"  # alive: this very process
    assert ws.store.acquire_lock("deployment:busy", holder, 600_000) is None
    with pytest.raises(LockedError, match="being deployed by another process") as err:
        deploy(ws, "busy", [diabetes_record], deployment_config={"timeout": 0.3})
    assert holder in str(err.value) and ws.store.find_deployment("busy") is None
    ws.store.release_lock("deployment:busy", holder)

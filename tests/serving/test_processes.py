"""Scoring processes: both start modes, surviving the deployer, restarts, failures."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

import psutil
import pytest
from pytest import approx

from mlyard.errors import DeploymentFailedError, NotFoundError
from mlyard.processes import alive as process_alive
from mlyard.serving import DeploymentConfig, Webservice, services_up
from tests.live_server import backing
from tests.outside import rewrite_blob

DEPLOY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import sklearn
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from mlyard import Workspace, flavors
    from mlyard.flavors import Signature
    from mlyard.serving import deploy

    ws = Workspace.open(sys.argv[1])
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    manifest = flavors.save_model(Ridge(alpha=0.1).fit(X, y), sys.argv[2])
    for f in manifest.files:
        ws.blobs.put_file(f"{sys.argv[2]}/{f.path}")
    record = ws.store.create_model_version(
        "diabetes", framework="ScikitLearn", framework_version=sklearn.__version__,
        flavor="sklearn", manifest=manifest.with_(signature=Signature.infer(X).to_dict()).to_dict(),
    )
    service = deploy(ws, "outliving", [record], deployment_config={"start": sys.argv[3]})
    service.wait_for_deployment(show_output=True)
    print(json.dumps({"port": service.port}))
    """
)


def _mode(ws, name: str) -> str:
    return json.loads((backing(ws).home / "deployments" / name / "process.json").read_text())[
        "mode"
    ]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_a_service_outlives_the_process_that_deployed_it(ws, tmp_path, diabetes, mode):
    X, _, model = diabetes
    script = tmp_path / "deploy_it.py"
    script.write_text(DEPLOY_SCRIPT)
    args = [sys.executable, str(script), ws.url, str(tmp_path / "saved"), mode]
    deployer = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = deployer.communicate(timeout=120)
        assert deployer.returncode == 0, err
        assert "ready" in out
        server = json.loads(out.strip().splitlines()[-1])
        server["pid"] = backing(ws).deployer.pid("outliving")  # on the server's host
        assert not psutil.pid_exists(deployer.pid)  # the deployer is gone...
        assert process_alive(server["pid"])  # ...and its service runs on
        service = Webservice(ws, "outliving")
        assert service.port == server["port"]
        assert _mode(ws, "outliving") == mode
        assert service.state == "Healthy"
        answer = service.run({"data": X[0:2].values.tolist(), "method": "predict"})
        assert answer["predict"] == approx(model.predict(X[0:2]).tolist())
        service.delete()
        assert not process_alive(server["pid"])
    finally:
        deployer.kill()
        with contextlib.suppress(NotFoundError):
            Webservice(ws, "outliving").delete()


def test_a_forked_server_leaves_the_deployers_connections_working(
    ws, services, diabetes_record, diabetes
):
    X, _, model = diabetes
    service = services("forked-db", [diabetes_record], deployment_config={"start": "fork"})
    service.wait_for_deployment()
    # The forked server dropped its copy of the pooled connections without touching
    # them: this process's own connections still work.
    for _ in range(3):
        assert ws.store.get_deployment("forked-db").state == "Healthy"
    answer = service.run({"data": X[0:2].values.tolist()})
    assert answer["predict"] == approx(model.predict(X[0:2]).tolist())


def test_spawn_mode_runs_a_fresh_interpreter(ws, services, diabetes_record, diabetes):
    X, _, model = diabetes
    service = services("spawned", [diabetes_record], deployment_config={"start": "spawn"})
    service.wait_for_deployment()
    assert _mode(ws, "spawned") == "spawn"
    cmdline = psutil.Process(backing(ws).deployer.pid("spawned")).cmdline()
    assert cmdline[1:3] == ["-m", "mlyard.serving.scoring"]
    answer = service.run({"data": X[0:3].to_dict(orient="records")})
    assert answer["predict"] == approx(model.predict(X[0:3]).tolist())


def test_the_setting_chooses_the_start_mode(ws, services, diabetes_record, monkeypatch):
    monkeypatch.setenv("MLYARD_SERVE_START", "spawn")
    services("by-setting", [diabetes_record]).wait_for_deployment()
    assert _mode(ws, "by-setting") == "spawn"
    monkeypatch.setenv("MLYARD_SERVE_START", "auto")  # sklearn is fork-safe
    services("by-auto", [diabetes_record]).wait_for_deployment()
    # Forked from a main thread only: a server deploys from its worker threads.
    assert _mode(ws, "by-auto") == ("fork" if backing(ws) is ws else "spawn")


def test_a_forked_server_holds_none_of_the_deployers_sockets(ws, services, diabetes_record):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        held = listener.getsockname()[1]
        services("forked", [diabetes_record], deployment_config={"start": "fork"})
        Webservice(ws, "forked").wait_for_deployment()
    server = psutil.Process(backing(ws).deployer.pid("forked"))
    ports = {c.laddr.port for c in server.net_connections() if c.status == "LISTEN"}
    assert ports == {ws.store.get_deployment("forked").port}
    assert held not in ports
    assert not _port_open(held)  # closed here, and not kept open by the server


def test_services_up_restarts_a_killed_service_on_its_port(
    ws, services, diabetes_record, diabetes, wait_until
):
    X, _, model = diabetes
    service = services("revived", [diabetes_record])
    service.wait_for_deployment()
    still = services("untouched", [diabetes_record])
    still.wait_for_deployment()
    old, old_pid = ws.store.get_deployment("revived"), backing(ws).deployer.pid("revived")
    os.kill(old_pid, signal.SIGKILL)
    wait_until(lambda: not process_alive(old_pid))
    assert service.state == "Unhealthy"

    assert services_up(ws) == {"revived": "restarted", "untouched": "running"}
    new = ws.store.get_deployment("revived")
    new_pid = backing(ws).deployer.pid("revived")
    assert new_pid != old_pid and new.port == old.port and new.state == "Healthy"
    assert _mode(ws, "revived") == "spawn"
    assert service.state == "Healthy"
    answer = service.run({"data": X[0:2].values.tolist()})
    assert answer["predict"] == approx(model.predict(X[0:2]).tolist())


def test_a_corrupted_blob_fails_the_deployment_clearly(ws, services, diabetes_record):
    sha256 = diabetes_record.manifest["files"][0]["sha256"]
    rewrite_blob(ws, sha256, lambda data: data[:-8] + b"tampered")
    with pytest.raises(DeploymentFailedError, match="corrupted") as err:
        services("corrupt", [diabetes_record])
    assert "model file diabetes:1/model.joblib" in str(err.value)
    record = ws.store.get_deployment("corrupt")
    assert record.state == "Failed" and "corrupted" in record.error
    assert Webservice(ws, "corrupt").state == "Failed"
    with pytest.raises(DeploymentFailedError, match="corrupted"):
        Webservice(ws, "corrupt").wait_for_deployment()


def test_a_model_file_changed_on_disk_is_caught_by_the_server(
    ws, services, diabetes_record, wait_until
):
    service = services("tampered", [diabetes_record])
    service.wait_for_deployment()
    pid = backing(ws).deployer.pid("tampered")
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not process_alive(pid))
    model_file = (
        backing(ws).home / "deployments" / "tampered" / "models" / "diabetes" / "1" / "model.joblib"
    )
    model_file.write_bytes(model_file.read_bytes() + b"\0")

    outcome = services_up(ws)["tampered"]
    assert outcome.startswith("failed:") and "corrupted" in outcome
    assert "IntegrityError" in service.get_logs()
    assert service.state == "Failed"


def test_a_taken_port_fails_with_the_log_tail(ws, services, diabetes_record):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        service = services(
            "clash", [diabetes_record], deployment_config=DeploymentConfig(port=port)
        )
        with pytest.raises(DeploymentFailedError) as err:
            service.wait_for_deployment()
    message = str(err.value)
    assert f"cannot listen on 127.0.0.1:{port}" in message
    assert "last lines of" in message and "service.log" in message
    assert ws.store.get_deployment("clash").state == "Failed"
    assert service.state == "Failed"

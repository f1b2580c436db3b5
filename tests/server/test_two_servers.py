"""Two ``mlyard server`` processes over one PostgreSQL database and one S3 bucket (moto's
server): whatever a client does through one, a client of the other sees, at once."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import joblib
import pytest
from sklearn.linear_model import Ridge

from mlyard import Dataset, Experiment, Model, Run, Workspace
from mlyard.auth import create_token, create_user, revoke_token
from mlyard.errors import UnauthenticatedError
from tests.conftest import BUCKET
from tests.server.proc_server import (
    ServerProcess,
    admin_token,
    fresh_schema,
    s3_environment,
    started,
    stopped,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pair(s3_endpoint, tmp_path_factory) -> Iterator[tuple[Workspace, Workspace]]:
    """Workspaces opened through server A and server B, as the first admin. One pair
    for the module: the tests use names of their own."""
    folder = tmp_path_factory.mktemp("two-servers")
    with ExitStack() as stack, pytest.MonkeyPatch.context() as env:
        # what the s3_prefix fixture sets, for the module: this process and the servers
        for name, value in s3_environment(s3_endpoint, folder).items():
            env.setenv(name, value)
        store = stack.enter_context(fresh_schema()).replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
        artifacts = f"s3://{BUCKET}/{uuid.uuid4().hex}"
        token = admin_token(store, artifacts)
        args = ["--store", store, "--artifacts", artifacts]
        servers = [ServerProcess(args, folder / f"server-{name}.log") for name in "ab"]
        for server in servers:
            stack.callback(server.cleanup)
        started(servers)
        a, b = (Workspace.open(s.url, token=token) for s in servers)
        stack.callback(a.close)
        stack.callback(b.close)
        yield a, b
        assert stopped(servers) == [0, 0], [s.output() for s in servers]


def test_tracking_through_one_is_seen_through_the_other(pair):
    a, b = pair
    exp = Experiment(a, "shared")
    assert Experiment.get(b, "shared").id == exp.id
    for i in range(3):
        with exp.start_run(run_name=f"r{i}") as run:
            run.log("alpha", i / 10)
            for step in range(5):
                run.log_metric("loss", 1.0 / (i + step + 1))
    found = Run.list(b, experiments="shared", filter="metrics.alpha >= 0.1")
    assert sorted(r.name for r in found) == ["r1", "r2"]
    assert all(r.status == "COMPLETED" for r in found)
    history = Run.get(b, found[0].id).get_metric_history("loss")
    assert len(history) == 5
    # and back: a run logged through B is found through A
    with Experiment(b, "shared").start_run(run_name="from-b") as run:
        run.log("alpha", 9.0)
    assert Experiment.get(a, "shared").best_run("alpha", mode="max").name == "from-b"


def test_concurrent_registrations_across_servers_get_every_version_once(pair, tmp_path):
    a, b = pair
    path = tmp_path / "model.joblib"
    joblib.dump(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]), path)

    def register(i: int) -> int:
        model = Model.register(
            (a, b)[i % 2],
            "shared-model",
            path,
            model_framework=Model.Framework.SCIKITLEARN,
            tags={"client": str(i)},
        )
        return int(model.version)

    with ThreadPoolExecutor(8) as pool:
        versions = list(pool.map(register, range(8)))
    assert sorted(versions) == list(range(1, 9))
    listed = Model.list(b, name="shared-model")
    assert sorted(int(m.version) for m in listed) == list(range(1, 9))
    by_client = {m.tags["client"]: int(m.version) for m in Model.list(a, name="shared-model")}
    assert by_client == {str(i): v for i, v in enumerate(versions)}


def test_a_dataset_uploaded_through_one_downloads_through_the_other(pair, tmp_path):
    a, b = pair
    data = os.urandom(3 << 20)
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "blob.bin").write_bytes(data)
    datastore = a.get_default_datastore()
    datastore.upload_files([tmp_path / "up" / "blob.bin"], target_path="shared", overwrite=True)
    Dataset.File.from_files([(datastore, "shared/blob.bin")]).register(a, "shared-data")

    dataset = Dataset.get_by_name(b, "shared-data")
    (path,) = dataset.download(tmp_path / "down")  # verified against the recorded hash
    assert path.read_bytes() == data
    assert dataset.files[0].sha256 == hashlib.sha256(data).hexdigest()
    # the datastore file itself, read through B
    b.get_default_datastore().download("shared", tmp_path / "raw")
    assert Path(tmp_path / "raw" / "shared" / "blob.bin").read_bytes() == data


def _refused(ws: Workspace) -> bool:
    try:
        Experiment.list(ws)
    except UnauthenticatedError:
        return True
    return False


def test_a_token_made_on_one_works_on_the_other_until_revoked_there(pair, wait_until):
    a, b = pair
    create_user(a, "carol", "editor")
    issued = create_token(a, "carol", label="laptop")
    carol_b = Workspace.open(b.url, token=issued.token)
    carol_a = Workspace.open(a.url, token=issued.token)
    try:
        Experiment(carol_b, "carols")
        assert "carols" in [e.name for e in Experiment.list(carol_a)]
        revoke_token(b, issued.record.token_id)
        with pytest.raises(UnauthenticatedError, match="revoked"):
            Experiment.list(carol_b)  # the server that revoked it: at once
        # The other: once PostgreSQL has delivered the change (see Authenticator).
        wait_until(lambda: _refused(carol_a))
        with pytest.raises(UnauthenticatedError, match="revoked"):
            Experiment.list(carol_a)
    finally:
        carol_a.close()
        carol_b.close()

"""A team workspace on PostgreSQL deploys the same way, and forking keeps its connections."""

from __future__ import annotations

import pytest
from pytest import approx

from mlyard import Workspace
from mlyard.serving import Webservice, deploy


@pytest.mark.postgres
def test_deploy_from_a_postgresql_workspace(pg_url, tmp_path, diabetes, register_model):
    X, _, model = diabetes
    ws = Workspace.open(pg_url, artifact_root=str(tmp_path / "blobs"), home=tmp_path / "home")
    try:
        record = register_model("diabetes", model, X, workspace=ws)
        service = deploy(ws, "pg-service", [record], deployment_config={"start": "fork"})
        try:
            service.wait_for_deployment()
            # The forked server dropped its copy of the pooled connections without
            # touching them: this process's own connections still work.
            for _ in range(3):
                assert ws.store.get_deployment("pg-service").state == "Healthy"
            answer = service.run({"data": X[0:2].values.tolist()})
            assert answer["predict"] == approx(model.predict(X[0:2]).tolist())
            assert [s.name for s in Webservice.list(ws)] == ["pg-service"]
        finally:
            service.delete()
        assert ws.store.list_deployments() == []
    finally:
        ws.close()

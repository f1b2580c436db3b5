"""Deployment records over REST (services themselves: :mod:`mlyard.serving.remote`)."""

from __future__ import annotations

from mlyard.store._base import DeploymentStore
from mlyard.store._rest.base import RestBase, q
from mlyard.store.records import DeploymentRecord, DeploymentState
from mlyard.wire import codec
from mlyard.wire import requests as r


class RestDeploymentStore(RestBase, DeploymentStore):
    def put_deployment(self, record: DeploymentRecord) -> DeploymentRecord:
        path = f"/api/v1/deployments/{q(record.name)}"
        return self.conn.call("PUT", path, codec.dump(record), as_type=DeploymentRecord)

    def get_deployment(self, name: str) -> DeploymentRecord:
        return self.conn.call("GET", f"/api/v1/deployments/{q(name)}", as_type=DeploymentRecord)

    def find_deployment(self, name: str) -> DeploymentRecord | None:
        found = self.conn.call(
            "GET", "/api/v1/deployments", params={"name": name}, as_type=list[DeploymentRecord]
        )
        return found[0] if found else None

    def list_deployments(self) -> list[DeploymentRecord]:
        return self.conn.call("GET", "/api/v1/deployments", as_type=list[DeploymentRecord])

    def set_deployment_state(
        self, name: str, state: DeploymentState, error: str | None = None
    ) -> DeploymentRecord:
        body = r.DeploymentStateSet(state=state, error=error)
        path = f"/api/v1/deployments/{q(name)}/state"
        return self.conn.call("PATCH", path, body, as_type=DeploymentRecord)

    def delete_deployment(self, name: str) -> None:
        self.conn.call("DELETE", f"/api/v1/deployments/{q(name)}")

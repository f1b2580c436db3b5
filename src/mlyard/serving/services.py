"""What a workspace does with its services, wherever they run.

:class:`Services` is the seam between the SDK's :class:`~mlyard.serving.Webservice`
and the machine that runs services. :class:`LocalServices` runs them here through the
workspace's deployer; a remote workspace's services are run by ``mlyard server`` on
its own host (:class:`mlyard.serving.remote.RemoteServices`), which answers with a
``LocalServices`` of its own.

Example:
    >>> record = ws.services.deploy("svc", ["m:1"], False, None)  # doctest: +SKIP
    >>> ws.services.wait("svc", show_output=True, timeout=None).state  # doctest: +SKIP
    <DeploymentState.HEALTHY: 'Healthy'>
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from mlyard.serving import client
from mlyard.serving.config import DeploymentConfig
from mlyard.store.records import DeploymentRecord, DeploymentState

if TYPE_CHECKING:
    from mlyard.workspace import Workspace


class Services(ABC):
    """Deploy, watch and remove a workspace's services."""

    @abstractmethod
    def deploy(
        self, name: str, models: list[str], overwrite: bool, config: dict[str, Any] | None
    ) -> DeploymentRecord:
        """Start service ``name`` serving ``models`` (``"name:version"``); return at once."""

    @abstractmethod
    def state(self, record: DeploymentRecord) -> str:
        """The service's state, checked against its process where it runs."""

    @abstractmethod
    def wait(self, name: str, show_output: bool, timeout: float | None) -> DeploymentRecord:
        """Wait until ``name`` is ready; raise ``DeploymentFailedError`` if it fails."""

    @abstractmethod
    def logs(self, record: DeploymentRecord, lines: int | None) -> str:
        """The scoring process's log (its last ``lines`` lines)."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Stop the service and forget it."""

    @abstractmethod
    def up(self) -> dict[str, str]:
        """Restart services whose process is gone; what happened to each."""

    def pid(self, record: DeploymentRecord) -> int | None:
        """The scoring process's pid, when it runs on this machine."""
        return None


class LocalServices(Services):
    """Services run by this machine's deployer (``ws.deployer``)."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def deploy(
        self, name: str, models: list[str], overwrite: bool, config: dict[str, Any] | None
    ) -> DeploymentRecord:
        from mlyard.serving.deploy import deploy_here

        return deploy_here(self.ws, name, models, overwrite, config)

    def state(self, record: DeploymentRecord) -> str:
        deployer = self.ws.deployer
        if record.state is DeploymentState.FAILED or not deployer.owns(record):
            return record.state.value
        if deployer.pid(record.name) is None:
            return DeploymentState.TRANSITIONING.value  # still being deployed
        transitioning = record.state is DeploymentState.TRANSITIONING
        if not deployer.alive(record.name):
            return (DeploymentState.FAILED if transitioning else DeploymentState.UNHEALTHY).value
        health = record.scoring_uri.removesuffix("/score") + "/health"
        if client.answers(health, timeout=2.0):
            return DeploymentState.HEALTHY.value
        return (DeploymentState.TRANSITIONING if transitioning else DeploymentState.UNHEALTHY).value

    def wait(self, name: str, show_output: bool, timeout: float | None) -> DeploymentRecord:
        from mlyard.serving.readiness import wait_ready

        return wait_ready(self.ws, name, show_output=show_output, timeout=timeout)

    def logs(self, record: DeploymentRecord, lines: int | None) -> str:
        self.ws.deployer.require_owner(record, "read the logs of")
        return self.ws.deployer.logs(record.name, lines)

    def delete(self, name: str) -> None:
        from mlyard.serving.deploy import deploy_lock

        record = self.ws.store.get_deployment(name)
        deployer = self.ws.deployer
        deployer.require_owner(record, "delete")
        with deploy_lock(self.ws, record.name, DeploymentConfig().ready_timeout):
            deployer.stop(record.name)
            self.ws.store.delete_deployment(record.name)
            deployer.remove(record.name)

    def up(self) -> dict[str, str]:
        from mlyard.serving.deploy import services_up_here

        return services_up_here(self.ws)

    def pid(self, record: DeploymentRecord) -> int | None:
        deployer = self.ws.deployer
        return deployer.pid(record.name) if deployer.owns(record) else None

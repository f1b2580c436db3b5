"""Services of a remote workspace: the server deploys them on its own host.

Every call is a request to ``/api/v1/services``; the server answers with its own
:class:`~mlyard.serving.services.LocalServices`. Scoring goes straight to the
service's scoring URI, not through the server.

Example:
    >>> ws = Workspace.open("http://127.0.0.1:8765")  # doctest: +SKIP
    >>> service = Model.deploy(ws, "svc", [model])  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from mlyard.serving.services import Services
from mlyard.serving.stages import Stage, StagePrinter
from mlyard.store.records import DeploymentRecord
from mlyard.wire.client import Connection
from mlyard.wire.requests import ServiceCreate


class RemoteServices(Services):
    def __init__(self, conn: Connection):
        self.conn = conn

    def _path(self, name: str, op: str = "") -> str:
        return f"/api/v1/services/{quote(name, safe='')}{op}"

    def deploy(
        self, name: str, models: list[str], overwrite: bool, config: dict[str, Any] | None
    ) -> DeploymentRecord:
        body = ServiceCreate(
            name=name, models=models, overwrite=overwrite, deployment_config=config
        )
        return self.conn.call("POST", "/api/v1/services", body, as_type=DeploymentRecord)

    def state(self, record: DeploymentRecord) -> str:
        return str(self.conn.call("GET", self._path(record.name, "/state"))["state"])

    def wait(self, name: str, show_output: bool, timeout: float | None) -> DeploymentRecord:
        params = {"timeout": timeout} if timeout else None
        try:
            answer = self.conn.call("POST", self._path(name, "/wait"), params=params)
        finally:
            if show_output:
                self._show(name)
        return _record(answer["record"])

    def _show(self, name: str) -> None:
        stages = [
            Stage(n, d, at) for at, n, d in self.conn.call("GET", self._path(name, "/stages"))
        ]
        if stages:
            printer = StagePrinter(stages[0].at, True)
            for stage in stages:
                printer.show(stage)

    def logs(self, record: DeploymentRecord, lines: int | None) -> str:
        params = {"lines": lines} if lines is not None else None
        response = self.conn._send("GET", self._path(record.name, "/logs"), params=params)
        return response.text

    def delete(self, name: str) -> None:
        self.conn.call("DELETE", self._path(name))

    def up(self) -> dict[str, str]:
        return dict(self.conn.call("POST", "/api/v1/services/up"))


def _record(data: Any) -> DeploymentRecord:
    from mlyard.wire import codec

    return codec.load(data, DeploymentRecord)

"""Services of a remote workspace: the server deploys them on its own host.

Every call is a request to ``/api/v1/services``; the server answers with its own
:class:`~mlyard.serving.services.LocalServices`. Scoring goes straight to the
service's scoring URI, not through the server.

Example:
    >>> ws = Workspace.open("http://127.0.0.1:8765")  # doctest: +SKIP
    >>> service = Model.deploy(ws, "svc", [model])  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

from mlyard.serving.services import Services
from mlyard.serving.stages import Stage, StagePrinter
from mlyard.store.records import DeploymentRecord
from mlyard.wire.client import Connection
from mlyard.wire.requests import ServiceCreate

STAGE_POLL = 0.2  # seconds between reads of the stages while a deployment is awaited


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
        path = self._path(name, "/wait")
        if not show_output:
            return _record(self.conn.call("POST", path, params=params)["record"])
        # The wait is one request; the stages are printed as the server's deployer
        # records them, read meanwhile from another thread's requests.
        answer: dict[str, Any] = {}
        done = threading.Event()

        def waiting() -> None:
            try:
                answer["value"] = self.conn.call("POST", path, params=params)
            except BaseException as e:  # raised in the caller's thread below
                answer["error"] = e
            finally:
                done.set()

        threading.Thread(target=waiting, name=f"wait-{name}", daemon=True).start()
        shown = _Shown()
        while not done.wait(STAGE_POLL):
            shown.more(self._stages(name))
        shown.more(self._stages(name))
        if "error" in answer:
            raise answer["error"]
        return _record(answer["value"]["record"])

    def _stages(self, name: str) -> list[Stage]:
        return [Stage(n, d, at) for at, n, d in self.conn.call("GET", self._path(name, "/stages"))]

    def logs(self, record: DeploymentRecord, lines: int | None) -> str:
        params = {"lines": lines} if lines is not None else None
        response = self.conn._send("GET", self._path(record.name, "/logs"), params=params)
        return response.text

    def delete(self, name: str) -> None:
        self.conn.call("DELETE", self._path(name))

    def up(self) -> dict[str, str]:
        return dict(self.conn.call("POST", "/api/v1/services/up"))


class _Shown:
    """Prints the stages not printed yet, timed from the first (the deploy call)."""

    def __init__(self) -> None:
        self.count = 0
        self.printer: StagePrinter | None = None

    def more(self, stages: list[Stage]) -> None:
        if stages and self.printer is None:
            self.printer = StagePrinter(stages[0].at, True)
        for stage in stages[self.count :]:
            assert self.printer is not None
            self.printer.show(stage)
        self.count = max(self.count, len(stages))


def _record(data: Any) -> DeploymentRecord:
    from mlyard.wire import codec

    return codec.load(data, DeploymentRecord)

"""The handle on a deployed web service.

Example:
    >>> service = Webservice(ws, "diabetes-service")  # doctest: +SKIP
    >>> service.state  # doctest: +SKIP
    'Healthy'
    >>> service.run(json.dumps({"data": [[0.0] * 10]}))  # doctest: +SKIP
    {'predict': [152.13]}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from mlyard.errors import InvalidInputError, ScoringError, ServiceError
from mlyard.serving import client
from mlyard.serving.scoring.payload import encode_json
from mlyard.store.records import DeploymentRecord
from mlyard.workspace import require_workspace

if TYPE_CHECKING:
    from mlyard.workspace import Workspace


class Webservice:
    """A named scoring service of a workspace: its address, state, logs and calls.

    ``Webservice(ws, name)`` re-attaches to a deployed service (from any process);
    ``deploy(...)`` returns one.

    Example:
        >>> service = Webservice(ws, "diabetes-service")  # doctest: +SKIP
        >>> service.scoring_uri  # doctest: +SKIP
        'http://127.0.0.1:40431/score'
    """

    def __init__(self, workspace: Workspace, name: str):
        self.workspace = require_workspace(workspace)
        if not isinstance(name, str) or not name:
            raise InvalidInputError(
                f"name must be a service name, got {name!r}",
                field="name",
                fix="list the services with Webservice.list(ws)",
            )
        self._record = self.workspace.store.get_deployment(name)  # NotFoundError

    @classmethod
    def _of(cls, workspace: Workspace, record: DeploymentRecord) -> Webservice:
        service = cls.__new__(cls)
        service.workspace = workspace
        service._record = record
        return service

    @classmethod
    def list(cls, workspace: Workspace) -> list[Webservice]:
        """Every service of the workspace, by name."""
        ws = require_workspace(workspace)
        return [cls._of(ws, r) for r in ws.store.list_deployments()]

    # -- what it is ---------------------------------------------------------------------
    @property
    def record(self) -> DeploymentRecord:
        """The stored deployment record, as of the last read (see :meth:`refresh`)."""
        return self._record

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def models(self) -> tuple[str, ...]:
        """The model versions served, as ``"name:version"``; the first is the default."""
        return self._record.models

    @property
    def port(self) -> int:
        return self._record.port

    @property
    def host(self) -> str:
        """The machine that runs the service."""
        return self._record.host

    @property
    def scoring_uri(self) -> str:
        return self._record.scoring_uri

    @property
    def swagger_uri(self) -> str:
        return f"{self._base_uri}/swagger.json"

    @property
    def health_uri(self) -> str:
        return f"{self._base_uri}/health"

    @property
    def _base_uri(self) -> str:
        return self._record.scoring_uri.removesuffix("/score")

    @property
    def error(self) -> str | None:
        """Why the deployment failed, if it did."""
        return self.refresh()._record.error

    @property
    def pid(self) -> int | None:
        """The scoring process's pid, when the service runs on this machine."""
        return self.workspace.services.pid(self._record)

    def refresh(self) -> Webservice:
        """Re-read the stored record (another process may have changed it)."""
        self._record = self.workspace.store.get_deployment(self.name)
        return self

    @property
    def state(self) -> str:
        """``Transitioning``, ``Healthy``, ``Unhealthy`` or ``Failed``.

        On the machine that runs the service, the stored state is checked against
        reality: whether the process runs (and is not a zombie) and whether ``/health``
        answers. Elsewhere it is the state that machine recorded last.
        """
        return self.workspace.services.state(self.refresh()._record)

    # -- what it does -------------------------------------------------------------------
    def wait_for_deployment(self, show_output: bool = False, timeout_sec: float | None = None):
        """Wait until the service is ready, printing each stage when ``show_output``.

        Raises:
            DeploymentFailedError: the service failed; the message ends with the tail
                of its log.

        Example:
            >>> service.wait_for_deployment(show_output=True)  # doctest: +SKIP
               0.00 s  resolving model   diabetes:1 (sklearn)
               0.01 s  verifying files   copying 1 file(s), 0.8 KiB, checking each sha256
               ...
               0.43 s  ready             http://127.0.0.1:40431/score
        """
        self._record = self.workspace.services.wait(self.name, show_output, timeout_sec)

    def run(self, input_data: str | bytes | dict[str, Any]) -> Any:
        """Score ``input_data`` (a JSON string or a dict) and return the decoded answer.

        Raises:
            ScoringError: the service rejected the input (``status`` 4xx, naming the
                field) or the model failed (500).
            ServiceError: the service does not answer.

        Example:
            >>> service.run({"data": [[0.0] * 10], "method": "predict"})  # doctest: +SKIP
            {'predict': [152.13]}
        """
        body = _body(input_data)
        status, content = client.call_uri(self.scoring_uri, "POST", body=body)
        try:
            answer = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise ServiceError(
                f"{self.scoring_uri} answered {status} with a body that is not JSON",
                fix="check service.get_logs()",
            ) from None
        if status != 200:
            message = answer.get("message", "") if isinstance(answer, dict) else str(answer)
            field = answer.get("field") if isinstance(answer, dict) else None
            raise ScoringError(f"{status} from {self.name}: {message}", status=status, field=field)
        return answer

    def get_logs(self, num_lines: int | None = None) -> str:
        """The scoring process's log (its last ``num_lines`` lines, if given).

        Raises:
            ConflictError: the service runs on another machine.
        """
        if num_lines is not None and (
            isinstance(num_lines, bool) or not isinstance(num_lines, int) or num_lines < 0
        ):
            raise InvalidInputError(
                f"num_lines must be a whole number >= 0, got {num_lines!r:.40}",
                field="num_lines",
            )
        return self.workspace.services.logs(self._record, num_lines)

    def delete(self) -> None:
        """Stop the service's process and remove its record and folder.

        Raises:
            ConflictError: the service runs on another machine.
        """
        self.workspace.services.delete(self.name)

    def __repr__(self) -> str:
        return (
            f"Webservice(name={self.name!r}, scoring_uri={self.scoring_uri!r}, "
            f"models={list(self.models)})"
        )


def _body(input_data: Any) -> bytes:
    if isinstance(input_data, bytes):
        return input_data
    if isinstance(input_data, str):
        return input_data.encode()
    if isinstance(input_data, dict):
        return encode_json(input_data)  # numpy arrays and DataFrames welcome
    raise InvalidInputError(
        f"input_data must be a JSON string or a dict, got {type(input_data).__name__}",
        field="input_data",
        fix='pass json.dumps({"data": rows}) or {"data": rows}',
    )

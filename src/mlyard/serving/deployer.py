"""Who runs a workspace's services, and what only they know: processes, folders, logs.

The shared store keeps what every machine may see of a service — name, model versions,
configuration, state, scoring URI and the ``host`` that runs it. Everything else
belongs to the :class:`Deployer` on that host: here, :class:`LocalDeployer` runs each
service as a process on this machine, in its own folder (see
:class:`~mlyard.serving.spec.DeploymentDir`); later deployers run them through the
team server or on Ray Serve. Another machine sees a service's stored state, and asks
the owner to act on it.

Example:
    >>> deployer = LocalDeployer(Path(tempfile.mkdtemp()))  # doctest: +SKIP
    >>> deployer.alive("diabetes-service")  # doctest: +SKIP
    False
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from mlyard import processes
from mlyard.errors import ConflictError
from mlyard.serving.process import server_alive, start_server, stop_server
from mlyard.serving.spec import DeploymentDir
from mlyard.serving.stages import StageLog
from mlyard.store.records import DeploymentRecord


class Deployer(ABC):
    """Runs services on one machine (``machine``); ``kind`` is stored with each one."""

    kind: ClassVar[str]
    machine: str

    def owns(self, record: DeploymentRecord) -> bool:
        """Whether this deployer runs ``record``'s service."""
        return record.deployer == self.kind and record.host == self.machine

    def require_owner(self, record: DeploymentRecord, action: str) -> None:
        """Raise ``ConflictError`` unless this deployer runs the service."""
        if not self.owns(record):
            raise ConflictError(
                f"cannot {action} service {record.name!r} from {self.machine}: it runs on "
                f"{record.host} ({record.deployer} deployer)",
                field="name",
                fix=f"do it on {record.host}, where the service runs",
            )

    @abstractmethod
    def folder(self, name: str) -> DeploymentDir:
        """The deployment folder of service ``name`` (it may not exist yet)."""

    def stages(self, name: str) -> StageLog:
        """The stage log shared with the service's scoring process."""
        return StageLog(self.folder(name).stages_path)

    @abstractmethod
    def start(self, name: str, mode: str) -> int:
        """Start the scoring process of the prepared folder; return its pid."""

    @abstractmethod
    def stop(self, name: str) -> bool:
        """Stop the service's process if it runs; True if it did."""

    @abstractmethod
    def alive(self, name: str) -> bool:
        """Whether the service's process runs."""

    @abstractmethod
    def pid(self, name: str) -> int | None:
        """The pid of the service's process, if one was started."""

    @abstractmethod
    def logs(self, name: str, lines: int | None = None) -> str:
        """The service's log (its last ``lines`` lines, if given)."""

    @abstractmethod
    def remove(self, name: str) -> None:
        """Delete what this machine keeps of the service (its process must be stopped)."""


class LocalDeployer(Deployer):
    """Services as processes on this machine, one folder each under ``root``."""

    kind = "local"

    def __init__(self, root: Path):
        self.root = Path(root)
        self.machine = processes.machine()

    def __repr__(self) -> str:
        return f"LocalDeployer({str(self.root)!r}, machine={self.machine!r})"

    def folder(self, name: str) -> DeploymentDir:
        return DeploymentDir(self.root / name)

    def start(self, name: str, mode: str) -> int:
        return start_server(self.folder(name), mode)

    def stop(self, name: str) -> bool:
        return stop_server(self.folder(name))

    def alive(self, name: str) -> bool:
        return server_alive(self.folder(name))

    def pid(self, name: str) -> int | None:
        info = self.folder(name).read_process()
        return info.pid if info else None

    def logs(self, name: str, lines: int | None = None) -> str:
        folder = self.folder(name)
        return folder.log_text() if lines is None else folder.log_tail(lines)

    def remove(self, name: str) -> None:
        self.folder(name).remove()

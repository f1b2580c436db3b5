"""A deployment's folder and the spec file its scoring process reads.

Everything a scoring process needs is in its folder, so it never opens the metadata
database::

    <ws.home>/deployments/<name>/
        spec.json        name, address and the models to serve (written by deploy)
        models/<model>/<version>/   materialised, verified model directories
        stages.jsonl     stage events, appended by the deploying side and the server
        process.json     pid and start time of the scoring process
        service.log      the scoring process's stdout and stderr

Example:
    >>> import tempfile
    >>> folder = DeploymentDir(tempfile.mkdtemp())
    >>> spec = ServiceSpec("svc", "127.0.0.1", 8890, (ModelSpec("m", 1, "models/m/1"),))
    >>> folder.write_spec(spec)
    >>> folder.read_spec().models[0].key
    'm:1'
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from mlyard.errors import InvalidInputError
from mlyard.wire import codec

SPEC_FORMAT = 1


@dataclass(frozen=True)
class ModelSpec:
    """One model a service serves; ``path`` is relative to the deployment folder."""

    name: str
    version: int
    path: str

    @property
    def key(self) -> str:
        return f"{self.name}:{self.version}"


@dataclass(frozen=True)
class ServiceSpec:
    """What the scoring process serves and where."""

    name: str
    host: str
    port: int
    models: tuple[ModelSpec, ...]
    access_log: bool = False
    format: int = SPEC_FORMAT


@dataclass(frozen=True)
class ProcessInfo:
    """Which process serves a deployment: its pid, start time and how it started."""

    pid: int
    create_time: float
    mode: str


class DeploymentDir:
    """The folder of one deployment and the files in it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DeploymentDir({str(self.path)!r})"

    @property
    def spec_path(self) -> Path:
        return self.path / "spec.json"

    @property
    def log_path(self) -> Path:
        return self.path / "service.log"

    @property
    def stages_path(self) -> Path:
        return self.path / "stages.jsonl"

    @property
    def process_path(self) -> Path:
        return self.path / "process.json"

    def model_dir(self, name: str, version: int) -> Path:
        return self.path / self.model_path(name, version)

    @staticmethod
    def model_path(name: str, version: int) -> str:
        return f"models/{name}/{version}"

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def write_spec(self, spec: ServiceSpec) -> None:
        _write(self.spec_path, codec.encode(spec))

    def read_spec(self) -> ServiceSpec:
        try:
            return codec.decode(self.spec_path.read_bytes(), ServiceSpec)
        except FileNotFoundError:
            raise InvalidInputError(
                f"{self.path} has no spec.json",
                field="spec.json",
                fix="redeploy the service with deploy(..., overwrite=True)",
            ) from None
        except InvalidInputError as e:
            raise InvalidInputError(
                f"{self.spec_path} is damaged: {e}",
                field="spec.json",
                fix="redeploy the service with deploy(..., overwrite=True)",
            ) from None

    def write_process(self, info: ProcessInfo) -> None:
        _write(self.process_path, codec.encode(info))

    def read_process(self) -> ProcessInfo | None:
        try:
            return codec.decode(self.process_path.read_bytes(), ProcessInfo)
        except (FileNotFoundError, InvalidInputError):
            return None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def _write(path: Path, data: bytes) -> None:
    # Temp file and rename: a reader never sees half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)

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

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlyard.errors import InvalidInputError

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": SPEC_FORMAT,
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "access_log": self.access_log,
            "models": [{"name": m.name, "version": m.version, "path": m.path} for m in self.models],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServiceSpec:
        try:
            models = tuple(
                ModelSpec(m["name"], int(m["version"]), m["path"]) for m in data["models"]
            )
            return cls(data["name"], data["host"], int(data["port"]), models, data["access_log"])
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidInputError(
                f"the service spec lacks or mangles {e}",
                field="spec.json",
                fix="redeploy the service with deploy(..., overwrite=True)",
            ) from e


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
        _write_json(self.spec_path, spec.to_dict())

    def read_spec(self) -> ServiceSpec:
        try:
            data = json.loads(self.spec_path.read_text())
        except FileNotFoundError:
            raise InvalidInputError(
                f"{self.path} has no spec.json",
                field="spec.json",
                fix="redeploy the service with deploy(..., overwrite=True)",
            ) from None
        except json.JSONDecodeError as e:
            raise InvalidInputError(f"{self.spec_path} is not JSON: {e}", field="spec.json") from e
        return ServiceSpec.from_dict(data)

    def write_process(self, pid: int, create_time: float, mode: str) -> None:
        _write_json(self.process_path, {"pid": pid, "create_time": create_time, "mode": mode})

    def read_process(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.process_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def _write_json(path: Path, data: dict[str, Any]) -> None:
    # Temp file and rename: a reader never sees half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)

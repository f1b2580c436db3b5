"""A model is a directory with a manifest, ``model.yaml``.

The manifest names the flavor and framework, how to load the model, its signature
and requirements, and every file with its sha256. Loading checks every hash before
any byte is unpickled.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from mlyard.artifacts.hashing import sha256_file
from mlyard.errors import IntegrityError, InvalidInputError
from mlyard.store.records import FileRecord

MANIFEST = "model.yaml"
FORMAT = 1


@dataclass(frozen=True)
class Manifest:
    flavor: str
    framework: str
    framework_version: str | None
    loader: dict[str, Any]
    methods: tuple[str, ...]
    files: tuple[FileRecord, ...] = ()
    signature: dict[str, Any] | None = None
    requirements: tuple[str, ...] = ()
    python_version: str = field(default_factory=platform.python_version)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def with_(self, **changes: Any) -> Manifest:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mlyard_model": FORMAT,
            "flavor": self.flavor,
            "framework": self.framework,
            "framework_version": self.framework_version,
            "python_version": self.python_version,
            "created_at": self.created_at,
            "loader": dict(self.loader),
            "methods": list(self.methods),
            "signature": self.signature,
            "requirements": list(self.requirements),
            "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        try:
            return cls(
                flavor=data["flavor"],
                framework=data["framework"],
                framework_version=data.get("framework_version"),
                loader=dict(data["loader"]),
                methods=tuple(data.get("methods") or ()),
                files=tuple(FileRecord(f["path"], f["sha256"], f["size"]) for f in data["files"]),
                signature=data.get("signature"),
                requirements=tuple(data.get("requirements") or ()),
                python_version=data.get("python_version", ""),
                created_at=data.get("created_at", ""),
            )
        except (KeyError, TypeError) as e:
            raise InvalidInputError(
                f"{MANIFEST} is missing or has a malformed entry: {e}",
                field=MANIFEST,
                fix="save models with run.save_model or Model.register, not by hand",
            ) from e

    def write(self, directory: Path) -> Path:
        path = Path(directory) / MANIFEST
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))
        return path

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = Path(directory) / MANIFEST
        if not path.is_file():
            raise InvalidInputError(
                f"{str(directory)!r} has no {MANIFEST}",
                field="model_path",
                fix="pass a folder written by run.save_model, or a joblib/pickle file",
            )
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as e:
            raise InvalidInputError(f"{path} is not valid YAML: {e}", field=MANIFEST) from e
        if not isinstance(data, dict):
            raise InvalidInputError(f"{path} is not a mapping", field=MANIFEST)
        return cls.from_dict(data)

    def verify(self, directory: Path) -> None:
        """Raise :class:`IntegrityError` unless every file matches its recorded hash."""
        for f in self.files:
            path = Path(directory) / f.path
            if not path.is_file():
                raise IntegrityError(f"model file {f.path!r} is missing from {directory}")
            sha, _ = sha256_file(path)
            if sha != f.sha256:
                raise IntegrityError(
                    f"model file {f.path!r} is corrupted (sha256 {sha[:12]}…, "
                    f"recorded {f.sha256[:12]}…)",
                    fix="download or register the model again",
                )


def hash_files(directory: Path) -> tuple[FileRecord, ...]:
    """Every file under ``directory`` except the manifest, with its hash."""
    directory = Path(directory)
    out = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if rel == MANIFEST:
            continue
        sha, size = sha256_file(path)
        out.append(FileRecord(rel, sha, size))
    return tuple(out)

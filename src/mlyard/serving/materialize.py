"""From registered model versions to verified model directories in a deployment folder.

A model version's files live in the blob store under their sha256; a service needs
them as a directory its own process can load. Each file is copied and checked against
its hash on the way, into a temporary folder that is renamed into place only when
complete, so a deployment never serves a half-copied model.

Example:
    >>> resolve_models(ws, ["diabetes-model:1"])[0].version  # doctest: +SKIP
    1
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlyard.errors import InvalidInputError
from mlyard.flavors import Manifest, get_flavor
from mlyard.store.records import ModelVersionRecord

if TYPE_CHECKING:
    from mlyard.workspace import Workspace


def resolve_models(ws: Workspace, models: Sequence[Any]) -> list[ModelVersionRecord]:
    """The stored records of ``models``: records, registry ``Model`` objects, or
    ``"name:version"`` / ``"name"`` (latest) strings."""
    if isinstance(models, str | ModelVersionRecord) or not isinstance(models, Sequence):
        models = [models]
    if not models:
        raise InvalidInputError(
            "models is empty", field="models", fix="pass [model] with at least one model version"
        )
    records = [_resolve_one(ws, m, i) for i, m in enumerate(models)]
    keys = [f"{r.name}:{r.version}" for r in records]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise InvalidInputError(
            f"models lists {dupes[0]} more than once", field="models", fix="list each version once"
        )
    return records


def _resolve_one(ws: Workspace, item: Any, index: int) -> ModelVersionRecord:
    record = getattr(item, "record", item)
    version: int | None
    if isinstance(record, ModelVersionRecord):
        name, version = record.name, record.version
    elif isinstance(record, str) and record:
        name, _, tail = record.partition(":")
        version = _version(tail, index) if tail else None
    else:
        raise InvalidInputError(
            f"models[{index}] is a {type(item).__name__}, not a model version",
            field=f"models[{index}]",
            fix="pass Model objects, ModelVersionRecord, or 'name:version' strings",
        )
    stored = ws.store.get_model_version(name, version)  # NotFoundError names the model
    get_flavor(stored.flavor)  # fails early, naming the frameworks this build serves
    return stored


def _version(text: str, index: int) -> int:
    if not text.isdigit():
        raise InvalidInputError(
            f"models[{index}] has version {text!r}, not a number",
            field=f"models[{index}]",
            fix="write 'name:3', or 'name' for the latest version",
        )
    return int(text)


def materialize(ws: Workspace, record: ModelVersionRecord, target: Path) -> tuple[int, int]:
    """Copy ``record``'s files from the blob store into ``target``, verifying each.

    Returns:
        The number of files and of bytes copied.

    Raises:
        IntegrityError: a stored file does not hash to its recorded sha256.
        NotFoundError: a file is missing from the blob store.
    """
    manifest = Manifest.from_dict(record.manifest)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    label = f"{record.name}:{record.version}"
    try:
        size = 0
        for f in manifest.files:
            dest = tmp / _safe_relative(f.path, label)
            ws.blobs.get_file(f.sha256, dest, name=f"model file {label}/{f.path}")
            size += f.size
        tmp.mkdir(parents=True, exist_ok=True)
        manifest.write(tmp)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return len(manifest.files), size


def _safe_relative(path: str, label: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise InvalidInputError(
            f"model {label} lists a file outside its folder: {path!r}",
            field="manifest.files",
            fix="register the model again from a folder",
        )
    return rel

"""Turn what ``Model.register`` is given into a verified model directory.

A source is a run's files (a folder written by ``run.save_model`` or one serialised
file) or a local file or folder. A folder with a manifest is taken as it is, after its
hashes are checked; a lone joblib/pickle file is wrapped with the named framework.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from mlyard.errors import InvalidInputError, NotFoundError
from mlyard.flavors import MANIFEST, Manifest, wrap_model_file
from mlyard.store.records import FileRecord

if TYPE_CHECKING:
    from mlyard.tracking import Run
    from mlyard.workspace import Workspace

_SERIALIZED = (".joblib", ".pkl", ".pickle")


def from_run(
    ws: Workspace, run: Run, model_path: str, framework: str | None, into: Path
) -> Manifest:
    """Materialise ``model_path`` (a file or folder among the run's files) into ``into``."""
    prefix = model_path.strip("/")
    files = run.list_files(prefix)
    if not files:
        names = run.get_file_names()
        raise NotFoundError(
            f"run {run.id} has no file or folder {model_path!r}",
            fix=f"model_path must be one of the run's files: {names[:10]}"
            if names
            else "the run has no files; save one with run.save_model(model, 'model')",
        )
    single = len(files) == 1 and files[0].path == prefix
    staged = into.parent / (into.name + ".src")
    for f in files:
        rel = Path(f.path).name if single else Path(f.path).relative_to(prefix)
        ws.blobs.get_file(f.sha256, staged / rel, name=f.path)
    try:
        return _from_folder_or_file(
            staged / Path(prefix).name if single else staged, framework, into
        )
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def from_local(path: str | Path, framework: str | None, into: Path) -> Manifest:
    source = Path(path).expanduser()
    if not source.exists():
        raise NotFoundError(
            f"no file or folder at {str(source)!r}",
            fix="model_path is a local path unless run= is given",
        )
    return _from_folder_or_file(source, framework, into)


def _from_folder_or_file(source: Path, framework: str | None, into: Path) -> Manifest:
    if source.is_file():
        return _wrap(source, framework, into)
    if (source / MANIFEST).is_file():
        manifest = Manifest.read(source)
        manifest.verify(source)
        shutil.copytree(source, into)
        return manifest
    candidates = [p for p in source.rglob("*") if p.suffix.lower() in _SERIALIZED]
    if len(candidates) == 1:
        return _wrap(candidates[0], framework, into)
    raise InvalidInputError(
        f"{str(source.name)!r} is a folder without {MANIFEST} and without exactly one "
        f"joblib/pickle file ({len(candidates)} found)",
        field="model_path",
        fix="save the model with run.save_model(model, 'model'), or point at one file",
    )


def _wrap(file: Path, framework: str | None, into: Path) -> Manifest:
    if framework is None:
        raise InvalidInputError(
            f"{file.name!r} is a bare serialised file; mlyard needs to know its framework",
            field="model_framework",
            fix="pass model_framework=Model.Framework.SCIKITLEARN (or the right one)",
        )
    return wrap_model_file(file, into, framework)


def upload(ws: Workspace, directory: Path, manifest: Manifest) -> list[FileRecord]:
    """Put every file of the model directory into the blob store (deduplicated)."""
    out = []
    for f in manifest.files:
        sha, size = ws.blobs.put_file(directory / f.path)
        out.append(FileRecord(f.path, sha, size))
    return out

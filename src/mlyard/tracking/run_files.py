"""A run's files: uploaded once into the content-addressed store, listed by name."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from mlyard.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from mlyard.store.records import FileRecord
from mlyard.tempfiles import temp_dir
from mlyard.tracking.validation import artifact_name

if TYPE_CHECKING:
    from mlyard.flavors.manifest import Manifest
    from mlyard.workspace import Workspace


class RunFiles:
    """File methods of :class:`~mlyard.tracking.run.Run`."""

    workspace: Workspace

    @property
    def id(self) -> str:
        raise NotImplementedError

    def upload_file(self, name: str, path_or_stream: str | Path | BinaryIO) -> FileRecord:
        """Store a local file (or a binary stream) as run file ``name``."""
        name = artifact_name(name)
        blobs = self.workspace.blobs
        if isinstance(path_or_stream, str | Path):
            path = Path(path_or_stream)
            if not path.is_file():
                raise NotFoundError(
                    f"no file at {str(path)!r} to upload as {name!r}",
                    fix="check the path_or_stream argument",
                )
            sha, size = blobs.put_file(path)
        elif hasattr(path_or_stream, "read"):
            sha, size = blobs.put_stream(path_or_stream)
        else:
            raise InvalidInputError(
                f"cannot upload a {type(path_or_stream).__name__}",
                field="path_or_stream",
                fix="pass a file path or an open binary file",
            )
        record = FileRecord(name, sha, size)
        self.workspace.store.add_run_files(self.id, [record])
        return record

    def upload_folder(self, name: str, path: str | Path) -> list[FileRecord]:
        """Store every file under a local folder as ``name/<relative path>``."""
        prefix = artifact_name(name)
        folder = Path(path)
        if not folder.is_dir():
            raise NotFoundError(f"no folder at {str(folder)!r}", fix="check the path argument")
        records = []
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            sha, size = self.workspace.blobs.put_file(file)
            records.append(FileRecord(f"{prefix}/{file.relative_to(folder).as_posix()}", sha, size))
        self.workspace.store.add_run_files(self.id, records)
        return records

    def save_model(self, model: Any, name: str = "model") -> Manifest:
        """Save ``model`` with its flavor as run files under ``name/`` (with a manifest)."""
        from mlyard.flavors import save_model

        with temp_dir("save") as tmp:
            manifest = save_model(model, Path(tmp))
            self.upload_folder(name, tmp)
        return manifest

    def get_file_names(self) -> list[str]:
        return [f.path for f in self.workspace.store.list_run_files(self.id)]

    def list_files(self, prefix: str = "") -> list[FileRecord]:
        return self.workspace.store.list_run_files(self.id, prefix)

    def _file(self, name: str) -> FileRecord:
        name = artifact_name(name)
        for f in self.workspace.store.list_run_files(self.id, name):
            if f.path == name:
                return f
        raise NotFoundError(
            f"run {self.id} has no file {name!r}",
            fix="see run.get_file_names() for what it has",
        )

    def download_file(
        self, name: str, output_file_path: str | Path | None = None, overwrite: bool = False
    ) -> Path:
        """Copy run file ``name`` to a local path (verified against its sha256)."""
        record = self._file(name)
        target = Path(output_file_path) if output_file_path else Path(Path(record.path).name)
        if target.is_dir():
            target = target / Path(record.path).name
        if target.exists() and not overwrite:
            raise AlreadyExistsError(
                f"{str(target)!r} exists", fix="pass overwrite=True or another output_file_path"
            )
        return self.workspace.blobs.get_file(record.sha256, target, name=record.path)

    def download_files(
        self, prefix: str = "", output_directory: str | Path = ".", overwrite: bool = False
    ) -> list[Path]:
        """Copy every run file under ``prefix`` into ``output_directory``."""
        files = self.workspace.store.list_run_files(self.id, prefix)
        if not files:
            raise NotFoundError(f"run {self.id} has no files under {prefix!r}")
        out = Path(output_directory)
        targets = [out / f.path for f in files]
        clash = [str(t) for t in targets if t.exists()]
        if clash and not overwrite:
            raise AlreadyExistsError(f"{clash[0]!r} exists", fix="pass overwrite=True")
        for f, target in zip(files, targets, strict=True):
            self.workspace.blobs.get_file(f.sha256, target, name=f.path)
        return targets

"""Datastores: named storage (a local folder, ``s3://…``, any fsspec URL) for raw files.

A datastore is where files are *kept*; a dataset is a verified snapshot *of* them. Every
upload and download is streamed in 1 MiB chunks, checksummed and written atomically as
a batch (see :mod:`mlyard.data._transfer`); uploads are recorded in the store with their
sha256, so later reads can tell when a file changed outside mlyard.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

from mlyard.artifacts.hashing import copy_hashing
from mlyard.data._paths import PART_SUFFIX, join, relative_path
from mlyard.data._transfer import Copy, check_local_targets, copy_all, open_file
from mlyard.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from mlyard.store.records import DatastoreRecord, FileRecord

if TYPE_CHECKING:
    from mlyard.workspace import Workspace

FileRecords = list[FileRecord]  # the method `list` shadows the builtin in the class body
Paths = list[Path]


class Datastore:
    """Named storage with checksummed, all-or-nothing uploads and downloads.

    Get one from a workspace rather than building it: ``ws.get_default_datastore()``,
    ``ws.get_datastore(name)`` or ``ws.register_datastore(name, url)``.

    Example:
        >>> import tempfile, pathlib
        >>> from mlyard import Workspace
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> ws = Workspace.open(tmp / "yard")
        >>> _ = (tmp / "a.csv").write_text("x,y\\n1,2\\n")
        >>> store = ws.get_default_datastore()
        >>> [f.path for f in store.upload_files([tmp / "a.csv"], target_path="raw")]
        ['raw/a.csv']
        >>> store.open("raw/a.csv").read()
        b'x,y\\n1,2\\n'
    """

    def __init__(self, workspace: Workspace, record: DatastoreRecord):
        self.workspace = workspace
        self._record = record
        self._url = workspace.resolve_url(record.url)
        self._filesystem: tuple[AbstractFileSystem, str] | None = None

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def url(self) -> str:
        """Where the files live: an absolute folder or an fsspec URL."""
        return self._url

    @property
    def is_default(self) -> bool:
        return self._record.is_default

    def __repr__(self) -> str:
        return f"Datastore(name={self.name!r}, url={self.url!r})"

    # -- uploading -----------------------------------------------------------------
    def upload_files(
        self,
        files: Any,
        target_path: str = "",
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> FileRecords:
        """Copy local files to ``<target_path>/<file name>``, verified, all or none.

        Every source must exist and, unless ``overwrite``, no target may exist: both are
        checked before anything is written. Sources are only read.

        Args:
            files: a local file path, or a list of them.
            target_path: the folder in the datastore, relative to its root.
            overwrite: replace files that are already there.
            show_progress: draw a progress bar for large uploads.

        Returns:
            One record (path, sha256, size) per file, in the order given.
        """
        sources = _local_files(files)
        target = relative_path(target_path, "target_path")
        pairs = [(src, join(target, src.name)) for src in sources]
        seen: dict[str, Path] = {}
        for src, dest in pairs:
            if dest in seen:
                raise InvalidInputError(
                    f"{str(seen[dest])!r} and {str(src)!r} would both be stored as {dest!r}",
                    field="files",
                    fix="upload files with the same name to different target_path folders",
                )
            seen[dest] = src
        return self._upload(pairs, overwrite, show_progress)

    def upload(
        self,
        src_dir: str | Path,
        target_path: str = "",
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> FileRecords:
        """Copy every file under a local folder, recursively, keeping relative paths.

        Same guarantees as :meth:`upload_files`.

        Example:
            ``datastore.upload("./images", target_path="images/v1")``
        """
        folder = Path(src_dir).expanduser()
        if folder.is_file():
            raise InvalidInputError(
                f"{str(folder)!r} is a file, not a folder",
                field="src_dir",
                fix="upload single files with datastore.upload_files([...])",
            )
        if not folder.is_dir():
            raise NotFoundError(
                f"no folder at {str(folder.absolute())!r} to upload",
                field="src_dir",
                fix="check the src_dir path",
            )
        files = sorted(Path(top, name) for top, _, names in os.walk(folder) for name in names)
        if not files:
            raise InvalidInputError(
                f"{str(folder)!r} holds no files", field="src_dir", fix="check the src_dir path"
            )
        target = relative_path(target_path, "target_path")
        pairs = [(f, join(target, f.relative_to(folder).as_posix())) for f in files]
        return self._upload(pairs, overwrite, show_progress)

    def _upload(
        self, pairs: list[tuple[Path, str]], overwrite: bool, show_progress: bool
    ) -> FileRecords:
        self._check_targets([dest for _, dest in pairs], overwrite)
        copies = [
            Copy(
                source=_reader(src),
                dest=self._key(dest),
                label=str(src),
                size=src.stat().st_size,
            )
            for src, dest in pairs
        ]
        results = copy_all(
            self._fs,
            copies,
            description=f"uploading to {self.name}",
            show_progress=show_progress,
            reread=True,
        )
        records = [
            FileRecord(dest, sha, size)
            for (_, dest), (sha, size) in zip(pairs, results, strict=True)
        ]
        self.workspace.store.record_datastore_files(self.name, records)
        return records

    def _check_targets(self, targets: list[str], overwrite: bool) -> None:
        fs = self._fs
        for rel in targets:
            key = self._key(rel)
            if fs.isdir(key):
                raise InvalidInputError(
                    f"{self.name}:{rel} is a folder; a file cannot be written there",
                    field="target_path",
                    fix="choose another target_path",
                )
            if not overwrite and fs.exists(key):
                raise AlreadyExistsError(
                    f"{self.name}:{rel} already exists",
                    field="target_path",
                    fix="pass overwrite=True",
                )
        # Refused on object stores too (where a key and a "folder" may share a name), so
        # every datastore holds what a local folder could, and downloads anywhere.
        parents = {rel.rsplit("/", n)[0] for rel in targets for n in range(1, rel.count("/") + 1)}
        for parent in sorted(parents):
            if fs.isfile(self._key(parent)):
                raise InvalidInputError(
                    f"{self.name}:{parent} is a file, so it cannot hold other files",
                    field="target_path",
                    fix="choose another target_path",
                )

    # -- reading -------------------------------------------------------------------
    def download(
        self,
        prefix: str = "",
        target_path: str | Path = ".",
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> Paths:
        """Copy every file under ``prefix`` to ``target_path/<its datastore path>``.

        Files uploaded through mlyard are checked against their recorded sha256; a
        mismatch raises :class:`~mlyard.errors.IntegrityError` and keeps nothing.

        Returns:
            The local paths written, sorted.
        """
        rel = relative_path(prefix, "prefix")
        present = self._find(rel)
        if not present:
            raise NotFoundError(
                f"datastore {self.name!r} has no files under {rel or '/'!r}",
                field="prefix",
                fix="see datastore.list() for what it holds",
            )
        out = Path(target_path).expanduser().absolute()
        targets = {path: out / path for path in sorted(present)}
        check_local_targets(list(targets.values()), overwrite)
        recorded = self._recorded(rel)
        copies = [
            Copy(
                source=partial(open_file, self._fs, self._key(path)),
                dest=str(dest),
                label=f"{self.name}:{path}",
                size=present[path],
                expected=recorded[path].sha256 if path in recorded else None,
            )
            for path, dest in targets.items()
        ]
        copy_all(
            LocalFileSystem(),
            copies,
            description=f"downloading from {self.name}",
            show_progress=show_progress,
        )
        return list(targets.values())

    def list(self, prefix: str = "") -> FileRecords:
        """The files present under ``prefix``, sorted by path, with sha256 and size.

        Hashes come from the upload records; a file that was never uploaded through
        mlyard (or whose size changed since) is hashed on the fly.
        """
        rel = relative_path(prefix, "prefix")
        recorded = self._recorded(rel)
        records = []
        for path, size in sorted(self._find(rel).items()):
            known = recorded.get(path)
            if known is not None and known.size == size:
                records.append(known)
                continue
            with open_file(self._fs, self._key(path)) as f:
                sha, actual = copy_hashing(f, None)
            records.append(FileRecord(path, sha, actual))
        return records

    def open(self, path: str) -> BinaryIO:
        """A binary stream of the file at ``path`` (relative to the datastore root)."""
        rel = relative_path(path, "path")
        key = self._key(rel)
        if not rel or not self._fs.isfile(key):
            raise NotFoundError(
                f"datastore {self.name!r} has no file {rel!r}",
                field="path",
                fix="see datastore.list() for what it holds",
            )
        return open_file(self._fs, key)

    def exists(self, path: str) -> bool:
        """Whether a file or folder exists at ``path``."""
        return bool(self._fs.exists(self._key(relative_path(path, "path"))))

    # -- internals shared with datasets --------------------------------------------
    @property
    def _fs(self) -> AbstractFileSystem:
        return self._resolve()[0]

    def _key(self, rel: str) -> str:
        """The filesystem path of datastore path ``rel`` (already cleaned)."""
        root = self._resolve()[1]
        return f"{root}/{rel}" if rel else (root or "/")

    def _rel(self, key: str) -> str:
        root = self._resolve()[1]
        return key[len(root) + 1 :] if root else key.lstrip("/")

    def _resolve(self) -> tuple[AbstractFileSystem, str]:
        if self._filesystem is None:
            self._filesystem = self.workspace.datastore_fs(self.name, self._record.url)
        return self._filesystem

    def _find(self, rel: str) -> dict[str, int]:
        """{datastore path: size} of the files at or under ``rel``."""
        fs, key = self._fs, self._key(rel)
        if rel and fs.isfile(key):
            return {rel: int(fs.size(key))}
        try:
            found = fs.find(key, detail=True)
        except FileNotFoundError:
            return {}
        return {
            self._rel(path): int(info["size"])
            for path, info in found.items()
            if info.get("type") == "file" and not path.endswith(PART_SUFFIX)
        }

    def _recorded(self, rel: str) -> dict[str, FileRecord]:
        return {f.path: f for f in self.workspace.store.get_datastore_files(self.name, rel)}


def _local_files(files: Any) -> list[Path]:
    if isinstance(files, str | os.PathLike):
        files = [files]
    if not isinstance(files, list | tuple) or not files:
        raise InvalidInputError(
            f"files must be a non-empty list of local paths, got {files!r:.60}",
            field="files",
            fix='pass e.g. files=["./feature.csv", "./labels.csv"]',
        )
    paths = []
    for item in files:
        if not isinstance(item, str | os.PathLike):
            raise InvalidInputError(
                f"files must hold paths, got a {type(item).__name__}",
                field="files",
                fix='pass e.g. files=["./feature.csv"]',
            )
        path = Path(item).expanduser()
        if path.is_dir():
            raise InvalidInputError(
                f"{str(path)!r} is a folder",
                field="files",
                fix="upload folders with datastore.upload(src_dir=...)",
            )
        if not path.is_file():
            raise NotFoundError(
                f"no file at {str(path.absolute())!r} to upload; nothing was uploaded",
                field="files",
                fix="check the path",
            )
        paths.append(path)
    return paths


def _reader(path: Path) -> Callable[[], BinaryIO]:
    return lambda: open(path, "rb")

"""Where a dataset's bytes come from: live source files, or verified blobs once registered.

``resolve(path)`` turns the ``path=`` argument of the dataset factories — ``(datastore,
"dir/*.csv")`` tuples or plain local/fsspec paths — into a concrete list of files, each
with its name inside the dataset: its path relative to the folder named by the pattern
(``"dir/"`` → names under ``dir``, ``"dir/*.csv"`` → names under ``dir``, a single file
→ its file name).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

import fsspec
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

from mlyard.data._paths import PART_SUFFIX, relative_path
from mlyard.data._transfer import open_file
from mlyard.data.datastore import Datastore
from mlyard.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from mlyard.artifacts import BlobStore

_MAGIC = ("*", "?", "[")
_PATH_FIX = "pass [(datastore, 'folder/file.csv')], a folder ('folder/'), a glob or a path string"


class Member(Protocol):
    """One file of a dataset: its name inside it, its size, and how to read it."""

    @property
    def name(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def sha256(self) -> str | None: ...

    @property
    def label(self) -> str: ...

    def open(self) -> BinaryIO: ...


@dataclass(frozen=True, slots=True)
class LiveFile:
    """A file read straight from its source (the files of an unregistered dataset).

    A file uploaded through mlyard knows its ``datastore`` and ``rel`` path there, so
    registering can check its bytes against the sha256 recorded at upload.
    """

    name: str
    size: int
    fs: AbstractFileSystem
    path: str
    label: str = ""
    datastore: Datastore | None = None  # where it was uploaded through mlyard, if anywhere
    rel: str = ""  # its path in that datastore

    @property
    def sha256(self) -> str | None:
        return None

    def open(self) -> BinaryIO:
        try:
            return open_file(self.fs, self.path)
        except FileNotFoundError:
            raise NotFoundError(
                f"{self.path!r} was deleted after the dataset was defined",
                field="path",
                fix="define the dataset again, or register it to keep a snapshot",
            ) from None


@dataclass(frozen=True, slots=True)
class BlobFile:
    """A file of a registered dataset: immutable, verified against its sha256 on read."""

    name: str
    size: int
    sha256: str
    blobs: BlobStore

    @property
    def label(self) -> str:
        return f"dataset file {self.name!r}"

    def open(self) -> BinaryIO:
        return self.blobs.open(self.sha256, name=f"dataset file {self.name!r}")


@dataclass(frozen=True, slots=True)
class _Entry:
    fs: AbstractFileSystem
    key: str  # path or glob on ``fs``
    display: str  # how messages name it
    lineage: dict[str, str]
    datastore: Datastore | None = None


def resolve(path: Any) -> tuple[list[LiveFile], list[dict[str, str]]]:
    """The files ``path`` names, sorted by name, and the sources for lineage."""
    entries = [_entry(item) for item in _items(path)]
    by_name: dict[str, LiveFile] = {}
    for entry in entries:
        found = _match(entry)
        if not found:
            raise NotFoundError(
                f"no file matches {entry.display!r}",
                field="path",
                fix="check the path; list a datastore's files with datastore.list()",
            )
        for file in found:
            other = by_name.setdefault(file.name, file)
            if other.path != file.path or other.fs is not file.fs:
                raise InvalidInputError(
                    f"{other.path!r} and {file.path!r} would both be named {file.name!r} "
                    "in the dataset",
                    field="path",
                    fix="point at their common parent folder (e.g. 'data/') instead",
                )
    return sorted(by_name.values(), key=lambda f: f.name), [e.lineage for e in entries]


def _items(path: Any) -> list[Any]:
    if isinstance(path, tuple) or isinstance(path, str | os.PathLike):
        return [path]
    if isinstance(path, list) and path:
        return path
    raise InvalidInputError(
        f"path must be a path, a (datastore, path) tuple or a non-empty list of them, "
        f"got {path!r:.60}",
        field="path",
        fix=_PATH_FIX,
    )


def _entry(item: Any) -> _Entry:
    if isinstance(item, tuple):
        if len(item) != 2 or not isinstance(item[0], Datastore):
            raise InvalidInputError(
                f"a path tuple must be (datastore, path), got {item!r:.80}",
                field="path",
                fix=_PATH_FIX,
            )
        store, rel = item[0], relative_path(item[1], "path")
        return _Entry(
            store._fs,
            store._key(rel),
            f"{store.name}:{rel}",
            {"datastore": store.name, "path": rel},
            store,
        )
    if isinstance(item, str | os.PathLike):
        text = os.fspath(item)
        try:
            fs, key = fsspec.core.url_to_fs(text)
        except (ImportError, ValueError) as e:  # a missing extra, an unknown scheme
            raise InvalidInputError(
                f"cannot open {text!r}: {e}",
                field="path",
                fix='install the extra for its scheme, e.g. pip install "mlyard[s3]"',
            ) from e
        url = key if isinstance(fs, LocalFileSystem) else fs.unstrip_protocol(key)
        return _Entry(fs, key, text, {"url": url})
    raise InvalidInputError(
        f"path items must be paths or (datastore, path) tuples, got {type(item).__name__}",
        field="path",
        fix=_PATH_FIX,
    )


def _match(entry: _Entry) -> list[LiveFile]:
    fs, key = entry.fs, entry.key.rstrip("/") or entry.key
    if any(c in key for c in _MAGIC):
        parts = key.split("/")
        first = next(i for i, p in enumerate(parts) if any(c in p for c in _MAGIC))
        base = "/".join(parts[:first])
        found: dict[str, Any] = {}
        for path, info in fs.glob(key, detail=True).items():
            found.update(
                fs.find(path, detail=True) if info["type"] == "directory" else {path: info}
            )
    elif fs.isdir(key):
        base, found = key, fs.find(key, detail=True)
    elif fs.isfile(key):
        base, found = posixpath.dirname(key), {key: fs.info(key)}
    else:
        return []
    files = []
    for path, info in sorted(found.items()):
        if info.get("type") != "file" or path.endswith(PART_SUFFIX):
            continue
        store = entry.datastore
        rel = store._rel(path) if store is not None else ""
        label = f"datastore {store.name!r}: {rel}" if store is not None else path
        files.append(LiveFile(_name(path, base), int(info["size"]), fs, path, label, store, rel))
    return files


def recorded_sha256(members: Sequence[Member]) -> list[str | None]:
    """The sha256 each member must hash to, as recorded now: a registered file's own,
    an uploaded file's as its datastore recorded it (one query per datastore)."""
    by_store: dict[int, tuple[Datastore, list[str]]] = {}
    for m in members:
        if isinstance(m, LiveFile) and m.datastore is not None:
            by_store.setdefault(id(m.datastore), (m.datastore, []))[1].append(m.rel)
    recorded: dict[tuple[int, str], str] = {}
    for key, (store, rels) in by_store.items():
        prefix = posixpath.commonpath(rels) if len(rels) > 1 else rels[0]
        for f in store._recorded(prefix).values():
            recorded[(key, f.path)] = f.sha256
    out: list[str | None] = []
    for m in members:
        if isinstance(m, LiveFile):
            out.append(recorded.get((id(m.datastore), m.rel)) if m.datastore else None)
        else:
            out.append(m.sha256)
    return out


def _name(path: str, base: str) -> str:
    if base and path.startswith(base.rstrip("/") + "/"):
        return path[len(base.rstrip("/")) + 1 :]
    return path.lstrip("/")

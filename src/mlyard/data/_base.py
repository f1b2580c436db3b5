"""What tabular and file datasets share: their files, registration and download.

A dataset is a list of members (files, each with its name in the dataset) plus reader
options. Unregistered, members are the live source files. ``register`` snapshots them
into the content-addressed blob store and records a version; the registered dataset
then reads only those blobs, verified against their sha256, so it never changes.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from fsspec.implementations.local import LocalFileSystem

from mlyard.artifacts.hashing import copy_hashing, sha256_bytes
from mlyard.auth.identity import current_user
from mlyard.data._paths import dataset_name, optional_text, tags_dict
from mlyard.data._sources import BlobFile, Member, recorded_sha256
from mlyard.data._transfer import Copy, check_local_targets, copy_all
from mlyard.errors import IntegrityError
from mlyard.progress import byte_progress
from mlyard.store.records import DatasetVersionRecord, FileRecord
from mlyard.workspace import require_workspace

if TYPE_CHECKING:
    from typing import Self

    from mlyard.workspace import Workspace


class BaseDataset:
    """Files plus reader options; registered or not. Built by ``Dataset.Tabular`` /
    ``Dataset.File`` factories and ``Dataset.get_by_name``, not directly."""

    kind: ClassVar[str]

    def __init__(
        self,
        members: Sequence[Member],
        options: dict[str, Any],
        sources: Sequence[dict[str, str]],
        *,
        workspace: Workspace | None = None,
        record: DatasetVersionRecord | None = None,
    ):
        self._members = list(members)
        self._options = dict(options)
        self._sources = [dict(s) for s in sources]
        self._workspace = workspace
        self._record = record

    @classmethod
    def _from_record(cls, workspace: Workspace, record: DatasetVersionRecord) -> Self:
        members = [BlobFile(f.path, f.size, f.sha256, workspace.blobs) for f in record.files]
        options = {k: v for k, v in record.spec.items() if k != "sources"}
        return cls(
            members, options, record.spec.get("sources", []), workspace=workspace, record=record
        )

    # -- identity ------------------------------------------------------------------
    @property
    def is_registered(self) -> bool:
        return self._record is not None

    @property
    def name(self) -> str | None:
        """The registered name; ``None`` before registration."""
        return self._record.name if self._record else None

    @property
    def version(self) -> int | None:
        return self._record.version if self._record else None

    @property
    def description(self) -> str | None:
        return self._record.description if self._record else None

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._record.tags) if self._record else {}

    @property
    def created_at(self) -> int | None:
        """When this version was registered (ms since the epoch); None before."""
        return self._record.created_at if self._record else None

    @property
    def created_by(self) -> str | None:
        """The user who registered this version; None before, or if unknown."""
        return self._record.created_by if self._record else None

    @property
    def record(self) -> DatasetVersionRecord | None:
        """The stored version record; None before registration."""
        return self._record

    @property
    def fingerprint(self) -> str | None:
        """sha256 of the kind, reader options and every file's name and sha256."""
        return self._record.fingerprint if self._record else None

    @property
    def sources(self) -> list[dict[str, str]]:
        """Where the files came from: ``{"datastore", "path"}`` or ``{"url"}`` each."""
        return [dict(s) for s in self._sources]

    @property
    def files(self) -> list[FileRecord]:
        """(name in dataset, sha256, size) of every file, sorted by name.

        Registered datasets know these; an unregistered one reads its files to hash them.
        """
        if self._record is not None:
            return list(self._record.files)
        records = []
        for member in self._members:
            with member.open() as f:
                sha, size = copy_hashing(f, None)
            records.append(FileRecord(member.name, sha, size))
        return records

    def __repr__(self) -> str:
        kind = type(self).__name__
        if self._record is not None:
            return f"{kind}(name={self.name!r}, version={self.version}, files={len(self._members)})"
        names = [m.name for m in self._members[:3]]
        more = ", …" if len(self._members) > 3 else ""
        return f"{kind}(unregistered, files={names}{more})"

    # -- copying out ---------------------------------------------------------------
    def download(
        self,
        target_path: str | Path | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> list[Path]:
        """Copy the dataset's files to ``target_path/<name in dataset>``, all or none.

        Args:
            target_path: a local folder; a new temporary folder when ``None``.
            overwrite: replace local files that exist.
            show_progress: draw a progress bar for large downloads.

        Returns:
            The local paths, in the dataset's file order.
        """
        if target_path is None:
            out = Path(tempfile.mkdtemp(prefix="mlyard-dataset-"))
        else:
            out = Path(target_path).expanduser().absolute()
        targets = [out / m.name for m in self._members]
        check_local_targets(targets, overwrite)
        copies = [
            Copy(m.open, str(t), f"dataset file {m.name!r}", m.size, m.sha256)
            for m, t in zip(self._members, targets, strict=True)
        ]
        label = self.name or "dataset"
        copy_all(
            LocalFileSystem(),
            copies,
            description=f"downloading {label}",
            show_progress=show_progress,
        )
        return targets

    # -- registration --------------------------------------------------------------
    def register(
        self,
        workspace: Workspace,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        show_progress: bool = True,
    ) -> Self:
        """Snapshot the files into the workspace and record them as the next version.

        Registering the same content (same files, same reader options) again returns
        the existing version unchanged, whatever ``description`` and ``tags`` say.

        Args:
            workspace: where to register.
            name: the dataset's name; versions count up from 1 under it.
            description: free text.
            tags: ``{key: value}`` text labels.
            show_progress: draw a progress bar for large snapshots.

        Returns:
            The registered dataset, which reads only its verified snapshot.
        """
        ws = require_workspace(workspace)
        name = dataset_name(name)
        description = optional_text(description, "description")
        tags = tags_dict(tags)
        user = current_user()
        files = self._snapshot(ws, name, show_progress)
        fingerprint = _fingerprint(self.kind, self._options, files)
        existing = _version_with(ws, name, fingerprint)
        if existing is not None:
            return self._from_record(ws, existing)
        staged = type(self)(
            [BlobFile(f.path, f.size, f.sha256, ws.blobs) for f in files],
            self._options,
            self._sources,
        )
        record, _ = ws.store.create_dataset_version(
            name,
            self.kind,
            fingerprint,
            {**self._options, "sources": self._sources},
            files,
            staged._compute_profile(),  # from the snapshot, so it describes those bytes
            description,
            tags,
            created_by=user,
        )
        return self._from_record(ws, record)

    def _snapshot(self, ws: Workspace, name: str, show_progress: bool) -> list[FileRecord]:
        """Copy every member into the blob store, each checked against the sha256
        recorded for it (at upload, or at an earlier registration)."""
        total = sum(m.size for m in self._members)
        expected = recorded_sha256(self._members)
        records = []
        with byte_progress(f"registering {name}", total, None if show_progress else False) as adv:
            for member, wanted in zip(self._members, expected, strict=True):
                if member.sha256 is not None and ws.blobs.exists(member.sha256):
                    # Already snapshotted in this workspace: checked, not copied again.
                    ws.blobs.verify(member.sha256, name=member.label)
                    adv(member.size)
                    records.append(FileRecord(member.name, member.sha256, member.size))
                    continue
                try:
                    with member.open() as f:
                        sha, size = ws.blobs.put(f, expected=wanted, progress=adv)
                except IntegrityError as e:
                    raise IntegrityError(
                        f"{member.label} changed after it was uploaded: {e}",
                        field="path",
                        fix="upload the file again (overwrite=True), then register; "
                        "nothing was registered",
                    ) from None
                records.append(FileRecord(member.name, sha, size))
        return records

    def _compute_profile(self) -> dict[str, Any] | None:
        return None


def _fingerprint(kind: str, options: dict[str, Any], files: Sequence[FileRecord]) -> str:
    doc = {"kind": kind, "options": options, "files": [[f.path, f.sha256] for f in files]}
    return sha256_bytes(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())


def _version_with(ws: Workspace, name: str, fingerprint: str) -> DatasetVersionRecord | None:
    return ws.store.find_dataset_version(name, fingerprint)

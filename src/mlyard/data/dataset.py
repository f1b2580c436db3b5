"""``Dataset``: the entry point to define datasets and to find registered ones.

Example:
    >>> import tempfile, pathlib
    >>> from mlyard import Workspace
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> ws = Workspace.open(tmp / "yard")
    >>> _ = (tmp / "a.csv").write_text("x,y\\n1,2\\n")
    >>> ds = Dataset.Tabular.from_delimited_files(path=str(tmp / "a.csv"))
    >>> ds.register(ws, name="points").version
    1
    >>> Dataset.get_by_name(ws, "points").to_pandas_dataframe().shape
    (1, 2)
"""

from __future__ import annotations

import numbers
from typing import Any

from mlyard.data.files import FileDataset, FileDatasetFactory
from mlyard.data.tabular import TabularDataset, TabularDatasetFactory
from mlyard.errors import InvalidInputError, NotFoundError
from mlyard.names import MAX_VERSION, check_version
from mlyard.store.records import DatasetVersionRecord
from mlyard.workspace import Workspace, require_workspace

_KINDS: dict[str, type[TabularDataset] | type[FileDataset]] = {
    TabularDataset.kind: TabularDataset,
    FileDataset.kind: FileDataset,
}
AnyDataset = TabularDataset | FileDataset
Datasets = list[AnyDataset]  # the method `list` shadows the builtin in the class body


class Dataset:
    """Define datasets (``Dataset.Tabular``, ``Dataset.File``) and find registered ones."""

    Tabular = TabularDatasetFactory
    File = FileDatasetFactory

    @staticmethod
    def get_by_name(workspace: Workspace, name: str, version: Any = "latest") -> AnyDataset:
        """The registered dataset ``name`` at ``version`` (``"latest"`` or a number).

        Raises:
            NotFoundError: no such dataset or version; the message lists what exists.
        """
        ws = require_workspace(workspace)
        if not isinstance(name, str) or not name:
            raise InvalidInputError(
                f"dataset name must be a non-empty string, got {name!r}",
                field="name",
                fix="pass the name the dataset was registered under",
            )
        number = _version_number(version)
        try:
            record = ws.store.get_dataset_version(name, number)
        except NotFoundError:
            raise _not_found(ws, name, number) from None
        return _from_record(ws, record)

    @staticmethod
    def list(workspace: Workspace) -> Datasets:
        """The latest version of every registered dataset, sorted by name."""
        ws = require_workspace(workspace)
        return [_from_record(ws, r) for r in ws.store.list_dataset_versions()]

    @staticmethod
    def versions(workspace: Workspace, name: str) -> Datasets:
        """Every version of the registered dataset ``name``, oldest first.

        Raises:
            NotFoundError: no dataset of that name; the message lists what exists.
        """
        ws = require_workspace(workspace)
        try:
            return [_from_record(ws, r) for r in ws.store.list_dataset_versions(name)]
        except NotFoundError:
            raise _not_found(ws, name, None) from None


def _version_number(version: Any) -> int | None:
    if version is None or version == "latest":
        return None
    if isinstance(version, numbers.Integral) and not isinstance(version, bool):
        version = int(version)
    try:
        return check_version(version)
    except InvalidInputError:
        raise InvalidInputError(
            f"version must be 'latest' or a number from 1 to {MAX_VERSION}, got {version!r:.40}",
            field="version",
            fix="pass version='latest' or e.g. version=1",
        ) from None


def _from_record(ws: Workspace, record: DatasetVersionRecord) -> AnyDataset:
    cls = _KINDS.get(record.kind, FileDataset)  # an unknown kind still lists its files
    return cls._from_record(ws, record)


def _not_found(ws: Workspace, name: str, number: int | None) -> NotFoundError:
    try:
        versions = [r.version for r in ws.store.list_dataset_versions(name)]
    except NotFoundError:
        versions = []
    if versions:
        return NotFoundError(
            f"dataset {name!r} has no version {number}",
            field="version",
            fix=f"pass version='latest' or one of {versions}",
        )
    known = [r.name for r in ws.store.list_dataset_versions()]
    fix = (
        f"registered datasets are: {', '.join(known[:20])}"
        if known
        else "register one first with dataset.register(ws, name=...)"
    )
    return NotFoundError(f"no dataset named {name!r}", field="name", fix=fix)

"""File datasets: any files (images, archives, models), kept and versioned as they are.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "img").mkdir(), (folder / "img" / "a.png").write_bytes(b"\\x89PNG")
    >>> FileDatasetFactory.from_files(path=str(folder / "img") + "/").to_path()
    ['a.png']
"""

from __future__ import annotations

from typing import Any

from mlyard.data._base import BaseDataset
from mlyard.data._sources import resolve


class FileDataset(BaseDataset):
    """A set of files with their names; see :class:`~mlyard.data._base.BaseDataset` for
    ``register``, ``download`` and the identity properties."""

    kind = "file"

    def to_path(self) -> list[str]:
        """The files' names in the dataset (relative POSIX paths), sorted."""
        return [m.name for m in self._members]


class FileDatasetFactory:
    """``Dataset.File``: define file datasets."""

    @staticmethod
    def from_files(path: Any) -> FileDataset:
        """A dataset of the files ``path`` names.

        Args:
            path: ``(datastore, "images/")``, a glob (``"images/*.png"``), a single file,
                a local or fsspec path, or a list of these. A folder's files keep their
                paths relative to it.

        Example:
            ``Dataset.File.from_files(path=[(datastore, "images/")]).download("./images")``
        """
        members, sources = resolve(path)
        return FileDataset(members, {"format": "files"}, sources)

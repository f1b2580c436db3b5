"""Tabular datasets: delimited text or Parquet files read as one table.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("x,y\\n1,2\\n3,4\\n")
    >>> ds = TabularDatasetFactory.from_delimited_files(path=str(folder / "a.csv"))
    >>> ds.to_pandas_dataframe()["y"].tolist()
    [2, 4]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlyard.data._base import BaseDataset
from mlyard.data._readers import delimited_options, not_parquet, read_delimited, read_parquet
from mlyard.data._sources import Member, resolve
from mlyard.data.profile import profile_frame

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


class TabularDataset(BaseDataset):
    """Rows and columns from delimited or Parquet files (several files are stacked).

    Build one with ``Dataset.Tabular.from_delimited_files`` or ``from_parquet_files``;
    see :class:`~mlyard.data._base.BaseDataset` for ``register``, ``download`` and the
    identity properties.
    """

    kind = "tabular"

    def to_pandas_dataframe(self) -> pd.DataFrame:
        """Every row of every file, as one DataFrame with a fresh 0..n-1 index."""
        if self._options["format"] == "parquet":
            return read_parquet(self._members).to_pandas()
        return read_delimited(self._members, self._options)

    def to_arrow(self) -> pa.Table:
        """Every row of every file, as one Arrow table."""
        if self._options["format"] == "parquet":
            return read_parquet(self._members)
        import pyarrow as pa

        return pa.Table.from_pandas(self.to_pandas_dataframe(), preserve_index=False)

    @property
    def profile(self) -> dict[str, Any]:
        """Row count and per-column statistics (see :func:`mlyard.data.profile.profile_frame`).

        Stored at registration; an unregistered dataset reads its files to compute it.
        """
        if self._record is not None and self._record.profile is not None:
            return self._record.profile
        return profile_frame(self.to_pandas_dataframe())

    def _compute_profile(self) -> dict[str, Any]:
        return profile_frame(self.to_pandas_dataframe())


class TabularDatasetFactory:
    """``Dataset.Tabular``: define tabular datasets from files."""

    @staticmethod
    def from_delimited_files(
        path: Any, header: Any = "auto", separator: str = ",", encoding: str = "utf-8"
    ) -> TabularDataset:
        """A dataset of CSV-like text files, stacked in file-name order.

        Args:
            path: ``(datastore, "dir/file.csv")``, a folder (``"dir/"``), a glob
                (``"dir/*.csv"``), a local or fsspec path, or a list of these.
            header: ``"auto"`` (the first line is a header unless it is all numbers),
                ``True`` or ``False``. Without a header, columns are named
                ``Column1``, ``Column2``, …
            separator: the one-character field separator.
            encoding: the text encoding.

        Example:
            ``Dataset.Tabular.from_delimited_files(path=[(datastore, "exp/feature.csv")])``
        """
        members, sources = resolve(path)
        options = delimited_options(members[0], header, separator, encoding)
        return TabularDataset(members, options, sources)

    @staticmethod
    def from_parquet_files(path: Any) -> TabularDataset:
        """A dataset of Parquet files, stacked in file-name order (same schema each).

        Example:
            ``Dataset.Tabular.from_parquet_files(path=[(datastore, "x/*.parquet")])``
        """
        members, sources = resolve(path)
        _check_parquet(members[0])
        return TabularDataset(members, {"format": "parquet"}, sources)


def _check_parquet(member: Member) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with member.open() as f:
            pq.read_schema(f)
    except (pa.ArrowInvalid, OSError) as e:
        raise not_parquet(member, e) from None

"""Sample inputs and outputs given at registration: registered, and read for a signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlyard.errors import InvalidInputError

if TYPE_CHECKING:
    from mlyard.workspace import Workspace


@dataclass(frozen=True)
class Sample:
    frame: Any  # a pandas DataFrame, or None
    ref: str | None  # "dataset-name:version" when the sample is a dataset


def sample_frame(ws: Workspace, sample: Any, default_name: str, field: str) -> Sample:
    """Read ``sample`` for signature inference; register it first if it is an
    unregistered dataset (as ``default_name``)."""
    if sample is None:
        return Sample(None, None)
    if hasattr(sample, "to_pandas_dataframe") and hasattr(sample, "register"):
        if not getattr(sample, "is_registered", False):
            sample = sample.register(ws, default_name)
        return Sample(sample.to_pandas_dataframe(), f"{sample.name}:{sample.version}")
    import pandas as pd

    if isinstance(sample, pd.DataFrame):
        return Sample(sample, None)
    if isinstance(sample, pd.Series):
        return Sample(sample.to_frame(), None)
    if hasattr(sample, "shape") and hasattr(sample, "dtype"):
        return Sample(pd.DataFrame(sample), None)
    raise InvalidInputError(
        f"{field} must be a tabular dataset or a DataFrame, got {type(sample).__name__}",
        field=field,
        fix="pass Dataset.Tabular.from_delimited_files(...) or a pandas DataFrame",
    )

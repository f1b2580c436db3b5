"""A tabular dataset's profile: its schema and summary statistics, as plain JSON data.

Example:
    >>> import pandas as pd
    >>> p = profile_frame(pd.DataFrame({"x": [1.0, 2.0, None], "c": ["a", "b", "a"]}))
    >>> p["row_count"], p["columns"][0]["missing"], p["columns"][1]["top"][0]
    (3, 1, {'value': 'a', 'count': 2})
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

TOP_VALUES = 5


def profile_frame(frame: pd.DataFrame) -> dict[str, Any]:
    """``{"row_count", "column_count", "columns": [...]}`` for ``frame``.

    Each column has ``name``, ``dtype``, ``count`` (non-missing) and ``missing``; numeric
    columns add ``min``, ``max``, ``mean`` and ``std``, the others ``unique`` and
    ``top`` (up to five ``{"value", "count"}``, most frequent first). Statistics that do
    not exist or are not finite (the mean of an empty column) are ``None``.
    """
    return {
        "row_count": int(len(frame)),
        "column_count": int(frame.shape[1]),
        "columns": [_column(str(name), frame.iloc[:, i]) for i, name in enumerate(frame.columns)],
    }


def _column(name: str, series: pd.Series) -> dict[str, Any]:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    count = int(series.count())
    info: dict[str, Any] = {
        "name": name,
        "dtype": str(series.dtype),
        "count": count,
        "missing": int(len(series) - count),
    }
    if is_numeric_dtype(series.dtype) and not is_bool_dtype(series.dtype):
        info.update(
            min=_plain(series.min()),
            max=_plain(series.max()),
            mean=_plain(series.mean()),
            std=_plain(series.std()),
        )
    else:
        counts = series.value_counts(dropna=True)
        top = sorted(
            ((_plain(value), int(n)) for value, n in counts.items()),
            key=lambda vn: (-vn[1], str(vn[0])),
        )[:TOP_VALUES]
        info.update(unique=int(len(counts)), top=[{"value": v, "count": n} for v, n in top])
    return info


def _plain(value: Any) -> Any:
    """A JSON-ready Python value: numpy scalars unwrapped, NaN and NaT as None."""
    import pandas as pd

    if value is None or (not isinstance(value, str | bytes) and pd.isna(value) is True):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)

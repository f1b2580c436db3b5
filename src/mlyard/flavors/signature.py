"""A model's signature: the named, typed columns it takes and returns.

Inferred from a sample (a pandas DataFrame, usually a registered dataset) and used by
the scoring server to check and shape every request.

Example:
    >>> import pandas as pd
    >>> sig = Signature.infer(pd.DataFrame({"x": [1.0], "n": [2]}))
    >>> [(c.name, c.type) for c in sig.inputs]
    [('x', 'double'), ('n', 'long')]
    >>> sig.frame([[0.5, 3]]).shape
    (1, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlyard.errors import InvalidInputError

_NUMERIC = {"double", "long"}


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    type: str  # double | long | boolean | string | datetime


def _column_type(dtype: Any) -> str:
    kind = getattr(dtype, "kind", "O")
    return {"f": "double", "i": "long", "u": "long", "b": "boolean", "M": "datetime"}.get(
        kind, "string"
    )


def _columns(frame: Any) -> tuple[ColumnSpec, ...]:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(frame)
    return tuple(ColumnSpec(str(c), _column_type(frame[c].dtype)) for c in frame.columns)


@dataclass(frozen=True, slots=True)
class Signature:
    inputs: tuple[ColumnSpec, ...]
    outputs: tuple[ColumnSpec, ...] | None = None

    @classmethod
    def infer(cls, sample_input: Any, sample_output: Any | None = None) -> Signature:
        return cls(
            _columns(sample_input),
            _columns(sample_output) if sample_output is not None else None,
        )

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.inputs]

    @property
    def numeric(self) -> bool:
        return all(c.type in _NUMERIC for c in self.inputs)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"inputs": [{"name": c.name, "type": c.type} for c in self.inputs]}
        if self.outputs is not None:
            out["outputs"] = [{"name": c.name, "type": c.type} for c in self.outputs]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signature:
        outputs = data.get("outputs")
        return cls(
            tuple(ColumnSpec(c["name"], c["type"]) for c in data["inputs"]),
            tuple(ColumnSpec(c["name"], c["type"]) for c in outputs) if outputs else None,
        )

    def frame(self, rows: Sequence[Any]) -> Any:
        """A DataFrame from ``rows`` (lists in column order, or records by name).

        Raises :class:`InvalidInputError` naming the row and what is wrong.
        """
        import pandas as pd

        names = self.names
        if not isinstance(rows, list | tuple) or not rows:
            raise InvalidInputError(
                "'data' must be a non-empty list of rows",
                field="data",
                fix='send {"data": [[...], ...]} or {"data": [{"col": value, ...}]}',
            )
        first = rows[0]
        if isinstance(first, dict):
            missing = [n for n in names if n not in first]
            if missing:
                raise InvalidInputError(
                    f"row 0 lacks column(s) {missing}; the model takes {names}", field="data"
                )
            for i, row in enumerate(rows):
                if not isinstance(row, dict) or any(n not in row for n in names):
                    raise InvalidInputError(
                        f"row {i} is not a record with columns {names}", field="data"
                    )
            frame = pd.DataFrame.from_records(rows, columns=names)
        else:
            for i, row in enumerate(rows):
                if not isinstance(row, list | tuple):
                    raise InvalidInputError(
                        f"row {i} must be a list of {len(names)} values or a record",
                        field="data",
                    )
                if len(row) != len(names):
                    raise InvalidInputError(
                        f"row {i} has {len(row)} values; the model takes {len(names)} "
                        f"columns ({', '.join(names)})",
                        field="data",
                    )
            frame = pd.DataFrame(list(rows), columns=names)
        return self._cast(frame)

    def _cast(self, frame: Any) -> Any:
        import pandas as pd

        for col in self.inputs:
            if col.type in _NUMERIC:
                converted = pd.to_numeric(frame[col.name], errors="coerce")
                bad = converted.isna() & frame[col.name].notna()
                if bad.any():
                    row = int(bad.to_numpy().nonzero()[0][0])
                    raise InvalidInputError(
                        f"column {col.name!r} takes numbers; row {row} holds "
                        f"{frame[col.name].iloc[row]!r}",
                        field=f"data[{row}].{col.name}",
                    )
                frame[col.name] = converted.astype(
                    "float64" if col.type == "double" else converted.dtype
                )
        return frame

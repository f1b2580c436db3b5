"""The ``/score`` request and response bodies.

A request is a JSON object::

    {"data": [[...], ...] | [{"col": value, ...}, ...],   # rows: lists or records
     "method": "predict",                                  # optional
     "model": "name[:version]"}                            # optional, multi-model services

A response is ``{"<method>": [...]}``; an error is
``{"error_code": ..., "message": ..., "field": ...}``.

Example:
    >>> parse_score(b'{"data": [[1, 2]], "method": "predict"}').method
    'predict'
    >>> encode_result("predict", [0.5])
    b'{"predict":[0.5]}'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from mlyard.errors import InvalidInputError
from mlyard.flavors.signature import Signature

MAX_BODY_BYTES = 64 * 1024 * 1024
_EXAMPLE = '{"data": [[...values in column order...]], "method": "predict"}'


@dataclass(frozen=True, slots=True)
class ScoreRequest:
    rows: list[Any]
    method: str | None
    model: str | None


def parse_score(body: bytes) -> ScoreRequest:
    """Check the shape of a ``/score`` body; the rows are checked by the model."""
    if not body:
        raise InvalidInputError("the request body is empty", field="body", fix=f"send {_EXAMPLE}")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise InvalidInputError(
            f"the request body is not valid JSON ({e})", field="body", fix=f"send {_EXAMPLE}"
        ) from None
    if not isinstance(doc, dict):
        raise InvalidInputError(
            f"the request body is a JSON {type(doc).__name__}, not an object",
            field="body",
            fix=f"send {_EXAMPLE}",
        )
    rows = doc.get("data")
    if rows is None:
        raise InvalidInputError("the request has no 'data'", field="data", fix=f"send {_EXAMPLE}")
    if not isinstance(rows, list) or not rows:
        raise InvalidInputError(
            "'data' must be a non-empty list of rows",
            field="data",
            fix='send {"data": [[...], ...]} or {"data": [{"column": value, ...}, ...]}',
        )
    return ScoreRequest(rows, _optional_str(doc, "method"), _optional_str(doc, "model"))


def _optional_str(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is None or (isinstance(value, str) and value):
        return value
    raise InvalidInputError(
        f"'{key}' must be a non-empty string, got {orjson.dumps(value).decode()}",
        field=key,
        fix=f"leave '{key}' out for the default, or name one from GET /health",
    )


def numeric_rows(rows: list[Any], n_columns: int) -> np.ndarray | None:
    """``rows`` as a float64 array when they are lists of ``n_columns`` numbers.

    ``None`` means the rows need the careful path (records, ragged rows, strings), which
    also produces the precise error.
    """
    if not isinstance(rows[0], list):
        return None
    try:
        array = np.array(rows, dtype=np.float64)
    except (ValueError, TypeError):
        return None
    if array.ndim != 2 or array.shape[1] != n_columns:
        return None
    return array


_PLACEHOLDERS = {"double": 0.0, "long": 0, "boolean": False, "string": "", "datetime": None}


def sample_rows(signature: Signature | None, n: int = 2) -> list[list[Any]] | None:
    """``n`` placeholder rows (zeros, empty strings) of ``signature``'s shape, or None."""
    if signature is None:
        return None
    return [[_PLACEHOLDERS.get(c.type, 0.0) for c in signature.inputs] for _ in range(n)]


def encode_json(value: Any) -> bytes:
    """JSON bytes of ``value``; numpy arrays and scalars and pandas objects as lists."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY, default=_plain)


def encode_result(method: str, result: Any) -> bytes:
    """``{"<method>": result}`` as JSON bytes."""
    return encode_json({method: result})


def _plain(value: Any) -> Any:
    to_numpy = getattr(value, "to_numpy", None)  # pandas objects
    if to_numpy is not None:
        return to_numpy().tolist()
    tolist = getattr(value, "tolist", None)  # numpy arrays orjson cannot take directly
    if tolist is not None:
        return tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")

"""Checks on what runs log, with errors that say which key and how to fix it."""

from __future__ import annotations

import math
import numbers
from pathlib import PurePosixPath
from typing import Any

from mlyard.errors import InvalidInputError

MAX_KEY = 250
MAX_PARAM = 6000
MAX_TAG = 8000
_seen_keys: set[str] = set()


def check_key(key: Any, kind: str) -> str:
    """A metric, param or tag name: a non-empty string of at most 250 characters."""
    if key in _seen_keys:  # validated before: the hot path is one set lookup
        return key
    if not isinstance(key, str) or not key.strip():
        raise InvalidInputError(
            f"{kind} name must be a non-empty string, got {key!r}",
            field=f"{kind}.name",
            fix=f"name the {kind} with text, e.g. 'mse'",
        )
    if len(key) > MAX_KEY or any(ord(c) < 32 for c in key):
        raise InvalidInputError(
            f"{kind} name {key[:40]!r}… is too long or has control characters",
            field=f"{kind}.name",
            fix=f"use at most {MAX_KEY} printable characters",
        )
    if len(_seen_keys) < 100_000:
        _seen_keys.add(key)
    return key


def metric_value(key: str, value: Any) -> float:
    kind = type(value)
    if kind is float:  # the hot path: skip the ABC checks below
        return value
    if kind is int:
        return float(value)
    if isinstance(value, numbers.Real):
        return float(value)
    try:  # numpy 0-d arrays, Decimal, torch scalars
        out = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"metric {key!r} must be a number, got {type(value).__name__} {value!r:.40}",
            field=f"metrics.{key}",
            fix="log text with log_param or set_tag",
        ) from None
    if isinstance(value, str):
        raise InvalidInputError(
            f"metric {key!r} must be a number, got the string {value!r:.40}",
            field=f"metrics.{key}",
            fix="pass float(value), or log text with log_param",
        )
    return out


def step_value(key: str, step: Any) -> int:
    if type(step) is int:
        return step
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise InvalidInputError(
            f"step of metric {key!r} must be an integer, got {step!r}", field="step"
        )
    return int(step)


def text_value(key: str, value: Any, kind: str, limit: int) -> str:
    text = value if isinstance(value, str) else str(value)
    if isinstance(value, float) and math.isnan(value):
        text = "nan"
    if len(text) > limit:
        raise InvalidInputError(
            f"{kind} {key!r} is {len(text)} characters long; the limit is {limit}",
            field=f"{kind}s.{key}",
            fix="upload long text as a file with run.upload_file",
        )
    return text


def artifact_name(name: Any, field: str = "name") -> str:
    """A run file name: a relative POSIX path without '..'."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(
            f"file name must be a non-empty string, got {name!r}",
            field=field,
            fix="e.g. 'outputs/model.joblib'",
        )
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise InvalidInputError(
            f"file name {name!r} must be relative and stay inside the run",
            field=field,
            fix="e.g. 'outputs/model.joblib'",
        )
    return path.as_posix().strip("/")

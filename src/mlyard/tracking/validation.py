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


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def step_value(key: str, step: Any) -> int:
    """A metric step: a whole number that fits in int64."""
    if type(step) is not int:
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise InvalidInputError(
                f"step of metric {key!r} must be a whole number, got {step!r:.40}",
                field="step",
                fix="pass an int such as step=10, or leave step out for the next one",
            )
        step = int(step)
    if not INT64_MIN <= step <= INT64_MAX:
        raise InvalidInputError(
            f"step of metric {key!r} is {step}, outside int64",
            field="step",
            fix=f"use a step from {INT64_MIN} to {INT64_MAX}",
        )
    return step


def timestamp_value(key: str, timestamp: Any) -> int:
    """A metric timestamp: whole milliseconds since the epoch, within int64."""
    if type(timestamp) is not int:
        if isinstance(timestamp, bool) or not isinstance(timestamp, numbers.Integral):
            raise InvalidInputError(
                f"timestamp of metric {key!r} must be whole milliseconds since the epoch, "
                f"got {timestamp!r:.40}",
                field="timestamp",
                fix="pass int(time.time() * 1000), or leave timestamp out for now",
            )
        timestamp = int(timestamp)
    if not 0 <= timestamp <= INT64_MAX:
        raise InvalidInputError(
            f"timestamp of metric {key!r} is {timestamp}, not milliseconds since the epoch",
            field="timestamp",
            fix="pass int(time.time() * 1000), or leave timestamp out for now",
        )
    return timestamp


def text_value(key: str, value: Any, kind: str, limit: int) -> str:
    text = value if isinstance(value, str) else str(value)
    if isinstance(value, float) and math.isnan(value):
        text = "nan"
    if "\x00" in text:
        raise InvalidInputError(
            f"{kind} {key!r} holds a NUL character",
            field=f"{kind}s.{key}",
            fix="remove the NUL (\\x00) characters from the value",
        )
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

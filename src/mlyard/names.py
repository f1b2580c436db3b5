"""Names of workspace objects (datasets, models, aliases, services, datastores).

One rule for all: letters, digits, ``-``, ``_`` and ``.``, starting with a letter or
digit, so a name is safe in a URL, a file name and a shell.

Example:
    >>> check_name("diabetes-model", "model name", field="model_name")
    'diabetes-model'
"""

from __future__ import annotations

import re
from typing import Any

from mlyard.errors import InvalidInputError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_name(value: Any, what: str, *, field: str, max_length: int = 255) -> str:
    """Return ``value`` if it is a valid name, else raise naming ``field``."""
    if not isinstance(value, str) or len(value) > max_length or not _NAME.fullmatch(value):
        raise InvalidInputError(
            f"{what} {value!r} is not valid",
            field=field,
            fix=f"use 1-{max_length} letters, digits, '-', '_' or '.', starting with a "
            "letter or digit",
        )
    return value


def check_label(value: Any, what: str, *, field: str, max_length: int = 256) -> str:
    """Free text that names something (an experiment, a run): 1 to ``max_length``
    characters, not blank, with no control characters (NUL, newline, tab, ...).

    Example:
        >>> check_label("diabetes experiment", "experiment name", field="name")
        'diabetes experiment'
    """
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > max_length
        or _CONTROL.search(value)
    ):
        raise InvalidInputError(
            f"{what} {value!r:.80} is not valid",
            field=field,
            fix=f"use 1-{max_length} printable characters, without newlines or NUL",
        )
    return value


MAX_VERSION = 2**31 - 1


def check_version(value: Any, *, field: str = "version") -> int:
    """A version number: a whole number from 1 to 2**31 - 1 (digits in text accepted).

    Example:
        >>> check_version("3")
        3
    """
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
        raise InvalidInputError(
            f"version must be a whole number from 1 to {MAX_VERSION}, got {value!r:.40}",
            field=field,
            fix="pass e.g. version=1, or leave it out for the latest",
        )
    return value

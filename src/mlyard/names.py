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

"""Checks on the names and paths the data layer accepts, with errors that say the fix."""

from __future__ import annotations

import os
import posixpath
import uuid
from pathlib import PurePosixPath
from typing import Any

from mlyard.errors import InvalidInputError
from mlyard.names import check_name

# Suffix of the temporary names files are written under before being renamed into place:
# ``.<name>.<pid>-<random>.mlyard-part``.
PART_SUFFIX = ".mlyard-part"


def part_name(dest: str) -> str:
    """A temporary name next to ``dest``, owned by this process.

    The writer's pid in the name lets `mlyard gc` remove what a killed writer left.
    """
    parent, base = posixpath.split(dest)
    return posixpath.join(parent, f".{base}.{os.getpid()}-{uuid.uuid4().hex[:8]}{PART_SUFFIX}")


def part_owner(path: str) -> int | None:
    """The pid that writes the temporary ``path`` (None if it is not one of ours)."""
    if not path.endswith(PART_SUFFIX):
        return None
    stem = path[: -len(PART_SUFFIX)].rsplit(".", 1)[-1]
    pid = stem.partition("-")[0]
    return int(pid) if pid.isdigit() else 0


def relative_path(path: Any, field: str) -> str:
    """A path relative to a datastore root, as clean POSIX text (``""`` for the root).

    Example:
        >>> relative_path("./a//b/", "target_path")
        'a/b'
    """
    if isinstance(path, PurePosixPath):
        path = str(path)
    if not isinstance(path, str):
        raise InvalidInputError(
            f"{field} must be a string path, got {type(path).__name__}",
            field=field,
            fix="pass a relative path such as 'experiments/data'",
        )
    if "\x00" in path:
        raise InvalidInputError(
            f"{field} {path!r} contains a NUL character",
            field=field,
            fix="pass a path of printable characters, e.g. 'experiments/data'",
        )
    text = path.replace("\\", "/")
    parts = PurePosixPath(text).parts
    if text.startswith("/") or ".." in parts or (parts and parts[0].endswith(":")):
        raise InvalidInputError(
            f"{field} {path!r} must stay inside the datastore: no absolute path and no '..'",
            field=field,
            fix="pass a path relative to the datastore root, e.g. 'experiments/data'",
        )
    return "/".join(p for p in parts if p not in ("", "."))


def join(*parts: str) -> str:
    """Join POSIX path parts, skipping empty ones."""
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def dataset_name(name: Any) -> str:
    return check_name(name, "dataset name", field="name", max_length=250)


def tags_dict(tags: Any) -> dict[str, str]:
    """Tags as a plain ``{str: str}`` dict; scalar values are turned into text."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidInputError(
            f"tags must be a dict, got {type(tags).__name__}",
            field="tags",
            fix="pass e.g. tags={'area': 'diabetes'}",
        )
    out = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not key or not isinstance(value, str | int | float | bool):
            raise InvalidInputError(
                f"tag {key!r}: {value!r} is not a text key with a text value",
                field=f"tags.{key}",
                fix="use string keys and string (or number) values",
            )
        out[key] = str(value)
    return out


def optional_text(value: Any, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(
            f"{field} must be text, got {type(value).__name__}", field=field, fix="pass a string"
        )
    return value

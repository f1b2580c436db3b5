"""Temporary files and folders of mlyard's own, removed on every path out.

Each is named ``mlyard-<kind>-<pid>-<random>`` in the system's temporary folder, so
that what a killed process (``kill -9``) left behind can be found and removed later
by ``mlyard gc`` — and never what a live process is still using.

Example:
    >>> with temp_dir("example") as path:
    ...     _ = (path / "a.txt").write_text("x")
    >>> path.exists()
    False
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mlyard import processes

_OURS = re.compile(r"mlyard-([a-z]+)-(\d+)-")


def prefix(kind: str) -> str:
    """The name prefix of this process's temporaries of ``kind``."""
    return f"mlyard-{kind}-{os.getpid()}-"


@contextmanager
def temp_dir(kind: str) -> Iterator[Path]:
    """A fresh temporary folder, removed when the block ends however it ends."""
    path = Path(tempfile.mkdtemp(prefix=prefix(kind)))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def stale() -> list[Path]:
    """mlyard's temporaries whose process is gone, in the system's temporary folder."""
    found = []
    for entry in os.scandir(tempfile.gettempdir()):
        match = _OURS.match(entry.name)
        if match and not processes.alive(int(match.group(2))):
            found.append(Path(entry.path))
    return sorted(found)


def owner_alive(name: str) -> bool:
    """Whether the process named in a temporary's name (``<pid>-…`` or
    ``mlyard-<kind>-<pid>-…``) still runs; True when the name holds no pid."""
    match = _OURS.match(name) or re.match(r"(\d+)-", name)
    if match is None:
        return True
    return processes.alive(int(match.group(match.lastindex or 1)))

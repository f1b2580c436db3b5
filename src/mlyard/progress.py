"""Rich progress bars for long work, shown only when the work is big enough to wait on.

Example:
    >>> with byte_progress("uploading", total=10, enabled=False) as advance:
    ...     advance(10)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mlyard import settings


def worth_showing(total_bytes: int) -> bool:
    return total_bytes >= int(settings.get("progress_min_bytes"))


@contextmanager
def byte_progress(
    description: str, total: int, enabled: bool | None = None
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(nbytes)``; draw a transfer bar when ``enabled`` (default: when
    ``total`` reaches ``MLYARD_PROGRESS_MIN_BYTES``)."""
    if enabled is None:
        enabled = worth_showing(total)
    if not enabled:
        yield lambda n: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.update(task, advance=n)

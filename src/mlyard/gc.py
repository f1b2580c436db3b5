"""Garbage collection: what interrupted work left behind, and bytes nothing points at.

Two kinds of garbage:

* **temporaries** of processes that no longer run — half-written blobs
  (``artifacts/tmp/<pid>-…``), half-copied datastore files (``….<pid>-….mlyard-part``)
  and mlyard's folders in the system's temporary folder (``mlyard-<kind>-<pid>-…``).
  Work in progress is never touched: its process is alive.
* **unreferenced blobs** — content no run, dataset or model version points at (left by
  a registration that failed after storing its bytes). Only blobs older than
  ``min_age`` seconds are removed, so a registration under way keeps its bytes.

Example:
    >>> report = collect_garbage(ws, dry_run=True)  # doctest: +SKIP
    >>> report.bytes_freed  # doctest: +SKIP
    1048576
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlyard import processes, tempfiles
from mlyard.data._paths import PART_SUFFIX, part_owner

if TYPE_CHECKING:
    from mlyard.workspace import Workspace


@dataclass(frozen=True)
class Garbage:
    """One thing to remove: what it is, where, and how many bytes it holds."""

    kind: str  # "temporary" | "blob"
    where: str
    size: int


@dataclass
class GcReport:
    """What a collection removed (or, with ``dry_run``, would remove)."""

    dry_run: bool
    items: list[Garbage] = field(default_factory=list)

    @property
    def bytes_freed(self) -> int:
        return sum(g.size for g in self.items)

    def count(self, kind: str) -> int:
        return sum(1 for g in self.items if g.kind == kind)


def collect_garbage(ws: Workspace, *, dry_run: bool = False, min_age: float = 3600.0) -> GcReport:
    """Remove stale temporaries and unreferenced blobs older than ``min_age`` seconds.

    On a remote workspace the server collects: the temporaries are its own, and only
    it can tell whether the processes that left them still run.
    """
    if ws.server is not None:
        from mlyard.wire.requests import Collect

        body = Collect(dry_run=dry_run, min_age=min_age)
        return ws.server.call("POST", "/api/v1/workspace/gc", body, as_type=GcReport)
    report = GcReport(dry_run)
    _blob_temporaries(ws, report)
    _datastore_parts(ws, report)
    _system_temporaries(report)
    _unreferenced_blobs(ws, report, min_age)
    return report


def _blob_temporaries(ws: Workspace, report: GcReport) -> None:
    for tmp in ws.blobs.scan_temporaries():
        if not tempfiles.owner_alive(Path(tmp.name).name):
            report.items.append(Garbage("temporary", tmp.name, tmp.size))
            if not report.dry_run:
                ws.blobs.remove_temporary(tmp.name)


def _datastore_parts(ws: Workspace, report: GcReport) -> None:
    for store in ws.datastores.values():
        fs, root = store._fs, store._key("")
        try:
            found = fs.find(root, detail=True)
        except (FileNotFoundError, OSError):
            continue
        for path, info in found.items():
            pid = part_owner(path)
            if pid is None or processes.alive(pid):
                continue
            report.items.append(Garbage("temporary", f"{store.name}:{path}", int(info["size"])))
            if not report.dry_run:
                with contextlib.suppress(FileNotFoundError):
                    fs.rm_file(path)


def _system_temporaries(report: GcReport) -> None:
    for path in tempfiles.stale():
        report.items.append(Garbage("temporary", str(path), _size(path)))
        if report.dry_run:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _unreferenced_blobs(ws: Workspace, report: GcReport, min_age: float) -> None:
    cutoff = time.time() - min_age
    candidates = [b for b in ws.blobs.scan() if b.modified <= cutoff]
    if not candidates:
        return
    wanted = ws.store.referenced_blobs()  # read after the scan: a blob recorded since is kept
    for blob in candidates:
        if blob.name in wanted:
            continue
        if report.dry_run or ws.blobs.delete(blob.name, if_older_than=cutoff):
            report.items.append(Garbage("blob", blob.name, blob.size))


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for top, _, names in os.walk(path):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.stat(os.path.join(top, name)).st_size
    return total


__all__ = ["PART_SUFFIX", "Garbage", "GcReport", "collect_garbage"]

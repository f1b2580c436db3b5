"""Deployment stages as they happen, shared by the deploying side and the server.

Both sides append one JSON line per stage to ``stages.jsonl`` in the deployment folder
(each line is a single ``write`` on an ``O_APPEND`` file, so lines never interleave);
``wait_for_deployment`` reads the file from where it left off and prints new stages
with the time elapsed since the deploy call.

Example:
    >>> import tempfile, pathlib
    >>> log = StageLog(pathlib.Path(tempfile.mkdtemp()) / "stages.jsonl")
    >>> log.add(RESOLVING, "diabetes:1")
    >>> [s.name for s in log.read()[0]]
    ['resolving model']
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

RESOLVING = "resolving model"
VERIFYING = "verifying files"
STARTING = "starting server"
LOADING = "loading model"
LISTENING = "listening"
WARMUP = "warm-up request"
HEALTH = "health check"
READY = "ready"
FAILED = "failed"


@dataclass(frozen=True)
class Stage:
    """A stage that began at ``at`` (seconds since the epoch)."""

    name: str
    detail: str
    at: float


class StageLog:
    """Append-only stage events in one file."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def reset(self) -> None:
        """Start a fresh log (a new deployment under the same name)."""
        self.path.write_bytes(b"")

    def add(self, name: str, detail: str = "", at: float | None = None) -> None:
        """Append stage ``name``, begun at ``at`` (default: now)."""
        stamp = time.time() if at is None else at
        line = json.dumps({"stage": name, "detail": detail, "at": stamp}) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def read(self, offset: int = 0) -> tuple[list[Stage], int]:
        """Complete stages from byte ``offset`` on, and the offset to read from next."""
        try:
            with open(self.path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return [], offset
        end = data.rfind(b"\n") + 1  # a line still being written waits for next time
        stages = []
        for line in data[:end].splitlines():
            try:
                raw = json.loads(line)
                stages.append(Stage(raw["stage"], raw.get("detail", ""), float(raw["at"])))
            except (ValueError, KeyError, TypeError):
                continue  # a foreign or damaged line is not a stage
        return stages, offset + end

    def all(self) -> list[Stage]:
        return self.read()[0]


class StagePrinter:
    """Prints stages once each, timed from ``start`` (the deploy call)."""

    def __init__(self, start: float, enabled: bool, out: TextIO | None = None):
        self.start = start
        self.enabled = enabled
        self.out = out

    def show(self, stage: Stage) -> None:
        if not self.enabled:
            return
        out = self.out or sys.stdout
        elapsed = max(stage.at - self.start, 0.0)
        detail = f"  {stage.detail}" if stage.detail else ""
        print(f"{elapsed:7.2f} s  {stage.name:<16}{detail}", file=out, flush=True)

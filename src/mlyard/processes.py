"""Which machine this is, and whether a process on it is still the one we think.

A pid alone is not an identity (pids are recycled), so a process is known by its pid
and its start time.

Example:
    >>> import os
    >>> alive(os.getpid())
    True
"""

from __future__ import annotations

import socket

import psutil

from mlyard import settings

_HOST: dict[str, str] = {}


def machine() -> str:
    """The name this machine goes by (``MLYARD_MACHINE``, else its host name)."""
    name = str(settings.get("machine"))
    if name:
        return name
    if "host" not in _HOST:  # asked at every run start: ask the system once
        _HOST["host"] = socket.gethostname()
    return _HOST["host"]


def started_at(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), if it exists."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def find(pid: int | None, started: float | None = None) -> psutil.Process | None:
    """The live (non-zombie) process ``pid`` — if ``started`` is given, only if it
    started then (within 50 ms), so a recycled pid is never taken for it."""
    if not pid:
        return None
    try:
        proc = psutil.Process(pid)
        if started is not None and abs(proc.create_time() - started) > 0.05:
            return None
        if proc.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return None
        return proc
    except psutil.Error:
        return None


def alive(pid: int | None, started: float | None = None) -> bool:
    """Whether ``pid`` (started at ``started``) runs and is not a zombie."""
    return find(pid, started) is not None


def alive_since(pid: int | None, before: float) -> bool:
    """Whether ``pid`` runs and started no later than ``before`` (seconds since the
    epoch): the process that did something at ``before`` still exists."""
    proc = find(pid)
    if proc is None:
        return False
    try:
        return proc.create_time() <= before + 1.0
    except psutil.Error:
        return False

"""What a run records about where it ran: entry script, git commit, Python, packages.

Captured once per process (git and package metadata cost milliseconds) and stored as
system tags on every run.
"""

from __future__ import annotations

import json
import platform
import socket
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from mlyard.auth.identity import current_user

ENTRY_POINT = "mlyard.source.entry_point"
GIT_COMMIT = "mlyard.source.git_commit"
GIT_BRANCH = "mlyard.source.git_branch"
GIT_DIRTY = "mlyard.source.git_dirty"
PYTHON = "mlyard.python"
PACKAGES = "mlyard.packages"
USER = "mlyard.user"
HOST = "mlyard.host"

# Always recorded when installed; ML frameworks only when the process imported them.
_CORE = ("mlyard", "numpy", "pandas", "scikit-learn", "scipy")
_FRAMEWORKS = {
    "torch": "torch",
    "keras": "keras",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "onnxruntime": "onnxruntime",
    "tensorflow": "tensorflow",
}


def _entry_point() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path:
        return _resolved(path)
    if "ipykernel" in sys.modules:
        return "<notebook>"
    return "<interactive>"


@cache
def _resolved(path: str) -> str:
    return str(Path(path).resolve())


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=3, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@cache
def _git_info(cwd: Path) -> dict[str, str]:
    commit = _git(["rev-parse", "HEAD"], cwd)
    if not commit:
        return {}
    info = {GIT_COMMIT: commit}
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
    if branch:
        info[GIT_BRANCH] = branch
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    if status is not None:
        info[GIT_DIRTY] = "true" if status else "false"
    return info


def _packages() -> dict[str, str]:
    versions = {}
    names = list(_CORE) + [dist for mod, dist in _FRAMEWORKS.items() if mod in sys.modules]
    for dist in names:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return versions


@cache
def _static() -> dict[str, str]:
    return {PYTHON: platform.python_version(), HOST: socket.gethostname()}


def run_context() -> dict[str, str]:
    """System tags for a new run."""
    entry = _entry_point()
    where = Path(entry).parent if entry.startswith("/") else Path.cwd()
    tags = {ENTRY_POINT: entry, **_static(), USER: current_user(), **_git_info(where)}
    loaded = tuple(sorted(m for m in _FRAMEWORKS if m in sys.modules))
    tags[PACKAGES] = _packages_json(loaded)
    return tags


@cache
def _packages_json(_frameworks_loaded: tuple[str, ...]) -> str:
    return json.dumps(_packages())

"""What every command shares: the workspace option, tables, errors, formatting."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlyard import settings
from mlyard.errors import InvalidInputError, MlyardError

# Piped output (CI logs, `| less`) gets wide tables instead of rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
F = TypeVar("F", bound=Callable[..., Any])


class State:
    workspace: str | None = None
    opened: list[Any] = []  # workspaces this command opened; closed when it ends


STATE = State()


def open_workspace(create: bool = False):
    """The workspace of ``-w`` / ``MLYARD_WORKSPACE``. Only commands that write (``init``,
    uploads, registrations) pass ``create=True``: a mistyped path is an error, not a
    new empty workspace."""
    from mlyard.workspace import Workspace

    ws = Workspace.open(STATE.workspace or settings.get("workspace"), create=create)
    STATE.opened.append(ws)
    return ws


def friendly_errors(fn: F) -> F:
    """Print mlyard errors as one clear line (exit 1) instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MlyardError as e:
            where = f" \\[{escape(e.field)}]" if e.field else ""
            errors.print(f"[bold red]error{where}:[/] {escape(str(e))}", highlight=False)
            raise typer.Exit(1) from None
        finally:
            while STATE.opened:
                STATE.opened.pop().close()

    return wrapper  # type: ignore[return-value]


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left", header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    count = 0
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
        count += 1
    if count == 0:
        console.print(f"[dim]{title or 'nothing'}: none[/]")
        return
    console.print(t)


def when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def duration(start: int | None, end: int | None) -> str:
    if not start or not end:
        return ""
    seconds = (end - start) / 1000
    return f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.1f}m"


def size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(n)


def short(mapping: dict[str, Any], limit: int = 4) -> str:
    items = list(mapping.items())
    text = ", ".join(f"{k}={_num(v)}" for k, v in items[:limit])
    return text + (f", +{len(items) - limit}" if len(items) > limit else "")


def _num(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def parse_tags(values: Sequence[str] | None) -> dict[str, str]:
    out = {}
    for item in values or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInputError(
                f"tag {item!r} is not KEY=VALUE", field="--tag", fix="e.g. --tag area=diabetes"
            )
        out[key] = value
    return out


def model_ref(text: str) -> tuple[str, int | None]:
    """``name`` or ``name:version``."""
    from mlyard.names import check_version

    name, sep, version = text.partition(":")
    if not sep:
        return name, None
    try:
        return name, check_version(version, field="MODEL")
    except InvalidInputError:
        raise InvalidInputError(
            f"{text!r}: the version after ':' must be a number from 1 to 2147483647",
            field="MODEL",
            fix="e.g. diabetes-model:2",
        ) from None

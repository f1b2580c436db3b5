"""`mlyard gc`."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli._common import console, friendly_errors, open_workspace, size, table


@friendly_errors
def gc(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be removed; remove nothing.")
    ] = False,
    min_age: Annotated[
        float,
        typer.Option("--min-age", help="Keep unreferenced blobs younger than this (seconds)."),
    ] = 3600.0,
) -> None:
    """Remove what interrupted work left behind, and blobs nothing points at."""
    from mlyard.gc import collect_garbage

    if min_age < 0:
        from mlyard.errors import InvalidInputError

        raise InvalidInputError("--min-age must be >= 0", field="--min-age", fix="e.g. 3600")
    report = collect_garbage(open_workspace(), dry_run=dry_run, min_age=min_age)
    table(
        "would remove" if dry_run else "removed",
        ["kind", "where", "size"],
        ((g.kind, g.where, size(g.size)) for g in report.items),
    )
    verb = "would free" if dry_run else "freed"
    temps, blobs = report.count("temporary"), report.count("blob")
    console.print(
        f"{verb} {size(report.bytes_freed)}: {temps} {'temporary' if temps == 1 else 'temporaries'}"
        f", {blobs} unreferenced {'blob' if blobs == 1 else 'blobs'}"
    )

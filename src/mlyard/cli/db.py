"""`mlyard db`: schema upgrades, and copying a workspace to another backend."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard import settings
from mlyard.cli._common import STATE, console, friendly_errors, size, table

db = typer.Typer(
    help="The workspace's database: upgrade its schema, copy it to another backend.",
    no_args_is_help=True,
)


@db.command("upgrade")
@friendly_errors
def upgrade(
    url: Annotated[
        str | None,
        typer.Argument(help="Workspace folder or database URL (default: -w / ./yard)."),
    ] = None,
) -> None:
    """Run the schema migrations; print the revision before and after."""
    from mlyard.admin import upgrade_workspace

    done = upgrade_workspace(url or STATE.workspace or str(settings.get("workspace")))
    before = done.before or "none (new database)"
    if done.changed:
        console.print(f"upgraded {done.workspace}: revision {before} -> {done.after}")
    else:
        console.print(f"{done.workspace} is already at revision {done.after}; nothing to do")


@db.command("copy")
@friendly_errors
def copy(
    src: Annotated[str, typer.Argument(help="Source workspace: a folder or database URL.")],
    dst: Annotated[
        str, typer.Argument(help="Destination: a new folder, or an empty database URL.")
    ],
    artifacts: Annotated[
        str | None,
        typer.Option(
            "--artifacts",
            help="Where a database destination keeps its blobs: a folder or s3://bucket/prefix.",
        ),
    ] = None,
) -> None:
    """Copy a workspace's records, blobs and datastore files into a fresh workspace."""
    from mlyard.admin import copy_workspace

    report = copy_workspace(src, dst, artifact_root=artifacts)
    table(
        f"copied {report.src} -> {report.dst}",
        ["table", "source rows", "copied rows"],
        (
            (c.table, c.source, f"{c.copied} ({c.left_out} left out)" if c.left_out else c.copied)
            for c in report.tables
        ),
    )
    if any(c.left_out for c in report.tables):
        console.print("left out: the source's artifact_root; the copy keeps its blobs at its own")
    console.print(
        f"{report.blobs} blobs ({size(report.blob_bytes)}) copied and verified; "
        f"{report.datastore_files} datastore files ({size(report.datastore_bytes)}) copied"
    )

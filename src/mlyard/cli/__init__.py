"""The ``mlyard`` command: thin over the SDK, one module per command group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlyard.cli._common import STATE, console, friendly_errors, table
from mlyard.cli.data import datasets, datastore
from mlyard.cli.db import db
from mlyard.cli.experiments import experiments, runs
from mlyard.cli.gc import gc
from mlyard.cli.models import models
from mlyard.cli.server import server
from mlyard.cli.services import deploy, services
from mlyard.cli.tokens import tokens
from mlyard.cli.users import users

app = typer.Typer(
    name="mlyard",
    help="mlyard: versioned data, tracked experiments, one-call model services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar="MLYARD_WORKSPACE",
            help="Workspace folder or database URL (default ./yard).",
        ),
    ] = None,
) -> None:
    STATE.workspace = workspace


@app.command()
@friendly_errors
def init(path: Annotated[Path | None, typer.Argument(help="Folder (default ./yard).")] = None):
    """Create a workspace (or open an existing one) and show what it holds."""
    from mlyard.workspace import Workspace

    ws = Workspace.open(path if path is not None else STATE.workspace, create=True)
    console.print(f"workspace ready: [bold]{ws.url}[/]")
    table("datastores", ["name", "url"], ((d.name, d.url) for d in ws.datastores.values()))


app.command("deploy")(deploy)
app.command("gc")(gc)
app.add_typer(datastore, name="datastore")
app.add_typer(datasets, name="datasets")
app.add_typer(experiments, name="experiments")
app.add_typer(runs, name="runs")
app.add_typer(models, name="models")
app.add_typer(services, name="services")
app.add_typer(db, name="db")
app.add_typer(server, name="server")
app.add_typer(users, name="users")
app.add_typer(tokens, name="tokens")


def main() -> None:
    app()


__all__ = ["app", "main"]

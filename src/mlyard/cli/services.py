"""`mlyard deploy` and `mlyard services`."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli._common import console, friendly_errors, model_ref, open_workspace, table, when

services = typer.Typer(help="Web services serving registered models.", no_args_is_help=True)


@friendly_errors
def deploy(
    model: Annotated[str, typer.Argument(help="NAME or NAME:VERSION (default: latest)")],
    name: Annotated[str, typer.Option("--name", "-n", help="Service name.")],
    overwrite: Annotated[bool, typer.Option("--overwrite/--no-overwrite")] = True,
    port: Annotated[int | None, typer.Option("--port", help="Default: a free port.")] = None,
) -> None:
    """Deploy a registered model as a web service and wait until it is ready."""
    from mlyard.registry import Model

    ws = open_workspace()
    model_name, version = model_ref(model)
    m = Model(ws, model_name, version)
    config = {"port": port} if port else None
    service = Model.deploy(ws, name, [m], overwrite=overwrite, deployment_config=config)
    service.wait_for_deployment(show_output=True)
    console.print(f"[bold green]{name}[/] serves {m.id} at {service.scoring_uri}")


@services.command("list")
@friendly_errors
def list_services() -> None:
    """List services with their live state."""
    from mlyard.serving import Webservice

    table(
        "services",
        ["name", "state", "models", "scoring uri", "host", "pid", "updated"],
        (
            (
                s.name,
                s.state,
                ", ".join(s.record.models),
                s.scoring_uri,
                s.host,
                s.pid or "",
                when(s.record.updated_at),
            )
            for s in Webservice.list(open_workspace())
        ),
    )


@services.command("logs")
@friendly_errors
def logs(name: str, tail: Annotated[int, typer.Option("--tail", "-n")] = 100) -> None:
    """Print the last lines of a service's log."""
    from mlyard.errors import InvalidInputError
    from mlyard.serving import Webservice

    if tail < 0:
        raise InvalidInputError(f"--tail must be >= 0, got {tail}", field="--tail", fix="e.g. 100")
    text = Webservice(open_workspace(), name).get_logs(num_lines=tail)
    console.print(text, highlight=False, markup=False)


@services.command("delete")
@friendly_errors
def delete(name: str) -> None:
    """Stop a service and forget it."""
    from mlyard.serving import Webservice

    Webservice(open_workspace(), name).delete()
    console.print(f"deleted {name}")


@services.command("up")
@friendly_errors
def up() -> None:
    """Restart every recorded service whose process is gone (e.g. after a reboot)."""
    from mlyard.serving import services_up

    done = services_up(open_workspace())
    table("services", ["name", "what happened"], done.items())

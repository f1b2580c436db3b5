"""``mlyard server``: serve a workspace to a team."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli._common import STATE, console, errors, friendly_errors
from mlyard.errors import InvalidInputError

server = typer.Typer(
    help="Serve a workspace over HTTP (REST API, docs at /docs, metrics at /metrics).",
    invoke_without_command=True,
)

Workspace_ = Annotated[
    str | None,
    typer.Option("--workspace", help="Embedded workspace folder to serve (store and artifacts)."),
]
Store = Annotated[
    str | None, typer.Option("--store", help="Database URL, e.g. postgresql+psycopg://…")
]
Artifacts = Annotated[
    str | None,
    typer.Option("--artifacts", help="Artifact root with --store: s3://bucket/prefix, a folder…"),
]


def _url(workspace: str | None, store: str | None, artifacts: str | None) -> str:
    if workspace and store:
        raise InvalidInputError(
            "give --workspace or --store, not both", field="--store", fix="choose one"
        )
    if artifacts and not store:
        raise InvalidInputError(
            "--artifacts goes with --store", field="--artifacts", fix="add --store URL"
        )
    return workspace or store or STATE.workspace or "./yard"


@server.callback()
@friendly_errors
def run(
    ctx: typer.Context,
    workspace: Workspace_ = None,
    store: Store = None,
    artifacts: Artifacts = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Serve without tokens (loopback only).")
    ] = False,
) -> None:
    """Serve the workspace until Ctrl-C or SIGTERM (requests in flight finish first)."""
    url = _url(workspace, store, artifacts)
    ctx.obj = (url, artifacts)
    if ctx.invoked_subcommand is not None:
        return
    from mlyard.server.serve import check_options, serve

    check_options(host, not no_auth, workers)
    if no_auth:
        errors.print(
            "[bold yellow]warning:[/] --no-auth: anyone who reaches "
            f"{host}:{port} can read and change this workspace",
            highlight=False,
        )
    else:
        _hint_without_admin(url, artifacts)
    console.print(
        f"mlyard server: [bold]{url}[/] on http://{host}:{port} "
        f"({workers} worker{'s' if workers > 1 else ''}); docs at /docs"
    )
    serve(url, artifacts=artifacts, host=host, port=port, workers=workers, auth=not no_auth)


def _hint_without_admin(url: str, artifacts: str | None) -> None:
    """Say how to get in, when no one can: auth is on and no active admin exists."""
    from mlyard.auth import Role, list_users
    from mlyard.workspace import Workspace

    ws = Workspace.open(url, artifact_root=artifacts)
    try:
        if any(u.role is Role.ADMIN and not u.disabled for u in list_users(ws)):
            return
    finally:
        ws.close()
    where = f"--workspace {url}" if "://" not in url else "--store URL"
    errors.print(
        "[bold yellow]no admin yet:[/] every request needs a token; "
        f"`mlyard server init {where}` prints the first one",
        highlight=False,
    )


@server.command("init")
@friendly_errors
def init(
    ctx: typer.Context,
    workspace: Workspace_ = None,
    store: Store = None,
    artifacts: Artifacts = None,
    name: Annotated[str, typer.Option("--name", help="The first admin's user name.")] = "admin",
) -> None:
    """Create the workspace's first admin and print their token, this once."""
    from mlyard.auth import init_admin
    from mlyard.workspace import Workspace

    url, artifacts = (
        (_url(workspace, store, artifacts), artifacts)
        if workspace or store
        else (ctx.obj or (_url(None, None, None), None))
    )
    ws = Workspace.open(url, artifact_root=artifacts, create=True)
    STATE.opened.append(ws)
    issued = init_admin(ws, name)
    console.print(f"admin [bold]{name}[/] of {ws.url}; their token:", highlight=False)
    # Alone on its line, unstyled and unwrapped, so it can be copied or piped.
    console.print(issued.token, markup=False, highlight=False, soft_wrap=True)
    console.print(
        "[yellow]store it now: it cannot be shown again[/] "
        "(use it as MLYARD_TOKEN, or Workspace.open(url, token=...))"
    )

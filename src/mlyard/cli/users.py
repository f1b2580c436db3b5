"""`mlyard users`."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli._common import console, friendly_errors, open_workspace, table, when

users = typer.Typer(help="Users of the workspace and their roles.", no_args_is_help=True)

ROLE_HELP = "viewer (read), editor (runs, datasets, models) or admin (users, deployments, deletion)"


@users.command("create")
@friendly_errors
def create(
    name: str,
    role: Annotated[str, typer.Option("--role", "-r", help=ROLE_HELP)] = "viewer",
) -> None:
    """Add a user; give them a token next with `mlyard tokens create NAME`."""
    from mlyard.auth import create_user

    user = create_user(open_workspace(), name, role)
    console.print(f"created user [bold]{user.name}[/] ({user.role.value})")
    console.print(f"give them a token: mlyard tokens create {user.name}", highlight=False)


@users.command("list")
@friendly_errors
def list_users() -> None:
    """List users, their roles, and whether they are disabled."""
    from mlyard.auth import list_users

    table(
        "users",
        ["name", "role", "state", "created", "disabled"],
        (
            (
                u.name,
                u.role.value,
                "disabled" if u.disabled else "active",
                when(u.created_at),
                when(u.disabled_at),
            )
            for u in list_users(open_workspace())
        ),
    )


@users.command("role")
@friendly_errors
def role(name: str, role: Annotated[str, typer.Argument(help=ROLE_HELP)]) -> None:
    """Change a user's role; it applies from their next request."""
    from mlyard.auth import set_role

    user = set_role(open_workspace(), name, role)
    console.print(f"user [bold]{user.name}[/] is now {user.role.value}")


@users.command("disable")
@friendly_errors
def disable(name: str) -> None:
    """Disable a user: none of their tokens works any more."""
    from mlyard.auth import disable_user

    user = disable_user(open_workspace(), name)
    console.print(f"user [bold]{user.name}[/] is disabled; their tokens no longer work")

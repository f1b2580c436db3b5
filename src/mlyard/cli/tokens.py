"""`mlyard tokens`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer

from mlyard.cli._common import console, friendly_errors, open_workspace, table, when
from mlyard.errors import InvalidInputError

tokens = typer.Typer(help="API tokens: how users sign in to a server.", no_args_is_help=True)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LIFETIME = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")


def parse_lifetime(text: str) -> timedelta:
    """``90m``, ``12h``, ``30d`` or plain seconds, as a timedelta."""
    found = _LIFETIME.fullmatch(text.strip())
    if found is None or float(found[1]) <= 0:
        raise InvalidInputError(
            f"{text!r} is not a lifetime",
            field="--expires-in",
            fix="give a number with a unit: 90m, 12h, 30d (or seconds)",
        )
    return timedelta(seconds=float(found[1]) * _UNITS[found[2] or "s"])


@tokens.command("create")
@friendly_errors
def create(
    user: str,
    label: Annotated[str, typer.Option("--label", "-l", help="What it is for.")] = "",
    expires_in: Annotated[
        str | None, typer.Option("--expires-in", help="e.g. 12h, 30d (default: never).")
    ] = None,
) -> None:
    """Issue a token for USER and print it, this once."""
    from mlyard.auth import create_token

    lifetime = parse_lifetime(expires_in) if expires_in is not None else None
    issued = create_token(open_workspace(), user, label=label, expires_in=lifetime)
    r = issued.record
    expiry = f", expires {when(r.expires_at)}" if r.expires_at else ""
    console.print(f"token [bold]{r.token_id}[/] for {r.user}{expiry}:", highlight=False)
    # The token alone on its line, unstyled and unwrapped, so it can be copied or piped.
    console.print(issued.token, markup=False, highlight=False, soft_wrap=True)
    console.print("[yellow]store it now: it cannot be shown again[/]")


@tokens.command("list")
@friendly_errors
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user's.")] = None,
) -> None:
    """List tokens (never the tokens themselves): id, owner, state, last use."""
    from mlyard.auth import list_tokens

    table(
        "tokens",
        ["id", "user", "label", "starts with", "state", "created", "expires", "last used"],
        (
            (
                t.token_id,
                t.user,
                t.label,
                t.prefix + "…",
                t.state(),
                when(t.created_at),
                when(t.expires_at) or "never",
                when(t.last_used_at),
            )
            for t in list_tokens(open_workspace(), user)
        ),
    )


@tokens.command("revoke")
@friendly_errors
def revoke(token_id: Annotated[str, typer.Argument(help="The id from `mlyard tokens list`.")]):
    """Revoke a token; it stops working at once."""
    from mlyard.auth import revoke_token

    r = revoke_token(open_workspace(), token_id)
    console.print(f"revoked token [bold]{r.token_id}[/] of {r.user}")

"""`mlyard models`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlyard.cli._common import (
    console,
    friendly_errors,
    model_ref,
    open_workspace,
    parse_tags,
    short,
    size,
    table,
    when,
)

models = typer.Typer(help="The model registry.", no_args_is_help=True)


@models.command("list")
@friendly_errors
def list_models(
    name: Annotated[str | None, typer.Option("--name", help="Only this model.")] = None,
) -> None:
    """List registered model versions."""
    from mlyard.registry import Model

    found = Model.list(open_workspace(), name=name)
    table(
        "models",
        ["name", "version", "framework", "aliases", "tags", "run", "registered"],
        (
            (
                m.name,
                m.version,
                m.framework,
                ", ".join(m.aliases),
                short(m.tags),
                (m.run_id or "")[:8],
                when(m.created_at),
            )
            for m in found
        ),
    )


@models.command("show")
@friendly_errors
def show_model(model: Annotated[str, typer.Argument(help="NAME or NAME:VERSION")]) -> None:
    """Show a model version: lineage, signature, files."""
    from mlyard.registry import Model

    name, version = model_ref(model)
    m = Model(open_workspace(), name, version)
    r = m.record
    console.print(f"[bold]{m.name}[/] version {m.version}  ({m.framework} {m.framework_version})")
    if m.description:
        console.print(m.description)
    console.print(
        f"aliases: {', '.join(m.aliases) or '-'}  tags: {short(m.tags, 10) or '-'}  "
        f"registered {when(m.created_at)}"
    )
    console.print(f"source: {r.source}  run: {r.run_id or '-'}")
    console.print(f"samples: input {r.sample_input or '-'}  output {r.sample_output or '-'}")
    if r.resource_config:
        console.print(f"resources: {short(r.resource_config)}")
    sig = m.signature
    if sig:
        table("signature inputs", ["column", "type"], ((c.name, c.type) for c in sig.inputs))
    table(
        "files",
        ["path", "size", "sha256"],
        ((f.path, size(f.size), f.sha256[:12]) for f in m.manifest.files),
    )


@models.command("register")
@friendly_errors
def register(
    name: str,
    path: Annotated[str, typer.Argument(help="Local file/folder, or a path among --run's files")],
    run: Annotated[str | None, typer.Option("--run", help="Run id holding the model.")] = None,
    framework: Annotated[str | None, typer.Option("--framework", help="e.g. ScikitLearn")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE, repeatable")] = None,
) -> None:
    """Register the next version of a model."""
    from mlyard.registry import Model
    from mlyard.tracking import Run

    ws = open_workspace(create=run is None)
    source_run = Run.get(ws, run) if run else None
    m = Model.register(
        ws,
        name,
        path if source_run else Path(path),
        run=source_run,
        model_framework=framework,
        description=description,
        tags=parse_tags(tag),
    )
    console.print(f"registered [bold]{m.name}[/] version {m.version} ({m.framework})")

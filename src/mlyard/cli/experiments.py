"""`mlyard experiments` and `mlyard runs`."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli._common import (
    console,
    duration,
    friendly_errors,
    open_workspace,
    short,
    size,
    table,
    when,
)

experiments = typer.Typer(help="Experiments: named groups of runs.", no_args_is_help=True)
runs = typer.Typer(help="Runs: what each execution logged.", no_args_is_help=True)


@experiments.command("list")
@friendly_errors
def list_experiments() -> None:
    """List experiments with their run counts."""
    from mlyard.tracking import Experiment

    exps = Experiment.list(open_workspace())
    rows = [(e.id, e.name, e.run_count, when(e.created_at)) for e in exps]
    table("experiments", ["id", "name", "runs", "created"], rows)


@runs.command("list")
@friendly_errors
def list_runs(
    experiment: Annotated[str | None, typer.Option("--experiment", "-e", help="Name.")] = None,
    filter: Annotated[
        str | None, typer.Option("--filter", "-f", help='e.g. "metrics.mse < 3000"')
    ] = None,
    order_by: Annotated[
        list[str] | None, typer.Option("--order-by", "-o", help="e.g. 'metrics.mse ASC'")
    ] = None,
    max_results: Annotated[int, typer.Option("--max-results", "-n")] = 50,
) -> None:
    """List runs, newest first, or as filtered and ordered."""
    from mlyard.tracking import Experiment, Run

    ws = open_workspace()
    names = {e.id: e.name for e in Experiment.list(ws)}
    found = Run.list(ws, experiment, filter, order_by, max_results=max_results)
    table(
        "runs",
        ["run id", "experiment", "name", "status", "started", "took", "metrics", "params"],
        (
            (
                r.id,
                names.get(r.experiment_id, r.experiment_id),
                r.name,
                r.status,
                when(r.record.start_time),
                duration(r.record.start_time, r.record.end_time),
                short(r.record.metrics),
                short(r.record.params),
            )
            for r in found
        ),
    )


@runs.command("show")
@friendly_errors
def show_run(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix of it, or its name.")],
) -> None:
    """Show one run: status, params, metrics, tags and files."""
    from mlyard.tracking import Run

    run = Run.get(open_workspace(), run_id)
    r = run.record
    console.print(f"[bold]{r.name}[/]  {r.run_id}")
    console.print(
        f"experiment {run.experiment.name}  status [bold]{r.status.value}[/]  "
        f"started {when(r.start_time)}  took {duration(r.start_time, r.end_time) or '-'}"
    )
    if r.error:
        console.print(f"[red]{r.error.strip().splitlines()[-1]}[/]")
    table("params", ["name", "value"], sorted(r.params.items()))
    table("metrics (latest)", ["name", "value"], sorted(r.metrics.items()))
    table("tags", ["name", "value"], sorted(r.tags.items()))
    table(
        "files",
        ["path", "size", "sha256"],
        ((f.path, size(f.size), f.sha256[:12]) for f in run.list_files()),
    )

"""`mlyard experiments` and `mlyard runs`."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli._common import (
    console,
    duration,
    friendly_errors,
    open_workspace,
    resolve_run_id,
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

    ws = open_workspace()
    exps = Experiment.list(ws)
    counts = ws.store.count_runs([e.id for e in exps])
    rows = [(e.id, e.name, counts[e.id], when(e.created_at)) for e in exps]
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
    from mlyard.errors import NotFoundError
    from mlyard.tracking import Experiment

    ws = open_workspace()
    if experiment is not None:
        if ws.store.get_experiment_by_name(experiment) is None:
            raise NotFoundError(
                f"no experiment named {experiment!r}", fix="see `mlyard experiments list`"
            )
        exps = [Experiment(ws, experiment)]
    else:
        exps = Experiment.list(ws)
    names = {e.id: e.name for e in exps}
    records = ws.store.search_runs(list(names), filter, order_by or (), max_results=max_results)
    table(
        "runs",
        ["run id", "experiment", "name", "status", "started", "took", "metrics", "params"],
        (
            (
                r.run_id,
                names[r.experiment_id],
                r.name,
                r.status.value,
                when(r.start_time),
                duration(r.start_time, r.end_time),
                short(r.metrics),
                short(r.params),
            )
            for r in records
        ),
    )


@runs.command("show")
@friendly_errors
def show_run(run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix.")]) -> None:
    """Show one run: status, params, metrics, tags and files."""
    ws = open_workspace()
    run_id = resolve_run_id(ws, run_id)
    r = ws.store.get_run(run_id)
    exp = ws.store.get_experiment(r.experiment_id)
    console.print(f"[bold]{r.name}[/]  {r.run_id}")
    console.print(
        f"experiment {exp.name}  status [bold]{r.status.value}[/]  started {when(r.start_time)}"
        f"  took {duration(r.start_time, r.end_time) or '-'}"
    )
    if r.error:
        console.print(f"[red]{r.error.strip().splitlines()[-1]}[/]")
    table("params", ["name", "value"], sorted(r.params.items()))
    table("metrics (latest)", ["name", "value"], sorted(r.metrics.items()))
    table("tags", ["name", "value"], sorted(r.tags.items()))
    files = ws.store.list_run_files(run_id)
    table(
        "files", ["path", "size", "sha256"], ((f.path, size(f.size), f.sha256[:12]) for f in files)
    )

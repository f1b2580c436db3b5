"""`mlyard datastore` and `mlyard datasets`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlyard.cli._common import console, friendly_errors, open_workspace, size, table, when

datastore = typer.Typer(help="Datastores: where data files are kept.", no_args_is_help=True)
datasets = typer.Typer(help="Datasets: versioned snapshots of data files.", no_args_is_help=True)

StoreOpt = Annotated[
    str | None, typer.Option("--datastore", "-d", help="Datastore name (default: the default).")
]


def _store(name: str | None, create: bool = False):
    ws = open_workspace(create=create)
    return ws.get_datastore(name) if name else ws.get_default_datastore()


@datastore.command("upload")
@friendly_errors
def upload(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to upload.")],
    target_path: Annotated[str, typer.Option("--target-path", "-t")] = "",
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
    name: StoreOpt = None,
) -> None:
    """Upload files (checksummed and verified) into a datastore."""
    store = _store(name, create=True)
    files = [p for p in paths if not p.is_dir()]
    records = (
        list(store.upload_files([str(p) for p in files], target_path, overwrite)) if files else []
    )
    for folder in (p for p in paths if p.is_dir()):
        target = f"{target_path.rstrip('/')}/{folder.name}".lstrip("/")
        records += store.upload(str(folder), target, overwrite)
    table(
        f"uploaded to {store.name}",
        ["path", "size", "sha256"],
        ((r.path, size(r.size), r.sha256[:12]) for r in records),
    )


@datastore.command("list")
@friendly_errors
def list_files(prefix: Annotated[str, typer.Argument()] = "", name: StoreOpt = None) -> None:
    """List files in a datastore, with sizes and checksums."""
    store = _store(name)
    table(
        f"{store.name} ({store.url})",
        ["path", "size", "sha256"],
        ((r.path, size(r.size), (r.sha256 or "")[:12]) for r in store.list(prefix)),
    )


@datastore.command("download")
@friendly_errors
def download(
    prefix: str,
    target: Annotated[Path, typer.Argument(help="Local folder.")] = Path("."),
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
    name: StoreOpt = None,
) -> None:
    """Download files under PREFIX, verified against their checksums."""
    paths = _store(name).download(prefix, str(target), overwrite=overwrite)
    console.print(f"downloaded {len(paths)} file(s) to {target}")


@datastore.command("stores")
@friendly_errors
def stores() -> None:
    """List registered datastores."""
    ws = open_workspace()
    table(
        "datastores",
        ["name", "url", "default"],
        ((d.name, d.url, "yes" if d.is_default else "") for d in ws.datastores.values()),
    )


@datastore.command("register")
@friendly_errors
def register_store(name: str, url: str) -> None:
    """Register a folder or fsspec URL (s3://…) as a datastore."""
    store = open_workspace(create=True).register_datastore(name, url)
    console.print(f"datastore [bold]{store.name}[/] → {store.url}")


@datasets.command("list")
@friendly_errors
def list_datasets() -> None:
    """List datasets (latest version of each)."""
    from mlyard.data import Dataset

    table(
        "datasets",
        ["name", "version", "kind", "files", "rows", "registered"],
        (
            (d.name, d.version, d.kind, len(d.files), _rows(d), when(d.created_at))
            for d in Dataset.list(open_workspace())
        ),
    )


@datasets.command("show")
@friendly_errors
def show_dataset(
    name: str, version: Annotated[int | None, typer.Option("--version", "-v")] = None
) -> None:
    """Show a dataset's versions, files and profile."""
    from mlyard.data import Dataset

    ws = open_workspace()
    d = Dataset.get_by_name(ws, name, version if version is not None else "latest")
    versions = Dataset.versions(ws, name)
    table(
        f"dataset {name}",
        ["version", "files", "rows", "description", "registered"],
        ((d.version, len(d.files), _rows(d), d.description, when(d.created_at)) for d in versions),
    )
    table(
        f"files of version {d.version}",
        ["path", "size", "sha256"],
        ((f.path, size(f.size), f.sha256[:12]) for f in d.files),
    )
    columns = (_profile(d)).get("columns") or []
    table(
        f"profile of version {d.version}",
        ["column", "type", "missing", "min", "max", "mean"],
        (
            (
                c.get("name"),
                c.get("dtype"),
                c.get("missing"),
                _f(c.get("min")),
                _f(c.get("max")),
                _f(c.get("mean")),
            )
            for c in columns
        ),
    )


def _profile(dataset) -> dict:
    record = dataset.record
    return (record.profile if record is not None else None) or {}


def _rows(dataset) -> object:
    return _profile(dataset).get("row_count", "")


def _f(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("" if value is None else str(value))

"""Claim: files move through ``mlyard server`` at disk speed, in bounded memory.

Targets: uploading and downloading a 1 GiB file through the server at, each, least
0.5x the throughput of ``cp`` copying it on the same disk; the server's RSS under
200 MB meanwhile.

One file of random bytes (incompressible), in the page cache for every copy; all
copies on one disk (the system's temporary folder). ``sync`` runs before each timed
copy so that none pays for writing back the one before.

* ``cp FILE COPY``, the median of three (coreutils copies inside the kernel with
  ``copy_file_range``: nothing passes through user space); and ``cp`` followed by
  ``sync COPY`` (flushing the copy to disk) for reference: the server flushes what it
  receives before it answers, ``cp`` does not.
* mlyard: ``mlyard server --workspace DIR`` (auth on), and a client as a user writes
  it: ``run.upload_file(name, path)`` and ``run.download_file(name, path)``. Both ends
  hash the bytes (sha256) as they stream; the server writes them to its blob store and
  flushes them to disk; the client verifies the download's hash at its end. The
  median of three, the blob removed between uploads so each stores it anew.
* ``--mlflow`` adds MLflow's artifact proxy for reference (``mlflow server``, its
  defaults): ``mlflow.log_artifact`` and ``mlflow.artifacts.download_artifacts``; once
  each, it starts slowly.

The server's RSS (its process tree, psutil, every 50 ms) is sampled during the copies.

Usage: python benchmarks/bench_artifacts.py [--size-mb 1024] [--repeat 3] [--mlflow]

The ratio line is printed last.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table
from servers import (
    Server,
    free_port,
    load_note,
    mlyard_command,
    mlyard_env,
    print_ratio,
    say,
)

MB = 1 << 20
CP_TARGET = 0.5
RSS_TARGET = 200  # MB


@dataclass
class Result:
    name: str
    upload: list[float] = field(default_factory=list)  # seconds per copy
    download: list[float] = field(default_factory=list)
    peak_rss: int = 0  # bytes; 0 when there is no server

    def rate(self, seconds: list[float], size: int) -> float:
        return size / MB / statistics.median(seconds) if seconds else float("nan")


def make_file(path: Path, size: int) -> None:
    chunk = 16 * MB
    with open(path, "wb") as out:
        for start in range(0, size, chunk):
            out.write(os.urandom(min(chunk, size - start)))


def timed(copy: Callable[[], object]) -> float:
    os.sync()  # the previous copy's write-back is not this one's cost
    t0 = time.perf_counter()
    copy()
    return time.perf_counter() - t0


def bench_cp(src: Path, tmp: Path, repeat: int) -> tuple[Result, Result]:
    plain, synced = Result("cp"), Result("cp + sync")
    dest = tmp / "cp-copy.bin"
    for _ in range(repeat):
        plain.upload.append(timed(lambda: subprocess.run(["cp", src, dest], check=True)))
        dest.unlink()
        synced.upload.append(timed(lambda: _cp_sync(src, dest)))
        dest.unlink()
    plain.download, synced.download = plain.upload, synced.upload  # one copy serves both
    return plain, synced


def _cp_sync(src: Path, dest: Path) -> None:
    subprocess.run(["cp", src, dest], check=True)
    subprocess.run(["sync", dest], check=True)  # coreutils: fsync of that one file


def bench_mlyard(src: Path, tmp: Path, repeat: int) -> Result:
    from mlyard import Experiment, Workspace
    from mlyard.auth import init_admin

    out = Result("mlyard server")
    home = tmp / "home"
    os.environ["MLYARD_HOME"] = str(home)
    yard = tmp / "yard"
    token = init_admin(Workspace.open(yard)).token
    port = free_port()
    cmd = mlyard_command("--workspace", str(yard), "--port", str(port))
    with Server(out.name, cmd, port, tmp / "mlyard.log", env=mlyard_env(home)) as server:
        server.wait_ready()
        ws = Workspace.open(server.url, token=token)
        target = tmp / "mlyard-download.bin"
        with server.sampling(), Experiment(ws, "artifacts").start_run() as run:
            for i in range(repeat):
                name = f"big-{i}.bin"
                out.upload.append(timed(lambda n=name: run.upload_file(n, src)))
                out.download.append(
                    timed(lambda n=name: run.download_file(n, target, overwrite=True))
                )
                assert target.stat().st_size == src.stat().st_size
                target.unlink()
                if i + 1 < repeat:  # the next upload stores the bytes anew, not a reuse
                    ws.blobs.delete(run.list_files(name)[0].sha256)
        out.peak_rss = server.peak_rss
        ws.close()
    return out


def bench_mlflow(src: Path, tmp: Path) -> Result:
    out = Result("MLflow proxy")
    folder = tmp / "mlflow"
    folder.mkdir()
    port = free_port()
    cmd = [sys.executable, "-m", "mlflow", "server"]
    cmd += ["--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}"]
    cmd += ["--artifacts-destination", str(folder / "mlartifacts")]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    with Server(out.name, cmd, port, tmp / "mlflow.log", cwd=folder) as server:
        say("MLflow: starting (it takes a while) …")
        server.wait_ready()
        os.environ["MLFLOW_TRACKING_URI"] = server.url
        import mlflow

        with server.sampling():
            with mlflow.start_run() as run:
                out.upload.append(timed(lambda: mlflow.log_artifact(str(src))))
            dest = tmp / "mlflow-download"
            out.download.append(
                timed(
                    lambda: mlflow.artifacts.download_artifacts(
                        run_id=run.info.run_id, artifact_path=src.name, dst_path=str(dest)
                    )
                )
            )
        assert (dest / src.name).stat().st_size == src.stat().st_size
        out.peak_rss = server.peak_rss
    return out


def report(results: list[Result], size: int, load: str) -> None:
    console = Console()
    table = Table(title=f"{size / MB:,.0f} MiB file, same disk, medians")
    for column in ("", "upload MB/s", "download MB/s", "server peak RSS, MB"):
        table.add_column(column, justify="right" if column else "left")
    for r in results:
        up, down = r.rate(r.upload, size), r.rate(r.download, size)
        rss = f"{r.peak_rss / MB:,.0f}" if r.peak_rss else "-"
        table.add_row(r.name, f"{up:,.0f}", f"{down:,.0f}", rss)
    console.print(table)
    console.print(f"[dim]{load}[/]")
    cp, synced, mine = results[0], results[1], results[2]
    base = cp.rate(cp.upload, size)
    up, down = mine.rate(mine.upload, size) / base, mine.rate(mine.download, size) / base
    vs_synced = mine.rate(mine.upload, size) / synced.rate(synced.upload, size)
    print_ratio(
        console,
        f"ratio mlyard/cp: upload {up:.2f}x, download {down:.2f}x (target >= {CP_TARGET}x); "
        f"upload vs cp + sync {vs_synced:.2f}x; server peak RSS "
        f"{mine.peak_rss / MB:.0f} MB (target < {RSS_TARGET} MB)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mlflow", action="store_true", help="also MLflow's artifact proxy")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    size = args.size_mb * MB
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-artifacts-") as name:
        tmp = Path(name)
        src = tmp / "big.bin"
        say(f"writing a {args.size_mb:,} MiB file …")
        make_file(src, size)
        say("cp …")
        results = [*bench_cp(src, tmp, args.repeat)]
        say("mlyard …")
        results.append(bench_mlyard(src, tmp, args.repeat))
        if args.mlflow:
            results.append(bench_mlflow(src, tmp))
    report(results, size, load_note(load))


if __name__ == "__main__":
    main()

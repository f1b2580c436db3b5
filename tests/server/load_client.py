"""One client of the load test: logs metrics to its own run for a while, counting.

``python load_client.py URL NAME SECONDS FOLDER`` (token in ``MLYARD_TOKEN``) writes
``FOLDER/NAME.ready`` once its run exists, waits for ``FOLDER/go``, then logs
``loss`` (value = step) and every tenth step ``acc``, flushing explicitly every few
points (one request each) and leaving the rest to the background flusher, until
``SECONDS`` have passed. It ends the run and writes ``FOLDER/NAME.json``: the run id,
how many points of each metric it logged, and any error a flush raised (the buffer
keeps what it could not write, so an error is a failure of the server, not a loss).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from mlyard import Experiment, Workspace


def main(url: str, name: str, seconds: float, folder: Path) -> None:
    ws = Workspace.open(url)
    run = Experiment(ws, "load").start_run(run_name=name)
    (folder / f"{name}.ready").touch()
    deadline = time.monotonic() + 120
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("never told to go")
        time.sleep(0.01)
    counts = {"loss": 0, "acc": 0}
    errors: list[str] = []
    step = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        run.log_metric("loss", float(step), step=step)
        counts["loss"] += 1
        if step % 10 == 0:
            run.log_metric("acc", float(step), step=step)
            counts["acc"] += 1
        if step % 7 == 0:
            try:
                run.flush()
            except Exception as e:  # kept in the buffer: retried by the next flush
                errors.append(f"{type(e).__name__}: {e}")
        step += 1
    run.complete()  # the last points and the status, in one request
    result = {"run_id": run.id, "counts": counts, "errors": errors[:20]}
    (folder / f"{name}.json").write_text(json.dumps(result))
    ws.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4]))

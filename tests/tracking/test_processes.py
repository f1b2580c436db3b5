"""Runs across processes: concurrent writers, and what happens at interpreter exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from mlyard import Experiment, Run

WRITER = textwrap.dedent(
    """
    import sys
    from mlyard import Workspace, Experiment
    ws = Workspace.open(sys.argv[1])
    exp = Experiment(ws, "shared")
    for i in range(int(sys.argv[2])):
        with exp.start_run(run_name=f"{sys.argv[3]}-{i}") as run:
            run.log_params({"writer": sys.argv[3], "i": i})
            for step in range(50):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
    """
)


def _python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], stderr=subprocess.PIPE, text=True)


def test_two_processes_logging_at_once_lose_nothing(ws):
    procs = [_python(WRITER, ws.url, "40", name) for name in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    runs = Experiment(ws, "shared").runs(max_results=1000)
    assert len(runs) == 80
    assert {r.params["writer"] for r in runs} == {"a", "b"}
    assert all(r.status == "COMPLETED" and r.metrics["loss"] == 1.0 / 50 for r in runs)
    for r in runs[:5]:
        assert len(r.get_metric_history("loss")) == 50


def test_run_left_open_completes_at_exit(ws):
    code = textwrap.dedent(
        """
        import sys
        from mlyard import Workspace, Experiment
        run = Experiment(Workspace.open(sys.argv[1]), "exit").start_run()
        run.log("mse", 1.5)
        print(run.id)
        """
    )
    out = subprocess.run([sys.executable, "-c", code, ws.url], capture_output=True, text=True)
    run = Run.get(ws, out.stdout.strip())
    assert run.status == "COMPLETED" and run.metrics == {"mse": 1.5}


def test_uncaught_exception_fails_the_open_run(ws):
    code = textwrap.dedent(
        """
        import sys
        from mlyard import Workspace, Experiment
        run = Experiment(Workspace.open(sys.argv[1]), "exit").start_run()
        run.log("mse", 1.5)
        print(run.id, flush=True)
        raise ValueError("bad data")
        """
    )
    out = subprocess.run([sys.executable, "-c", code, ws.url], capture_output=True, text=True)
    assert out.returncode == 1
    run = Run.get(ws, out.stdout.strip())
    assert run.status == "FAILED" and "bad data" in run.error
    assert run.metrics == {"mse": 1.5}

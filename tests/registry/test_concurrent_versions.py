"""Eight processes registering one name at once get versions 1 to 8: no error, no
duplicate (on PostgreSQL writers really run side by side)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from mlyard import Dataset, Model

REGISTER = textwrap.dedent(
    """
    import pathlib, sys
    import joblib
    from sklearn.linear_model import Ridge
    from mlyard import Dataset, Model, Workspace

    url, folder, i = sys.argv[1], pathlib.Path(sys.argv[2]), int(sys.argv[3])
    ws = Workspace.open(url)
    model = folder / f"m{i}.joblib"
    joblib.dump(Ridge(alpha=i + 1).fit([[0.0], [1.0]], [0.0, float(i)]), model)
    data = folder / f"d{i}.csv"
    data.write_text(f"x,y\\n{i},{i * 2}\\n")
    print("ready", flush=True)
    sys.stdin.readline()  # start together: the test writes "go" once all are ready
    m = Model.register(ws, "shared", model, model_framework="ScikitLearn")
    d = Dataset.Tabular.from_delimited_files(path=str(data)).register(ws, "shared")
    print(m.version, d.version)
    """
)


def test_eight_processes_get_consecutive_versions(ws, tmp_path):
    n = 8
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REGISTER, ws.url, str(tmp_path), str(i)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(n)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        outputs = [p.communicate("go\n", timeout=120) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    for p, (_, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    pairs = [tuple(map(int, out.split())) for out, _ in outputs]
    assert sorted(m for m, _ in pairs) == list(range(1, n + 1))
    assert sorted(d for _, d in pairs) == list(range(1, n + 1))
    assert [m.version for m in Model.list(ws, name="shared")] == list(range(1, n + 1))
    assert [d.version for d in Dataset.versions(ws, "shared")] == list(range(1, n + 1))

"""The README's tour runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from mlyard import Webservice, Workspace

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_tour_runs(tmp_path):
    # ```python blocks are the tour, run in order; ```py blocks illustrate setups the
    # tour cannot assume (a database server).
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 4
    script = tmp_path / "tour.py"
    script.write_text("\n".join(blocks) + "\nprint('TOUR-OK')\n")
    out = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    ws = Workspace.open(tmp_path / "yard")
    try:
        assert out.returncode == 0, out.stdout + out.stderr
        assert "TOUR-OK" in out.stdout
        assert (tmp_path / "exported" / "model.yaml").exists()
    finally:
        for service in Webservice.list(ws):
            service.delete()
        ws.close()

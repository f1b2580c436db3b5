"""Reading the server's ``/metrics`` back: the Prometheus text format, sample by sample."""

from __future__ import annotations

import re

LABEL = r'\w+="(?:[^"\\]|\\.)*"'
SAMPLE = re.compile(rf"^(\w+)(?:\{{((?:{LABEL},?)*)\}})? (\S+)$")


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The samples of a Prometheus text exposition, by name and labels; every line
    must be a comment or a well-formed sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        name, labels, value = match.groups()
        pairs = re.findall(r'(\w+)="([^"]*)"', labels or "")
        out[(name, frozenset(pairs))] = float(value)
    return out


def value(found, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)

"""Memorable default run names, e.g. ``brisk-heron-417``."""

from __future__ import annotations

import random

_ADJECTIVES = (
    "amber brave brisk calm clever crisp dapper eager fair gentle glad grand happy "
    "keen lively lucid merry nimble noble polite proud quick quiet rapid serene sharp "
    "steady sunny swift tidy vivid warm witty"
).split()
_NOUNS = (
    "badger beacon cedar comet crane delta falcon fern finch fjord harbor heron ibis "
    "lark lynx maple meadow otter owl panda pike quail raven reef robin sparrow "
    "spruce tern tiger trout willow wren"
).split()


def run_name(rng: random.Random | None = None) -> str:
    r = rng or random
    return f"{r.choice(_ADJECTIVES)}-{r.choice(_NOUNS)}-{r.randrange(1000):03d}"

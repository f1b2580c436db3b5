"""Experiments and runs: which code, data and parameters produced which metrics."""

from mlyard.tracking.experiment import Experiment
from mlyard.tracking.run import Run

__all__ = ["Experiment", "Run"]

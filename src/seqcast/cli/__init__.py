"""The ``seqcast`` command: a thin layer over the Python API.

Each command parses its options, calls the same public function a Python user would, and
prints what came back; results go into a new ``--out`` folder. Bad input ends with one line
on stderr starting ``error:`` and exit status 1, and nothing is written. The commands live by
group: ``data`` (datasets), ``evaluate`` (backtest, benchmark), ``statistical`` (analyze,
arima-search), ``neural`` (fit, forecast, kstep, explain), ``ltsf`` and ``tune``.
"""

from seqcast.cli import data, evaluate, ltsf, neural, statistical, tune  # noqa: F401 (registers)
from seqcast.cli.app import app, main

__all__ = ["app", "main"]

"""seqcast: forecasting with recurrent and convolutional networks, against honest baselines.

The public API, importable without PyTorch (it loads when a neural model trains):

>>> import seqcast
>>> board = seqcast.run_benchmark("co2")            # the main job: every model, ranked
>>> board.save("results/co2")                       # doctest: +SKIP
>>> data = seqcast.load_dataset("co2")
>>> result = seqcast.backtest(seqcast.create_model("seasonal_naive", season=52), data, "co2",
...                           start="1999-01-01", end="2000-12-31", horizon=4)
>>> result.metrics["mae"]  # doctest: +SKIP
"""

from seqcast.data.datasets import list_datasets, load_dataset
from seqcast.data.io import load_frame, prepare_frame
from seqcast.data.panel import load_panel, prepare_panel
from seqcast.data.sources import DataSource
from seqcast.engines import Engine
from seqcast.errors import SeqcastError
from seqcast.evaluation.backtest import BacktestResult, backtest
from seqcast.evaluation.benchmark import (
    Benchmark,
    PanelBenchmark,
    benchmark,
    panel_benchmark,
    run_benchmark,
)
from seqcast.evaluation.panel import PanelBacktestResult, panel_backtest
from seqcast.models.conformal import Conformal, Intervals
from seqcast.models.registry import create_model, list_models, load_model, register_model
from seqcast.tuning import TuneResult, tune
from seqcast.version import __version__

__all__ = [
    "BacktestResult",
    "Benchmark",
    "Conformal",
    "DataSource",
    "Engine",
    "Intervals",
    "PanelBacktestResult",
    "PanelBenchmark",
    "SeqcastError",
    "TuneResult",
    "__version__",
    "backtest",
    "benchmark",
    "create_model",
    "list_datasets",
    "list_models",
    "load_dataset",
    "load_frame",
    "load_model",
    "load_panel",
    "panel_backtest",
    "panel_benchmark",
    "prepare_frame",
    "prepare_panel",
    "register_model",
    "run_benchmark",
    "tune",
]

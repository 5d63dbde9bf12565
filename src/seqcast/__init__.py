"""seqcast: forecasting with recurrent and convolutional networks, against honest baselines.

The public API, importable without PyTorch:

>>> from seqcast import load_dataset, create_model, backtest
>>> data = load_dataset("co2")
>>> result = backtest(create_model("seasonal_naive", season=52), data, "co2",
...                   start="1999-01-01", end="2000-12-31", horizon=4)
>>> result.metrics["mae"]  # doctest: +SKIP
"""

from seqcast.data.datasets import list_datasets, load_dataset
from seqcast.data.io import load_frame, prepare_frame
from seqcast.errors import SeqcastError
from seqcast.evaluation.backtest import BacktestResult, backtest
from seqcast.models.registry import create_model, list_models, load_model, register_model

__all__ = [
    "BacktestResult",
    "SeqcastError",
    "backtest",
    "create_model",
    "list_datasets",
    "list_models",
    "load_dataset",
    "load_frame",
    "load_model",
    "prepare_frame",
    "register_model",
]
__version__ = "0.1.0"

"""Options several commands share, declared once, and the small parsers behind them.

``data_options`` gives a command the options that say where the data comes from
(``--dataset``, ``--csv``, ``--date-column``, ``--freq``, ``--fill``, ``--data-dir``,
``--id-column``); the command receives them as one ``source: DataSource``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from seqcast.data.datasets import DATA_DIR_VARIABLE
from seqcast.data.io import FILL_METHODS
from seqcast.data.sources import DataSource
from seqcast.engines import Engine
from seqcast.errors import SeqcastError
from seqcast.models.conformal import Intervals
from seqcast.models.registry import model_class

C = TypeVar("C", bound=Callable[..., Any])

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help=f"Folder holding dataset files (overrides ${DATA_DIR_VARIABLE})."
    ),
]
DATA_OPTIONS: dict[str, Any] = {
    "dataset": Annotated[
        str | None, typer.Option("--dataset", help="A built-in dataset (see `seqcast datasets`).")
    ],
    "csv": Annotated[
        Path | None,
        typer.Option("--csv", help="A CSV or Parquet file of your own (with --date-column)."),
    ],
    "date_column": Annotated[
        str | None,
        typer.Option("--date-column", help="The column of --csv holding the timestamps."),
    ],
    "freq": Annotated[
        str | None,
        typer.Option(
            "--freq", help="Frequency of --csv (D, h, W-SAT, ...); inferred when omitted."
        ),
    ],
    "fill": Annotated[
        str | None,
        typer.Option(
            "--fill",
            help=f"Fill missing values of --csv: {' or '.join(FILL_METHODS)}. "
            "By default they are an error.",
        ),
    ],
    "dayfirst": Annotated[
        bool | None,
        typer.Option(
            "--dayfirst/--monthfirst",
            help="How to read dates of --csv like 01/02/2020 when every one could be either "
            "(an error otherwise): day first, or month first.",
        ),
    ],
    "timezone": Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="The zone to read dates of --csv with a zone or an offset in (e.g. "
            "Europe/Paris); by default they are converted to UTC. Either way with a note.",
        ),
    ],
    "data_dir": DataDirOpt,
    "id_column": Annotated[
        str | None,
        typer.Option(
            "--id-column",
            help="The column of --csv naming each row's series: the file is a long table of "
            "many series (a panel).",
        ),
    ],
}


def data_options(*, required: bool = True, default: str | None = None) -> Callable[[C], C]:
    """Add the data-source options to a command, which takes them as ``source``.

    With neither ``--dataset`` nor ``--csv``: the dataset ``default`` when there is one,
    else None when the source is not ``required``, else an error.
    """
    return _options_as("source", DATA_OPTIONS, lambda values: _source(values, required, default))


def _options_as(
    name: str,
    options: dict[str, Any],
    build: Callable[[dict[str, Any]], Any],
    defaults: dict[str, Any] | None = None,
) -> Callable[[C], C]:
    """A decorator giving a command ``options`` (name: annotated type; default None unless
    ``defaults`` says) in place of its parameter ``name``, which gets ``build(their
    values)``."""

    def decorate(command: C) -> C:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != name]
        shared = [
            inspect.Parameter(
                option,
                inspect.Parameter.KEYWORD_ONLY,
                default=(defaults or {}).get(option),
                annotation=hint,
            )
            for option, hint in options.items()
        ]

        @functools.wraps(command)
        def with_options(**values: Any) -> Any:
            given = {option: values.pop(option) for option in options}
            return command(**{name: build(given)}, **values)

        with_options.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*own, *shared]
        )
        return with_options  # type: ignore[return-value]

    return decorate


def _source(options: dict[str, Any], required: bool, default: str | None) -> DataSource | None:
    dataset, csv = options["dataset"], options["csv"]
    if dataset is None and csv is None:
        if default is not None:
            dataset = default
        elif not required:
            return None
    return DataSource(
        dataset=dataset,
        csv=str(csv) if csv is not None else None,
        date_column=options["date_column"],
        freq=options["freq"],
        fill=options["fill"],
        data_dir=str(options["data_dir"]) if options["data_dir"] is not None else None,
        id_column=options["id_column"],
        dayfirst=options["dayfirst"],
        timezone=options["timezone"],
    )


StartOpt = Annotated[
    str | None,
    typer.Option(
        "--start", help="First date of the range holding each forecast's first step (+1)."
    ),
]
EndOpt = Annotated[
    str | None,
    typer.Option(
        "--end", help="Last date of that range (partial dates work: 2019-05 is all of May)."
    ),
]
WindowsOpt = Annotated[
    int | None,
    typer.Option(
        "--windows",
        min=1,
        help="A panel: forecast the last WINDOWS x HORIZON steps of every series, one "
        "window of HORIZON steps after another (default: the dataset's, else 1).",
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Local processes sharing the work (default 1), or the CPUs of a new local Ray "
        "cluster with --engine ray (default: all); at most 4 per CPU of this machine.",
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where independent work runs (a panel's series, refits over origins, search "
        "candidates, seeds): local (processes of this machine) or ray (a Ray cluster; "
        'pip install "seqcast[ray]").',
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="An existing Ray cluster for --engine ray: auto, HOST:6379 or ray://HOST:10001 "
        "(default: $RAY_ADDRESS, else a new cluster on this machine).",
    ),
]


GpusPerTaskOpt = Annotated[
    float | None,
    typer.Option(
        "--gpus-per-task",
        min=0,
        help="With --engine ray: the share of a GPU each neural task asks for (default 0.25 "
        "on a cluster with GPUs, else 0). Local --workers over several GPUs keep one each.",
    ),
]


ENGINE_OPTIONS: dict[str, Any] = {
    "workers": WorkersOpt,
    "engine": EngineOpt,
    "address": AddressOpt,
    "gpus_per_task": GpusPerTaskOpt,
}


def engine_options() -> Callable[[C], C]:
    """Add --workers, --engine, --address and --gpus-per-task to a command, which takes them
    as ``where``: the Engine they ask for (Engine checks them)."""
    return _options_as(
        "where",
        ENGINE_OPTIONS,
        lambda values: Engine(
            values["engine"], values["workers"], values["address"], values["gpus_per_task"]
        ),
        defaults={"engine": "local"},
    )


RefitOpt = Annotated[
    bool, typer.Option("--refit", help="Refit the model at every origin on the data up to it.")
]
TrainStartOpt = Annotated[
    str | None,
    typer.Option(
        "--train-start", help="First date any fit may use (default: the start of the data)."
    ),
]
SettingsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="A parameter as key=value (repeatable): the model's (--set season=7) or its "
        "training's (--set train.lr=0.003). benchmark and tune set it over every chosen "
        "model's defaults (train.* over the neural models'), ltsf over its preset.",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="A best.json from seqcast tune: its model with its settings (--set goes over them).",
    ),
]


def configured(
    config: Path | None, names: list[str] | None, settings: list[str] | None, option: str
) -> tuple[list[str] | None, list[str]]:
    """The models (``names``, as ``option`` named them) and ``--set`` settings a command
    runs; with ``--config`` its model, and its settings under those given."""
    if config is None:
        return names, list(settings or [])
    from seqcast.tuning import load_config

    if names is not None:
        raise SeqcastError(f"--config names its model; leave out {option}")
    tuned, tuned_settings = load_config(config)
    return [tuned], [*tuned_settings, *(settings or [])]


def integers(option: str, text: str) -> list[int]:
    """``"1,4,16"`` -> [1, 4, 16]; anything else is an error naming ``option``."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SeqcastError(f"{option} takes comma-separated integers, got {text!r}") from None
    if not values or any(v < 0 for v in values):
        raise SeqcastError(f"{option} takes comma-separated integers >= 0, got {text!r}")
    return values


def column_names(text: str) -> list[str]:
    """``"bus, rail"`` -> ["bus", "rail"] (--target)."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise SeqcastError("--target names no column")
    return names


def model_names(text: str | None) -> list[str] | None:
    """``--models a,b``: registered names, each once; None when the option is absent."""
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise SeqcastError("--models names no model")
    if len(set(names)) != len(names):
        raise SeqcastError(f"--models names a model twice: {text}")
    for name in names:
        model_class(name)  # unknown names fail here, listing the valid ones
    return names


def number(value: object) -> str:
    """A figure as a table shows it: 4 significant digits, thousands separated, n/a for NaN."""
    value = float(value)  # type: ignore[arg-type]
    if value != value:  # NaN
        return "n/a"
    if abs(value) < 1000:
        return f"{value:.4g}"
    return f"{value:,.1f}" if abs(value) < 1e7 else f"{value:.3e}"


LevelsOpt = Annotated[
    str | None,
    typer.Option(
        "--levels",
        help="Prediction intervals at these levels (percent, comma-separated), e.g. 80,95: "
        "forecast, scored (coverage, width, MSIS) and drawn as fan charts.",
    ),
]
IntervalsOpt = Annotated[
    str,
    typer.Option(
        "--intervals",
        help="Which intervals --levels takes: model (each model's own: baselines, SES, "
        "Theta, ARIMA, neural models trained with train.loss quantile/normal/student_t/"
        "negbin), conformal (from each model's errors on the --calibration origins before "
        "the forecasts) or auto (a model's own where it has them, else conformal).",
    ),
]
CalibrationOpt = Annotated[
    int,
    typer.Option(
        "--calibration",
        min=1,
        help="Conformal intervals: the origins whose errors calibrate them, at the end of "
        "the data fitted on (95 % intervals need at least 19).",
    ),
]
PoolOpt = Annotated[
    str,
    typer.Option(
        "--pool",
        help="Conformal intervals on a panel: series (each series' own errors) or panel "
        "(every series' errors over its MASE scale, ranked together).",
    ),
]


def interval_option(levels: str | None, how: str, calibration: int, pool: str) -> Intervals | None:
    """The Intervals that --levels, --intervals, --calibration and --pool ask for (None
    without --levels)."""
    if levels is None:
        return None
    try:
        values = [float(v) for v in levels.split(",") if v.strip()]
    except ValueError:
        raise SeqcastError(f"--levels takes comma-separated percentages, got {levels!r}") from None
    if pool not in ("series", "panel"):
        raise SeqcastError(f"--pool is series or panel, got {pool!r}")
    return Intervals(tuple(values), how, calibration, pool)  # type: ignore[arg-type]


DeviceOpt = Annotated[
    str | None,
    typer.Option(
        "--device",
        help="Where neural models train and forecast: auto (a CUDA GPU when torch sees one, "
        "else Apple's mps, else the CPU), cpu, cuda, cuda:N or mps (--set train.device=...).",
    ),
]
PrecisionOpt = Annotated[
    str | None,
    typer.Option(
        "--precision",
        help="Neural training's arithmetic: fp32, tf32 (GPU tensor cores) or bf16 (autocast "
        "on a GPU, oneDNN's bf16 products on a CPU) (--set train.precision=...).",
    ),
]


def training_settings(device: str | None, precision: str | None) -> list[str]:
    """``--device`` and ``--precision`` as the ``--set`` settings they stand for."""
    given = {"train.device": device, "train.precision": precision}
    return [f"{key}={value}" for key, value in given.items() if value is not None]

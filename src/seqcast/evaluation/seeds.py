"""Results over seeds: a neural model trained once per seed, its leaderboard row the mean
of those runs with their spread.

One run's figure says little (the same M4 Hourly mlp command gave OWA 0.454 on one machine
and 0.441 on another). ``seeded_models`` gives the models of one seed's run (a network's
``train.seed`` set; the statistical models, which draw nothing, in the first run only);
``over_seeds`` joins the boards of the runs: one row per model, every score the mean over
its seeds, the spread (sample standard deviation) of the ranking scores beside them
(``SPREAD``), how many seeds it ran, and every run's row in ``per_seed``. ``seed_means``
adds the ensemble over seeds: each network's forecasts averaged over its runs (interval
bounds too: the mean of the runs' quantiles), scored as a model of its own, MODEL-seed-mean.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TypeVar

import pandas as pd

from seqcast.errors import SeqcastError
from seqcast.evaluation.backtest import BacktestResult
from seqcast.evaluation.panel import PanelBacktestResult
from seqcast.models.base import Forecaster

SPREAD = {"owa": ("smape", "mase", "owa"), "mae": ("mae", "rmse")}  # by what a board ranks
MEAN_SUFFIX = "-seed-mean"  # the ensemble over seeds: its row's name after the model's
R = TypeVar("R", BacktestResult, PanelBacktestResult)
_SEED = r"(, )?train\.seed=-?\d+"  # a run's seed in a row's settings


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """The seeds as a list, refused when empty or repeated or not whole numbers."""
    chosen = list(seeds)
    if not chosen or any(isinstance(s, bool) or not isinstance(s, int) for s in chosen):
        raise SeqcastError(f"seeds must be one or more whole numbers, got {seeds!r}")
    if len(set(chosen)) != len(chosen):
        raise SeqcastError(f"seeds must differ, got {chosen}")
    return chosen


def trains_network(model: Forecaster) -> bool:
    """Whether ``model``'s result depends on a seed (it trains a network)."""
    return hasattr(model, "train") and hasattr(model.train, "seed")


def seeded_models(models: Sequence[Forecaster], seed: int, first: bool) -> list[Forecaster]:
    """The models of the run of ``seed``: each network with ``train.seed`` = seed; the
    others only in the ``first`` run."""
    chosen = []
    for model in models:
        if trains_network(model):
            copy = model.clone()
            copy.train = dataclasses.replace(copy.train, seed=seed)  # type: ignore[attr-defined]
            chosen.append(copy)
        elif first:
            chosen.append(model)
    return chosen


def over_seeds(
    boards: Sequence[pd.DataFrame], seeds: Sequence[int], by: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(board, per_seed): the boards of the runs (one per seed, in ``seeds``' order) as
    one, ranked by the mean of ``by``; a model that failed in every run it had is a row at
    the end with its first error."""
    rows = []
    for seed, board in zip(seeds, boards, strict=True):
        ran = board[board["rank"].notna()] if "rank" in board else board
        rows.append(ran.drop(columns="rank").assign(seed=seed))
    per_seed = pd.concat(rows, ignore_index=True)
    scores = [c for c in per_seed.columns if pd.api.types.is_float_dtype(per_seed[c])]
    counts = [  # origins, series, failures: the same in every run, kept whole
        c for c in per_seed.columns if c != "seed" and pd.api.types.is_integer_dtype(per_seed[c])
    ]
    grouped = per_seed.groupby("model", sort=False)
    board = grouped[scores].mean().join(grouped[counts].max())
    board = board[[c for c in per_seed.columns if c in scores or c in counts]]
    for column in SPREAD[by]:
        if column in per_seed:
            after = list(board.columns).index(column) + 1
            board.insert(after, f"{column}_sd", grouped[column].std(ddof=1))
    board["seeds"] = grouped["seed"].nunique()
    # the settings, less the first run's seed: the row is every seed's
    first = grouped["params"].first()
    board["params"] = first.str.replace(_SEED, "", regex=True)
    board = board.reset_index().sort_values(by, kind="mergesort", ignore_index=True)
    board.insert(0, "rank", range(1, len(board) + 1))
    never = {m: e for m, e in failures(boards).items() if m not in set(board["model"])}
    if never:
        errors = pd.DataFrame({"model": list(never), "error": list(never.values())})
        board = pd.concat([board, errors], ignore_index=True)
    return board, per_seed


def seed_means(
    runs: Sequence[Sequence[R]],
    models: Sequence[Forecaster],
    mean_of: Callable[[list[R], str], R],
) -> tuple[list[R], list[Forecaster]]:
    """(results, models): for each of ``models`` that ran in every one of two or more
    ``runs`` (each a list of results; a network, as the others run once), ``mean_of`` its
    runs' results, called MODEL-seed-mean."""
    means, networks = [], []
    for model in models:
        if len(runs) < 2:
            break
        mine = [next((r for r in run if r.model == model.name), None) for run in runs]
        if all(r is not None for r in mine):
            means.append(mean_of([r for r in mine if r is not None], model.name + MEAN_SUFFIX))
            networks.append(model)
    return means, networks


def with_seed_means(board: pd.DataFrame, rows: pd.DataFrame, by: str, seeds: int) -> pd.DataFrame:
    """The board over seeds (``over_seeds``) with the ensembles' ``rows`` (a leaderboard
    of the MODEL-seed-mean results) ranked among its models by ``by``; failed models stay
    last."""
    rows = rows.drop(columns="rank").assign(seeds=seeds)
    rows["params"] = rows["params"].str.replace(_SEED, "", regex=True)
    ran = board["rank"].notna()
    merged = pd.concat([board[ran].drop(columns="rank"), rows], ignore_index=True)
    merged = merged.sort_values(by, kind="mergesort", ignore_index=True)
    merged.insert(0, "rank", range(1, len(merged) + 1))
    columns = [*board.columns, *(c for c in rows.columns if c not in board.columns)]
    return pd.concat([merged, board[~ran]], ignore_index=True)[columns]


def failures(boards: Sequence[pd.DataFrame]) -> dict[str, str]:
    """The first error of each model that failed in some run (one that ran in others keeps
    its row, over the seeds it ran)."""
    failed: dict[str, str] = {}
    for board in boards:
        if "error" not in board:
            continue
        for row in board[board["error"].notna()].itertuples():
            failed.setdefault(str(row.model), str(row.error))
    return failed

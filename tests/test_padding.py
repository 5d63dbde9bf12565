"""Short series in global models are data, not errors: padded with a mask, trained on what
they have, and forecast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from seqcast import SeqcastError, create_model, load_model
from seqcast.data.panel import from_series
from seqcast.evaluation.panel import panel_backtest
from seqcast.models.padding import forecast_padding, pad_front, training_lengths

L, H = 12, 4


def test_pad_front_repeats_the_first_row_and_masks_it() -> None:
    stacked = np.array([[1, 1, 5], [2, 1, 5], [3, 1, 5], [10, 1, 6], [20, 1, 6]], dtype=float)
    padded = pad_front(stacked, np.array([3, 2]), np.array([1, 2]), mask=1)
    expected = [[1, 0, 5], [1, 1, 5], [2, 1, 5], [3, 1, 5], [10, 0, 6], [10, 0, 6], [10, 1, 6]]
    expected.append([20, 1, 6])
    assert padded.tolist() == expected
    assert pad_front(stacked, np.array([3, 2]), np.array([0, 0]), mask=1) is stacked
    # H + 1 to L + H - 1 rows: padded to one window; H rows or fewer: no window to pad to
    assert training_lengths(np.array([16, 15, 5, 4, 30]), L + H, H).tolist() == [16, 16, 16, 4, 30]
    origins, which = np.array([0, 2, 20, 3]), np.array([0, 0, 1, 2])
    assert forecast_padding(origins, which, 3, L).tolist() == [11, 0, 8]


def short_panel() -> pd.DataFrame:
    """Sines of period 6 on their own levels: 60 days, 10 days (H + 1 <= 10 < L + H) and 3
    days (3 <= H: no training window, still forecast)."""
    series = {}
    for key, (days, level) in {"long": (60, 10.0), "short": (10, 20.0), "tiny": (3, 40.0)}.items():
        t = np.arange(days)
        y = level * (1 + 0.3 * np.sin(2 * np.pi * t / 6))
        series[key] = pd.DataFrame(
            {"y": y}, index=pd.date_range("2024-03-01", periods=days, freq="D", name="day")
        )
    return from_series(series)


def quick(**extra: object) -> dict[str, object]:
    train = {"epochs": 40, "lr": 0.01, "patience": 40, "seed": 1, "valid_fraction": 0.0}
    return {"input_len": L, "horizon": H, "strategy": "direct", "train": train, **extra}


def test_a_global_model_trains_on_short_series_and_forecasts_every_one() -> None:
    panel = short_panel()
    model = create_model("mlp", hidden_size=32, **quick()).fit(panel, "y")
    channels = model.trained_.channels
    assert channels.masked and channels.width == 2 and channels.mask_column == 1
    assert model.padded_ == 2
    windows = model.windows(panel)
    # long: 60 - 12 - 4 + 1 = 45 windows; short, padded to 16 rows: 1; tiny: none
    assert len(windows) == 46 and np.bincount(windows.series).tolist() == [45, 1]
    x, _ = windows.batch(np.array([45]))  # the short series' window
    assert x[0, :, 1].tolist() == [0.0] * 6 + [1.0] * 6  # six rows of padding, masked
    assert (x[0, :7, 0] == x[0, 0, 0]).all()  # the first value, repeated
    forecast = model.predict(H)
    assert sorted(forecast.index.get_level_values(0).unique()) == ["long", "short", "tiny"]
    assert np.isfinite(forecast["y"].to_numpy()).all()
    truth = 10 * (1 + 0.3 * np.sin(2 * np.pi * np.arange(60, 64) / 6))
    assert np.abs(forecast.loc["long", "y"].to_numpy() - truth).mean() < 1.0


def test_a_panel_without_short_series_is_as_before() -> None:
    panel = short_panel().drop(index=["short", "tiny"], level=0)
    padded = create_model("linear", **quick()).fit(panel, "y")
    refused = create_model("linear", **quick(pad=False)).fit(panel, "y")
    assert not padded.trained_.channels.masked and padded.padded_ == 0
    assert np.array_equal(padded.predict(H).to_numpy(), refused.predict(H).to_numpy())


def test_masked_channels_survive_a_checkpoint(tmp_path: Path) -> None:
    panel = short_panel()
    model = create_model("linear", **quick()).fit(panel, "y")
    model.save(tmp_path / "model.pt")
    loaded = load_model(tmp_path / "model.pt", device="cpu")
    assert loaded.trained_.channels.masked
    assert np.array_equal(loaded.predict(H, history=panel).to_numpy(), model.predict(H).to_numpy())


def test_a_panel_backtest_reports_the_padded_series() -> None:
    panel = short_panel().drop(index="tiny", level=0)  # 3 steps cannot hold out 4 to score
    result = panel_backtest(create_model("linear", **quick()), panel, "y", H, season=6)
    # short keeps 6 steps before its test steps: padded to one window, forecast from padding
    assert result.padded == 1 and result.to_dict()["padded"] == 1
    assert result.n_series == 2 and np.isfinite(result.forecasts["forecast"]).all()
    with pytest.raises(SeqcastError, match="series 'short' has 10 steps; linear with 4 held"):
        panel_backtest(create_model("linear", **quick(pad=False)), panel, "y", H, season=6)


def test_cli_benchmark_of_a_panel_with_short_series(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "panel.csv"
    short_panel().drop(index="tiny", level=0).reset_index().to_csv(path, index=False)
    code, stdout, err = run_cli(
        [
            "benchmark",
            "--csv",
            str(path),
            "--id-column",
            "id",
            "--date-column",
            "day",
            "--target",
            "y",
            "--horizon",
            str(H),
            "--season",
            "6",
            "--models",
            "dlinear,nlinear",
            "--set",
            f"input_len={L}",
            "--out",
            str(tmp_path / "out"),
        ],
        capsys,
    )
    assert code == 0, err
    board = pd.read_csv(tmp_path / "out" / "leaderboard.csv").set_index("model")
    assert board.loc["dlinear", "padded"] == 1 and board.loc["nlinear", "padded"] == 1
    assert "padded" in stdout

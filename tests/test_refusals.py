"""Every bad input is one clear error that names it, never a traceback: training settings
out of range (checked before any data is read), arguments of the wrong type, horizons
beyond what a forecast or the date index can hold, damaged or unsafe checkpoints, and
calibrations longer than the data."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import run_cli

from seqcast import Conformal, SeqcastError, benchmark, create_model, load_model, prepare_frame


def days(n: int, unit: str = "us") -> pd.DataFrame:
    index = pd.date_range("2020-01-01", periods=n, freq="D", name="day", unit=unit)
    return pd.DataFrame({"y": np.sin(np.arange(n) / 5.0)}, index=index)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"weight_decay": -1}, "train: weight_decay must be 0 or more"),
        ({"momentum": -1}, r"train: momentum must lie in \[0, 1\)"),
        ({"huber_delta": 0}, "train: huber_delta must be a positive finite number"),
        ({"lr": float("inf")}, "train: lr must be a positive finite number"),
        ({"clip_norm": float("nan")}, "train: clip_norm must be a positive finite number"),
        ({"epochs": "two"}, "train: epochs must be an int, got 'two'"),
        ({"epochs": 2.5}, "train: epochs must be an int, got 2.5"),
        ({"epochs": True}, "train: epochs must be an int, got True"),
        ({"lr": "fast"}, "train: lr must be a float, got 'fast'"),
        ({"quantiles": ("a", 0.5)}, "train: quantiles must be numbers"),
        ({"average_epochs": 0}, "train: average_epochs must be at least 1"),
    ],
)
def test_training_settings_are_checked_when_the_model_is_made(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(SeqcastError, match=message):
        create_model("gru", train=settings)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("dlinear", {"kernel_size": 0}, "dlinear: kernel_size must be at least 1, got 0"),
        ("conv_gru", {"filters": 0}, "conv_gru: filters must be at least 1, got 0"),
        ("wavenet", {"filters": -1}, "wavenet: filters must be at least 1, got -1"),
        ("wavenet", {"dilations": (1, 0)}, "wavenet: dilations must be one or more numbers"),
        ("wavenet", {"dilations": ()}, "wavenet: dilations must be one or more numbers"),
        ("gru", {"hidden_size": 0}, "gru: hidden_size must be at least 1, got 0"),
        ("mlp", {"num_layers": 0}, "mlp: num_layers must be at least 1, got 0"),
    ],
)
def test_sizes_below_one_are_refused(name: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(SeqcastError, match=message):
        create_model(name, **params)


def test_the_cli_checks_settings_before_reading_any_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    absent = str(tmp_path / "absent.csv")
    for setting, said in [
        ("train.weight_decay=-1", "weight_decay must be 0 or more"),
        ("kernel_size=0", "kernel_size must be at least 1"),
        ("train.epochs=two", "'train.epochs' must be an int, got 'two'"),
    ]:
        args = ["fit", "--csv", absent, "--date-column", "day", "--target", "y"]
        args += ["--out", str(tmp_path / "out")]
        code, _, err = run_cli([*args, "--model", "dlinear", "--set", setting], capsys)
        assert code == 1 and said in err and "absent.csv" not in err, err


def test_arguments_of_the_wrong_type_are_named() -> None:
    data = days(100)
    with pytest.raises(SeqcastError, match="the data has no column 3; its columns are: y"):
        create_model("naive").fit(data, 3)  # type: ignore[arg-type]
    assert create_model("naive").fit(data).targets_ == ["y"]  # no targets: every column
    with pytest.raises(SeqcastError, match="the data has two columns named 'y'"):
        create_model("naive").fit(pd.concat([data, data], axis=1), "y")
    with pytest.raises(SeqcastError, match="expected a pandas DataFrame, got Series"):
        prepare_frame(data["y"])  # type: ignore[arg-type]
    with pytest.raises(SeqcastError, match="positive integer, got 2.0"):
        create_model("naive").fit(data, "y").predict(2.0)  # type: ignore[arg-type]
    with pytest.raises(SeqcastError, match="target 'y' is named twice"):
        create_model("naive").fit(data, ["y", "y"])
    with pytest.raises(SeqcastError, match="origins must be whole row numbers, got 1.5"):
        create_model("naive").fit(data, "y").forecast_origins(data, [1.5], 2)
    with pytest.raises(SeqcastError, match="arima: parameter 'order' must be a tuple or list"):
        create_model("arima", order="1,1,1")
    with pytest.raises(SeqcastError, match="a checkpoint's path is a str or a Path, got 3"):
        load_model(3)  # type: ignore[arg-type]
    with pytest.raises(SeqcastError, match="no models to compare: give at least one"):
        benchmark([], data, "y", "2020-03-01", "2020-03-05", 1)


def test_one_interval_level_may_be_a_number() -> None:
    model = create_model("naive").fit(days(100), "y")
    pd.testing.assert_frame_equal(
        model.predict_interval(3, levels=95), model.predict_interval(3, levels=[95])
    )
    assert list(model.predict_interval(3, levels=95).columns) == ["y", "y_lo_95", "y_hi_95"]
    with pytest.raises(SeqcastError, match="levels must be a number or a list of numbers"):
        model.predict_interval(3, levels="95")  # type: ignore[arg-type]
    with pytest.raises(SeqcastError, match="an interval level must be a number, got '80'"):
        model.predict_interval(3, levels=[95, "80"])  # type: ignore[list-item]


def test_horizons_past_what_can_be_forecast_are_refused_at_once() -> None:
    model = create_model("naive").fit(days(100), "y")
    clock = time.perf_counter()
    with pytest.raises(SeqcastError, match=r"1,000,000,000 steps .*\(at most 100,000\)"):
        model.predict(10**9)
    assert time.perf_counter() - clock < 5  # refused, not attempted
    assert len(model.predict(100_000)) == 100_000  # microsecond dates reach year 2293
    nanoseconds = create_model("naive").fit(days(100, unit="ns"), "y")
    with pytest.raises(SeqcastError, match=r"runs past the last date pandas can hold in ns"):
        nanoseconds.predict(100_000)  # 2020 + 100,000 days is past 2262-04-11
    assert len(nanoseconds.predict(80_000)) == 80_000  # 2239: still inside


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--horizon", "0"], "invalid value for '--horizon'"),
        (["--horizon", "3", "--levels", "80", "--calibration", "0"], "'--calibration'"),
        (["--horizon", "many"], "invalid value for '--horizon'"),
    ],
)
def test_a_value_out_of_range_is_an_error_line(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ["--checkpoint", str(tmp_path / "model.pt"), "--out", str(tmp_path / "f")]
    code, _, err = run_cli(["forecast", *out, *args], capsys)
    assert code == 1 and err.startswith("error: ") and message in err, err
    assert "Usage" not in err


def test_tune_with_no_trials_is_an_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["tune", "--model", "mlp", "--trials", "0"], capsys)
    assert code == 1 and "error: invalid value for '--trials'" in err


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("checkpoint") / "model.pt"
    create_model("mlp", input_len=10, train={"epochs": 1}).fit(days(120), "y").save(path)
    return path


def test_a_checkpoint_missing_any_part_loads_or_is_refused_as_damaged(
    checkpoint: Path, tmp_path: Path
) -> None:
    payload = torch.load(checkpoint, weights_only=True)
    refused = set()
    for key in payload:
        cut = tmp_path / f"without_{key}.pt"
        torch.save({k: v for k, v in payload.items() if k != key}, cut)
        try:
            load_model(cut).predict(3, history=days(120))
        except SeqcastError as error:
            assert str(cut) in str(error)
            refused.add(key)
    needed = {"kind", "format_version", "model", "params", "targets", "freq", "state_dict"}
    assert needed <= refused
    torch.save({**payload, "state_dict": {"net.0.weight": torch.zeros(3)}}, tmp_path / "odd.pt")
    with pytest.raises(SeqcastError, match="odd.pt: the weights do not fit a mlp"):
        load_model(tmp_path / "odd.pt")
    resume = {k: v for k, v in payload["resume"].items() if k != "optimizer"}
    torch.save({**payload, "resume": resume}, tmp_path / "no_optimizer.pt")
    again = create_model("mlp", input_len=10, train={"epochs": 2})
    with pytest.raises(SeqcastError, match="no_optimizer.pt is damaged: .*optimizer"):
        again.fit(days(120), "y", resume=tmp_path / "no_optimizer.pt")


class Payload:  # pickled by reference: loading it would import and run code
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("ran",))


def test_an_unsafe_or_misplaced_checkpoint_says_so_in_plain_words(
    checkpoint: Path, tmp_path: Path
) -> None:
    unsafe = tmp_path / "unsafe.pt"
    torch.save({"kind": "seqcast-checkpoint", "x": Payload()}, unsafe, pickle_module=pickle)
    with pytest.raises(SeqcastError) as refused:
        load_model(unsafe)
    said = str(refused.value)
    assert "loading would run as code" in said and "weights_only" not in said
    assert "\x1b" not in said
    with pytest.raises(SeqcastError, match=r"is a directory, not a file; did you mean .*model.pt"):
        load_model(checkpoint.parent)
    with pytest.raises(SeqcastError, match=r"is a directory; save to a file, such as .*model.pt"):
        load_model(checkpoint).save(checkpoint.parent)
    with pytest.raises(SeqcastError, match=r"empty is a directory, not a file$"):
        load_model(Path(tmp_path / "empty").mkdir() or tmp_path / "empty")


def test_a_calibration_longer_than_the_data_says_how_many_origins_fit() -> None:
    fitted = create_model("naive").fit(days(200), "y")
    with pytest.raises(
        SeqcastError,
        match=r"500 calibration origins of 3 steps need 503 observed steps; lower the origins "
        r"\(--calibration\): at most 197 fit in 200 steps",
    ):
        Conformal.calibrated(fitted, days(200), 3, origins=500)
    wrapper = Conformal.calibrated(fitted, days(200), 3, origins=197)  # exactly fits
    assert wrapper.predict_interval(3, levels=90).shape == (3, 3)


def test_data_without_the_models_target_is_named(
    checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = days(60).rename(columns={"y": "z"})
    other.to_csv(tmp_path / "z.csv")
    ask = ["forecast", "--checkpoint", str(checkpoint), "--horizon", "3", "--csv"]
    code, _, err = run_cli([*ask, str(tmp_path / "z.csv"), "--date-column", "day"], capsys)
    assert code == 1 and "/z.csv has no column 'y'; its columns are: z" in err
    other.assign(y="a").to_csv(tmp_path / "text.csv")
    code, _, err = run_cli([*ask, str(tmp_path / "text.csv"), "--date-column", "day"], capsys)
    assert (
        code == 1
        and "column 'y' of " in err
        and "text.csv is not numeric: 'a' at 2020-01-01" in err
    )

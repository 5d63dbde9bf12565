"""Training that stops and goes on: an interrupted fit (between epochs, inside one, in the
middle of an ensemble) resumes to exactly the weights and history of the run that was never
stopped, a finished fit trains on from its checkpoint, and checkpoints that cannot resume
say why."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seqcast import SeqcastError, create_model, load_model
from seqcast.models.neural import NeuralForecaster
from seqcast.models.rnn import GRU
from seqcast.training import History

RESUMABLE = {  # dropout in both generators' way: between fused layers, and per-step masks
    "gru": {"num_layers": 2, "dropout": 0.2},
    "rnn": {"recurrent_dropout": 0.2},
}


def resumable(name: str, epochs: int) -> dict[str, object]:
    train = {"epochs": epochs, "seed": 3, "patience": 100, "batch_size": 64}
    return {"input_len": 10, **RESUMABLE[name], "train": train}


def assert_same_training(a: NeuralForecaster, b: NeuralForecaster) -> None:
    ours, theirs = a.trained_.module.state_dict(), b.trained_.module.state_dict()
    assert list(ours) == list(theirs)
    for key, value in ours.items():
        assert torch.equal(value, theirs[key]), key
    assert a.trained_.history.train_loss == b.trained_.history.train_loss
    assert a.trained_.history.valid_mae == b.trained_.history.valid_mae
    assert a.trained_.history.best_epoch == b.trained_.history.best_epoch


def stop_after(epochs: int):  # an on_epoch callback: Ctrl-C once `epochs` epochs are done
    def check(history: History) -> None:
        if history.epochs == epochs:
            raise KeyboardInterrupt

    return check


def interrupted_and_resumed(
    name: str, settings: dict[str, object], data: pd.DataFrame, path: Path, after: int
) -> tuple[NeuralForecaster, NeuralForecaster]:
    """(the uninterrupted fit of ``name`` on ``data``'s y, the fit stopped by Ctrl-C after
    ``after`` epochs, saved to ``path``, then resumed from there)."""
    whole = create_model(name, **settings).fit(data, "y")
    with pytest.raises(KeyboardInterrupt):
        create_model(name, **settings).fit(
            data, "y", interrupt_checkpoint=path, on_epoch=stop_after(after)
        )
    resumed = create_model(name, **settings).fit(data, "y", resume=path)
    assert isinstance(whole, NeuralForecaster) and isinstance(resumed, NeuralForecaster)
    return whole, resumed


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_an_interrupted_fit_resumes_to_the_uninterrupted_weights(
    name: str, wave: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "interrupted.pt"
    whole, resumed = interrupted_and_resumed(name, resumable(name, 6), wave, path, 3)
    saved = load_model(path)  # the interrupted run, which resuming left as it was
    assert saved.trained_.history.epochs == 3 and saved.trained_.history.stopped == "interrupted"
    assert resumed.trained_.history.epochs == 6
    assert_same_training(resumed, whole)


def test_an_interrupted_fit_that_averages_epochs_resumes_to_the_same_average(
    wave: pd.DataFrame, tmp_path: Path
) -> None:
    settings = resumable("gru", 6)
    settings["train"] = {**settings["train"], "average_epochs": 3}  # type: ignore[dict-item]
    whole, resumed = interrupted_and_resumed("gru", settings, wave, tmp_path / "run.pt", 4)
    assert len(resumed.trained_.history.averaged) == 3
    assert resumed.trained_.history.averaged == whole.trained_.history.averaged
    assert_same_training(resumed, whole)


def test_an_interrupted_ensemble_resumes_member_by_member(
    wave: pd.DataFrame, tmp_path: Path
) -> None:
    settings = {**resumable("gru", 3), "ensemble": 3}
    whole = create_model("gru", **settings).fit(wave, "y")
    path = tmp_path / "interrupted.pt"
    epochs = itertools.count(1)

    def stop_in_member_2(history: History) -> None:  # 3 epochs a member: member 2, epoch 2
        if next(epochs) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        create_model("gru", **settings).fit(
            wave, "y", interrupt_checkpoint=path, on_epoch=stop_in_member_2
        )
    assert load_model(path).trained_.history.epochs == 3  # member 1's finished history
    calls = itertools.count(1)

    def stop_in_member_3(history: History) -> None:  # the resumed run: member 3, epoch 1
        if next(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        create_model("gru", **settings).fit(
            wave, "y", resume=path, interrupt_checkpoint=path, on_epoch=stop_in_member_3
        )
    resumed = create_model("gru", **settings).fit(wave, "y", resume=path)
    assert_same_training(resumed, whole)


def test_an_interrupt_inside_an_epoch_rolls_back_to_the_epoch_before(
    wave: pd.DataFrame, tmp_path: Path
) -> None:
    class InterruptedGRU(GRU):  # the same model, interrupted at its 8th forward pass
        def build(self, n_inputs: int, n_targets: int) -> torch.nn.Module:
            module = super().build(n_inputs, n_targets)
            calls = itertools.count(1)

            def hook(*_: object) -> None:
                # 232 training windows in 4 batches + 1 validation pass = 5 calls an epoch
                if next(calls) == 8:  # epoch 2, its third batch
                    raise KeyboardInterrupt

            module.register_forward_pre_hook(hook)
            return module

    settings = resumable("gru", 5)
    whole = create_model("gru", **settings).fit(wave, "y")
    path = tmp_path / "interrupted.pt"
    with pytest.raises(KeyboardInterrupt):
        InterruptedGRU(**settings).fit(wave, "y", interrupt_checkpoint=path)  # type: ignore[arg-type]
    assert load_model(path).trained_.history.epochs == 1  # the half-done second epoch is not kept
    resumed = create_model("gru", **settings).fit(wave, "y", resume=path)
    assert_same_training(resumed, whole)


def test_a_finished_fit_trains_on_from_its_checkpoint(wave: pd.DataFrame, tmp_path: Path) -> None:
    whole = create_model("gru", **resumable("gru", 5)).fit(wave, "y")
    path = tmp_path / "three.pt"
    create_model("gru", **resumable("gru", 3)).fit(wave, "y").save(path)
    longer = create_model("gru", **resumable("gru", 5)).fit(wave, "y", resume=path)
    assert_same_training(longer, whole)


def test_a_fit_leaves_the_callers_random_generators_alone(wave: pd.DataFrame) -> None:
    random.seed(11)
    np.random.seed(11)
    torch.manual_seed(11)
    expected = (random.random(), np.random.random(), torch.rand(1).item())
    random.seed(11)
    np.random.seed(11)
    torch.manual_seed(11)
    create_model("gru", **resumable("gru", 2)).fit(wave, "y").predict(3)
    assert (random.random(), np.random.random(), torch.rand(1).item()) == expected


def test_checkpoint_errors(wave: pd.DataFrame, tmp_path: Path) -> None:
    model = create_model("gru", **resumable("gru", 2)).fit(wave, "y")
    path = tmp_path / "gru.pt"
    model.save(path)
    other = dict(resumable("gru", 2), hidden_size=8)
    with pytest.raises(SeqcastError, match="different model or parameters"):
        create_model("gru", **other).fit(wave, "y", resume=path)
    with pytest.raises(SeqcastError, match=r"cannot resume on this data: it was trained on y "):
        create_model("gru", **resumable("gru", 3)).fit(wave.iloc[:250], "y", resume=path)
    with pytest.raises(SeqcastError, match="it was trained on other values of y from"):
        create_model("gru", **resumable("gru", 3)).fit(wave * 2, "y", resume=path)
    with pytest.raises(SeqcastError, match=r"trained on y from .*, this data is w from"):
        renamed = wave.rename(columns={"y": "w"})
        create_model("gru", **resumable("gru", 3)).fit(renamed, "w", resume=path)
    payload = torch.load(path, weights_only=True)
    torch.save({**payload, "resume": None}, tmp_path / "bare.pt")
    with pytest.raises(SeqcastError, match="holds no training state to resume from"):
        create_model("gru", **resumable("gru", 2)).fit(wave, "y", resume=tmp_path / "bare.pt")
    torch.save({**payload, "format_version": 1}, tmp_path / "old.pt")
    with pytest.raises(SeqcastError, match="has checkpoint format 1; this seqcast reads format 2"):
        load_model(tmp_path / "old.pt")
    (tmp_path / "cut.pt").write_bytes(path.read_bytes()[:200])
    with pytest.raises(SeqcastError, match="cannot read checkpoint .*cut.pt"):
        load_model(tmp_path / "cut.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(SeqcastError, match="not a seqcast checkpoint"):
        load_model(tmp_path / "other.pt")
    with pytest.raises(SeqcastError, match="checkpoint not found"):
        load_model(tmp_path / "absent.pt")

"""Recursive networks that carry their state: ``encode`` a window once, then ``step`` a row at
a time, give what the network computes on the whole sequence at once."""

import pytest
import torch

from seqcast.networks import steppable
from seqcast.networks.ensemble import MeanOf
from seqcast.networks.heads import StudentTHead
from seqcast.networks.highway import Highway
from seqcast.networks.norms import SeriesEmbedding, WindowNormalised
from seqcast.networks.recurrent import Lagged, RecurrentNet

WINDOW, TOTAL = 7, 12


def _deepar_like(norm: str, seed: int) -> WindowNormalised:
    """A DeepAR-shaped stack: 2 targets, 1 feature, a series number; lags 2 and 5."""
    torch.manual_seed(seed)
    head = StudentTHead()
    net = RecurrentNet(3 + 4 + 4, 8, 2 * head.params, cell="lstm", num_layers=2)
    return WindowNormalised(SeriesEmbedding(Lagged(net, (2, 5), 2), 3, 4), norm, 2, 2, head)


def _rows() -> torch.Tensor:
    """(4, TOTAL, 4): two targets, a feature, the series number (constant per row)."""
    torch.manual_seed(1)
    x = torch.randn(4, TOTAL, 4) + 3.0
    x[..., 3] = torch.tensor([0.0, 1.0, 2.0, 1.0])[:, None]
    return x


def _stepped(module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """(B, TOTAL, O): the window's outputs, then one step per later row."""
    out, state = module.encode(x[:, :WINDOW])
    outs = [out]
    for t in range(WINDOW, TOTAL):
        out, state = module.step(x[:, t : t + 1], state)
        assert out.shape[1] == 1
        outs.append(out)
    return torch.cat(outs, dim=1)


@pytest.mark.parametrize("norm", ["none", "mean", "revin", "last"])
def test_steps_match_the_whole_sequence_scaled_by_the_first_window(norm: str) -> None:
    module = _deepar_like(norm, seed=0).eval()
    x = _rows()
    with torch.no_grad():
        stepped = _stepped(module, x)
        # The reference: the whole sequence at once, every row normalised with the
        # statistics of the first WINDOW rows (what a recursive forecast keeps).
        _, stats = module.norm(x[:, :WINDOW, :2])
        z = module.norm.normalise(x[..., :2], stats)
        whole = module._restored(module.net(torch.cat([z, x[..., 2:]], dim=-1)), stats)
        window = module(x[:, :WINDOW])
    assert stepped.shape == whole.shape == (4, TOTAL, 3 * 2)  # 3 Student-t parameters per target
    torch.testing.assert_close(stepped, whole, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(stepped[:, :WINDOW], window, rtol=1e-5, atol=1e-5)
    if norm == "none":
        torch.testing.assert_close(stepped, module(x), rtol=1e-5, atol=1e-5)


def test_a_highway_steps_with_its_last_rows() -> None:
    torch.manual_seed(0)
    head = StudentTHead()
    net = RecurrentNet(3 + 4 + 4, 8, 2 * head.params, cell="lstm", num_layers=2)
    highway = Highway(Lagged(net, (2, 5), 2), window=4, num_targets=2, num_outputs=6)
    with torch.no_grad():
        highway.linear.weight.normal_()  # a map that is not zero, so it is seen
    module = WindowNormalised(SeriesEmbedding(highway, 3, 4), "mean", 2, 2, head).eval()
    x = _rows()
    assert steppable(module)
    with torch.no_grad():
        _, stats = module.norm(x[:, :WINDOW, :2])
        z = module.norm.normalise(x[..., :2], stats)
        whole = module._restored(module.net(torch.cat([z, x[..., 2:]], dim=-1)), stats)
        torch.testing.assert_close(_stepped(module, x), whole, rtol=1e-5, atol=1e-5)


def test_an_ensemble_steps_every_member() -> None:
    members = MeanOf([_deepar_like("none", seed=0), _deepar_like("none", seed=5)]).eval()
    assert steppable(members)
    x = _rows()
    with torch.no_grad():
        torch.testing.assert_close(_stepped(members, x), members(x), rtol=1e-5, atol=1e-5)


def test_only_forward_recurrent_networks_step() -> None:
    assert steppable(RecurrentNet(3, 8, 1, cell="gru"))
    assert not steppable(RecurrentNet(3, 8, 1, cell="gru", bidirectional=True))
    assert not steppable(torch.nn.Linear(3, 1))

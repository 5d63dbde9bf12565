"""SegRNN: the shape chain, bad segment lengths, PMF against the reference's repeated form,
RMF, the normalisations, and the paper configuration's parameter count."""

from __future__ import annotations

import pytest
import torch

from seqcast import SeqcastError, create_model
from seqcast.explain import explain


def net(channels: int = 7, **params: object) -> torch.nn.Module:
    return create_model("segrnn", **params).build(channels, channels)


def test_explain_gives_the_shape_chain_of_the_seed_notes() -> None:
    params = {"input_len": 60, "seg_len": 12, "hidden_size": 512}
    result = explain("segrnn", batch=16, channels=7, horizon=24, params=params)
    shapes = {s.name: s.shapes for s in result.stages}
    assert result.input_shape == [16, 60, 7]
    assert shapes["segment"] == [[112, 5, 12]]  # B*C = 112 series of n = 5 segments of w = 12
    assert shapes["embed"] == [[112, 5, 512]]
    assert shapes["encoder"] == [[1, 112, 512]]  # h_n
    assert shapes["decoder"] == [[112, 2, 512]]  # m = 24 / 12 = 2 segments decoded at once
    assert shapes["head"] == [[112, 2, 12]]
    assert shapes["unsegment"] == [[16, 24, 7]]
    assert result.forecast_shape == [16, 24, 7]
    # Linear(12, 512) + GRU(512, 512) + positions 2 x 256 + channels 7 x 256 + Linear(512, 12)
    expected = (12 * 512 + 512) + 2 * 3 * 512 * (512 + 1) + 2 * 256 + 7 * 256 + (512 * 12 + 12)
    assert result.params == expected


def test_paper_configuration_has_the_reference_parameter_count() -> None:
    # The reference code reports 1,603,864 parameters for ETTh1, L = 720, H = 96.
    model = net(input_len=720, horizon=96, seg_len=24, hidden_size=512)
    assert sum(p.numel() for p in model.parameters()) == 1_603_864


@pytest.mark.parametrize(("length", "horizon"), [(60, 24), (48, 20)])
def test_segment_length_must_divide_window_and_horizon(length: int, horizon: int) -> None:
    with pytest.raises(SeqcastError, match=f"seg_len 16 must divide input_len {length}"):
        create_model("segrnn", input_len=length, horizon=horizon, seg_len=16)
    with pytest.raises(SeqcastError, match="strategy=direct"):
        create_model("segrnn", input_len=48, horizon=24, seg_len=12, strategy="recursive")
    with pytest.raises(SeqcastError, match="'decoder' must be 'pmf' or 'rmf'"):
        create_model("segrnn", input_len=48, horizon=24, seg_len=12, decoder="tree")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("decoder", ["pmf", "rmf"])
def test_output_shapes_of_both_decoders(cell: str, decoder: str) -> None:
    model = net(input_len=48, horizon=36, seg_len=12, hidden_size=16, cell=cell, decoder=decoder)
    out = model(torch.randn(5, 48, 7))
    assert out.shape == (5, 1, 36 * 7)
    out.sum().backward()  # every parameter takes part
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("channel_id", [True, False])
def test_pmf_equals_the_reference_repeated_form(cell: str, channel_id: bool) -> None:
    """The reference repeats h_n m times and runs the RNN over B*C*m one-step sequences;
    the broadcast form must give the same forecasts."""
    torch.manual_seed(0)
    b, length, horizon, c, w, d = 3, 48, 36, 4, 12, 10
    model = net(
        c,
        input_len=length,
        horizon=horizon,
        seg_len=w,
        hidden_size=d,
        cell=cell,
        channel_id=channel_id,
    ).eval()
    x = torch.randn(b, length, c)
    m = horizon // w
    last = x[:, -1:, :]
    segments = (x - last).permute(0, 2, 1).reshape(b * c, length // w, w)
    rnn = model.encoder.rnn
    _, state = rnn(model.embed(segments))
    pos, chan = model.decoder.pos_emb, model.decoder.channel_emb
    if channel_id:
        queries = (
            torch.cat([pos.unsqueeze(0).repeat(c, 1, 1), chan.unsqueeze(1).repeat(1, m, 1)], dim=-1)
            .view(-1, 1, d)
            .repeat(b, 1, 1)
        )  # (B*C*m, 1, d)
    else:
        queries = pos.repeat(b * c, 1).unsqueeze(1)

    def repeat(s: torch.Tensor) -> torch.Tensor:
        return s.repeat(1, 1, m).view(1, -1, d)  # (1, B*C*m, d)

    start = tuple(repeat(s) for s in state) if cell == "lstm" else repeat(state)
    _, h_y = rnn(queries, start)
    h_y = h_y[0] if cell == "lstm" else h_y
    expected = model.head(h_y).view(b, c, horizon).permute(0, 2, 1) + last
    with torch.no_grad():
        got = model(x).view(b, horizon, c)
    torch.testing.assert_close(got, expected.detach(), rtol=1e-5, atol=1e-5)


def test_rmf_feeds_each_segment_back() -> None:
    torch.manual_seed(1)
    model = net(2, input_len=24, horizon=24, seg_len=8, hidden_size=6, decoder="rmf").eval()
    x = torch.randn(2, 24, 2)
    last = x[:, -1:, :]
    segments = (x - last).permute(0, 2, 1).reshape(4, 3, 8)
    _, h = model.encoder.rnn(model.embed(segments))
    pieces = []
    for _ in range(3):
        piece = model.head(h[0])  # (B*C, w)
        pieces.append(piece)
        _, h = model.encoder.rnn(model.embed(piece)[:, None], h)
    expected = torch.stack(pieces, 1).reshape(2, 2, 24).transpose(1, 2) + last
    with torch.no_grad():
        torch.testing.assert_close(model(x).view(2, 24, 2), expected.detach())


def test_last_value_norm_shifts_and_revin_scales_with_the_input() -> None:
    torch.manual_seed(2)
    x = torch.randn(4, 24, 3)
    shifted = net(3, input_len=24, horizon=12, seg_len=12, hidden_size=8).eval()
    with torch.no_grad():
        torch.testing.assert_close(shifted(x + 5.0), shifted(x) + 5.0, rtol=0, atol=1e-5)
    revin = net(3, input_len=24, horizon=12, seg_len=12, hidden_size=8, norm="revin").eval()
    with torch.no_grad():
        torch.testing.assert_close(revin(3 * x + 5.0), 3 * revin(x) + 5.0, rtol=1e-4, atol=1e-4)

"""The recurrent step math, written once: the new state from the two projections of a step.

Symbols: d hidden size, G = gates × d (rnn 1, gru 3, lstm 4). ``gi = W_ih x + b_ih`` and
``gh = W_hh h + b_hh`` are (..., G), in torch's gate order (GRU: r, z, n; LSTM: i, f, g, o),
so the weights of ``nn.RNN``/``nn.GRU``/``nn.LSTM`` plug in unchanged. The step loops of the
recurrent layers, SegRNN's decoder and the sequence-level GRU all call these functions.

    rnn:  h' = tanh(gi + gh)                    (LayerNorm before tanh in the LN cell)
    gru:  r, z = σ(gi_r + gh_r), σ(gi_z + gh_z);  n = tanh(gi_n + r ⊙ gh_n);  h' = n + z ⊙ (h - n)
    lstm: c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g);  h' = σ(o) ⊙ tanh(c'),  with (i, f, g, o) = gi + gh
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

GATES = {"rnn": 1, "gru": 3, "lstm": 4}

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]  # h, or (h, c) for an LSTM


def rnn_step(
    gi: torch.Tensor,
    gh: torch.Tensor,
    norm: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """h' (..., d) of the tanh RNN; ``norm`` (a LayerNorm) goes between the sum and tanh."""
    z = gi + gh
    return torch.tanh(z if norm is None else norm(z))


class GRUBuffers(NamedTuple):
    """Where ``gru_update`` writes one step (views into a loop's per-sequence buffers):
    h' (B, d), rz = [r ; z] (B, 2d) with r and z its two halves, n (B, d)."""

    h: torch.Tensor
    rz: torch.Tensor
    r: torch.Tensor
    z: torch.Tensor
    n: torch.Tensor


def gru_update(
    rz_in: torch.Tensor,
    gi_n: torch.Tensor,
    gh_n: torch.Tensor,
    h: torch.Tensor,
    out: GRUBuffers | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The GRU step from ``rz_in`` = (gi + gh)[..., :2d] (a loop may fuse that sum into its
    matrix product), gi_n and gh_n (..., d). Returns h' with the gates the backward pass
    needs, rz (..., 2d) and n; ``out`` writes them in place instead of allocating."""
    rz = torch.sigmoid(rz_in, out=None if out is None else out.rz)
    r, z = rz.chunk(2, dim=-1) if out is None else (out.r, out.z)
    n = torch.tanh(torch.addcmul(gi_n, r, gh_n), out=None if out is None else out.n)
    if h.dtype != n.dtype:  # under autocast the state may come from a layer of another dtype
        h = h.to(n.dtype)
    return torch.lerp(n, h, z, out=None if out is None else out.h), rz, n  # n + z ⊙ (h - n)


def gru_step(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """h' (..., d) of the GRU."""
    d = h.shape[-1]
    return gru_update(gi[..., : 2 * d] + gh[..., : 2 * d], gi[..., 2 * d :], gh[..., 2 * d :], h)[0]


def lstm_step(
    gi: torch.Tensor, gh: torch.Tensor, c: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(h', c'), each (..., d)."""
    i, f, g, o = (gi + gh).chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def step(
    cell: str,
    gi: torch.Tensor,
    gh: torch.Tensor,
    state: State,
    norm: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> State:
    """The new state of ``cell`` (``rnn``, ``gru`` or ``lstm``) from ``state``: h, or (h, c)."""
    if cell == "lstm":
        assert isinstance(state, tuple)
        return lstm_step(gi, gh, state[1])
    assert isinstance(state, torch.Tensor)
    if cell == "gru":
        return gru_step(gi, gh, state)
    return rnn_step(gi, gh, norm)

"""A single-layer GRU over a whole sequence as one autograd function (CPU training speed).

Symbols: B batch, L steps, C inputs, d hidden size.

torch's CPU GRU records every step's small operations in the autograd graph, and at
ridership size (B 32, L 56, d 32) that bookkeeping, not arithmetic, is the epoch time.
Here the forward runs the L steps of ``seqcast.networks.cells.gru_update`` without a graph
and keeps the gates; the backward walks the steps in reverse with the GRU's derivative
written out, and forms the weight gradients with one matrix product over all steps. Same
parameters and equations as ``nn.GRU``:

    r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))      h' = (1 - z) ⊙ n + z ⊙ h
"""

from __future__ import annotations

from typing import Any

import torch

from seqcast.networks.cells import GRUBuffers, gru_update


class GRUSequence(torch.autograd.Function):
    """Inputs: x (B, L, C), w_ih (3d, C), w_hh (3d, d), b_ih (3d,), b_hh (3d,).
    Outputs: the hidden states (B, L, d), starting from h = 0."""

    @staticmethod
    def forward(
        ctx: Any,
        x: torch.Tensor,
        w_ih: torch.Tensor,
        w_hh: torch.Tensor,
        b_ih: torch.Tensor,
        b_hh: torch.Tensor,
    ) -> torch.Tensor:
        batch, length, _ = x.shape
        hidden = w_hh.shape[1]
        gi = torch.addmm(b_ih, x.reshape(-1, x.shape[-1]), w_ih.t()).view(batch, length, -1)
        gi[..., : 2 * hidden] += b_hh[: 2 * hidden]  # r and z add both biases: add them once
        # Every step writes into these buffers, through views made once outside the loop.
        out = x.new_empty(batch, length, hidden)
        rz = x.new_empty(batch, length, 2 * hidden)
        n = x.new_empty(batch, length, hidden)
        hn = x.new_empty(batch, length, hidden)  # W_hn h + b_hn per step
        gi_rz, gi_n = gi[..., : 2 * hidden].unbind(1), gi[..., 2 * hidden :].unbind(1)
        buffers = [
            GRUBuffers(*views)
            for views in zip(
                out.unbind(1),
                rz.unbind(1),
                rz[..., :hidden].unbind(1),
                rz[..., hidden:].unbind(1),
                n.unbind(1),
                strict=True,
            )
        ]
        hn_t = hn.unbind(1)
        w_rz_t, w_n_t = w_hh[: 2 * hidden].t(), w_hh[2 * hidden :].t()
        b_n = b_hh[2 * hidden :]
        h = x.new_zeros(batch, hidden)
        for t in range(length):
            rz_in = torch.addmm(gi_rz[t], h, w_rz_t)  # gi + gh for r and z, in one product
            torch.addmm(b_n, h, w_n_t, out=hn_t[t])
            h = gru_update(rz_in, gi_n[t], hn_t[t], h, buffers[t])[0]
        ctx.save_for_backward(x, w_ih, w_hh, out, rz, n, hn)
        return out

    @staticmethod
    def backward(ctx: Any, grad_states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x, w_ih, w_hh, states, rz, n, hn = ctx.saved_tensors
        batch, length, hidden = states.shape
        r, z = rz[..., :hidden], rz[..., hidden:]
        previous = torch.cat([states.new_zeros(batch, 1, hidden), states[:, :-1]], dim=1)
        # Factors that do not depend on the gradient flowing back: one product per step left.
        to_n = ((1 - z) * (1 - n * n)).unbind(1)  # dh -> d(n before tanh)
        to_z = ((previous - n) * z * (1 - z)).unbind(1)  # dh -> d(z before sigmoid)
        to_r = (hn * r * (1 - r)).unbind(1)  # d(n before tanh) -> d(r before sigmoid)
        r_t, z_t, grad_t = r.unbind(1), z.unbind(1), grad_states.unbind(1)
        d_gh = states.new_empty(batch, length, 3 * hidden)  # d(W_h h + b_h), per step
        d_n = states.new_empty(batch, length, hidden)  # d(n before tanh) = d(W_in x + b_in)
        gh_t = d_gh.unbind(1)
        dr_t, dz_t = d_gh[..., :hidden].unbind(1), d_gh[..., hidden : 2 * hidden].unbind(1)
        dnr_t, dn_t = d_gh[..., 2 * hidden :].unbind(1), d_n.unbind(1)
        dh = grad_t[length - 1]  # d(loss)/d(h_t), gathered from the output and step t+1
        for t in range(length - 1, -1, -1):
            dn = torch.mul(dh, to_n[t], out=dn_t[t])
            torch.mul(dh, to_z[t], out=dz_t[t])
            torch.mul(dn, to_r[t], out=dr_t[t])
            torch.mul(dn, r_t[t], out=dnr_t[t])
            if t > 0:  # h_{t-1} feeds h_t directly (times z) and through W_h
                dh = torch.addmm(torch.addcmul(grad_t[t - 1], dh, z_t[t]), gh_t[t], w_hh)
        d_gi = torch.cat([d_gh[..., : 2 * hidden], d_n], dim=2)
        flat_gi = d_gi.reshape(-1, 3 * hidden)  # (B*L, 3d)
        flat_gh = d_gh.reshape(-1, 3 * hidden)
        grad_x = (flat_gi @ w_ih).view_as(x)
        grad_w_ih = flat_gi.t() @ x.reshape(-1, x.shape[-1])
        grad_w_hh = flat_gh.t() @ previous.reshape(-1, hidden)
        return grad_x, grad_w_ih, grad_w_hh, flat_gi.sum(0), flat_gh.sum(0)


def gru_layers(gru: torch.nn.GRU, x: torch.Tensor) -> torch.Tensor:
    """Run a unidirectional, batch-first ``nn.GRU`` with ``GRUSequence``, layer by layer,
    with its inter-layer dropout. Inputs: x (B, L, C). Outputs: (B, L, d)."""
    out = x
    for layer in range(gru.num_layers):
        if layer > 0 and gru.dropout > 0 and gru.training:
            out = torch.nn.functional.dropout(out, gru.dropout, training=True)
        out = GRUSequence.apply(
            out,
            getattr(gru, f"weight_ih_l{layer}"),
            getattr(gru, f"weight_hh_l{layer}"),
            getattr(gru, f"bias_ih_l{layer}"),
            getattr(gru, f"bias_hh_l{layer}"),
        )
    return out

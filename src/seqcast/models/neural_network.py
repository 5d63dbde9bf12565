"""How a neural forecaster's network is put together around what its ``build`` gives.

Symbols: B batch, L input length, C input channels, S output positions, O outputs per
position (``output_width``).

From the inside out: ``build``'s network; a one-hot of the predicted step's calendar
phase in place of the phase channel (``seqcast.networks.phase``); a learned embedding in
place of the series number (panels with ``id_embedding``); per-window normalisation
(``norm``, unless the network normalises itself), which also links a probabilistic head's
parameters and puts them back on the window's scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqcast.errors import SeqcastError

if TYPE_CHECKING:
    from seqcast.models.channels import Channels


def wrapped_network(model: Any, channels: Channels, n_targets: int) -> Any:
    """One network of ``model`` (a ``NeuralForecaster``) for these input ``channels``:
    (B, L, C) -> (B, S, O)."""
    from seqcast.networks.norms import SeriesEmbedding, WindowNormalised
    from seqcast.networks.phase import PhaseOneHot

    numbered = channels.series_ids is not None
    inner = channels.width - 1 + model.id_embedding if numbered else channels.width
    phase = channels.phase
    if phase is not None:
        inner += phase[1] - 1  # m one-hot columns for the phase's one
    net = model.build(inner, n_targets)
    check_width(model, net, inner, n_targets)
    if phase is not None:
        net = PhaseOneHot(net, *phase)
    if numbered:
        net = SeriesEmbedding(net, len(channels.series_ids or []), model.id_embedding)
    head = model.head
    if (model.norm != "none" or head is not None) and not model.normalises_itself:
        net = WindowNormalised(
            net, model.norm, channels.normalised, n_targets, head, model.norm_rows()
        )
    return net


def check_width(model: Any, net: Any, n_inputs: int, n_targets: int) -> None:
    """Raise unless ``model``'s ``build`` network maps a window (1, L, n_inputs) to (1, S,
    ``output_width``): a head's P parameters per value among them (one forward pass in
    eval mode, which draws nothing from the random generators)."""
    import torch

    training = net.training
    net.eval()
    with torch.no_grad():
        out = net(torch.zeros(1, model.input_len, n_inputs))
    net.train(training)
    width = model.output_width(n_targets)
    if out.ndim != 3 or out.shape[-1] != width:
        head = model.head
        per_value = f" ({head.params} per value for train.loss {head.name})" if head else ""
        raise SeqcastError(
            f"{model.name}: its network gives outputs of shape {tuple(out.shape)} for a window "
            f"(1, {model.input_len}, {n_inputs}); a forecast needs {width}{per_value} at each "
            "output position"
        )

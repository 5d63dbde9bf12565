"""The PyTorch networks behind the neural forecasters, usable on their own.

Every network maps a batch of windows (B, L, C) to outputs (B, S, O) and takes torch's
argument names (``input_size``, ``hidden_size``, ``num_layers``, ``output_size``). A
forecaster in ``seqcast.models`` builds one of these once it knows its data's channels.

- ``cells``: the RNN/GRU/LSTM step math, written once.
- ``gru_sequence``: a single-layer GRU over a whole sequence with a hand-written backward.
- ``norms``: per-window normalisations that are undone on the output.
- ``heads``: the likelihoods a network's outputs can parametrise.
- ``recurrent``, ``window``, ``conv``, ``segrnn``, ``nbeats``, ``esrnn``: the forecasting
  networks.
- ``highway``, ``ensemble``: a linear highway beside a network; the mean of several.
- ``phase``: the calendar phase channel read as a one-hot of the predicted step's phase.
- ``rowwise``: the base of input rewrites that read each row alone (``phase``, the series
  embedding in ``norms``), so they step as their network does.
- ``tokens``: character-level networks for the "hello" -> "ohlol" exercise.

A network whose ``steppable`` is true also forecasts step by step with a carried state:
``encode(x)`` gives ``forward``'s outputs (B, L, O) for a window with the state after its
last row, and ``step(row, state)`` the outputs (B, 1, O) for a next row (B, 1, C) with the
state after it (the forward recurrent networks, and the wrappers around them).
"""

from typing import Any, Literal, Protocol, cast, get_args

# The per-window normalisations (``norms.make_norm``), named here where no torch is loaded.
Norm = Literal["revin", "last", "mean", "none"]
NORMS: tuple[str, ...] = get_args(Norm)


def steppable(module: Any) -> bool:
    """Whether ``module`` has ``encode`` and ``step`` (see above)."""
    return bool(getattr(module, "steppable", False))


class Steppable(Protocol):
    """A network that forecasts step by step (the tensors are torch's)."""

    def encode(self, x: Any) -> tuple[Any, Any]: ...

    def step(self, x: Any, state: Any) -> tuple[Any, Any]: ...


def stepper(module: Any) -> Steppable:
    """``module`` as a ``Steppable`` (where ``steppable(module)`` holds)."""
    return cast(Steppable, module)

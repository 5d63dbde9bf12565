"""The PyTorch networks behind the neural forecasters, usable on their own.

Every network maps a batch of windows (B, L, C) to outputs (B, S, O) and takes torch's
argument names (``input_size``, ``hidden_size``, ``num_layers``, ``output_size``). A
forecaster in ``seqcast.models`` builds one of these once it knows its data's channels.

- ``cells``: the RNN/GRU/LSTM step math, written once.
- ``gru_sequence``: a single-layer GRU over a whole sequence with a hand-written backward.
- ``norms``: per-window normalisations that are undone on the output.
- ``recurrent``, ``window``, ``conv``, ``segrnn``: the forecasting networks.
- ``tokens``: character-level networks for the "hello" -> "ohlol" exercise.
"""

from typing import Literal, get_args

# The per-window normalisations (``norms.make_norm``), named here where no torch is loaded.
Norm = Literal["revin", "last", "mean", "none"]
NORMS: tuple[str, ...] = get_args(Norm)

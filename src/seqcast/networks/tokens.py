"""Token sequences: characters in, a class per step out (the "hello" -> "ohlol" exercise).

Symbols: B batch, L sequence length, V vocabulary size, E embedding size, d hidden size.

Three ways to write the same kind of network, from the most explicit to the most compact:

- ``CellLoopRNN``: one-hot inputs and an explicit loop over ``nn.RNNCell``, the hidden state
  itself read as the V class scores (d = V);
- ``TokenRNN`` with ``embedding=0``: one-hot inputs into the fused ``nn.RNN`` (or LSTM/GRU);
- ``TokenRNN`` with ``embedding=E``: ``nn.Embedding`` + recurrent layers + ``nn.Linear``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from seqcast.errors import SeqcastError


def encode(text: str, vocabulary: Sequence[str]) -> list[int]:
    """Indices of ``text``'s characters in ``vocabulary``; an unknown character is an error."""
    unknown = sorted(set(text) - set(vocabulary))
    if unknown:
        raise SeqcastError(f"characters {unknown} are not in the vocabulary {list(vocabulary)}")
    return [list(vocabulary).index(ch) for ch in text]


class CellLoopRNN(nn.Module):
    """Inputs: tokens (B, L). Outputs: class scores (B, L, V) = the hidden states."""

    def __init__(self, vocabulary: int) -> None:
        super().__init__()
        self.vocabulary = vocabulary
        self.cell = nn.RNNCell(vocabulary, vocabulary)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = nn.functional.one_hot(tokens, self.vocabulary).float()  # (B, L, V)
        h = x.new_zeros(x.shape[0], self.vocabulary)
        outputs = []
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)  # (B, V)
            outputs.append(h)
        return torch.stack(outputs, dim=1)  # (B, L, V)


class TokenRNN(nn.Module):
    """Inputs: tokens (B, L). Outputs: class scores (B, L, V).

    ``embedding`` 0 feeds one-hot vectors; E > 0 an ``nn.Embedding(V, E)``. ``head`` adds
    ``nn.Linear(d, V)``; without it d must equal V."""

    def __init__(
        self,
        vocabulary: int,
        hidden_size: int,
        *,
        cell: str = "rnn",
        num_layers: int = 1,
        embedding: int = 0,
        head: bool = True,
    ) -> None:
        super().__init__()
        if not head and hidden_size != vocabulary:
            raise SeqcastError("without a head the hidden size must equal the vocabulary")
        self.vocabulary = vocabulary
        self.embedding = nn.Embedding(vocabulary, embedding) if embedding else None
        kinds = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        width = embedding or vocabulary
        self.rnn = kinds[cell](width, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocabulary) if head else None

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if self.embedding is not None:
            x = self.embedding(tokens)  # (B, L, E)
        else:
            x = nn.functional.one_hot(tokens, self.vocabulary).float()  # (B, L, V)
        out, _ = self.rnn(x)  # (B, L, d)
        return self.head(out) if self.head is not None else out  # (B, L, V)


@dataclass
class TokenTraining:
    """Accuracy (fraction of steps right) and loss after each epoch."""

    accuracy: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)

    @property
    def epochs_to_perfect(self) -> int | None:
        return next((i + 1 for i, a in enumerate(self.accuracy) if a == 1.0), None)


def train_tokens(
    module: nn.Module,
    inputs: Sequence[int],
    targets: Sequence[int],
    lr: float,
    epochs: int,
) -> TokenTraining:
    """Adam on the cross-entropy summed over the steps of one sequence (batch 1), for at
    most ``epochs`` epochs: training stops once every step is right."""
    if len(inputs) != len(targets):
        raise SeqcastError(f"{len(inputs)} inputs but {len(targets)} targets")
    x = torch.tensor([list(inputs)])  # (1, L)
    y = torch.tensor(list(targets))  # (L,)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    record = TokenTraining()
    for _ in range(epochs):
        scores = module(x)[0]  # (L, V)
        loss = torch.nn.functional.cross_entropy(scores, y, reduction="sum")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            predicted = module(x)[0].argmax(-1)
        record.loss.append(loss.item())
        record.accuracy.append(float((predicted == y).float().mean()))
        if record.accuracy[-1] == 1.0:
            break
    return record

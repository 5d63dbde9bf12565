"""Windows whose arrays live on the training device, so a batch is gathered there by index.

Symbols: T rows, C input channels, K targets, N windows, L input length, S scored positions
per window, H horizon, B batch.

``ResidentWindows.of`` copies a ``Windows``' one float32 array to the device once (a
training and a validation set over the same array share the copy); ``batch`` then indexes
it on the device: no DataLoader, no host copy per batch. Its batches are exactly
``Windows.batch``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from seqcast.data.windows import Windows

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class ResidentWindows:
    """values (T, C) and targets (T, K) on a device; window i covers ``values[starts[i] :
    starts[i] + L]`` and its position s is scored against the H target rows after step
    ``steps[s]`` (``ahead`` (S, H) holds steps[s] + 1 + h)."""

    values: torch.Tensor  # (T, C)
    targets: torch.Tensor  # (T, K)
    starts: torch.Tensor  # (N,) int64
    offsets: torch.Tensor  # (L,) 0 .. L - 1
    ahead: torch.Tensor  # (S, H)

    @classmethod
    def of(
        cls, windows: Windows, device: torch.device, like: ResidentWindows | None = None
    ) -> ResidentWindows:
        """``windows`` on ``device``; over the arrays of ``like`` when it was made from them
        (``same_arrays``), so they are copied once."""
        import torch

        def put(array: object) -> torch.Tensor:
            return torch.as_tensor(array).to(device)

        if like is not None:
            values, targets = like.values, like.targets
        else:
            values = put(windows.values)
            shares = _leading_columns(windows.targets, windows.values)
            targets = values[:, : windows.targets.shape[1]] if shares else put(windows.targets)
        steps = torch.as_tensor(windows.steps, dtype=torch.int64)
        ahead = steps[:, None] + 1 + torch.arange(windows.horizon)
        return cls(
            values,
            targets,
            put(windows.starts.astype("int64")),
            torch.arange(windows.length, device=device),
            ahead.to(device),
        )

    def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs (B, L, C) and targets (B, S, H, K) of the windows ``index`` (on the device)."""
        starts = self.starts[index]  # (B,)
        inputs = self.values[starts[:, None] + self.offsets]
        return inputs, self.targets[starts[:, None, None] + self.ahead]

    def __len__(self) -> int:
        return len(self.starts)


def same_arrays(a: Windows, b: Windows) -> bool:
    """Whether two window sets index the same arrays (a training and a held-out set)."""
    return a.values is b.values and a.targets is b.targets


def _leading_columns(part: np.ndarray, whole: np.ndarray) -> bool:
    """Whether ``part`` is ``whole[:, :K]`` (the targets a forecaster windows over its
    features), so the device holds them once."""
    return (
        part.__array_interface__["data"][0] == whole.__array_interface__["data"][0]
        and part.strides == whole.strides
        and part.shape[0] == whole.shape[0]
        and part.shape[1] <= whole.shape[1]
    )

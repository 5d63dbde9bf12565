from __future__ import annotations

import numpy as np
import pytest

from seqcast import SeqcastError
from seqcast.data.windows import lag_matrix, seq2seq_windows, seq2vec_windows


def test_one_step_windows_known_answer() -> None:
    inputs, targets = seq2vec_windows(np.array([0, 1, 2, 3, 4, 5]), 3)
    assert inputs.shape == (3, 3, 1) and targets.shape == (3, 1, 1)
    assert inputs[..., 0].tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert targets[:, 0, 0].tolist() == [3, 4, 5]


def test_matches_the_keras_convention() -> None:
    # timeseries_dataset_from_array(x, targets=x[L:], sequence_length=L): window i is
    # x[i:i+L] with target x[L+i], for i < len(x) - L. Written out independently here.
    x = np.random.default_rng(1).normal(size=(50, 3))
    length = 7
    expected_inputs = np.stack([x[i : i + length] for i in range(len(x) - length)])
    expected_targets = np.stack([x[length + i] for i in range(len(x) - length)])
    inputs, targets = seq2vec_windows(x, length)
    assert len(inputs) == len(x) - length
    np.testing.assert_array_equal(inputs, expected_inputs)
    np.testing.assert_array_equal(targets[:, 0], expected_targets)


def test_multi_step_targets_follow_the_window() -> None:
    x = np.arange(10)
    inputs, targets = seq2vec_windows(x, 4, horizon=3)
    assert inputs.shape == (4, 4, 1) and targets.shape == (4, 3, 1)
    assert targets[0, :, 0].tolist() == [4, 5, 6]
    assert targets[-1, :, 0].tolist() == [7, 8, 9]


def test_seq2seq_known_answer() -> None:
    inputs, targets = seq2seq_windows(np.arange(7), 4, 2)
    assert inputs.shape == (2, 4, 1) and targets.shape == (2, 4, 2, 1)
    assert inputs[0, :, 0].tolist() == [0, 1, 2, 3]
    assert targets[0, :, :, 0].tolist() == [[1, 2], [2, 3], [3, 4], [4, 5]]
    assert inputs[1, :, 0].tolist() == [1, 2, 3, 4]
    assert targets[1, :, :, 0].tolist() == [[2, 3], [3, 4], [4, 5], [5, 6]]


def test_seq2seq_against_a_plain_loop() -> None:
    x = np.random.default_rng(2).normal(size=(30, 2))
    length, horizon = 5, 3
    _, targets = seq2seq_windows(x, length, horizon, targets=[1])
    n = len(x) - length - horizon + 1
    assert targets.shape == (n, length, horizon, 1)
    for i in range(n):
        for t in range(length):
            np.testing.assert_array_equal(
                targets[i, t, :, 0], x[i + t + 1 : i + t + 1 + horizon, 1]
            )


def test_windows_are_views_of_the_series() -> None:
    x = np.arange(40.0).reshape(20, 2)
    inputs, targets = seq2vec_windows(x, 5, 2, targets=[1])
    assert np.shares_memory(inputs, x) and np.shares_memory(targets, x)
    inputs, targets = seq2seq_windows(x, 5, 2)
    assert np.shares_memory(inputs, x) and np.shares_memory(targets, x)


def test_chosen_target_columns() -> None:
    x = np.arange(30.0).reshape(10, 3)  # column c at step t is 3t + c
    _, targets = seq2vec_windows(x, 2, targets=[2, 0])
    assert targets.shape == (8, 1, 2)
    assert targets[0, 0].tolist() == [8.0, 6.0]


def test_lag_matrix_known_answer() -> None:
    x = np.arange(10.0) ** 2
    features, labels = lag_matrix(x, 4)
    assert features.shape == (6, 4) and labels.shape == (6,)
    for i in range(6):
        np.testing.assert_array_equal(features[i], x[i : i + 4])
        assert labels[i] == x[i + 4]
    assert np.shares_memory(features, x)


def test_bad_input() -> None:
    with pytest.raises(SeqcastError, match="series of 5 steps is too short for windows of 5"):
        seq2vec_windows(np.arange(5), 5)
    with pytest.raises(SeqcastError, match="at least 1"):
        seq2seq_windows(np.arange(5), 2, 0)
    with pytest.raises(SeqcastError, match=r"indices \[3\] do not fit 2 columns"):
        seq2vec_windows(np.ones((6, 2)), 2, targets=[3])
    with pytest.raises(SeqcastError, match="tau=4 needs more than 4 values"):
        lag_matrix(np.arange(4.0), 4)
    with pytest.raises(SeqcastError, match=r"shape \(T,\) or \(T, C\)"):
        seq2vec_windows(np.ones((2, 2, 2)), 1)

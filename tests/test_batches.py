import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlp_lib.batches import iterate_minibatches, n_batches


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 300), batch_size=st.integers(1, 64), seed=st.integers(0, 2**32 - 1))
def test_every_sample_is_visited_exactly_once_per_epoch(n, batch_size, seed):
    X = np.arange(n).reshape(n, 1)
    y = np.arange(n)
    batches = list(iterate_minibatches(X, y, batch_size, np.random.default_rng(seed)))
    assert len(batches) == n_batches(n, batch_size)
    assert all(len(xb) == batch_size for xb, _ in batches[:-1])
    assert 1 <= len(batches[-1][0]) <= batch_size  # the last, smaller batch included
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], yb)  # images stay with their labels


def test_same_seed_same_order_and_epochs_differ():
    X, y = np.zeros((10, 1)), np.arange(10)
    order = lambda rng: np.concatenate([yb for _, yb in iterate_minibatches(X, y, 3, rng)])  # noqa: E731
    np.testing.assert_array_equal(order(np.random.default_rng(1)), order(np.random.default_rng(1)))
    rng = np.random.default_rng(1)
    assert not np.array_equal(order(rng), order(rng))  # a fresh shuffle every epoch


def test_without_shuffle_the_order_is_kept():
    y = np.arange(7)
    seen = np.concatenate(
        [yb for _, yb in iterate_minibatches(np.zeros((7, 2)), y, 3, shuffle=False)]
    )
    np.testing.assert_array_equal(seen, y)


def test_bad_batch_size_and_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        list(iterate_minibatches(np.zeros((4, 1)), np.zeros(4), 0))
    with pytest.raises(ValueError, match="X and y must have the same length, got 4 and 3"):
        list(iterate_minibatches(np.zeros((4, 1)), np.zeros(3), 2))

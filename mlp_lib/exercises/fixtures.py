"""The small inputs that checks of several notebooks share, made one way each.

- ``numbered_images``: images whose first pixel is their row number, so that a check can tell
  which images a student's function took, with which labels and in which order (notebooks 05
  and 06); ``N_IMAGES`` of them by default, labelled ``LABELS``;
- ``RecordingModel`` and ``EvenRowsRight``: stand-ins for a network that read those numbers;
- ``sin_times_square``: a function of an array whose gradient is known exactly, for the numerical
  derivatives of notebooks 02 and 04.
"""

import numpy as np

N_IMAGES = 10  # does not divide by a batch of 4: the last batch of an epoch is smaller
LABELS = (np.arange(N_IMAGES) * 7 + 3) % 10  # every label differs from its neighbours'


def numbered_images(n=N_IMAGES):
    """(n, 3) images whose first pixel is the image's row number (the others are 0)."""
    X = np.zeros((n, 3))
    X[:, 0] = np.arange(n)
    return X


def row_numbers(images):
    """The row numbers of ``numbered_images`` after a function has picked or reordered them."""
    return np.asarray(images)[:, 0].astype(int)


class RecordingModel:
    """Stands in for an MLP in a training loop: records each batch; every gradient is 1.

    ``loss`` returns 1.0, 2.0, 3.0, ... (the step number), so that a check can also verify the
    list of losses the loop returns.
    """

    def __init__(self):
        self.params = {"W": np.zeros(2)}
        self.grads = {"W": np.ones(2)}
        self.batches = []  # (row numbers, labels) of every batch, in order

    def loss(self, X, y, training=False):
        self.batches.append((row_numbers(X), np.asarray(y).copy()))
        return float(len(self.batches))

    def backward(self):
        pass

    def parameters(self):
        return self.params

    def gradients(self):
        return self.grads


class EvenRowsRight:
    """Stands in for a trained model: right on even-numbered images, wrong on odd ones.

    It reads each image's row number, so its answer does not depend on how images are batched.
    """

    def __init__(self, y):
        self.y = y

    def predict(self, X):
        rows = row_numbers(X)
        return np.where(rows % 2 == 0, self.y[rows], (self.y[rows] + 1) % 10)


def sin_times_square():
    """``(f, a, gradient)``: f() = sum(sin(a) * a**2), an array a (3, 4), and df/da exactly.

    Like the notebooks' loss functions, f takes no argument and reads a where it is: a numerical
    derivative nudges the entries of a in place, and must put each one back.
    """
    a = np.random.default_rng(0).standard_normal((3, 4)) + 1.0  # (3, 4), away from 0
    gradient = np.cos(a) * a**2 + 2 * a * np.sin(a)  # d/da of sin(a) * a**2, (3, 4)

    def f():
        return float(np.sum(np.sin(a) * a**2))

    return f, a, gradient

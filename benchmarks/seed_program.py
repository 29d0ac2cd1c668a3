"""A reconstruction of the seed program's training step, used only by bench_training.py.

The project began from a Chinese blog's NumPy MLP (main.py + layers_1.py). We do not have its
exact source; this file rebuilds it in the same style, so the benchmark can compare mlp_lib with
the program it grew out of:

- 784-32-16-10, ReLU between the layers, softmax cross-entropy at the end;
- one class per layer, each with ``forward`` and ``backward``; every fully connected layer
  computes ``dx = dout @ W.T``, the first one too (its input is the data, so nobody uses it);
- weights N(0, 0.01²), zero biases, raw 0..255 pixels, float64 everywhere;
- plain SGD, lr 0.01, batch 90, the training set shuffled once per epoch;
- plain code that allocates new arrays freely (``x.copy()``, ``np.dot``, ``np.exp``...).

It is deliberately *not* optimised: it is the baseline. Do not import it from mlp_lib.
"""

import numpy as np


class FullyConnected:
    """out = x @ W + b, with dW, db and dx in backward, as the seed computed them."""

    def __init__(self, W, b):
        self.W, self.b = W, b  # (n_in, n_out), (n_out,)
        self.x = None
        self.dW, self.db = None, None

    def forward(self, x):  # x (N, n_in)
        self.x = x
        return np.dot(x, self.W) + self.b  # (N, n_out)

    def backward(self, dout):  # dout (N, n_out)
        self.dW = np.dot(self.x.T, dout)  # (n_in, n_out)
        self.db = np.sum(dout, axis=0)  # (n_out,)
        return np.dot(dout, self.W.T)  # (N, n_in), even for the first layer


class Relu:
    """out = max(x, 0); the gradient passes where x > 0."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout


class SoftmaxWithLoss:
    """Softmax of the scores and the mean cross-entropy against integer labels."""

    def __init__(self):
        self.y, self.t = None, None

    def forward(self, x, t):  # x (N, 10) scores, t (N,) labels
        x = x - np.max(x, axis=1, keepdims=True)  # avoids overflow in exp
        self.y = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
        self.t = t
        n = x.shape[0]
        return -np.sum(np.log(self.y[np.arange(n), t] + 1e-7)) / n

    def backward(self):
        n = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx / n  # (N, 10)


class SeedNetwork:
    """The seed's network: FullyConnected and Relu layers in a list, then SoftmaxWithLoss."""

    def __init__(self, layer_sizes=(784, 32, 16, 10), weight_std=0.01, seed=0):
        rng = np.random.default_rng(seed)
        self.layers = []
        for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
            W = weight_std * rng.standard_normal((n_in, n_out))  # float64
            self.layers.append(FullyConnected(W, np.zeros(n_out)))
            if i < len(layer_sizes) - 2:
                self.layers.append(Relu())
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        """Scores (N, 10) for a batch of images (N, 784)."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def gradient(self, x, t):
        """Forward and backward on one batch; returns the loss, leaves dW/db in the layers."""
        loss = self.loss(x, t)
        dout = self.last_layer.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return loss

    def train_step(self, x, t, lr=0.01):
        """One step of plain SGD: W -= lr * dW, b -= lr * db for every layer."""
        loss = self.gradient(x, t)
        for layer in self.layers:
            if isinstance(layer, FullyConnected):
                layer.W -= lr * layer.dW
                layer.b -= lr * layer.db
        return loss

    def accuracy(self, x, t):
        return float(np.mean(np.argmax(self.predict(x), axis=1) == t))


def train(network, X, y, epochs=3, batch_size=90, lr=0.01, seed=0):
    """The seed's training loop: shuffle each epoch, then one SGD step per mini-batch.

    X (N, 784) float64 raw pixels 0..255, y (N,) int labels. Returns the list of batch losses.
    """
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            losses.append(network.train_step(X[idx], y[idx], lr))
    return losses

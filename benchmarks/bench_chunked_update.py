"""An experiment for the FLOP-rate goal: the momentum update done in cache-sized chunks.

The momentum update makes four passes over the 2.1 MB of parameters of 784-512-256-10 at every
step (lr * g, v *= mu, v -= lr * g, p += v). Done chunk by chunk -- all four passes over one piece
of a parameter before the next -- the parameters travel from memory once per step instead of four
times. This script trains one epoch with the plain update and one with the chunked update, in
alternation, and prints the median epoch time of each and their ratio. Both give the same losses.

    python benchmarks/bench_chunked_update.py                 # chunks of 32,768 values, 5 rounds
    python benchmarks/bench_chunked_update.py --chunk 8192 --rounds 3

Measured on 2026-12-02 (quiet 2-core machine, two runs): 0.97-0.99x with chunks of 32,768,
0.92-0.94x with 8,192 (plain / chunked epoch time; below 1: the chunked update is slower).
Not adopted in mlp_lib.
"""

import argparse

import numpy as np

from mlp_lib import MLP, Momentum, fit, load_mnist

LAYER_SIZES = (784, 512, 256, 10)
BATCH_SIZE = 128
QUICK_TRAIN_SIZE = 6000


class ChunkedMomentum(Momentum):
    """Momentum with the same arithmetic, done ``chunk`` values at a time."""

    def __init__(self, lr, chunk, momentum=0.9):
        super().__init__(lr, momentum=momentum)
        self.chunk = chunk

    def step(self, params, grads):
        for name, p in params.items():
            v, scaled = self.arrays_for(name, p, "velocity", "lr*g")
            flat = [a.reshape(-1) for a in (p, v, scaled, grads[name])]
            for start in range(0, flat[0].size, self.chunk):
                p_c, v_c, s_c, g_c = (a[start : start + self.chunk] for a in flat)
                np.multiply(g_c, self.lr, out=s_c)
                v_c *= self.momentum
                v_c -= s_c
                p_c += v_c


def epoch_seconds(optimizer, X, y):
    model = MLP(LAYER_SIZES, seed=0, dtype=np.float32)
    history = fit(model, X, y, optimizer=optimizer, epochs=1, batch_size=BATCH_SIZE, seed=0)
    return history.seconds, history.loss[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunk", type=int, default=32768, help="values per chunk")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_TRAIN_SIZE:,} images")
    args = parser.parse_args(argv)
    X, y = load_mnist("train")
    if args.quick:
        X, y = X[:QUICK_TRAIN_SIZE], y[:QUICK_TRAIN_SIZE]
    times = {"plain": [], "chunked": []}
    for round_number in range(1, args.rounds + 1):
        for name in times:
            lr = 0.1
            optimizer = Momentum(lr) if name == "plain" else ChunkedMomentum(lr, args.chunk)
            seconds, loss = epoch_seconds(optimizer, X, y)
            times[name].append(seconds)
            print(f"round {round_number}: {name} {seconds:.3f} s, last loss {loss:.6f}", flush=True)
    plain, chunked = (float(np.median(t)) for t in times.values())
    print(f"median epoch: plain {plain:.3f} s, chunked {chunked:.3f} s (chunks of {args.chunk:,})")
    print(f"plain / chunked: {plain / chunked:.2f}x")


if __name__ == "__main__":
    main()

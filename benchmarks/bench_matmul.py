"""How close mlp_lib's training comes to the machine's float32 matrix-multiply speed.

A training step of an MLP is mostly matrix products, and NumPy hands those to BLAS. So the
ceiling for a NumPy MLP is the rate BLAS reaches on this machine, and the question is how much
of that rate training achieves. For 784-512-256-10 at batch 128 (``--batch-size``) it measures:

1. the float32 rate of a large product, 1024 x 1024 @ 1024 x 1024, in GFLOP/s (best of several);
2. the rate of every product of one training step, at its real shape and written the way
   mlp_lib's Linear writes it: forward ``x @ W`` and ``dW = x.T @ dout`` for every layer,
   ``dX = dout @ W.T`` for every layer but the first (mlp_lib skips the first layer's dX,
   whose input is the data); their total time per step;
3. the time of a real mlp_lib training step (forward + loss + backward + Momentum step),
   averaged over an epoch of shuffled MNIST batches with ``fit``: hence the share of the step
   spent in matrix products (the rest is ReLU, softmax, the optimizer, batching, Python);
4. the FLOP rate training achieves, counting only the matrix products, and its ratio to (1);
   (1) and an epoch of training are measured in alternation for ``--rounds`` rounds, one ratio
   per round, and the median ratio is compared with the goal.

The same is reported at a second batch size (``--also-batch-size``, default 256), to show how the
batch size changes efficiency: small products keep BLAS from reaching its full rate.

Run:  python benchmarks/bench_matmul.py            (full run: about two minutes)
      python benchmarks/bench_matmul.py --quick    (6,000 images, fewer repeats)
"""

import argparse
import platform
import timeit

import numpy as np
from threadpoolctl import threadpool_limits

from mlp_lib import MLP, Momentum, fit, load_mnist
from mlp_lib.threads import available_cpus

LAYER_SIZES = (784, 512, 256, 10)
GEMM_SIZE = 1024
GOAL = 0.55  # achieved training rate / 1024^3 rate, from the issue
QUICK_TRAIN_SIZE = 6000


def flops_per_sample(layer_sizes):
    """Floating-point operations of the matrix products of one training step, per sample.

    A product (m, k) @ (k, n) costs 2*m*k*n (a multiply and an add per term). Per sample and layer
    (n_in, n_out): forward 2*n_in*n_out, dW 2*n_in*n_out, dX 2*n_in*n_out except for the first
    layer. Bias adds, ReLU, softmax and the optimizer are not counted (they are not products).
    """
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    weights = [n_in * n_out for n_in, n_out in pairs]
    forward = 2 * sum(weights)
    dW = 2 * sum(weights)
    dX = 2 * sum(weights[1:])
    return forward + dW + dX


def step_products(layer_sizes, batch_size):
    """The matrix products of one training step as (layer, kind, (m, k, n)), in the order run.

    kind is "forward" (x @ W), "dW" (x.T @ dout) or "dX" (dout @ W.T); layers count from 1.
    """
    B = batch_size
    pairs = list(enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1))
    products = [(i, "forward", (B, n_in, n_out)) for i, (n_in, n_out) in pairs]
    for i, (n_in, n_out) in reversed(pairs):
        products.append((i, "dW", (n_in, B, n_out)))
        if i > 1:  # the first layer's dX is skipped
            products.append((i, "dX", (B, n_out, n_in)))
    return products


def product_function(kind, m, k, n, rng):
    """A no-argument function computing one product on random float32 operands.

    The operands have the layouts mlp_lib uses (x and dout are C-ordered (N, .) arrays; x.T and
    W.T are transposed views), so BLAS sees the same calls as in training.
    """

    def rand(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    if kind == "forward":
        x, W = rand(m, k), rand(k, n)  # (B, n_in), (n_in, n_out)
        return lambda: x @ W
    if kind == "dW":
        x, dout = rand(k, m), rand(k, n)  # (B, n_in), (B, n_out)
        return lambda: x.T @ dout
    if kind == "dX":
        dout, W = rand(m, k), rand(n, k)  # (B, n_out), (n_in, n_out)
        return lambda: dout @ W.T
    raise ValueError(f"kind must be 'forward', 'dW' or 'dX', got {kind!r}")


def best_seconds(function, repeats):
    """Fastest time of one call, timing batches of calls that last at least 0.2 s each."""
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeats, number=number)) / number


def gemm_gflops(size=GEMM_SIZE, repeats=5, seed=0):
    """GFLOP/s of a float32 (size x size) @ (size x size) product, best of ``repeats``.

    The result goes into a preallocated array, so only the multiplication is timed.
    """
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty((size, size), dtype=np.float32)
    with all_cpus():
        seconds = best_seconds(lambda: np.matmul(a, b, out=out), repeats)
    return 2 * size**3 / seconds / 1e9


def all_cpus():
    """BLAS with one thread per CPU this process may use: what ``fit`` uses on an idle machine.

    (Importing mlp_lib leaves one thread outside training; the ceiling must be measured with the
    threads training gets.)
    """
    return threadpool_limits(available_cpus(), user_api="blas")


def time_step_products(layer_sizes, batch_size, repeats=5, seed=0):
    """[(layer, kind, (m, k, n), seconds)] for every product of one training step."""
    rng = np.random.default_rng(seed)
    with all_cpus():
        return [
            (layer, kind, mkn, best_seconds(product_function(kind, *mkn, rng), repeats))
            for layer, kind, mkn in step_products(layer_sizes, batch_size)
        ]


def time_training_epoch(layer_sizes, batch_size, X, y):
    """samples/s of one epoch of mlp_lib training (forward + loss + backward + Momentum step).

    A fresh float32 model each time, trained with ``fit`` for one epoch over (X, y).
    """
    model = MLP(layer_sizes, init="he", seed=0, dtype=np.float32)
    history = fit(
        model,
        X,
        y,
        epochs=1,
        batch_size=batch_size,
        optimizer=Momentum(0.1, momentum=0.9),
        seed=0,
        progress=False,
    )
    return len(X) / history.seconds


def report(layer_sizes, batch_size, X, y, *, repeats, rounds, goal):
    """Print the products table, the step share and the achieved rate for one batch size.

    The 1024^3 rate and a training epoch are measured in alternation, ``rounds`` times, and each
    round gives one ratio: a machine that speeds up or slows down (a shared host, a CPU changing
    its clock) then moves both numbers of a round together. The median ratio is compared with
    the goal. Returns the median ratio.
    """
    net = "-".join(str(s) for s in layer_sizes)
    print(f"\n## {net}, batch {batch_size}\n")
    print("| layer | product | shape | time (µs) | GFLOP/s |")
    print("|---:|---|---|---:|---:|")
    timings = time_step_products(layer_sizes, batch_size, repeats)
    names = {"forward": "x @ W", "dW": "dW = x.T @ dout", "dX": "dX = dout @ W.T"}
    for layer, kind, (m, k, n), seconds in timings:
        print(
            f"| {layer} | {names[kind]} | ({m}x{k}) @ ({k}x{n}) | {1e6 * seconds:,.0f} | "
            f"{2 * m * k * n / seconds / 1e9:.1f} |"
        )
    products_seconds = sum(seconds for *_, seconds in timings)
    flops = flops_per_sample(layer_sizes)
    print(
        f"\nall products of one step: {1e3 * products_seconds:.3f} ms, "
        f"{batch_size * flops / products_seconds / 1e9:.1f} GFLOP/s\n"
    )

    ratios, speeds = [], []
    for round_number in range(1, rounds + 1):
        gemm_rate = gemm_gflops(repeats=repeats)
        samples_per_s = time_training_epoch(layer_sizes, batch_size, X, y)
        achieved = flops * samples_per_s / 1e9
        ratios.append(achieved / gemm_rate)
        speeds.append(samples_per_s)
        print(
            f"round {round_number}: {GEMM_SIZE}^3 product {gemm_rate:.1f} GFLOP/s; training "
            f"{samples_per_s:,.0f} samples/s x {flops:,} FLOP/sample = {achieved:.1f} GFLOP/s; "
            f"ratio {ratios[-1]:.2f}"
        )
    samples_per_s = float(np.median(speeds))
    step_seconds = batch_size / samples_per_s  # one step = batch_size samples
    print(
        f"mlp_lib training step (forward + loss + backward + Momentum step), median of "
        f"{rounds} epochs of {len(X):,} images: {1e3 * step_seconds:.3f} ms per step"
    )
    print(
        f"share of the step spent in matrix products: {100 * products_seconds / step_seconds:.0f}%"
    )
    efficiency = float(np.median(ratios))
    spread = f"median of {rounds} rounds, from {min(ratios):.2f} to {max(ratios):.2f}"
    if goal:
        verdict = "PASS" if efficiency >= GOAL else "FAIL"
        print(
            f"achieved / {GEMM_SIZE}^3 rate: {efficiency:.2f} ({spread}; goal >= {GOAL}): {verdict}"
        )
    else:
        print(
            f"achieved / {GEMM_SIZE}^3 rate: {efficiency:.2f} ({spread}; for comparison, the "
            f"goal is set at the main batch size)"
        )
    return efficiency


def blas_summary():
    """'openblas 0.3.x, 2 threads', or '' without threadpoolctl (it comes with scikit-learn)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ""
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return "; ".join(
        f"{p['internal_api']} {p['version']}, {p['num_threads']} threads" for p in pools
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--also-batch-size",
        type=int,
        default=256,
        help="a second batch size, reported the same way (0 to skip)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="rounds of (1024^3 product, one training epoch) per batch size; "
        "the median ratio counts",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"for development: {QUICK_TRAIN_SIZE:,} images, fewer repeats",
    )
    args = parser.parse_args(argv)
    timing_repeats = 2 if args.quick else 7  # timeit repeats of each product
    if args.quick:
        args.rounds = 1

    X, y = load_mnist("train", normalize=True, dtype=np.float32)
    if args.quick:
        X, y = X[:QUICK_TRAIN_SIZE], y[:QUICK_TRAIN_SIZE]

    print(f"Python {platform.python_version()}, NumPy {np.__version__}, {platform.machine()}")
    blas = blas_summary()
    if blas:
        print(f"BLAS: {blas}")
    batch_sizes = [args.batch_size] + ([args.also_batch_size] if args.also_batch_size else [])
    for batch_size in batch_sizes:
        report(
            LAYER_SIZES,
            batch_size,
            X,
            y,
            repeats=timing_repeats,
            rounds=args.rounds,
            goal=batch_size == args.batch_size,
        )


if __name__ == "__main__":
    main()

"""Light checks of benchmarks/: the seed reconstruction is right, the counts and plumbing work.

No timing is asserted here (timings belong to the benchmark runs, not to tests), and everything
runs on tiny data. benchmarks/ is a folder of scripts, not a package, so they are imported by path.
"""

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from mlp_lib import load_mnist, numerical_gradient, relative_error

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_script(name):
    """Import benchmarks/<name>.py as the module ``name``.

    It is registered in sys.modules so that ``import seed_program`` inside bench_training.py
    finds it, as it would when the script runs from its own folder.
    """
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


seed_program = load_script("seed_program")  # first: bench_training imports it
bench_training = load_script("bench_training")
bench_matmul = load_script("bench_matmul")
bench_idx_loader = load_script("bench_idx_loader")


@pytest.fixture(scope="module")
def tiny_mnist():
    """300 training and 200 test images from the MNIST test split, as bench_training's data dict."""
    raw, y = load_mnist("test", normalize=False, dtype=np.float64)  # (10000, 784) 0..255
    scaled = (raw / 255).astype(np.float32)  # [0, 1]
    train, test = slice(0, 300), slice(300, 500)
    return {
        "X_train": scaled[train],
        "y_train": y[train],
        "X_test": scaled[test],
        "y_test": y[test],
        "X_train_raw": raw[train].astype(np.float32),
        "X_test_raw": raw[test].astype(np.float32),
        "X_train_raw64": raw[train],
        "X_test_raw64": raw[test],
    }


# ---- the seed reconstruction ----------------------------------------------------------------


@pytest.mark.parametrize("layer_sizes", [(5, 4, 3), (6, 5, 4, 3)])
def test_seed_program_gradients_match_numerical_gradients(layer_sizes):
    rng = np.random.default_rng(0)
    network = seed_program.SeedNetwork(layer_sizes, weight_std=0.5, seed=0)
    x = rng.standard_normal((7, layer_sizes[0]))  # (N, D) float64
    t = rng.integers(0, layer_sizes[-1], size=7)  # (N,)
    linear = [layer for layer in network.layers if isinstance(layer, seed_program.FullyConnected)]
    for layer in linear:
        # Non-zero biases: with zero biases a sample whose hidden units are all off feeds exactly
        # 0 into the next ReLU, a kink where central differences are wrong.
        layer.b += rng.standard_normal(layer.b.shape)
    network.gradient(x, t)

    def loss():
        return network.loss(x, t)

    # 1e-5, not 1e-7: the seed's loss takes log(p + 1e-7), which its backward (p - onehot) ignores.
    for layer in linear:
        analytic_W, analytic_b = layer.dW.copy(), layer.db.copy()
        assert relative_error(analytic_W, numerical_gradient(loss, layer.W)) < 1e-5
        assert relative_error(analytic_b, numerical_gradient(loss, layer.b)) < 1e-5


def test_seed_program_computes_dx_of_the_first_layer_too():
    rng = np.random.default_rng(1)
    network = seed_program.SeedNetwork((5, 4, 3), weight_std=0.5, seed=0)
    x, t = rng.standard_normal((7, 5)), rng.integers(0, 3, size=7)
    network.loss(x, t)
    dout = network.last_layer.backward()
    for layer in reversed(network.layers):
        dout = layer.backward(dout)  # the last one returns the first layer's dx
    assert dout.shape == x.shape
    assert relative_error(dout, numerical_gradient(lambda: network.loss(x, t), x)) < 1e-5


def test_seed_program_uses_float64_and_the_seed_initialisation():
    network = seed_program.SeedNetwork(seed=0)
    first = network.layers[0]
    assert [type(layer).__name__ for layer in network.layers] == [
        "FullyConnected",
        "Relu",
        "FullyConnected",
        "Relu",
        "FullyConnected",
    ]
    assert first.W.shape == (784, 32) and first.W.dtype == np.float64
    assert abs(first.W.std() - 0.01) < 0.001
    assert not first.b.any()


def test_one_seed_training_step_lowers_the_loss_on_a_tiny_batch(tiny_mnist):
    X, y = tiny_mnist["X_train_raw64"][:90], tiny_mnist["y_train"][:90]  # raw 0..255 pixels
    network = seed_program.SeedNetwork(seed=0)
    before = network.train_step(X, y, lr=0.01)  # the loss before the update
    assert network.loss(X, y) < before


def test_seed_training_loop_visits_every_sample_once_per_epoch(tiny_mnist):
    X, y = tiny_mnist["X_train_raw64"][:200], tiny_mnist["y_train"][:200]
    losses = seed_program.train(seed_program.SeedNetwork(seed=0), X, y, epochs=2, batch_size=90)
    assert len(losses) == 2 * 3  # 90 + 90 + 20 per epoch
    assert all(np.isfinite(losses))


# ---- bench_matmul ---------------------------------------------------------------------------


def test_flops_per_sample_of_784_512_256_10():
    # weights: 784*512 = 401,408; 512*256 = 131,072; 256*10 = 2,560; total 535,040.
    # forward 2 * 535,040 = 1,070,080; dW the same; dX all but the first: 2 * 133,632 = 267,264.
    assert bench_matmul.flops_per_sample((784, 512, 256, 10)) == 2_407_424


def test_step_products_agree_with_the_flop_count_and_skip_the_first_dx():
    layer_sizes, batch_size = (784, 512, 256, 10), 128
    products = bench_matmul.step_products(layer_sizes, batch_size)
    assert sum(
        2 * m * k * n for *_, (m, k, n) in products
    ) == batch_size * bench_matmul.flops_per_sample(layer_sizes)
    assert (1, "dX") not in [(layer, kind) for layer, kind, _ in products]
    assert len(products) == 3 + 3 + 2


@pytest.mark.parametrize("kind", ["forward", "dW", "dX"])
def test_product_function_has_the_listed_shape(kind):
    rng = np.random.default_rng(0)
    products = {
        k: mkn for layer, k, mkn in bench_matmul.step_products((784, 512, 256, 10), 8) if layer == 2
    }
    m, k, n = products[kind]
    out = bench_matmul.product_function(kind, m, k, n, rng)()
    assert out.shape == (m, n) and out.dtype == np.float32


# ---- bench_training -------------------------------------------------------------------------


def test_mlp_lib_contender_trains_on_a_tiny_subset(tiny_mnist):
    d = tiny_mnist
    result = bench_training.train_mlp_lib(
        (784, 32, 16, 10),
        d["X_train"],
        d["y_train"],
        d["X_test"],
        d["y_test"],
        batch_size=64,
        epochs=2,
        lr=0.1,
        momentum=0.9,
    )
    assert result.samples == 2 * 300
    assert result.seconds > 0 and result.samples_per_s > 0
    assert 0.3 < result.accuracy <= 1  # it learned something


def test_interleaved_run_without_torch_and_sklearn_reports_and_skips(tiny_mnist):
    contenders = bench_training.build_contenders(
        tiny_mnist, batch_size=64, epochs=1, with_torch=False, with_sklearn=False
    )
    assert [c.key for c in contenders] == ["mlp_lib/small", "mlp_lib/large", "seed", "mlp_lib/seed"]
    best = bench_training.run_interleaved(contenders, repeats=1, log=lambda line: None)
    table = bench_training.results_table(contenders, best)
    assert table.count("\n") == 2 + len(contenders) - 1  # header, rule, one row each
    assert "seed program (reconstruction) | 784-32-16-10 | 90 | float64" in table
    goals = bench_training.goal_lines(best)
    assert goals[0].startswith("mlp_lib / seed program on 784-32-16-10: ")
    assert goals[0].endswith(("PASS", "FAIL"))
    assert all("SKIPPED" in line for line in goals[1:])


def test_run_interleaved_alternates_contenders_and_keeps_the_fastest_round():
    calls = []

    def fake(key, speeds):
        runs = iter(speeds)

        def run():
            calls.append(key)
            return bench_training.Measurement(seconds=1.0, samples=next(runs), accuracy=0.9)

        return bench_training.Contender(key, key, (784, 10), 1, "float32", "", run)

    contenders = [fake("A", [10, 30, 20]), fake("B", [5, 4, 6])]
    best = bench_training.run_interleaved(contenders, repeats=3, log=lambda line: None)
    assert calls == ["A", "B", "A", "B", "A", "B"]
    assert best["A"].samples_per_s == 30 and best["B"].samples_per_s == 6


def test_goal_lines_compare_the_ratio_with_the_goal():
    def m(speed):
        return bench_training.Measurement(seconds=1.0, samples=speed, accuracy=0.9)

    best = {
        "mlp_lib/seed": m(300),
        "seed": m(100),
        "mlp_lib/small": m(140),
        "torch/small": m(100),
        "mlp_lib/large": m(110),
        "torch/large": m(100),
    }
    assert bench_training.goal_lines(best) == [
        "mlp_lib / seed program on 784-32-16-10: 3.00x (goal >= 2.5x): PASS",
        "mlp_lib / PyTorch on 784-32-16-10: 1.40x (goal >= 1.5x): FAIL",
        "mlp_lib / PyTorch on 784-512-256-10: 1.10x (goal >= 1.1x): PASS",
    ]


def test_missing_optional_package_is_skipped_with_the_install_command(capsys):
    assert bench_training.optional_import("no_such_module_for_this_test", "Nothing") is None
    assert 'pip install -e ".[bench]"' in capsys.readouterr().out


def test_torch_contender_trains_on_a_tiny_subset(tiny_mnist):
    pytest.importorskip("torch")
    d = tiny_mnist
    result = bench_training.train_torch(
        (784, 16, 10), d["X_train"], d["y_train"], d["X_test"], d["y_test"], batch_size=64, epochs=1
    )
    assert result.samples == 300 and result.seconds > 0 and 0 <= result.accuracy <= 1


def test_sklearn_contender_trains_on_a_tiny_subset(tiny_mnist):
    pytest.importorskip("sklearn")
    d = tiny_mnist
    result = bench_training.train_sklearn(
        (784, 16, 10), d["X_train"], d["y_train"], d["X_test"], d["y_test"], batch_size=64, epochs=1
    )
    assert result.samples == 300 and result.seconds > 0 and 0 <= result.accuracy <= 1


# ---- the loader benchmark -------------------------------------------------------------------


def test_struct_loaders_read_the_same_images_as_read_idx(tmp_path):
    from mlp_lib import read_idx, write_idx

    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    path = tmp_path / "images-idx3-ubyte"
    write_idx(path, images)
    for load in (bench_idx_loader.load_images_per_pixel, bench_idx_loader.load_images_per_image):
        np.testing.assert_array_equal(load(path), read_idx(path))


def test_matmul_report_measures_rounds_and_compares_their_median_with_the_goal(tiny_mnist, capsys):
    d = tiny_mnist
    ratio = bench_matmul.report(
        (784, 16, 10), 32, d["X_train"], d["y_train"], repeats=1, rounds=2, goal=True
    )
    out = capsys.readouterr().out
    assert out.count("round ") == 2 and ratio > 0
    assert re.search(
        r"achieved / 1024\^3 rate: \d+\.\d\d \(median of 2 rounds, from \d+\.\d\d to "
        r"\d+\.\d\d; goal >= 0\.55\): (PASS|FAIL)",
        out,
    )

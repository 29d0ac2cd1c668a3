"""Light checks of benchmarks/: the real seed program is found, extracted, run and read; the
counts and plumbing work.

No timing is asserted here (timings belong to the benchmark runs, not to tests), and everything
runs on tiny data. benchmarks/ is a folder of scripts, not a package, so they are imported by path.
The tests of the real seed program need the seed blog post: in shared/seed beside the repository
(as in CI), or wherever the environment variable MLP_LIB_SEED_POST says. Without it they are
skipped with a one-line reason that says how to provide it; with the variable CI set, its absence
is a failure (CI must run them), and so is a MLP_LIB_SEED_POST that names nothing.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import seed_post_or_skip

from mlp_lib import Momentum, load_mnist

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_script(name):
    """Import benchmarks/<name>.py as the module ``name``.

    It is registered in sys.modules so that ``from real_seed_program import ...`` inside
    bench_training.py finds it, as it would when the script runs from its own folder.
    """
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


real_seed_program = load_script("real_seed_program")  # first: bench_training imports it
bench_training = load_script("bench_training")
bench_matmul = load_script("bench_matmul")
bench_idx_loader = load_script("bench_idx_loader")


@pytest.fixture(scope="module")
def tiny_mnist():
    """300 training and 200 test images from the MNIST test split, as bench_training's data dict."""
    raw, y = load_mnist("test", normalize=False, dtype=np.float64)  # (10000, 784) 0..255
    scaled = (raw / 255).astype(np.float32)  # [0, 1]
    pixels = raw.astype(np.uint8)  # exact: the values are integers 0..255
    train, test = slice(0, 300), slice(300, 500)
    return {
        "X_train": scaled[train],
        "y_train": y[train],
        "X_test": scaled[test],
        "y_test": y[test],
        "X_train_pixels": pixels[train],
        "X_test_pixels": pixels[test],
    }


# ---- the real seed program --------------------------------------------------------------------
#
# Synthetic posts: a main program and a module of its own, shaped like the seed post's (a main
# guard, a print after .train(), a print of `accuracy`, "Epoch e, iter i, loss" lines).

SYNTHETIC_MAIN = """\
import os
from little_layers import Doubler, EPOCHS

class Model:
    def train(self):
        for epoch in range(EPOCHS):
            print("Epoch %d, iter 0, loss: 2.302585" % epoch)

    def evaluate(self):
        accuracy = Doubler().half(1.5)
        print("test accuracy: %f" % accuracy)

if __name__ == "__main__":
    model = Model()
    model.train()
    print("training took: %f" % 1.25)
    print("backend", os.environ.get("MPLBACKEND"), sorted(os.listdir("mnist_data")))
{extra}    model.evaluate()
"""
SYNTHETIC_LAYERS = """\
EPOCHS = {epochs}

class Doubler:
    def half(self, x):
        return x / 2
"""


def synthetic_post(extra="", epochs=3):
    """Markdown with prose, an unrelated block, the main program and its module."""
    main = SYNTHETIC_MAIN.format(extra=extra)
    layers = SYNTHETIC_LAYERS.format(epochs=epochs)
    return (
        "# A post\n\nSome prose.\n\n```bash\npip install numpy\n```\n\nmain.py\n\n"
        f"```python\n{main}```\n\nThe layers:\n\n```python\n{layers}\n```\n\nThe end.\n"
    )


def write_post(tmp_path, text):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "README.md").write_text("not the post", encoding="utf-8")
    (folder / "000_post.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def real_post():
    """The real seed post, found where CI and the main checkout have it; a skip if not."""
    return seed_post_or_skip()


def test_the_real_posts_two_blocks_are_extracted_unchanged(real_post):
    text = real_post.read_text(encoding="utf-8")
    files = real_seed_program.extract_program(text, source=real_post)
    assert list(files) == ["main.py", "layers_1.py"]
    assert "class MNIST_MLP" in files["main.py"]
    assert "class FullyConnectedLayer" in files["layers_1.py"]
    blocks = real_seed_program.python_blocks(text)
    assert sorted(files.values()) == sorted(blocks)  # exactly the post's two blocks, as written


def test_the_real_programs_printed_training_time_and_accuracy_are_located(real_post):
    files = real_seed_program.extract_program(real_post.read_text(encoding="utf-8"))
    labels = real_seed_program.printed_labels(files["main.py"])
    assert set(labels) == {"seconds", "accuracy"}
    assert labels["seconds"] != labels["accuracy"]
    for label in labels.values():  # each label is printed once by the program's code
        assert files["main.py"].count(label) == 1


def test_the_post_is_found_in_a_folder_beside_its_readme(tmp_path):
    folder = write_post(tmp_path, synthetic_post())
    assert real_seed_program.find_post(folder) == folder / "000_post.txt"
    assert real_seed_program.find_post(folder / "000_post.txt") == folder / "000_post.txt"


def test_a_missing_post_path_is_an_error_that_says_what_to_pass(tmp_path):
    with pytest.raises(
        real_seed_program.SeedPostError,
        match=r"nowhere: no such file or folder \(from --seed-post\); give the seed post's file",
    ):
        real_seed_program.find_post(tmp_path / "nowhere")


def test_the_environment_variable_names_the_post_when_no_path_is_given(tmp_path, monkeypatch):
    folder = write_post(tmp_path, "the post")
    monkeypatch.setenv(real_seed_program.ENV_VAR, str(folder))
    monkeypatch.setattr(real_seed_program, "default_post_folders", lambda: [])
    assert real_seed_program.find_post() == folder / "000_post.txt"
    assert real_seed_program.find_post(folder / "000_post.txt") == folder / "000_post.txt"
    monkeypatch.setenv(real_seed_program.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(
        real_seed_program.SeedPostError,
        match=r"nowhere: no such file or folder \(from the environment variable "
        r"MLP_LIB_SEED_POST\)",
    ):
        real_seed_program.find_post()


def no_post_anywhere(monkeypatch, tmp_path):
    monkeypatch.delenv(real_seed_program.ENV_VAR, raising=False)
    missing = [tmp_path / "shared" / "seed"]
    monkeypatch.setattr(real_seed_program, "default_post_folders", lambda: missing)


def test_without_the_post_its_tests_skip_saying_how_to_provide_it(tmp_path, monkeypatch):
    no_post_anywhere(monkeypatch, tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        seed_post_or_skip()
    (reason,) = str(skipped.value).splitlines()
    assert reason == (
        f"no seed post: put the blog post's folder at "
        f"{real_seed_program.REPO.parent / 'shared' / 'seed'} (beside the repository), or pass "
        f"--seed-post PATH, or set MLP_LIB_SEED_POST=PATH (its file or its folder)"
    )


def test_without_the_post_in_ci_its_tests_fail(tmp_path, monkeypatch):
    no_post_anywhere(monkeypatch, tmp_path)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(
        pytest.fail.Exception,
        match=r"^CI must run the real seed program's tests, "
        r"but no seed post: put the blog post's folder at ",
    ):
        seed_post_or_skip()
    monkeypatch.delenv("CI")
    monkeypatch.setenv(real_seed_program.ENV_VAR, str(tmp_path / "typo"))  # named, but wrong
    with pytest.raises(
        pytest.fail.Exception, match=r"MLP_LIB_SEED_POST is set, but .*typo: no such"
    ):
        seed_post_or_skip()


def test_the_script_without_the_post_prints_one_error_line():
    env = {**os.environ, real_seed_program.ENV_VAR: "/nowhere/seed"}
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / "real_seed_program.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "error: /nowhere/seed: no such file or folder (from the environment variable "
        "MLP_LIB_SEED_POST); give the seed post's file or the folder holding it (shared/seed "
        "beside the repository)"
    ]


def test_no_default_post_folder_is_an_error_that_lists_where_it_looked(tmp_path, monkeypatch):
    missing = [tmp_path / "a" / "shared" / "seed", tmp_path / "shared" / "seed"]
    monkeypatch.setattr(real_seed_program, "default_post_folders", lambda: missing)
    monkeypatch.delenv(real_seed_program.ENV_VAR, raising=False)
    with pytest.raises(
        real_seed_program.SeedPostError,
        match=r"the seed post was not found: no folder shared/seed in .*a/shared/seed, .*; "
        r"put the blog post's folder at .* or pass --seed-post PATH, or set MLP_LIB_SEED_POST",
    ):
        real_seed_program.find_post()


def test_a_folder_without_exactly_one_post_is_an_error(tmp_path):
    with pytest.raises(real_seed_program.SeedPostError, match=r"exactly one \.txt file.*found 0"):
        real_seed_program.find_post(tmp_path)
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.txt").write_text("y")
    with pytest.raises(real_seed_program.SeedPostError, match=r"found 2: a\.txt, b\.txt"):
        real_seed_program.find_post(tmp_path)


def test_the_blocks_are_found_by_what_they_are_not_by_their_order():
    text = synthetic_post()
    files = real_seed_program.extract_program(text)
    assert list(files) == ["main.py", "little_layers.py"]
    assert files["main.py"] == SYNTHETIC_MAIN.format(extra="")
    assert files["little_layers.py"] == SYNTHETIC_LAYERS.format(epochs=3) + "\n"


def test_a_text_without_a_main_program_is_an_error():
    with pytest.raises(
        real_seed_program.SeedPostError,
        match=r"post.txt: expected one ```python block holding the main program .* found 0 "
        r"among 1 python blocks; is this the seed post\?",
    ):
        real_seed_program.extract_program("```python\nx = 1\n```\n", source="post.txt")


def test_a_main_program_whose_module_is_missing_is_an_error():
    text = synthetic_post().replace("class Doubler", "class Tripler")  # imports Doubler
    with pytest.raises(
        real_seed_program.SeedPostError,
        match="the main program imports no module that another ```python block defines",
    ):
        real_seed_program.extract_program(text)


def test_a_main_program_without_the_two_prints_is_an_error():
    main = SYNTHETIC_MAIN.format(extra="").replace('"test accuracy: %f" % accuracy', "accuracy")
    with pytest.raises(
        real_seed_program.SeedPostError,
        match=r"cannot tell which printed line holds the accuracy: .*has the post changed\?",
    ):
        real_seed_program.printed_labels(main)


def test_the_output_is_parsed_into_seconds_accuracy_and_epochs():
    labels = real_seed_program.printed_labels(SYNTHETIC_MAIN.format(extra=""))
    output = (
        "loading...\nEpoch 0, iter 0, loss: 2.302585\nEpoch 0, iter 100, loss: 1.0\n"
        "Epoch 1, iter 0, loss: 0.5\ntraining took: 2.750000\ntest accuracy: 0.957700\n"
    )
    assert real_seed_program.parse_output(output, labels) == (2.75, 0.9577, 2)
    with pytest.raises(
        real_seed_program.SeedPostError,
        match=r"printed no line beginning with 'test accuracy: ' \(its accuracy\)",
    ):
        real_seed_program.parse_output(output.replace("test accuracy", "acc"), labels)


def test_a_synthetic_program_runs_with_agg_and_its_data(tmp_path):
    folder = write_post(tmp_path, synthetic_post())
    with real_seed_program.RealSeedProgram(folder, n_train=180, n_test=90) as program:
        run = program.run()
        workdir = program.folder
        written = real_seed_program.read_idx(workdir / "mnist_data" / "train-images-idx3-ubyte")
    assert not workdir.exists()  # removed on exit
    assert written.shape == (180, 28, 28) and written.dtype == np.uint8
    assert (run.seconds, run.accuracy, run.samples) == (1.25, 0.75, 3 * 180)
    data_files = (
        "['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', "
        "'train-images-idx3-ubyte', 'train-labels-idx1-ubyte']"
    )
    assert f"backend Agg {data_files}" in run.output


def test_a_program_that_waits_for_input_fails_instead_of_blocking(tmp_path):
    folder = write_post(tmp_path, synthetic_post(extra="    input()\n"))
    with real_seed_program.RealSeedProgram(folder, n_train=90, n_test=90) as program:
        with pytest.raises(
            real_seed_program.SeedPostError, match=r"failed with exit code 1:\n(.|\n)*EOFError"
        ):
            program.run()


def test_a_program_past_its_time_limit_is_stopped(tmp_path):
    folder = write_post(tmp_path, synthetic_post(extra="    import time; time.sleep(600)\n"))
    with real_seed_program.RealSeedProgram(folder, n_train=90, n_test=90, timeout=1) as program:
        with pytest.raises(real_seed_program.SeedPostError, match="did not finish within 1 s"):
            program.run()


def test_a_program_that_trains_other_than_3_epochs_is_an_error(tmp_path):
    folder = write_post(tmp_path, synthetic_post(epochs=2))
    with real_seed_program.RealSeedProgram(folder, n_train=90, n_test=90) as program:
        with pytest.raises(
            real_seed_program.SeedPostError, match=r"trained 2 epoch\(s\), expected 3"
        ):
            program.run()


def test_run_outside_the_with_block_is_an_error(tmp_path):
    program = real_seed_program.RealSeedProgram(write_post(tmp_path, synthetic_post()))
    with pytest.raises(RuntimeError, match="called outside `with RealSeedProgram"):
        program.run()


@pytest.fixture(scope="module")
def tiny_real_seed(real_post):
    """The real program, entered, on 900 training and 90 test images (a run takes seconds)."""
    with real_seed_program.RealSeedProgram(real_post, n_train=900, n_test=90) as program:
        yield program


def test_the_real_program_runs_end_to_end_on_tiny_data(tiny_real_seed):
    run = tiny_real_seed.run()
    assert run.samples == 3 * 900  # 3 epochs of 10 batches of 90
    assert run.seconds > 0 and 0 <= run.accuracy <= 1
    assert run.output.count("Epoch 2, iter 0, loss: ") == 1


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


def test_interleaved_run_with_the_real_seed_program_reports_and_skips(tiny_mnist, tiny_real_seed):
    contenders = bench_training.build_contenders(
        tiny_mnist,
        batch_size=64,
        epochs=1,
        seed_program=tiny_real_seed,
        with_torch=False,
        with_sklearn=False,
    )
    assert [c.key for c in contenders] == [
        "mlp_lib/small",
        "mlp_lib/large",
        "seed",
        "mlp_lib/seed-float64",
        "mlp_lib/seed-float32",
    ]
    rounds = bench_training.run_interleaved(contenders, repeats=1, log=lambda line: None)
    best = bench_training.fastest(rounds)
    table = bench_training.results_table(contenders, best)
    assert table.count("\n") == 2 + len(contenders) - 1  # header, rule, one row each
    assert "| seed program (real, unchanged) | 784-32-16-10 | 90 | float64 | " in table
    assert best["seed"].samples == 3 * 900  # the tiny data the real program was given
    assert best["mlp_lib/seed-float64"].samples == 3 * 300  # the seed's 3 epochs
    ratios = bench_training.ratio_lines(best)
    assert ratios[-1].startswith("mlp_lib float32 / real seed program on 784-32-16-10 (batch 90): ")
    goals = bench_training.goal_lines(best)
    for line, dtype in zip(goals, ("float64", "float32")):
        assert line.startswith(f"mlp_lib {dtype} / real seed program on 784-32-16-10: ")
        assert line.endswith(("PASS", "FAIL"))
    assert all("SKIPPED" in line for line in goals[2:])


def test_without_a_seed_program_the_seed_comparison_has_only_mlp_lib(tiny_mnist):
    contenders = bench_training.build_contenders(
        tiny_mnist, batch_size=64, epochs=1, with_torch=False, with_sklearn=False
    )
    assert "seed" not in [c.key for c in contenders]


def test_the_seed_recipes_pixels_are_the_files_uint8_values(tiny_mnist):
    pixels = bench_training.read_pixels("test")
    assert pixels.shape == (10000, 784) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels[300:500], tiny_mnist["X_test_pixels"])


def test_run_interleaved_alternates_contenders_and_keeps_the_fastest_round():
    calls = []

    def fake(key, speeds):
        runs = iter(speeds)

        def run():
            calls.append(key)
            return bench_training.Measurement(seconds=1.0, samples=next(runs), accuracy=0.9)

        return bench_training.Contender(key, key, (784, 10), 1, "float32", "", run)

    contenders = [fake("A", [10, 30, 20]), fake("B", [5, 4, 6])]
    rounds = bench_training.run_interleaved(contenders, repeats=3, log=lambda line: None)
    assert calls == ["A", "B", "A", "B", "A", "B"]
    assert [m.samples for m in rounds["A"]] == [10, 30, 20]
    best = bench_training.fastest(rounds)
    assert best["A"].samples_per_s == 30 and best["B"].samples_per_s == 6


def test_seed_round_lines_compare_runs_of_the_same_round():
    def m(speed):
        return bench_training.Measurement(seconds=1.0, samples=speed, accuracy=0.9)

    rounds = {
        "seed": [m(100), m(50), m(80)],
        "mlp_lib/seed-float64": [m(200), m(150), m(200)],
    }
    assert bench_training.seed_round_lines(rounds) == [
        "mlp_lib float64 / real seed program, round by round: 2.00x, 3.00x, 2.50x (median 2.50x)"
    ]


def test_goal_lines_compare_the_ratio_with_the_goal():
    def m(speed):
        return bench_training.Measurement(seconds=1.0, samples=speed, accuracy=0.9)

    best = {
        "mlp_lib/seed-float64": m(200),
        "mlp_lib/seed-float32": m(300),
        "seed": m(100),
        "mlp_lib/small": m(140),
        "torch/small": m(100),
        "mlp_lib/large": m(110),
        "torch/large": m(100),
    }
    assert bench_training.goal_lines(best) == [
        "mlp_lib float64 / real seed program on 784-32-16-10: 2.00x (goal >= 2.5x): FAIL",
        "mlp_lib float32 / real seed program on 784-32-16-10: 3.00x (goal >= 2.5x): PASS",
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


@pytest.mark.slow  # times a 1024³ product and training rounds: several seconds
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


def test_the_chunked_momentum_update_is_the_plain_update_to_the_last_bit():
    bench_chunked_update = load_script("bench_chunked_update")
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((50, 30), dtype=np.float32), "b": np.zeros(30, np.float32)}
    chunked_params = {name: p.copy() for name, p in params.items()}
    plain, chunked = Momentum(0.1), bench_chunked_update.ChunkedMomentum(0.1, chunk=64)
    for _ in range(3):
        grads = {name: rng.standard_normal(p.shape, dtype=np.float32) for name, p in params.items()}
        plain.step(params, grads)
        chunked.step(chunked_params, grads)
    for name in params:
        np.testing.assert_array_equal(params[name], chunked_params[name])

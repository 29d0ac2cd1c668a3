"""The presets: what each one builds, and the seed preset read against the blog program itself."""

import ast

import numpy as np
import pytest
from helpers import seed_post_or_skip, seed_program_module

from mlp_lib.augment import RandomShift
from mlp_lib.layers import init_weights
from mlp_lib.optim import Momentum
from mlp_lib.presets import PRESETS, get_preset
from mlp_lib.recipe import Recipe, build


def test_every_preset_is_a_recipe():
    assert all(isinstance(recipe, Recipe) for recipe in PRESETS.values())


def test_get_preset_names_the_choices():
    assert get_preset("best") is PRESETS["best"]
    with pytest.raises(
        ValueError,
        match=r"^unknown preset 'fastest'; choose one of default, seed, seed-improved, best, record$",
    ):
        get_preset("fastest")


def literal(node):
    return ast.literal_eval(node)


def seed_program_settings():
    """What the blog program (its main.py and layers_1.py, read from the post) trains with."""
    program = seed_program_module().extract_program(seed_post_or_skip().read_text("utf-8"))
    main, layers = ast.parse(program["main.py"]), ast.parse(program["layers_1.py"])
    functions = {node.name: node for node in ast.walk(main) if isinstance(node, ast.FunctionDef)}
    init = functions["__init__"].args
    defaults = dict(zip([a.arg for a in init.args][-len(init.defaults) :], init.defaults))
    epochs_loop = next(n for n in ast.walk(functions["train"]) if isinstance(n, ast.For))
    (hidden,) = [  # h1, h2, e = 32, 16, 1: the sizes the program's main block passes
        n
        for n in ast.walk(main)
        if isinstance(n, ast.Assign)
        and isinstance(n.targets[0], ast.Tuple)
        and [getattr(t, "id", None) for t in n.targets[0].elts][:2] == ["h1", "h2"]
    ]
    init_param = next(
        n for n in ast.walk(layers) if isinstance(n, ast.FunctionDef) and n.name == "init_param"
    )
    return {
        "batch_size": literal(defaults["batch_size"]),
        "lr": literal(defaults["lr"]),
        "epochs": literal(epochs_loop.iter.args[0]),  # for idx_epoch in range(3)
        "hidden_sizes": tuple(literal(v) for v in hidden.value.elts[:2]),
        "init_std": literal(init_param.args.defaults[0]),  # init_param(self, std=0.01)
        "scales_pixels": "255" in program["main.py"],
        "update": ast.unparse(
            next(
                n
                for n in ast.walk(layers)
                if isinstance(n, ast.FunctionDef) and n.name == "update_param"
            )
        ),
    }


def test_the_seed_preset_trains_what_the_blog_program_trains():
    program, seed = seed_program_settings(), PRESETS["seed"]
    assert (seed.batch_size, seed.lr, seed.epochs) == (
        program["batch_size"],
        program["lr"],
        program["epochs"],
    )
    assert seed.hidden_sizes == program["hidden_sizes"]
    assert seed.normalize is False and not program["scales_pixels"]  # raw 0..255 pixels
    # Plain SGD at a constant rate: the program's update is w -= lr * dw, nothing else.
    assert "self.weight -= lr * self.d_weight" in program["update"]
    assert (seed.optimizer, seed.lr_schedule, seed.weight_decay) == ("sgd", "constant", 0.0)
    # The program draws weights from N(0, std²) and starts the biases at 0, as init="normal" does.
    weights = init_weights(784, 32, seed.init, np.random.default_rng(0), dtype=np.float64)
    assert weights.std() == pytest.approx(program["init_std"], rel=0.02)
    assert seed.dtype == "float64"  # NumPy's default, which the program never changes


def test_build_makes_what_the_best_recipe_describes():
    model, optimizer, augment = build(PRESETS["best"])
    assert model.layer_sizes == (784, 512, 256, 10) and model.dropout == 0.1
    assert model.dtype == np.float32
    assert isinstance(optimizer, Momentum) and optimizer.lr == 0.1
    assert isinstance(augment, RandomShift) and augment.max_shift == 1
    assert build(PRESETS["seed"])[2] is None  # no shifts: no augmentation

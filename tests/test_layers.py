import json

import numpy as np
import pytest

from mlp_lib.gradcheck import check_layer_gradients
from mlp_lib.layers import (
    ACTIVATIONS,
    LAYERS,
    Dropout,
    Layer,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
    build_layer,
    check_spec,
    init_weights,
    layer_name,
    layer_spec,
    mlp_layer_specs,
    spec_shapes,
)

SHAPES = [(1, 1, 1), (4, 3, 2), (7, 5, 9), (2, 784, 3)]


@pytest.mark.parametrize("n, n_in, n_out", SHAPES)
def test_linear_backward_matches_numerical_gradient(n, n_in, n_out):
    rng = np.random.default_rng(0)
    layer = Linear(n_in, n_out, init="he", rng=rng, dtype=np.float64)
    layer.params["b"][:] = rng.standard_normal(n_out)  # a non-zero bias tests db properly
    x = rng.standard_normal((n, n_in))
    errors = check_layer_gradients(layer, x)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-6, errors


def test_linear_worked_example_by_hand():
    layer = Linear(2, 1, dtype=np.float64)
    layer.params["W"][:] = [[2.0], [-1.0]]
    layer.params["b"][:] = [0.5]
    out = layer.forward(np.array([[1.0, 3.0]]))  # 1*2 + 3*(-1) + 0.5 = -0.5
    np.testing.assert_array_equal(out, [[-0.5]])
    dx = layer.backward(np.array([[2.0]]))
    np.testing.assert_array_equal(dx, [[4.0, -2.0]])  # dout @ W.T
    np.testing.assert_array_equal(layer.grads["W"], [[2.0], [6.0]])  # x.T @ dout
    np.testing.assert_array_equal(layer.grads["b"], [2.0])


def test_linear_backward_twice_gives_the_same_gradients():
    rng = np.random.default_rng(1)
    layer = Linear(5, 3, rng=rng, dtype=np.float64)
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    layer.forward(x)
    dx1 = layer.backward(dout)
    grads1 = {k: v.copy() for k, v in layer.grads.items()}
    dx2 = layer.backward(dout)
    np.testing.assert_array_equal(dx1, dx2)
    for key in grads1:
        np.testing.assert_array_equal(grads1[key], layer.grads[key])  # overwritten, not accumulated


def test_linear_params_and_grads_have_matching_keys_and_shapes():
    layer = Linear(6, 4, rng=np.random.default_rng(0))
    layer.forward(np.ones((3, 6), dtype=np.float32))
    layer.backward(np.ones((3, 4), dtype=np.float32))
    assert layer.params.keys() == layer.grads.keys() == {"W", "b"}
    for key in layer.params:
        assert layer.params[key].shape == layer.grads[key].shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_keeps_its_dtype_end_to_end(dtype):
    layer = Linear(4, 3, rng=np.random.default_rng(0), dtype=dtype)
    x = np.ones((2, 4), dtype=dtype)
    out = layer.forward(x)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == layer.grads["W"].dtype == layer.grads["b"].dtype == dtype


def test_linear_without_compute_dx_still_fills_param_grads():
    layer = Linear(4, 3, rng=np.random.default_rng(0), dtype=np.float64, compute_dx=False)
    layer.forward(np.ones((2, 4)))
    assert layer.backward(np.ones((2, 3))) is None
    np.testing.assert_array_equal(layer.grads["b"], [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    "init, expected_std", [("normal", 0.01), ("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / 600))]
)
def test_init_weights_have_the_documented_scale(init, expected_std):
    W = init_weights(400, 200, init, np.random.default_rng(0), np.float64)
    assert W.shape == (400, 200)
    assert W.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(W.mean()) < 0.1 * expected_std


def test_linear_biases_start_at_zero():
    assert not Linear(3, 5, rng=np.random.default_rng(0)).params["b"].any()


def test_linear_same_rng_seed_gives_same_weights():
    a = Linear(10, 4, rng=np.random.default_rng(7))
    b = Linear(10, 4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.params["W"], b.params["W"])


def test_linear_rejects_unflattened_images_with_a_hint():
    layer = Linear(784, 32, rng=np.random.default_rng(0))
    with pytest.raises(
        ValueError,
        match=r"expected x of shape \(N, 784\), got \(32, 28, 28\); "
        r"flatten images with X.reshape",
    ):
        layer.forward(np.zeros((32, 28, 28), dtype=np.float32))


def test_linear_rejects_wrong_feature_count():
    with pytest.raises(
        ValueError, match=r"Linear\(n_in=3\) expected x of shape \(N, 3\), got \(2, 4\)$"
    ):
        Linear(3, 2, rng=np.random.default_rng(0)).forward(np.zeros((2, 4)))


@pytest.mark.parametrize(
    "n_in, n_out, bad", [(0, 3, "n_in"), (3, -1, "n_out"), (2.5, 3, "n_in"), (True, 3, "n_in")]
)
def test_linear_rejects_non_positive_sizes(n_in, n_out, bad):
    with pytest.raises(ValueError, match=f"Linear {bad} must be a positive integer"):
        Linear(n_in, n_out)


def test_linear_rejects_unknown_init_and_dtype():
    with pytest.raises(ValueError, match=r"init must be one of normal, he, xavier, got 'zeros'"):
        Linear(3, 2, init="zeros")
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got int64"):
        Linear(3, 2, dtype=np.int64)


@pytest.mark.parametrize("layer_cls", [lambda: Linear(2, 2), ReLU, Sigmoid, Tanh])
def test_backward_before_forward_is_a_clear_error(layer_cls):
    layer = layer_cls()
    with pytest.raises(RuntimeError, match=r"\w+\.backward called before forward"):
        layer.backward(np.ones((1, 2)))


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (32, 16)])
def test_relu_backward_matches_numerical_gradient(shape):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where no derivative exists
    errors = check_layer_gradients(ReLU(), x)
    assert errors["x"] < 1e-6


def test_relu_gradient_is_zero_exactly_at_zero():
    relu = ReLU()
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.forward(x), [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


def test_relu_keeps_float32():
    x = np.array([[-1.0, 3.0]], dtype=np.float32)
    relu = ReLU()
    assert relu.forward(x).dtype == np.float32
    assert relu.backward(np.ones_like(x)).dtype == np.float32


def test_layers_describe_themselves():
    assert repr(Linear(784, 32, init="normal")) == "Linear(784 -> 32, init='normal')"
    assert repr(ReLU()) == "ReLU()"
    assert Linear(784, 32, init="normal").config() == {
        "n_in": 784,
        "n_out": 32,
        "init": "normal",
        "compute_dx": True,
    }
    assert ReLU().config() == {} and Dropout(0.2).config() == {"p": 0.2}


# ---- Dropout ----------------------------------------------------------------------------------


class FixedMaskDropout(Dropout):
    """Draws the same mask on every forward call, so the numerical gradient is well defined."""

    def forward(self, x):
        self.rng = np.random.default_rng(0)
        return super().forward(x)


@pytest.mark.parametrize("shape, p", [((1, 1), 0.5), ((5, 7), 0.1), ((32, 16), 0.5)])
def test_dropout_backward_matches_numerical_gradient(shape, p):
    layer = FixedMaskDropout(p)
    layer.training = True
    x = np.random.default_rng(3).standard_normal(shape)
    assert check_layer_gradients(layer, x)["x"] < 1e-6


def test_dropout_zeroes_about_p_of_the_units_and_scales_the_rest():
    layer = Dropout(0.25, rng=np.random.default_rng(0))
    layer.training = True
    out = layer.forward(np.ones((200, 500)))
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert (out == 0).mean() == pytest.approx(0.25, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.01)  # the expected value is unchanged


def test_dropout_backward_passes_gradient_only_through_kept_units():
    layer = Dropout(0.5, rng=np.random.default_rng(1))
    layer.training = True
    out = layer.forward(np.ones((4, 6)))
    dx = layer.backward(np.ones((4, 6)))
    np.testing.assert_array_equal(dx, out)  # mask / (1 - p), both times


def test_dropout_is_the_identity_when_not_training():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.arange(6.0).reshape(2, 3)
    assert layer.training is False  # layers start in prediction mode
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), np.ones((2, 3)))


def test_dropout_keeps_float32():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    layer.training = True
    x = np.ones((3, 4), dtype=np.float32)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(x).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1, 1.5, "0.1", True])
def test_dropout_rejects_probabilities_outside_zero_to_one(p):
    with pytest.raises(
        ValueError, match=r"dropout probability p must be a number in \[0, 1\), got .*; try 0.1"
    ):
        Dropout(p)


def test_dropout_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match=r"Dropout\.backward called before forward"):
        Dropout(0.1).backward(np.ones((1, 2)))


def test_dropout_describes_itself():
    assert repr(Dropout(0.2)) == "Dropout(p=0.2)"


# ---- every layer in the registry: a new layer is checked here without a new test ----------------

# Layers whose constructor needs arguments, and widths that fit them; the others are built from {}.
EXAMPLE_CONFIGS = {"linear": lambda width: {"n_in": width, "n_out": 3}}


def example_layer(name, width, dtype=np.float64):
    config = EXAMPLE_CONFIGS.get(name, lambda width: {})(width)
    return LAYERS[name].from_config(config, rng=np.random.default_rng(0), dtype=dtype)


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("shape", [(1, 1), (4, 3), (7, 5)])
def test_every_registered_layer_backward_matches_numerical_gradient(name, shape):
    layer = example_layer(name, shape[1])
    rng = np.random.default_rng(2)
    for params in layer.params.values():
        params[...] = rng.standard_normal(params.shape)  # non-zero biases too
    x = rng.standard_normal(shape) * 3
    x[np.abs(x) < 1e-3] = 0.5  # away from ReLU's kink, where no derivative exists
    errors = check_layer_gradients(layer, x)  # predicting: Dropout is the identity
    assert set(errors) >= {"x"} | set(layer.params)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("name", LAYERS)
def test_every_registered_layer_refuses_backward_before_forward_and_after_forget(name):
    layer = example_layer(name, 4)
    message = rf"^{type(layer).__name__}\.backward called before forward$"
    with pytest.raises(RuntimeError, match=message):
        layer.backward(np.ones((2, 3)))
    layer.forward(np.ones((2, 4)))
    layer.forget()  # what forward kept is gone, so backward has nothing to work with
    with pytest.raises(RuntimeError, match=message):
        layer.backward(np.ones((2, 3)))


@pytest.mark.parametrize("name", LAYERS)
def test_every_registered_layer_is_rebuilt_from_its_config_as_json(name):
    layer = example_layer(name, 4)
    config = json.loads(json.dumps(layer.config()))  # what a model file stores
    assert config == layer.config()
    again = LAYERS[name].from_config(config, rng=np.random.default_rng(0), dtype=np.float64)
    assert type(again) is type(layer) and repr(again) == repr(layer)
    for key, value in layer.params.items():  # the same random numbers from the same generator
        np.testing.assert_array_equal(again.params[key], value)
    assert LAYERS[name].parameter_shapes(config) == {k: v.shape for k, v in layer.params.items()}
    assert layer_name(layer) == name and layer_spec(layer) == {"name": name, "config": config}
    assert repr(layer).startswith(type(layer).__name__ + "(")


@pytest.mark.parametrize("name", LAYERS)
def test_every_registered_layer_keeps_float32(name):
    layer = example_layer(name, 4, dtype=np.float32)
    layer.training = True
    out = layer.forward(np.linspace(-3, 3, 8, dtype=np.float32).reshape(2, 4))
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == np.float32 and (dx is None or dx.dtype == np.float32)


def test_the_registry_names_each_class_once_and_activations_come_from_it():
    assert list(LAYERS) == ["linear", "relu", "sigmoid", "tanh", "dropout"]
    assert len(set(LAYERS.values())) == len(LAYERS)
    assert all(issubclass(cls, Layer) for cls in LAYERS.values())
    assert ACTIVATIONS == ("relu", "sigmoid", "tanh")
    assert ACTIVATIONS == tuple(name for name, cls in LAYERS.items() if cls.is_activation)


# ---- Sigmoid and Tanh -------------------------------------------------------------------------


def test_sigmoid_and_tanh_worked_example_by_hand():
    x = np.array([[0.0, np.log(3)]])  # sigmoid(ln 3) = 1 / (1 + 1/3) = 3/4
    sigmoid, tanh = Sigmoid(), Tanh()
    np.testing.assert_allclose(sigmoid.forward(x), [[0.5, 0.75]])
    np.testing.assert_allclose(sigmoid.backward(np.ones((1, 2))), [[0.25, 0.75 * 0.25]])
    np.testing.assert_allclose(tanh.forward(x), [[0.0, 0.8]])  # tanh(ln 3) = (3 - 1/3) / (3 + 1/3)
    np.testing.assert_allclose(tanh.backward(np.ones((1, 2))), [[1.0, 1 - 0.8**2]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_stable_for_huge_inputs(dtype):
    x = np.array([[-1e4, -800.0, -100.0, 0.0, 100.0, 800.0, 1e4]], dtype=dtype)
    sigmoid = Sigmoid()
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        out = sigmoid.forward(x)
        dx = sigmoid.backward(np.ones_like(x))
    assert out.dtype == dtype and out[0, 0] == 0 and out[0, -1] == 1 and out[0, 3] == 0.5
    assert np.all(np.isfinite(dx)) and np.all(dx >= 0) and dx[0, 3] == 0.25


@pytest.mark.parametrize("x", [np.linspace(-30, 30, 61)[None, :], np.array([[-5e-8, 5e-8]])])
def test_sigmoid_matches_its_definition_and_tanh_is_a_stretched_sigmoid(x):
    sigmoid = Sigmoid().forward(x)
    np.testing.assert_allclose(sigmoid, 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(Tanh().forward(x), 2 * Sigmoid().forward(2 * x) - 1, atol=1e-15)


def test_activations_describe_themselves():
    assert [repr(LAYERS[name]()) for name in ACTIVATIONS] == ["ReLU()", "Sigmoid()", "Tanh()"]


# ---- layers as data: specs ----------------------------------------------------------------------


def test_a_spec_builds_its_layer_and_its_shapes_are_known_without_building_it():
    spec = {"name": "linear", "config": {"n_in": 10**6, "n_out": 10**6}}  # 4 TB if it were made
    assert spec_shapes(spec) == {"W": (10**6, 10**6), "b": (10**6,)}
    layer = build_layer({"name": "linear", "config": {"n_in": 4, "n_out": 2}}, dtype=np.float64)
    assert repr(layer) == "Linear(4 -> 2, init='he')" and layer.params["W"].dtype == np.float64
    assert repr(build_layer({"name": "dropout", "config": {"p": 0.3}})) == "Dropout(p=0.3)"
    assert repr(build_layer({"name": "tanh"})) == "Tanh()"  # "config" may be left out
    assert spec_shapes({"name": "tanh"}) == {}


@pytest.mark.parametrize(
    "spec, message",
    [
        ("relu", r"^a layer spec is a dict \{'name': \.\.\., 'config': \{\.\.\.\}\}, e\.g\. "),
        ({"name": "relu", "p": 0.1}, r"^a layer spec is a dict .*got \{'name': 'relu', 'p': 0.1\}"),
        ({"config": {}}, r"^a layer spec is a dict"),
        ({"name": "softmax"}, r"^unknown layer 'softmax'; the layers are linear, relu, sigmoid, "),
        (
            {"name": "relu", "config": [1]},
            r"^the config of a 'relu' layer must be a dict, got \[1\]",
        ),
        (
            {"name": "relu", "config": {"p": 0.1}},
            r"^a 'relu' layer takes no arguments; got unknown",
        ),
        (
            {"name": "dropout", "config": {"q": 1}},
            r"^a 'dropout' layer takes p; got unknown \['q'\]",
        ),
        (
            {"name": "linear", "config": {"rng": 1}},
            r"takes n_in, n_out, init, compute_dx; got unkn",
        ),
        (
            {"name": "linear", "config": {"n_in": 3}},
            r"^a 'linear' layer needs n_in, n_out; missing \['n_out'\]$",
        ),
    ],
)
def test_a_bad_spec_is_refused_saying_what_a_spec_is(spec, message):
    with pytest.raises(ValueError, match=message):
        check_spec(spec)


@pytest.mark.parametrize(
    "config, message",
    [
        ({"n_in": 0, "n_out": 2}, r"^Linear n_in must be a positive integer, got 0$"),
        ({"n_in": 2, "n_out": 2, "init": "zeros"}, r"^init must be one of normal, he, xavier"),
        (
            {"n_in": 2, "n_out": 2, "compute_dx": 1},
            r"^Linear compute_dx must be True or False, got 1",
        ),
    ],
)
def test_a_spec_s_values_are_checked_by_its_layer_without_building_it(config, message):
    with pytest.raises(ValueError, match=message):
        spec_shapes({"name": "linear", "config": config})
    with pytest.raises(ValueError, match=message):
        build_layer({"name": "linear", "config": config})


def test_a_layer_whose_class_is_not_registered_has_no_spec():
    with pytest.raises(
        ValueError,
        match=r"^Dropout\(p=0.5\) is a FixedMaskDropout, which is not in "
        r"mlp_lib.layers.LAYERS; add it there \(LAYERS\[name\] = FixedMaskDropout\) to save it$",
    ):
        layer_spec(FixedMaskDropout(0.5))
    assert layer_name(FixedMaskDropout(0.5)) is None


def test_mlp_layer_specs_are_linear_activation_dropout_and_check_their_settings():
    specs = mlp_layer_specs((6, 5, 4), init="xavier", dropout=0.25, activation="tanh")
    assert specs == [
        {
            "name": "linear",
            "config": {"n_in": 6, "n_out": 5, "init": "xavier", "compute_dx": False},
        },
        {"name": "tanh", "config": {}},
        {"name": "dropout", "config": {"p": 0.25}},
        {"name": "linear", "config": {"n_in": 5, "n_out": 4, "init": "xavier", "compute_dx": True}},
    ]
    assert [spec["name"] for spec in mlp_layer_specs((6, 4))] == ["linear"]
    with pytest.raises(
        ValueError, match=r"^activation must be one of relu, sigmoid, tanh, got 'softmax'$"
    ):
        mlp_layer_specs((6, 4), activation="softmax")

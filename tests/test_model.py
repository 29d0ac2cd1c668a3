import pickle
import zipfile

import numpy as np
import pytest

import mlp_lib.layers
from mlp_lib.gradcheck import check_model_gradients
from mlp_lib.layers import (
    ACTIVATIONS,
    Dropout,
    Layer,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
    init_weights,
    layer_spec,
    mlp_layer_specs,
)
from mlp_lib.losses import softmax
from mlp_lib.model import MLP, ModelFormatError


@pytest.mark.parametrize("sizes", [(4, 3), (6, 5, 3), (8, 7, 5, 3), (784, 4, 3, 10)])
def test_mlp_backward_matches_numerical_gradient(sizes):
    rng = np.random.default_rng(0)
    model = MLP(sizes, seed=1, dtype=np.float64)
    for layer in model.linear_layers:
        layer.params["b"][:] = rng.standard_normal(layer.n_out) * 0.1  # exercise the bias gradients
    X = rng.standard_normal((5, sizes[0]))
    y = rng.integers(0, sizes[-1], size=5)
    errors = check_model_gradients(model, X, y)
    assert set(errors) == set(model.parameters())
    assert max(errors.values()) < 1e-6, errors


def test_mlp_is_linear_relu_linear_relu_linear():
    model = MLP((784, 32, 16, 10))
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Linear, ReLU, Linear, ReLU, Linear]
    assert [p.shape for p in model.parameters().values()] == [
        (784, 32),
        (32,),
        (32, 16),
        (16,),
        (16, 10),
        (10,),
    ]
    assert repr(model) == "MLP(784 -> 32 -> 16 -> 10, init='he', dtype=float32)"


def test_mlp_backward_twice_gives_the_same_gradients():
    rng = np.random.default_rng(0)
    model = MLP((10, 8, 3), dtype=np.float64)
    X, y = rng.standard_normal((6, 10)), rng.integers(0, 3, 6)
    model.loss(X, y)
    model.backward()
    first = {k: v.copy() for k, v in model.gradients().items()}
    model.backward()
    for key, value in model.gradients().items():
        np.testing.assert_array_equal(first[key], value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_stays_the_same_end_to_end(dtype):
    model = MLP((20, 8, 4), dtype=dtype)
    X = np.random.default_rng(0).random((5, 20)).astype(dtype)
    loss = model.loss(X, np.arange(5) % 4)
    model.backward()
    assert model.forward(X).dtype == dtype and loss.dtype == dtype
    assert model.predict_proba(X).dtype == dtype
    assert all(g.dtype == dtype for g in model.gradients().values())


def test_float64_input_to_a_float32_model_is_cast_once():
    model = MLP((20, 4), dtype=np.float32)
    assert model.forward(np.zeros((2, 20))).dtype == np.float32


def test_predict_and_predict_proba_agree():
    model = MLP((12, 6, 5), seed=3)
    X = np.random.default_rng(0).random((9, 12))
    probs = model.predict_proba(X)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(X), probs.argmax(axis=1))


def test_same_seed_same_model_different_seed_different_model():
    a, b, c = MLP((30, 5, 3), seed=4), MLP((30, 5, 3), seed=4), MLP((30, 5, 3), seed=5)
    np.testing.assert_array_equal(a.parameters()["W0"], b.parameters()["W0"])
    assert not np.array_equal(a.parameters()["W0"], c.parameters()["W0"])


@pytest.mark.parametrize(
    "sizes, message",
    [
        ((784,), r"needs at least an input and an output size"),
        ((784, 0, 10), r"every layer size must be a positive integer, got 0"),
        ((784, -3, 10), r"got -3"),
        ((784, 2.5, 10), r"got 2.5"),
        (784, r"layer_sizes must be a sequence such as \(784, 32, 16, 10\), got 784"),
    ],
)
def test_bad_layer_sizes_are_refused(sizes, message):
    with pytest.raises(ValueError, match=message):
        MLP(sizes)


def test_unknown_init_is_refused():
    with pytest.raises(ValueError, match=r"init must be one of .*got 'uniform'"):
        MLP((4, 2), init="uniform")


# ---- saving and loading ------------------------------------------------------------------


def test_save_load_round_trip_keeps_weights_sizes_and_metadata(tmp_path):
    model = MLP((784, 16, 8, 10), init="normal", seed=2, dtype=np.float64)
    path = model.save(tmp_path / "model.npz", preset="seed", dataset="mnist")
    loaded = MLP.load(path)
    assert loaded.layer_sizes == model.layer_sizes
    assert loaded.dtype == np.float64 and loaded.init == "normal"
    assert loaded.metadata == {"preset": "seed", "dataset": "mnist"}
    for key, value in model.parameters().items():
        np.testing.assert_array_equal(loaded.parameters()[key], value)
    X = np.random.default_rng(0).random((3, 784))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    MLP((4, 2), seed=0).save(path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        MLP((4, 2), seed=1).save(path)
    assert path.read_bytes() == before  # the old model is intact
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # and no partial file


def test_save_requires_the_npz_suffix(tmp_path):
    with pytest.raises(
        ValueError, match=r"model files end in .npz, got .*model.pkl'; try model.npz"
    ):
        MLP((4, 2)).save(tmp_path / "model.pkl")


class RunsCodeWhenUnpickled:
    """A stand-in for a malicious object: unpickling it would call the function it names."""

    def __reduce__(self):
        import builtins

        return builtins.exec, ("import pathlib; pathlib.Path('PWNED').write_text('code ran')",)


def test_a_pickle_that_runs_code_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(RunsCodeWhenUnpickled()))
    with pytest.raises(
        ModelFormatError,
        match=r"evil.npz: not a model file \(a pickle\); model files are "
        r".npz archives .* pickled files are refused because "
        r"loading them can run code",
    ):
        MLP.load(path)
    assert not (tmp_path / "PWNED").exists()


def test_an_npz_holding_a_pickled_object_array_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = RunsCodeWhenUnpickled()
    np.savez(path, layer_sizes=np.array([4, 2]), W0=evil, b0=np.zeros(2))
    with pytest.raises(
        ModelFormatError, match=r"the array 'W0' holds pickled Python objects; model files"
    ):
        MLP.load(path)
    assert not (tmp_path / "PWNED").exists()


def test_load_refuses_wrong_shapes(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, layer_sizes=np.array([4, 2]), W0=np.zeros((3, 2)), b0=np.zeros(2))
    with pytest.raises(
        ModelFormatError,
        match=r"W0 should be a float array of shape \(4, 2\), got float64 of shape \(3, 2\)",
    ):
        MLP.load(path)


def test_load_refuses_missing_and_unexpected_keys(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, layer_sizes=np.array([4, 2]), W0=np.zeros((4, 2)), W1=np.zeros((2, 2)))
    with pytest.raises(ModelFormatError, match=r"missing \['b0'\], unexpected \['W1'\]"):
        MLP.load(path)
    np.savez(path, layer_sizes=np.array([4, 2]), W0=np.zeros((4, 2)), extra=np.zeros(1))
    with pytest.raises(ModelFormatError, match=r"m.npz: unexpected arrays \['extra'\]"):
        MLP.load(path)


def test_load_refuses_an_archive_without_layer_sizes(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, W0=np.zeros((4, 2)))
    with pytest.raises(ModelFormatError, match="missing 'layer_sizes'"):
        MLP.load(path)


def test_load_refuses_bad_layer_sizes(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, layer_sizes=np.array([4.0, 2.0]))
    with pytest.raises(
        ModelFormatError,
        match=r"'layer_sizes' should be an integer array of at most 64 entries, got float64",
    ):
        MLP.load(path)
    np.savez(path, layer_sizes=np.array([4, 0]))
    with pytest.raises(ModelFormatError, match="every layer size must be a positive integer"):
        MLP.load(path)


def test_load_refuses_nan_weights(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, layer_sizes=np.array([2, 2]), W0=np.full((2, 2), np.nan), b0=np.zeros(2))
    with pytest.raises(
        ModelFormatError,
        match=r"m.npz: W0 contains 4 nan or inf values; MLP.save never writes them: is this the "
        r"right file\?$",
    ):
        MLP.load(path)


def test_load_refuses_a_plain_npy_and_garbage(tmp_path):
    npy = tmp_path / "m.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(
        ModelFormatError, match=r"not a model file \(a single NumPy array \(.npy\)\)"
    ):
        MLP.load(npy)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not a zip file at all")
    with pytest.raises(
        ModelFormatError, match=r"junk.npz: not a model file \(not an .npz archive\)"
    ):
        MLP.load(junk)
    truncated = tmp_path / "cut.npz"
    MLP((4, 2)).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:100])
    with pytest.raises(
        ModelFormatError, match=r"cut.npz: not a model file \(a damaged .npz archive: BadZipFile\)"
    ):
        MLP.load(truncated)


def test_load_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"no such model file; train one with `python -m mlp_lib train --save",
    ):
        MLP.load(tmp_path / "nope.npz")


def test_saved_file_contains_no_pickled_objects(tmp_path):
    path = MLP((4, 3, 2)).save(tmp_path / "m.npz", preset="default")
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            np.lib.format.read_array(
                archive.open(name), allow_pickle=False
            )  # raises if any is pickled


def test_load_refuses_an_archive_with_a_damaged_member(tmp_path):
    path = tmp_path / "m.npz"
    MLP((4, 2)).save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["layer0.W.npy"] = members["layer0.W.npy"][:-8]  # the array's data cut short
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(
        ModelFormatError,
        match=r"m.npz: not a model file \(a damaged .npz archive: the header of 'layer0.W' promises "
        r"32 bytes of data, its member holds 24\)",
    ):
        MLP.load(path)


# ---- dropout ------------------------------------------------------------------------------


def test_dropout_follows_every_hidden_relu():
    model = MLP((784, 32, 16, 10), dropout=0.1)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear]
    assert repr(model) == "MLP(784 -> 32 -> 16 -> 10, init='he', dropout=0.1, dtype=float32)"


def test_dropout_acts_only_when_training():
    model = MLP((20, 64, 3), dropout=0.5, dtype=np.float64)
    X = np.random.default_rng(0).random((4, 20))
    np.testing.assert_array_equal(model.forward(X), model.forward(X))  # predicting: no noise
    assert not np.allclose(model.forward(X, training=True), model.forward(X))
    np.testing.assert_array_equal(model.predict_proba(X), model.predict_proba(X))


def test_mlp_with_dropout_backward_matches_numerical_gradient_when_predicting():
    rng = np.random.default_rng(0)
    model = MLP((6, 5, 3), seed=1, dtype=np.float64, dropout=0.3)
    errors = check_model_gradients(model, rng.standard_normal((5, 6)), rng.integers(0, 3, size=5))
    assert max(errors.values()) < 1e-6, errors


def test_dropout_rate_is_saved_and_loaded(tmp_path):
    path = MLP((10, 4, 3), dropout=0.25).save(tmp_path / "m.npz")
    assert MLP.load(path).dropout == 0.25
    assert MLP.load(MLP((10, 4, 3)).save(tmp_path / "plain.npz")).dropout == 0.0


def test_load_refuses_a_bad_dropout_rate(tmp_path):
    path = MLP((10, 4, 3), dropout=0.1).save(tmp_path / "m.npz")
    arrays = dict(np.load(path))
    arrays["layers"] = np.array(str(arrays["layers"]).replace('"p": 0.1', '"p": 1.5'))
    np.savez(path, **arrays)
    with pytest.raises(
        ModelFormatError,
        match=r"m.npz: layer 2: dropout probability p must be a number in \[0, 1\), got 1.5; try 0.1$",
    ):
        MLP.load(path)
    old = {"layer_sizes": np.array([10, 4, 3]), "dropout": np.array(1.5)}  # format 1
    old.update(W0=np.zeros((10, 4)), b0=np.zeros(4), W1=np.zeros((4, 3)), b1=np.zeros(3))
    np.savez(path, **old)
    with pytest.raises(ModelFormatError, match=r"'dropout' must be one number in \[0, 1\)"):
        MLP.load(path)


@pytest.mark.parametrize("sizes", [(4, 3, 2), (4, 2)])  # with and without a Dropout layer
def test_bad_dropout_is_refused(sizes):
    with pytest.raises(ValueError, match=r"^dropout must be a number in \[0, 1\), got 1; try 0.1$"):
        MLP(sizes, dropout=1)


def test_load_can_convert_the_weights_to_float64(tmp_path):
    model = MLP((10, 4, 3), seed=3)
    path = model.save(tmp_path / "m.npz")
    loaded = MLP.load(path, dtype=np.float64)
    assert loaded.dtype == np.float64 and loaded.parameters()["W0"].dtype == np.float64
    np.testing.assert_array_equal(loaded.parameters()["W0"], model.parameters()["W0"])
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got int32"):
        MLP.load(path, dtype=np.int32)


def test_predictions_come_in_batches_and_keep_nothing_for_backward():
    model = MLP((20, 8, 3), seed=0, dtype=np.float64)
    X = np.random.default_rng(0).random((2500, 20))  # more than one batch of 1000
    whole = np.concatenate([model.forward(X[:1000]), model.forward(X[1000:])])  # by hand
    np.testing.assert_allclose(model.predict_proba(X), softmax(whole), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), whole.argmax(axis=1))
    assert all(layer._x is None for layer in model.linear_layers)  # not the last batch's inputs
    with pytest.raises(RuntimeError, match="Linear.backward called before forward"):
        model.layers[0].backward(np.zeros((1, 8)))
    assert model.predict(np.zeros((0, 20))).shape == (0,)


# ---- activations ----------------------------------------------------------------------------

ACTIVATION_CLASSES = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_activation_follows_every_hidden_linear_layer(activation):
    model = MLP((784, 32, 16, 10), activation=activation, dropout=0.1)
    kinds = [type(layer) for layer in model.layers]
    act = ACTIVATION_CLASSES[activation]
    assert kinds == [Linear, act, Dropout, Linear, act, Dropout, Linear]
    assert model.activation == activation
    shown = "" if activation == "relu" else f", activation='{activation}'"
    assert (
        repr(model) == f"MLP(784 -> 32 -> 16 -> 10, init='he'{shown}, dropout=0.1, dtype=float32)"
    )


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_with_any_activation_backward_matches_numerical_gradient(activation):
    rng = np.random.default_rng(0)
    model = MLP((6, 5, 4, 3), seed=1, dtype=np.float64, activation=activation)
    errors = check_model_gradients(model, rng.standard_normal((5, 6)), rng.integers(0, 3, size=5))
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_activation_is_saved_and_loaded(tmp_path, activation):
    model = MLP((10, 6, 4, 3), activation=activation, dropout=0.2, seed=3)
    loaded = MLP.load(model.save(tmp_path / "m.npz"))
    assert repr(loaded) == repr(model) and loaded.activation == activation
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    X = np.random.default_rng(0).random((5, 10))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_the_activation_does_not_change_the_random_weights():
    relu, tanh = MLP((20, 8, 3), seed=7), MLP((20, 8, 3), seed=7, activation="tanh")
    for key, value in relu.parameters().items():
        np.testing.assert_array_equal(tanh.parameters()[key], value)


def test_an_unknown_activation_is_refused():
    with pytest.raises(
        ValueError, match=r"^activation must be one of relu, sigmoid, tanh, got 'softmax'$"
    ):
        MLP((4, 3, 2), activation="softmax")


# ---- a network from a list of layers --------------------------------------------------------


def test_from_layers_runs_the_layers_it_is_given():
    layers = [Linear(6, 5, dtype=np.float64), Tanh(), Linear(5, 3, dtype=np.float64), Sigmoid()]
    model = MLP.from_layers(layers)
    assert model.layers == layers and model.dtype == np.float64  # the layers' own dtype
    assert model.layer_sizes == (6, 5, 3) and model.activation is None  # two different ones
    X = np.random.default_rng(0).standard_normal((4, 6))
    expected = Sigmoid().forward(Tanh().forward(X @ layers[0].params["W"]) @ layers[2].params["W"])
    np.testing.assert_allclose(model.forward(X), expected)
    assert repr(model) == (
        "MLP([Linear(6 -> 5, init='he'), Tanh(), Linear(5 -> 3, init='he'), Sigmoid()], "
        "dtype=float64)"
    )


def test_from_layers_with_the_specs_mlp_makes_is_the_same_network():
    specs = mlp_layer_specs((12, 8, 3), init="xavier", dropout=0.3, activation="sigmoid")
    built = MLP.from_layers(specs, seed=5)
    model = MLP((12, 8, 3), init="xavier", dropout=0.3, activation="sigmoid", seed=5)
    assert (
        repr(built)
        == repr(model)
        == ("MLP(12 -> 8 -> 3, init='xavier', activation='sigmoid', dropout=0.3, dtype=float32)")
    )
    assert [layer_spec(layer) for layer in built.layers] == specs
    for key, value in model.parameters().items():
        np.testing.assert_array_equal(built.parameters()[key], value)


def test_from_layers_takes_objects_and_specs_together_and_any_iterable():
    model = MLP.from_layers(
        iter(
            [Linear(4, 3), {"name": "tanh"}, {"name": "linear", "config": {"n_in": 3, "n_out": 2}}]
        )
    )
    assert [type(layer) for layer in model.layers] == [Linear, Tanh, Linear]
    assert model.dtype == np.float32 and model.layers[2].params["W"].dtype == np.float32
    assert model.init == "he" and model.dropout == 0.0 and model.activation == "tanh"


def test_the_settings_read_from_layers_that_differ():
    model = MLP.from_layers(
        [
            Linear(4, 3, init="normal"),
            ReLU(),
            Dropout(0.2),
            Linear(3, 3),
            Dropout(0.4),
            Linear(3, 2),
        ]
    )
    assert model.init is None and model.dropout == 0.4 and model.activation == "relu"
    assert MLP((4, 2), dropout=0.5).dropout == 0.0  # no hidden layer, so no Dropout layer
    assert MLP((4, 2), activation="tanh").activation is None


def test_a_list_of_layers_of_every_kind_saves_and_loads(tmp_path):
    model = MLP.from_layers(
        [Dropout(0.2), Linear(6, 5), Tanh(), Linear(5, 4), Sigmoid(), Dropout(0.1), Linear(4, 3)]
    )
    loaded = MLP.load(model.save(tmp_path / "m.npz", note="mixed"))
    assert repr(loaded) == repr(model) and loaded.metadata == {"note": "mixed"}
    X = np.random.default_rng(0).random((5, 6))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "layers, error, message",
    [
        (Linear(4, 2), TypeError, r"^layers must be a list of layers or layer specs, e.g. \["),
        ([Linear(4, 2), "relu"], TypeError, r"^layers\[1\] must be a Layer such as ReLU\(\) or"),
        ([{"name": "relu", "config": {"p": 1}}], ValueError, r"^layers\[0\]: a 'relu' layer takes"),
        ([], ValueError, r"^layers: a network has 1 to 192 layers, got 0$"),
        ([ReLU(), Tanh()], ValueError, r"^an MLP needs at least one Linear layer, got \[ReLU\(\)"),
        (
            [Linear(4, 3), ReLU(), Linear(2, 2)],
            ValueError,
            r"^Linear\(4 -> 3, init='he'\) is followed by Linear\(2 -> 2, init='he'\): a Linear "
            r"layer's n_in must be the n_out of the one before it \(3\)$",
        ),
        (
            [Linear(4, 3), Linear(3, 2, dtype=np.float64)],
            ValueError,
            r"^layers\[1\] \(Linear\(3 -> 2, init='he'\)\) holds W as float64, but the network "
            r"is float32; make its layers with dtype=np.float32$",
        ),
        (
            [{"name": "linear", "config": {"n_in": 10**5, "n_out": 10**5}}],
            ValueError,
            r"^layers: its layers have 10,000,100,000 parameters \(40.0 GB in float32\), more than "
            r"the 50,000,000 mlp_lib trains, saves and loads$",
        ),
    ],
)
def test_from_layers_refuses_what_an_mlp_cannot_run_before_building_it(layers, error, message):
    with pytest.raises(error, match=message):
        MLP.from_layers(layers)


def test_from_layers_refuses_a_layer_that_is_in_the_list_twice():
    relu = ReLU()
    with pytest.raises(
        ValueError,
        match=r"^layers\[3\] \(ReLU\(\)\) is in the list twice: each layer keeps its own "
        r"input for backward, so make a new one$",
    ):
        MLP.from_layers([Linear(4, 3), relu, Linear(3, 3), relu, Linear(3, 2)])


def test_save_refuses_a_layer_whose_class_is_not_registered_and_writes_nothing(tmp_path):
    class Doubler(ReLU):
        pass

    model = MLP.from_layers([Linear(4, 3), Doubler(), Linear(3, 2)])
    assert repr(model).startswith("MLP([Linear(4 -> 3, init='he'), Doubler(), ")
    with pytest.raises(
        ValueError, match=r"^cannot save \S+/m.npz: Doubler\(\) is a Doubler, which is not in "
    ):
        model.save(tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())


def test_forget_lets_the_loss_drop_its_batch():
    model = MLP((6, 4, 3), dtype=np.float64)
    model.loss(np.ones((5, 6)), np.arange(5) % 3)
    model.forget()
    assert model.loss_fn.probs is None
    with pytest.raises(RuntimeError, match="SoftmaxCrossEntropy.backward called before forward"):
        model.backward()


class Scale(Layer):
    """A layer invented for this test: out = x * a, with one parameter a of shape (width,)."""

    def __init__(self, width, dtype=np.float32):
        super().__init__()
        self.width = width
        self.params["a"] = np.linspace(0.5, 1.5, width).astype(dtype)  # (width,)
        self._x = None

    def config(self):
        return {"width": self.width}

    def forget(self):
        self._x = None

    def forward(self, x):
        self._x = x
        return x * self.params["a"]

    def backward(self, dout):
        if self._x is None:
            raise RuntimeError("Scale.backward called before forward")
        self.grads["a"] = (dout * self._x).sum(axis=0)
        return dout * self.params["a"]


def test_a_new_layer_is_one_class_and_one_line_in_the_registry(tmp_path, monkeypatch):
    monkeypatch.setitem(mlp_lib.layers.LAYERS, "scale", Scale)  # the one line
    specs = [
        {"name": "linear", "config": {"n_in": 6, "n_out": 4}},
        {"name": "scale", "config": {"width": 4}},
        {"name": "tanh"},
        {"name": "linear", "config": {"n_in": 4, "n_out": 3}},
    ]
    model = MLP.from_layers(specs, dtype=np.float64, seed=2)
    rng = np.random.default_rng(0)
    errors = check_model_gradients(model, rng.standard_normal((5, 6)), rng.integers(0, 3, 5))
    assert set(errors) == {"W0", "b0", "a1", "W2", "b2"} and max(errors.values()) < 1e-6
    model.layers[1].params["a"][...] = [1, 2, 3, 4]
    loaded = MLP.load(model.save(tmp_path / "m.npz"))
    assert type(loaded.layers[1]) is Scale and loaded.layers[1].params["a"].tolist() == [1, 2, 3, 4]
    X = rng.random((3, 6))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("dropout, activation", [(0.0, "relu"), (0.1, "relu"), (0.1, "sigmoid")])
def test_the_weights_are_drawn_in_order_from_one_generator_whatever_the_layers(dropout, activation):
    model = MLP((30, 8, 6, 4), init="xavier", seed=9, dropout=dropout, activation=activation)
    rng = np.random.default_rng(9)  # what MLP has always done: one Linear layer after the other
    for layer, (n_in, n_out) in zip(model.linear_layers, [(30, 8), (8, 6), (6, 4)]):
        expected = init_weights(n_in, n_out, "xavier", rng, np.float32)
        assert layer.params["W"].tobytes() == expected.tobytes()
    dropouts = [layer for layer in model.layers if isinstance(layer, Dropout)]
    assert len(dropouts) == (2 if dropout else 0)
    if dropouts:  # the Dropout layers share that generator, where the weights left it
        assert dropouts[0].rng is dropouts[1].rng and dropouts[0].rng.random() == rng.random()


def test_from_layers_refuses_parameters_of_a_dtype_a_network_cannot_have():
    layer = Linear(4, 2)
    layer.params["W"] = layer.params["W"].astype(np.float16)
    with pytest.raises(
        ValueError, match=r"^the layers' dtype must be float32 or float64, got float16$"
    ):
        MLP.from_layers([layer])

import numpy as np
import pytest

from mlp_lib.model import MLP
from mlp_lib.optim import SGD, Adam, Momentum
from mlp_lib.train import DivergenceError, Evaluation, StopTraining, evaluate, fit


@pytest.mark.parametrize("optimizer", [SGD(0.1), Momentum(0.05), Adam(0.01)], ids=repr)
def test_fit_learns_separable_data(blobs, optimizer):
    X, y = blobs()
    model = MLP((20, 16, 3), seed=0)
    history = fit(model, X, y, epochs=5, batch_size=32, optimizer=optimizer, progress=False)
    assert history.loss[-1] < history.loss[0] / 5
    assert evaluate(model, X, y).accuracy > 0.95
    assert history.train_accuracy[-1] > 0.95


def test_history_records_every_step_and_epoch(blobs):
    X, y = blobs(n=100)
    history = fit(
        MLP((20, 8, 3)), X, y, epochs=3, batch_size=32, X_val=X[:10], y_val=y[:10], progress=False
    )
    assert history.steps_per_epoch == 4  # 32 + 32 + 32 + 4
    assert len(history.loss) == 12
    assert history.epochs == len(history.val_accuracy) == len(history.epoch_seconds) == 3
    assert history.seconds >= sum(history.epoch_seconds) > 0
    assert not history.stopped_early


def test_fit_is_reproducible_with_a_seed(blobs):
    X, y = blobs()
    runs = [
        fit(MLP((20, 8, 3), seed=1), X, y, epochs=2, optimizer=SGD(0.1), seed=3, progress=False)
        for _ in range(2)
    ]
    assert runs[0].loss == runs[1].loss


def test_callback_sees_every_step_and_can_stop_training(blobs):
    X, y = blobs()
    seen = []

    def stop_after_five(info):
        seen.append((info.epoch, info.step, info.epoch_end))
        if len(seen) == 5:
            raise StopTraining

    model = MLP((20, 8, 3), seed=0)
    before = model.parameters()["W0"].copy()
    history = fit(
        model,
        X,
        y,
        epochs=3,
        batch_size=32,
        optimizer=SGD(0.1),
        callback=stop_after_five,
        progress=False,
    )
    assert history.stopped_early and len(history.loss) == 5
    assert seen[0] == (1, 1, False)
    assert not np.array_equal(before, model.parameters()["W0"])  # what was learned is kept


def test_cosine_schedule_restores_the_optimizers_learning_rate(blobs):
    X, y = blobs()
    optimizer = Momentum(0.05)
    rates = []
    fit(
        MLP((20, 8, 3)),
        X,
        y,
        epochs=2,
        optimizer=optimizer,
        lr_schedule="cosine",
        callback=lambda info: rates.append(optimizer.lr),
        progress=False,
    )
    assert rates[0] == 0.05 and rates[-1] < 0.01 and rates == sorted(rates, reverse=True)
    assert optimizer.lr == 0.05


def test_divergence_names_the_epoch_step_and_learning_rate(blobs):
    X, y = blobs()
    X = X * 1000
    with pytest.raises(
        DivergenceError,
        match=r"loss became \S+ at epoch 1, step \d+ \(it started at "
        r"\S+\): the learning rate 1e\+06 is too large; "
        r"try 100000 or smaller",
    ):
        fit(MLP((20, 64, 3)), X, y, epochs=2, optimizer=SGD(1e6), progress=False)


def test_an_exploding_but_finite_loss_counts_as_divergence(blobs):
    X, y = blobs()
    with pytest.raises(
        DivergenceError, match=r"the learning rate 10 is too large; try 1 or smaller"
    ):
        fit(MLP((20, 64, 3)), X * 100, y, epochs=3, optimizer=SGD(10), progress=False)


def test_nan_loss_counts_as_divergence(blobs):
    X, y = blobs()
    model = MLP((20, 3))
    model.parameters()["W0"][...] = np.finfo(np.float32).max  # the logits overflow: inf - inf
    with pytest.raises(
        DivergenceError,
        match=r"^loss is nan at epoch 1, step 1, before any update, so the learning rate is not "
        r"the cause: the network's outputs overflow on these inputs \(the largest input is \S+, "
        r"the largest weight 3.4e\+38\); scale the inputs to about \[0, 1\], or start from "
        r"fresh weights$",
    ):
        fit(model, X, y, epochs=1, batch_size=len(X), progress=False)


@pytest.mark.parametrize("where", ["X", "X_val"])
def test_nan_or_inf_in_the_data_is_refused_up_front_saying_where(blobs, where):
    X, y = blobs()
    bad = X.copy()
    bad[5, 3], bad[7, 0], bad[9, 19] = np.nan, np.inf, -np.inf
    data = dict(X=X, X_val=X) | {where: bad}
    with pytest.raises(
        ValueError,
        match=rf"^{where} contains 3 nan or inf values; the first: {where}\[5, 3\] is nan \(sample 5, "
        rf"pixel 3\)\. Remove those samples or replace the values, e\.g\. with "
        rf"np\.nan_to_num\({where}\)$",
    ):
        fit(MLP((20, 3)), data["X"], y, X_val=data["X_val"], y_val=y, progress=False)


def test_evaluate_refuses_a_nan_column_instead_of_returning_an_accuracy(blobs):
    X, y = blobs()
    model = MLP((20, 8, 3), seed=0)
    fit(model, X, y, epochs=2, optimizer=SGD(0.1), progress=False)
    X[:, 4] = np.nan  # a whole column
    with pytest.raises(
        ValueError, match=r"X contains 300 nan or inf values; the first: X\[0, 4\] is nan"
    ):
        evaluate(model, X, y)


def test_fit_and_evaluate_accept_python_lists(blobs):
    X, y = blobs(n=60)
    model = MLP((20, 8, 3), seed=0)
    history = fit(model, X.tolist(), y.tolist(), epochs=2, batch_size=16, progress=False)
    assert len(history.loss) == 8
    assert evaluate(model, X.tolist(), y.tolist()) == evaluate(model, X, y)


@pytest.mark.parametrize(
    "X, y, error, message",
    [
        ([[0.0, 1.0], [2.0]], [0, 1], ValueError, r"X must be an \(N, 20\) array of numbers"),
        (
            [["a"] * 20],
            [0],
            TypeError,
            r"X must hold numbers \(integers or floats\), got dtype <U1",
        ),
        (
            np.zeros((2, 4, 5)),
            [0, 1],
            ValueError,
            r"X must have shape \(N, 20\) for this network, "
            r"got \(2, 4, 5\); flatten images with X\.reshape\(len\(X\), -1\)",
        ),
        (np.zeros((2, 21)), [0, 1], ValueError, r"must have shape \(N, 20\) .* got \(2, 21\)$"),
        (
            np.zeros((2, 20)),
            [0.0, 1.0],
            TypeError,
            r"labels y must be integers 0\.\.2, got dtype float64",
        ),
        (
            np.zeros((2, 20)),
            [0, 3],
            ValueError,
            r"labels y must lie in 0\.\.2, got values from 0 to 3",
        ),
    ],
)
def test_fit_says_what_it_expects_of_the_data(X, y, error, message):
    with pytest.raises(error, match=message):
        fit(MLP((20, 3)), X, y, progress=False)


def test_divergence_with_a_very_high_dropout_blames_the_dropout(blobs):
    X, y = blobs(n=600)
    with pytest.raises(
        DivergenceError,
        match=r"loss became \S+ at epoch \d+, step \d+ \(it started at \S+\): dropout 0\.99 is too "
        r"high: the 1% of the hidden units it keeps are scaled up 100 times, layer after layer; "
        r"try dropout 0\.1 to 0\.5, or a learning rate below 0\.01$",
    ):
        fit(
            MLP((20, 256, 128, 3), dropout=0.99),
            X,
            y,
            epochs=5,
            optimizer=Momentum(0.1),
            progress=False,
        )


def test_a_weight_decay_that_would_flip_the_weights_is_refused_before_training():
    with pytest.raises(
        ValueError,
        match=r"weight_decay 1e\+06 is too large for the learning rate 0\.1: every step would "
        r"multiply the weights by 1 - lr·weight_decay = -1e\+05, which must stay above 0; use a "
        r"weight decay below 1/lr = 10, e\.g\. 5e-4",
    ):
        Momentum(0.1, weight_decay=1e6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(epochs=0), "epochs must be a positive integer, got 0"),
        (dict(batch_size=-1), "batch_size must be a positive integer, got -1"),
        (
            dict(lr_schedule="step"),
            r"lr_schedule must be one of constant, cosine, got 'step'",
        ),
        (dict(X_val=np.zeros((2, 20))), "pass both X_val and y_val, or neither"),
    ],
)
def test_fit_refuses_bad_arguments(blobs, kwargs, message):
    X, y = blobs(n=10)
    with pytest.raises(ValueError, match=message):
        fit(MLP((20, 3)), X, y, progress=False, **kwargs)


def test_fit_refuses_mismatched_or_empty_data():
    with pytest.raises(ValueError, match="X and y must have the same length, got 3 and 2"):
        fit(MLP((20, 3)), np.zeros((3, 20)), np.zeros(2, dtype=int), progress=False)
    with pytest.raises(ValueError, match="cannot train on zero samples"):
        fit(MLP((20, 3)), np.zeros((0, 20)), np.zeros(0, dtype=int), progress=False)


def test_evaluate_counts_every_sample_including_the_last_partial_batch():
    # 10,000 samples in batches of 90 leave 10 over: the seed program forgot them.
    n = 10_000
    X, y = np.zeros((n, 2), dtype=np.float32), np.zeros(n, dtype=np.int64)
    model = MLP((2, 2))
    model.set_parameters({"W0": np.zeros((2, 2)), "b0": np.array([1.0, 0.0])})  # always predicts 0
    y[-10:] = 1  # the last 10 are wrong
    result = evaluate(model, X, y, batch_size=90)
    assert (result.correct, result.total) == (9990, 10_000)
    assert str(result) == "99.90% (9990/10000)"


def test_evaluation_formats_like_the_command_line():
    assert str(Evaluation(correct=9712, total=10_000, loss=0.1)) == "97.12% (9712/10000)"


def test_evaluate_refuses_empty_or_mismatched_data():
    with pytest.raises(ValueError, match="cannot evaluate on zero samples"):
        evaluate(MLP((2, 2)), np.zeros((0, 2)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        evaluate(MLP((2, 2)), np.zeros((2, 2)), np.zeros(1, dtype=int))


def test_progress_bar_goes_to_stderr_and_can_be_turned_off(blobs, capsys):
    X, y = blobs(n=64)
    fit(MLP((20, 3)), X, y, epochs=1, batch_size=32, progress=True)
    assert "2/2" in capsys.readouterr().err
    fit(MLP((20, 3)), X, y, epochs=1, batch_size=32, progress=False)
    assert capsys.readouterr().err == ""


def test_augment_is_applied_to_every_training_batch_and_nothing_else(blobs):
    X, y = blobs(n=100)
    seen = []

    def augment(X_batch, rng):
        seen.append(len(X_batch))
        return X_batch + rng.normal(0, 0.01, X_batch.shape).astype(X_batch.dtype)

    history = fit(
        MLP((20, 8, 3)),
        X,
        y,
        epochs=2,
        batch_size=32,
        X_val=X,
        y_val=y,
        augment=augment,
        progress=False,
    )
    assert seen == [32, 32, 32, 4] * 2  # training batches only, not validation
    assert len(history.val_accuracy) == 2


def test_fit_trains_on_what_augment_returns(blobs):
    X, y = blobs()
    erase = lambda X_batch, rng: np.zeros_like(X_batch)  # noqa: E731  (nothing left to learn from)
    model = MLP((20, 16, 3), seed=0)
    fit(
        model,
        X,
        y,
        epochs=5,
        batch_size=32,
        optimizer=Momentum(0.05),
        augment=erase,
        progress=False,
    )
    assert evaluate(model, X, y).accuracy < 0.6


def test_fit_with_dropout_and_weight_decay_still_learns(blobs):
    X, y = blobs()
    model = MLP((20, 32, 3), dropout=0.2, seed=0)
    fit(
        model,
        X,
        y,
        epochs=5,
        batch_size=32,
        optimizer=Momentum(0.05, weight_decay=1e-3),
        progress=False,
    )
    assert evaluate(model, X, y).accuracy > 0.95


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uint8_pixels_train_exactly_as_the_same_pixels_in_float(dtype):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(200, 20), dtype=np.uint8)  # (N, D) raw 0..255
    y = rng.integers(0, 3, size=200)
    models, histories = [], []
    for X in (pixels, pixels.astype(dtype)):
        model = MLP((20, 8, 3), init="normal", seed=0, dtype=dtype)
        histories.append(fit(model, X, y, epochs=2, batch_size=32, progress=False))
        models.append(model)
    assert histories[0].loss == histories[1].loss  # bit for bit
    for name, value in models[0].parameters().items():
        assert value.dtype == dtype
        np.testing.assert_array_equal(value, models[1].parameters()[name])


def test_augment_gets_batches_in_the_models_dtype_even_from_uint8_pixels():
    pixels = np.random.default_rng(0).integers(0, 256, size=(64, 20), dtype=np.uint8)
    y = np.zeros(64, dtype=int)
    seen = []

    def augment(X_batch, rng):
        seen.append(X_batch.dtype)
        return X_batch

    fit(MLP((20, 3), dtype=np.float64), pixels, y, batch_size=32, augment=augment, progress=False)
    assert seen == [np.float64] * 2 * 5  # 2 batches, 5 epochs


def test_fit_and_evaluate_leave_no_cached_batch_in_the_network(blobs):
    # A trained network should hold only its parameters: the last batch of training or of an
    # evaluation (6 MB for 1,000 float64 images) is not needed once they return.
    X, y = blobs()
    model = MLP((X.shape[1], 16, 8, int(y.max()) + 1), seed=0, dtype=np.float64)

    def nothing_cached():
        caches = [layer._x for layer in model.linear_layers] + [model.loss_fn.probs]
        return all(cache is None for cache in caches)

    fit(model, X, y, epochs=1, batch_size=32, progress=False)
    assert nothing_cached()
    evaluate(model, X, y)
    assert nothing_cached()


@pytest.mark.parametrize("sizes", [(20, 3), (20, 512, 256, 3)])
def test_huge_inputs_are_blamed_before_any_update_not_the_learning_rate(blobs, sizes):
    # Inputs of 1e30: the small network's first loss is finite (about 1e30), the large one's may
    # not be; either way training stops at the first step, before any update, naming the inputs.
    X, y = blobs()
    model = MLP(sizes, seed=0)
    before = {name: value.copy() for name, value in model.parameters().items()}
    with pytest.raises(
        DivergenceError,
        match=r"^loss is \S+ at epoch 1, step 1, before any update, so the learning rate is not "
        r"the cause: the inputs are far too large \(up to 1\.\d+e\+31 in magnitude, more than "
        r"1e\+06; pixels are at most 255\), and a step changes the outputs by about lr·x²; scale "
        r"them to about \[0, 1\], e\.g\. X / 1\.\d+e\+31$",
    ) as info:
        fit(model, X * 1e30, y, epochs=1, optimizer=SGD(1e-3), progress=False)
    assert info.value.step == 1 and info.value.history.loss == []
    for name, value in model.parameters().items():  # no update was made
        np.testing.assert_array_equal(value, before[name])


def test_inputs_up_to_the_limit_still_train(blobs):
    X, y = blobs()
    X = X / np.abs(X).max() * 1e6  # the largest allowed; a small enough step still learns
    history = fit(MLP((20, 3)), X, y, epochs=2, optimizer=SGD(1e-13), progress=False)
    assert history.epochs == 2 and np.isfinite(history.loss).all()


def test_the_training_accuracy_counts_each_batch_as_the_network_saw_it(blobs):
    # With a learning rate of 1e-12 the weights hardly move: the accuracy fit counts on the
    # logits of each batch of its one epoch is the accuracy of the network on all of X.
    X, y = blobs()
    model = MLP((20, 16, 3), seed=0)
    history = fit(model, X, y, epochs=1, batch_size=32, optimizer=SGD(1e-12), progress=False)
    assert history.train_accuracy == [np.mean(model.predict(X) == y)]
    assert 0 < history.train_accuracy[0] < 1  # a number that could have come out wrong

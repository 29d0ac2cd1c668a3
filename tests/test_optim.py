import numpy as np
import pytest

from mlp_lib.optim import OPTIMIZERS, SGD, Adam, Momentum, Nesterov, make_optimizer


def one_param():
    return {"w": np.array([1.0, -2.0])}, {"w": np.array([0.5, 0.5])}


def test_sgd_takes_a_plain_step():
    params, grads = one_param()
    SGD(lr=0.1).step(params, grads)
    np.testing.assert_allclose(params["w"], [0.95, -2.05])


def test_momentum_accumulates_velocity():
    params, grads = one_param()
    opt = Momentum(lr=0.1, momentum=0.9)
    opt.step(params, grads)  # v = -0.05
    opt.step(params, grads)  # v = 0.9 * -0.05 - 0.05 = -0.095
    np.testing.assert_allclose(params["w"], [1.0 - 0.05 - 0.095, -2.0 - 0.05 - 0.095])


def test_nesterov_steps_by_the_velocity_it_is_about_to_have():
    params, grads = one_param()
    opt = Nesterov(lr=0.1, momentum=0.9)
    opt.step(params, grads)  # v = -0.05; step = 0.9 * -0.05 - 0.05 = -0.095
    np.testing.assert_allclose(params["w"], [1.0 - 0.095, -2.0 - 0.095])
    opt.step(params, grads)  # v = -0.095; step = 0.9 * -0.095 - 0.05 = -0.1355
    np.testing.assert_allclose(params["w"], [1.0 - 0.095 - 0.1355, -2.0 - 0.095 - 0.1355])
    assert repr(opt) == "Nesterov(lr=0.1, momentum=0.9)"


def test_adam_first_step_moves_each_parameter_by_about_lr():
    params = {"w": np.array([1.0, -2.0])}
    grads = {"w": np.array([1e-3, -50.0])}  # very different gradient scales...
    Adam(lr=0.01).step(params, grads)
    np.testing.assert_allclose(params["w"], [0.99, -1.99], rtol=1e-5)  # ...the same step size


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_minimises_a_quadratic(name):
    params = {"w": np.array([3.0, -4.0])}
    opt = make_optimizer(name, 0.1)
    for _ in range(500):
        opt.step(params, {"w": 2 * params["w"]})  # gradient of |w|²
    assert np.abs(params["w"]).max() < 1e-2


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_keep_float32(name):
    params = {"w": np.ones(3, dtype=np.float32)}
    make_optimizer(name, 0.1).step(params, {"w": np.ones(3, dtype=np.float32)})
    assert params["w"].dtype == np.float32


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_learning_rates_are_refused(lr):
    with pytest.raises(
        ValueError, match=r"learning rate must be a positive number, got .*; try 0.01"
    ):
        SGD(lr)


def test_bad_momentum_and_unknown_optimizer_are_refused():
    with pytest.raises(
        ValueError, match=r"momentum must be a number in \[0, 1\), got 1.5; try 0.9"
    ):
        Momentum(0.1, momentum=1.5)
    with pytest.raises(ValueError, match=r"Adam beta2 must be a number in \[0, 1\), got 1"):
        Adam(0.1, beta2=1)
    with pytest.raises(
        ValueError, match=r"optimizer must be one of sgd, momentum, nesterov, adam, got 'rmsprop'"
    ):
        make_optimizer("rmsprop", 0.1)


# ---- weight decay -------------------------------------------------------------------------------


def test_sgd_weight_decay_is_gradient_descent_on_the_l2_penalised_loss():
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    gW, gb = rng.standard_normal((3, 2)), rng.standard_normal(2)
    lr, lam = 0.1, 0.01
    params = {"W": W.copy(), "b": b.copy()}
    SGD(lr, weight_decay=lam).step(params, {"W": gW, "b": gb})
    # d/dW [loss + lam/2 |W|^2] = gW + lam W; the bias is not decayed.
    np.testing.assert_allclose(params["W"], W - lr * (gW + lam * W))
    np.testing.assert_allclose(params["b"], b - lr * gb)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_weight_decay_shrinks_weights_that_get_no_gradient(name):
    params = {"W": np.ones((2, 2)), "b": np.ones(2)}
    zero = {"W": np.zeros((2, 2)), "b": np.zeros(2)}
    opt = make_optimizer(name, 0.1, weight_decay=0.5)
    opt.step(params, zero)
    np.testing.assert_allclose(params["W"], 0.95)  # (1 - lr * lambda) * W
    np.testing.assert_allclose(params["b"], 1.0)


@pytest.mark.parametrize("bad", [-1e-4, float("nan"), "5e-4", True])
def test_weight_decay_must_be_a_non_negative_number(bad):
    with pytest.raises(ValueError, match=r"weight_decay must be a number >= 0, got .*; try 0"):
        SGD(0.1, weight_decay=bad)


def test_optimizers_show_their_weight_decay():
    assert (
        repr(Momentum(0.1, weight_decay=5e-4))
        == "Momentum(lr=0.1, momentum=0.9, weight_decay=0.0005)"
    )
    assert repr(SGD(0.1)) == "SGD(lr=0.1)"


def test_momentum_keeps_one_velocity_per_parameter_between_steps():
    params, grads = one_param()
    opt = Momentum(lr=0.1, momentum=0.9)
    opt.step(params, grads)
    velocity = opt.state["w"]["velocity"]
    opt.step(params, grads)
    assert opt.state["w"]["velocity"] is velocity  # reused, not reallocated
    np.testing.assert_allclose(velocity, [-0.095, -0.095])

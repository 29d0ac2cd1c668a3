import numpy as np
import pytest

from mlp_lib.optim import SGD, Adam, Momentum, make_optimizer


def one_param():
    return {"w": np.array([1.0, -2.0])}, {"w": np.array([0.5, 0.5])}


def test_sgd_takes_a_plain_step():
    params, grads = one_param()
    SGD(lr=0.1).step(params, grads)
    np.testing.assert_allclose(params["w"], [0.95, -2.05])


def test_momentum_accumulates_velocity():
    params, grads = one_param()
    opt = Momentum(lr=0.1, momentum=0.9)
    opt.step(params, grads)                   # v = -0.05
    opt.step(params, grads)                   # v = 0.9 * -0.05 - 0.05 = -0.095
    np.testing.assert_allclose(params["w"], [1.0 - 0.05 - 0.095, -2.0 - 0.05 - 0.095])


def test_adam_first_step_moves_each_parameter_by_about_lr():
    params = {"w": np.array([1.0, -2.0])}
    grads = {"w": np.array([1e-3, -50.0])}    # very different gradient scales...
    Adam(lr=0.01).step(params, grads)
    np.testing.assert_allclose(params["w"], [0.99, -1.99], rtol=1e-5)   # ...the same step size


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_every_optimizer_minimises_a_quadratic(name):
    params = {"w": np.array([3.0, -4.0])}
    opt = make_optimizer(name, 0.1)
    for _ in range(500):
        opt.step(params, {"w": 2 * params["w"]})      # gradient of |w|²
    assert np.abs(params["w"]).max() < 1e-2


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_optimizers_keep_float32(name):
    params = {"w": np.ones(3, dtype=np.float32)}
    make_optimizer(name, 0.1).step(params, {"w": np.ones(3, dtype=np.float32)})
    assert params["w"].dtype == np.float32


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_learning_rates_are_refused(lr):
    with pytest.raises(ValueError, match=r"learning rate must be a positive number, got .*; try 0.01"):
        SGD(lr)


def test_bad_momentum_and_unknown_optimizer_are_refused():
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.5; try 0.9"):
        Momentum(0.1, momentum=1.5)
    with pytest.raises(ValueError, match=r"Adam beta2 must be in \[0, 1\), got 1"):
        Adam(0.1, beta2=1)
    with pytest.raises(ValueError, match=r"optimizer must be one of \('sgd', 'momentum', 'adam'\), got 'rmsprop'"):
        make_optimizer("rmsprop", 0.1)

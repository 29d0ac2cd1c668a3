"""Checks for notebook 05: holding out validation images, the SGD update, mini-batches and the
training loop.

They run the student's functions on ``numbered_images`` (fixtures.py), whose first pixel is the
image's row number, so that a check can tell which images ended up on which side of the split or
in which batch, with which labels, in which order, and whether every image was seen once per
epoch. The training loop trains a ``RecordingModel``, a stand-in for the network that records
every batch it is given.
"""

import numpy as np

from .feedback import Mistake, call, describe, expect_tuple
from .fixtures import LABELS, N_IMAGES, RecordingModel, numbered_images, row_numbers
from .language import _
from .registry import check

BATCH = 4  # N_IMAGES = 10 does not divide by 4: the last batch of each epoch has 2 images


@check("hold_out", notebook="05", points=1)
def check_hold_out(hold_out):
    """``hold_out(X, y, n_val) -> (X_fit, y_fit, X_val, y_val)``: the last n_val images held out."""
    for n_val in (3, 0):  # 0: the seed program's setting, nothing held out
        X, y = numbered_images(), LABELS.copy()
        parts = expect_tuple(
            call(hold_out, X, y, n_val), "hold_out", 4, "(X_fit, y_fit, X_val, y_val)"
        )
        _check_split(X, y, n_val, *parts)
    return _(
        "the last n_val images and their labels held out, the rest to train on, as views "
        "(nothing copied); with n_val = 0 every image trains"
    )


def _rows(images, what):
    """The row numbers of the images in one part of the split (their first pixel)."""
    images = np.asarray(images)
    if images.ndim != 2 or images.shape[1] != 3:
        raise Mistake(
            _("{what} should hold whole images, shape (n, 3) here; got {value}").format(
                what=what, value=describe(images)
            ),
            "shape",
        )
    return row_numbers(images)


def _check_split(X, y, n_val, X_fit, y_fit, X_val, y_val):
    n_fit = N_IMAGES - n_val
    rows_fit, rows_val = _rows(X_fit, "X_fit"), _rows(X_val, "X_val")
    if n_val == 0 and len(rows_fit) == 0:
        raise Mistake(
            _(
                "with n_val = 0 nothing should be held out, but X_fit is empty: X[:-0] is X[:0]. "
                "Slice with the number of images to keep, X[:len(X) - n_val]"
            ),
            "minus-zero",
        )
    for rows, labels, part in ((rows_fit, y_fit, "fit"), (rows_val, y_val, "val")):
        labels = np.asarray(labels)
        if labels.shape != rows.shape or not np.array_equal(labels, y[rows]):
            raise Mistake(
                _(
                    "y_{part} does not hold the labels of the images in X_{part}: cut X and y at "
                    "the same place"
                ).format(part=part),
                "labels-mismatch",
            )
    if set(rows_fit.tolist()) & set(rows_val.tolist()):
        raise Mistake(
            _(
                "some images are both in X_fit and in X_val: a network trained on its validation "
                "images is not tested on new images. Keep the first len(X) - n_val, hold out the "
                "rest"
            ),
            "overlap",
        )
    if (len(rows_fit), len(rows_val)) != (n_fit, n_val):
        raise Mistake(
            _(
                "with {n_images} images and n_val = {n_val}, expected {n_fit} to train on and "
                "{n_val} held out; got {got_fit} and {got_val}"
            ).format(
                n_images=N_IMAGES,
                n_val=n_val,
                n_fit=n_fit,
                got_fit=len(rows_fit),
                got_val=len(rows_val),
            ),
            "sizes",
        )
    if n_val and np.array_equal(np.sort(rows_val), np.arange(n_val)):
        raise Mistake(
            _(
                "it holds out the first {n_val} images; mlp_lib (and the rest of the series) "
                "holds out the last ones, X[len(X) - n_val:]"
            ).format(n_val=n_val),
            "first-not-last",
        )
    if not (
        np.array_equal(rows_fit, np.arange(n_fit))
        and np.array_equal(rows_val, np.arange(n_fit, N_IMAGES))
    ):
        raise Mistake(
            _(
                "the images are split in a different order from mlp_lib.split_training_data: "
                "keep them in file order, the first len(X) - n_val to train on and the last "
                "n_val held out"
            ),
            "order",
        )
    for part, images in (("X_fit", X_fit), ("X_val", X_val)):
        if len(images) and not np.shares_memory(images, X):
            raise Mistake(
                _(
                    "{part} is a copy of the images: with all of MNIST that is up to 188 MB more. "
                    "A slice, X[:n] or X[n:], is a view of the same memory: use slices"
                ).format(part=part),
                "copied",
            )


@check("sgd_update", notebook="05", points=1)
def check_sgd_update(sgd_update):
    """``sgd_update(params, grads, lr)``: p <- p - lr * dL/dp, in place, for every array."""
    rng = np.random.default_rng(0)
    params = {
        "W0": rng.standard_normal((3, 2)),
        "b0": rng.standard_normal(2),
        "W1": rng.standard_normal((2, 2)),
    }
    grads = {name: rng.standard_normal(p.shape) for name, p in params.items()}
    arrays = dict(params)  # the model's own arrays: they are the ones that must change
    before = {name: p.copy() for name, p in params.items()}
    grads_before = {name: g.copy() for name, g in grads.items()}
    lr = 0.5
    call(sgd_update, params, grads, lr)
    if any(not np.array_equal(grads[name], grads_before[name]) for name in grads):
        raise Mistake(_("it changed the gradients; change only the parameters"), "changed-grads")
    want = {name: before[name] - lr * grads[name] for name in params}
    if any(params[name] is not arrays[name] for name in params):
        raise Mistake(
            _(
                "it put new arrays into the dictionary (params[name] = ...), but the model keeps "
                "its own arrays, which did not change. Change them in place: "
                "p -= lr * grads[name]"
            ),
            "replaced-not-in-place",
        )
    changed = [name for name in params if not np.array_equal(arrays[name], before[name])]
    if not changed:
        raise Mistake(
            _(
                "no parameter changed. `p = p - lr * g` makes a new array and leaves the model's "
                "array as it was: update in place, p -= lr * g"
            ),
            "not-in-place",
        )
    if len(changed) < len(params):
        raise Mistake(
            _("only {changed} changed: is there a `return` inside the loop?").format(
                changed=", ".join(changed)
            ),
            "stopped-early",
        )
    for name in params:
        if np.allclose(arrays[name], before[name] + lr * grads[name]):
            raise Mistake(
                _("the parameters moved uphill: subtract the gradient, p -= lr * g"), "sign"
            )
        if np.allclose(arrays[name], before[name] - grads[name]):
            raise Mistake(_("the step ignores the learning rate: p -= lr * g"), "lr-ignored")
        if not np.allclose(arrays[name], want[name]):
            raise Mistake(
                _("{name} has the wrong values after the step: p <- p - lr * g").format(name=name)
            )
    return _("every parameter array moved by -lr * gradient, in place")


@check("minibatches", notebook="05", points=1)
def check_minibatches(minibatches):
    """``minibatches(X, y, batch_size, rng) -> iterable of (X_batch, y_batch)`` for one epoch."""
    X, y = numbered_images(), LABELS.copy()
    rng = np.random.default_rng(0)
    first = _collect(minibatches, X, y, rng)
    second = _collect(minibatches, X, y, rng)
    _check_epochs(first, y, epochs=1)
    again = _collect(minibatches, X, y, np.random.default_rng(0))
    if not all(np.array_equal(a[0], b[0]) for a, b in zip(first, again)):
        raise Mistake(
            _(
                "the same generator state gave different orders: shuffle with the rng argument, "
                "not np.random"
            ),
            "ignores-rng",
        )
    if all(np.array_equal(a[0], b[0]) for a, b in zip(first, second)):
        raise Mistake(
            _(
                "two epochs with the same generator came out in the same order: draw the "
                "permutation from rng on every call"
            ),
            "same-order",
        )
    return _(
        "every image once per epoch, with its own label, in a new random order, the last batch "
        "smaller"
    )


def _collect(minibatches, X, y, rng):
    batches = []
    generator = call(minibatches, X, y, BATCH, rng)
    for item in call(list, generator, name="minibatches", source=minibatches):
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise Mistake(
                _("each batch should be a pair (X_batch, y_batch); got {value}").format(
                    value=describe(item)
                )
            )
        X_batch, y_batch = item
        batches.append((row_numbers(X_batch), np.asarray(y_batch)))
    return batches


def _check_epochs(batches, y, epochs):
    """The classic mistakes of a mini-batch loop, read from the (rows, labels) of every batch."""
    steps_per_epoch = -(-N_IMAGES // BATCH)  # 3: batches of 4, 4 and 2
    sizes = [len(rows) for rows, _ in batches]
    if any(not np.array_equal(labels, y[rows]) for rows, labels in batches):
        raise Mistake(
            _(
                "some labels no longer belong to their images: images and labels were shuffled "
                "separately. Draw one permutation and index both with it: X[order], y[order]"
            ),
            "shuffled-separately",
        )
    if len(batches) == epochs * (N_IMAGES // BATCH) and all(size == BATCH for size in sizes):
        raise Mistake(
            _(
                "with {n_images} images in batches of {batch} there are {steps} batches per "
                "epoch, the last of {last}; it was dropped. Loop over every start "
                "position, range(0, N, batch_size)"
            ).format(n_images=N_IMAGES, batch=BATCH, steps=steps_per_epoch, last=N_IMAGES % BATCH),
            "last-batch-dropped",
        )
    if len(batches) != epochs * steps_per_epoch or any(size > BATCH for size in sizes):
        raise Mistake(
            _(
                "expected {steps} batches of at most {batch} images for {epochs} "
                "epoch(s) of {n_images} images; got sizes {sizes}"
            ).format(
                steps=epochs * steps_per_epoch,
                batch=BATCH,
                epochs=epochs,
                n_images=N_IMAGES,
                sizes=sizes,
            )
        )
    orders = [
        np.concatenate(
            [rows for rows, _ in batches[e * steps_per_epoch : (e + 1) * steps_per_epoch]]
        )
        for e in range(epochs)
    ]
    for order in orders:
        if sorted(order.tolist()) != list(range(N_IMAGES)):
            raise Mistake(
                _(
                    "an epoch skipped some images and repeated others: shuffle with a "
                    "permutation, rng.permutation(N), so that every image comes exactly once"
                ),
                "with-replacement",
            )
    if np.array_equal(orders[0], np.arange(N_IMAGES)):
        raise Mistake(
            _("the images come in file order: shuffle them, order = rng.permutation(N)"),
            "no-shuffle",
        )
    if epochs > 1 and all(np.array_equal(order, orders[0]) for order in orders):
        raise Mistake(
            _("every epoch has the same order: draw a new permutation at the start of each epoch"),
            "shuffled-once",
        )
    return orders


@check("train_by_hand", notebook="05", points=2)
def check_train_by_hand(train_by_hand):
    """``train_by_hand(model, X, y, *, epochs, batch_size, lr, seed) -> losses`` (plain SGD)."""
    model, lr, epochs = RecordingModel(), 0.5, 2
    losses = call(
        train_by_hand,
        model,
        numbered_images(),
        LABELS.copy(),
        epochs=epochs,
        batch_size=BATCH,
        lr=lr,
        seed=0,
    )
    if not model.batches:
        raise Mistake(
            _(
                "model.loss was never called: compute the loss of each batch with "
                "model.loss(X[batch], y[batch])"
            )
        )
    orders = _check_epochs(model.batches, LABELS, epochs)
    steps = len(model.batches)
    if (
        losses is None
        or len(losses) != steps
        or not np.allclose(np.asarray(losses, dtype=float), np.arange(1, steps + 1))
    ):
        raise Mistake(
            _("return the list of the {steps} batch losses, in order; got {value}").format(
                steps=steps, value=describe(losses)
            ),
            "losses",
        )
    W = model.params["W"]
    if np.allclose(W, 0):
        raise Mistake(
            _(
                "the parameters never changed: after model.backward(), update them with the "
                "gradients"
            ),
            "no-update",
        )
    if not np.allclose(W, -lr * steps):
        raise Mistake(
            _(
                "after {steps} steps with gradient 1 and lr {lr}, a parameter should be "
                "{expected}, got {got:g}: p -= lr * g at every step"
            ).format(steps=steps, lr=lr, expected=-lr * steps, got=W[0]),
            "update",
        )
    rng = np.random.default_rng(0)
    fit_orders = [rng.permutation(N_IMAGES) for _ in range(epochs)]
    if not all(np.array_equal(a, b) for a, b in zip(orders, fit_orders)):
        raise Mistake(
            _(
                "it trains correctly, but shuffles differently from mlp_lib.fit, so the "
                "comparison with fit will fail: create rng = np.random.default_rng(seed) once, "
                "then draw rng.permutation(len(X)) at the start of each epoch"
            ),
            "order-differs-from-fit",
        )
    return _(
        "shuffles every epoch, keeps labels with their images, takes the last smaller batch, "
        "steps against the gradient"
    )

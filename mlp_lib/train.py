"""Training with mini-batch gradient descent, and evaluation on every sample."""

import math
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .batches import iterate_minibatches, n_batches
from .checks import check_choice, check_inputs, check_int
from .losses import check_labels
from .optim import SGD, check_lr
from .threads import TrainingThreads

LR_SCHEDULES = ("constant", "cosine")
# Training has diverged when the loss is nan/inf, or this many times larger than at the first step.
# (With a far too large learning rate the loss first explodes to 1e9 or more, then the ReLUs all
# die and it settles at a finite value: waiting for nan would miss that.)
EXPLOSION_FACTOR = 100
HIGH_DROPOUT = 0.5  # above it, fewer than half of the hidden units are kept, each scaled up 2x+
# Inputs larger than this stop training at the first step, before any update: a step changes the
# logits by about lr * |x|^2 * D, so inputs of 1e30 would need a learning rate below 1e-63 (less
# than float32 can even hold). Pixels are at most 255.
MAX_INPUT = 1e6


class DivergenceError(FloatingPointError):
    """The loss became nan or inf, or exploded: training diverged (see ``divergence_advice``).

    Besides the message, it carries ``epoch`` and ``step`` (1-based), the ``loss`` that stopped
    training, the ``first_loss``, the base learning rate ``lr`` and the ``history`` up to that
    step, for callers that explain it in their own words (the playground does).
    """

    def __init__(
        self, message, *, epoch=None, step=None, loss=None, first_loss=None, lr=None, history=None
    ):
        super().__init__(message)
        self.epoch, self.step, self.loss = epoch, step, loss
        self.first_loss, self.lr, self.history = first_loss, lr, history


def divergence_advice(lr, dropout=0.0):
    """What to change when training diverged, in the words of fit's error and of the playground.

    The learning rate, unless dropout is above ``HIGH_DROPOUT``: the few hidden units it keeps
    are scaled up by 1/(1 - p), layer after layer, and the loss swings out of control.
    """
    if dropout > HIGH_DROPOUT:
        return (
            f"dropout {dropout:g} is too high: the {100 * (1 - dropout):.3g}% of the hidden units "
            f"it keeps are scaled up {1 / (1 - dropout):.3g} times, layer after layer; try dropout "
            f"0.1 to {HIGH_DROPOUT:g}, or a learning rate below {lr / 10:g}"
        )
    return f"the learning rate {lr:g} is too large; try {lr / 10:g} or smaller"


class StopTraining(Exception):
    """Raise from a callback to end training early; what was learned so far is kept."""


@dataclass
class History:
    """What happened during ``fit``.

    ``loss``: the mini-batch loss after every step; ``train_accuracy``: accuracy on the batches
    seen during each epoch; ``val_accuracy``: accuracy on the validation data after each epoch
    (empty without validation data); ``seconds``: wall time of the whole run.
    """

    loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)
    seconds: float = 0.0
    steps_per_epoch: int = 0
    stopped_early: bool = False

    @property
    def epochs(self):
        """Number of completed epochs."""
        return len(self.train_accuracy)


@dataclass
class StepInfo:
    """Passed to the ``callback`` of ``fit`` after every step."""

    epoch: int  # 1-based
    step: int  # 1-based, within the epoch
    steps_per_epoch: int
    loss: float
    history: History
    epoch_end: bool  # True on the last step of an epoch, after the accuracies are recorded
    model: object = None  # the model being trained


@dataclass
class Evaluation:
    """Result of ``evaluate``: how many of ``total`` samples were classified correctly."""

    correct: int
    total: int
    loss: float

    @property
    def accuracy(self):
        return self.correct / self.total

    def __str__(self):
        return f"{100 * self.accuracy:.2f}% ({self.correct}/{self.total})"


def fit(
    model,
    X,
    y,
    *,
    epochs=5,
    batch_size=128,
    optimizer=None,
    seed=0,
    lr_schedule="constant",
    X_val=None,
    y_val=None,
    augment=None,
    callback=None,
    progress=True,
):
    """Train ``model`` with mini-batch gradient descent.

    Parameters
    ----------
    model : MLP
    X : (N, D) float array (any float dtype), or integer pixels such as uint8 0..255;
        y : (N,) int labels
    epochs, batch_size : positive ints
    optimizer : ``SGD``, ``Momentum`` or ``Adam`` (default ``SGD(0.01)``)
    seed : seeds the shuffling of every epoch
    lr_schedule : "constant", or "cosine" to lower the learning rate smoothly from its value
        to zero over the run (big steps to explore first, small steps to settle at the end)
    X_val, y_val : optional validation data, evaluated after each epoch
    augment : optional ``augment(X_batch, rng) -> X_batch`` applied to every training batch
        (given in the model's dtype, even when X holds integer pixels),
        e.g. ``RandomShift(2)``: each epoch then sees freshly shifted copies of the images
    callback : called as ``callback(StepInfo)`` after every step; may raise ``StopTraining``
    progress : show a tqdm progress bar (text in a terminal, a widget in Jupyter)

    Returns a ``History``. Raises ``DivergenceError`` if the loss becomes nan or inf, or grows
    to more than ``EXPLOSION_FACTOR`` times its first value; and at the first step, before any
    update, if the inputs are larger than ``MAX_INPUT`` (the message then blames them).

    The steps of a run, one method each, are in ``_TrainingRun``: an epoch, a step, the
    divergence check, the end of an epoch, and what is always done at the end.
    """
    X, y, X_val, y_val = _check_fit_data(model, X, y, X_val, y_val, epochs, batch_size)
    check_choice("lr_schedule", lr_schedule, LR_SCHEDULES)
    optimizer = SGD(0.01) if optimizer is None else optimizer
    # X is never copied: MLP.forward converts each batch to the model's dtype. So float32 images
    # can train a float64 model without a second (N, 784) float64 copy, and integer pixels (uint8
    # 0..255, as in the files) make a batch of 1-byte pixels, 8x less memory to gather.
    run = _TrainingRun(
        model,
        optimizer,
        n_samples=len(X),
        steps_per_epoch=n_batches(len(X), batch_size),
        epochs=epochs,
        seed=seed,
        lr_schedule=lr_schedule,
        augment=augment,
        validation=None if X_val is None else (X_val, y_val),
        callback=callback,
        progress=progress,
        input_scale=_largest_magnitude(X),  # checked at the first step, before any update
    )
    with TrainingThreads() as threads:  # one BLAS thread, or more while the CPUs are free
        try:
            for epoch in range(1, epochs + 1):
                run.train_epoch(epoch, iterate_minibatches(X, y, batch_size, run.rng), threads)
        except StopTraining:
            run.history.stopped_early = True
        finally:
            run.finish()
    return run.history


def _check_fit_data(model, X, y, X_val, y_val, epochs, batch_size):
    """fit's arguments checked: (X, y, X_val, y_val) as arrays the network can take."""
    check_int("epochs", epochs, low=1)
    check_int("batch_size", batch_size, low=1)
    X, y = _check_samples(model, X, y)  # arrays (lists are fine), finite, the network's sizes
    if len(X) == 0:
        raise ValueError("cannot train on zero samples")
    if (X_val is None) != (y_val is None):
        raise ValueError("pass both X_val and y_val, or neither")
    if X_val is not None:
        X_val, y_val = _check_samples(model, X_val, y_val, names=("X_val", "y_val"))
    return X, y, X_val, y_val


class _TrainingRun:
    """One call of ``fit``, step by step: the model, the optimizer and what it records.

    ``train_epoch`` goes through one epoch's batches; each ``train_step`` sets the learning rate,
    runs the network forward, checks that training has not diverged, then backward and one
    optimizer step; ``end_epoch`` records the epoch's accuracies; ``finish`` always runs last.
    """

    def __init__(
        self,
        model,
        optimizer,
        *,
        n_samples,
        steps_per_epoch,
        epochs,
        seed,
        lr_schedule,
        augment,
        validation,
        callback,
        progress,
        input_scale,
    ):
        self.model, self.optimizer = model, optimizer
        self.base_lr = check_lr(optimizer.lr)  # a schedule changes optimizer.lr; this stays
        self.n_samples, self.total_steps = n_samples, epochs * steps_per_epoch
        self.rng = np.random.default_rng(seed)  # the shuffling, then the augmentation
        self.lr_schedule, self.augment, self.validation = lr_schedule, augment, validation
        self.callback, self.input_scale = callback, input_scale
        self.history = History(steps_per_epoch=steps_per_epoch)
        self.bar = tqdm(total=self.total_steps, disable=not progress, unit="step", leave=False)
        self.start = time.perf_counter()

    def train_epoch(self, epoch, batches, threads):
        """Train on every batch of one epoch, calling the callback after each step."""
        epoch_start = time.perf_counter()
        correct = 0  # training images classified correctly in this epoch's batches
        steps_per_epoch = self.history.steps_per_epoch
        for step, (X_batch, y_batch) in enumerate(batches, start=1):
            threads.update()
            loss, batch_correct = self.train_step(X_batch, y_batch, epoch, step)
            correct += batch_correct
            self.history.loss.append(loss)
            self.bar.update(1)
            epoch_end = step == steps_per_epoch
            if epoch_end:
                self.end_epoch(correct, loss, epoch_start)
            if self.callback is not None:
                info = StepInfo(
                    epoch, step, steps_per_epoch, loss, self.history, epoch_end, self.model
                )
                self.callback(info)

    def train_step(self, X_batch, y_batch, epoch, step):
        """One update on one batch; returns (its loss, how many of it the network got right).

        Shapes: X_batch (B, D), y_batch (B,) -> logits (B, C).
        """
        model = self.model
        if self.augment is not None:
            X_batch = self.augment(X_batch.astype(model.dtype, copy=False), self.rng)
        if self.lr_schedule == "cosine":
            progress_made = len(self.history.loss) / self.total_steps  # 0 -> 1
            self.optimizer.lr = self.base_lr * 0.5 * (1 + math.cos(math.pi * progress_made))
        # Huge learning rates overflow to inf/nan; check_divergence says so clearly.
        with np.errstate(over="ignore", invalid="ignore"):
            logits = model.forward(X_batch, training=True)  # (B, C)
            loss = float(model.loss_fn.forward(logits, y_batch))
            self.check_divergence(loss, epoch, step)
            correct = int((logits.argmax(axis=1) == y_batch).sum())
            model.backward()
            self.optimizer.step(model.parameters(), model.gradients())
        return loss, correct

    def check_divergence(self, loss, epoch, step):
        """Raise DivergenceError if this step's loss shows that training diverged (``_diverged``)."""
        first_loss = self.history.loss[0] if self.history.loss else loss
        updated = bool(self.history.loss)  # False at the first step
        if not _diverged(loss, first_loss, updated, self.input_scale):
            return
        where = f"loss {'became' if updated else 'is'} {loss:.3g} at epoch {epoch}, step {step}"
        raise DivergenceError(
            _divergence_message(
                where, first_loss, self.base_lr, self.model, self.input_scale, updated
            ),
            epoch=epoch,
            step=step,
            loss=loss,
            first_loss=first_loss,
            lr=self.base_lr,
            history=self.history,
        )

    def end_epoch(self, correct, loss, epoch_start):
        """Record the epoch: training accuracy, validation accuracy (if any), seconds."""
        h = self.history
        h.train_accuracy.append(correct / self.n_samples)
        if self.validation is not None:
            h.val_accuracy.append(evaluate(self.model, *self.validation).accuracy)
        h.epoch_seconds.append(time.perf_counter() - epoch_start)
        self.bar.set_postfix(loss=f"{loss:.3f}", acc=f"{h.train_accuracy[-1]:.3f}")

    def finish(self):
        """After the last step, a stop or an error: leave the model and optimizer as they were
        given (the cached batch dropped, the base learning rate back) and time the run."""
        self.model.forget()  # the last step's cached batch is not needed after training
        self.optimizer.lr = self.base_lr  # the optimizer can be reused as it was given
        self.bar.close()
        self.history.seconds = time.perf_counter() - self.start


def evaluate(model, X, y, batch_size=1000):
    """Accuracy and mean loss on every sample of (X, y), in batches to bound memory.

    Shapes: X (N, D), y (N,). Returns an ``Evaluation`` (``str()`` gives "97.12% (9712/10000)").
    """
    X, y = _check_samples(model, X, y)  # a nan would make the accuracy meaningless: refused
    if len(X) == 0:
        raise ValueError("cannot evaluate on zero samples")
    correct, loss_sum = 0, 0.0
    for start in range(0, len(X), batch_size):  # range covers the last partial batch too
        X_batch, y_batch = X[start : start + batch_size], y[start : start + batch_size]
        with np.errstate(over="ignore", invalid="ignore"):
            logits = model.forward(X_batch)  # (B, C)
            loss_sum += float(model.loss_fn.forward(logits, y_batch)) * len(X_batch)
        correct += int((logits.argmax(axis=1) == y_batch).sum())
    model.forget()  # nothing of the last batch is needed any more
    return Evaluation(correct=correct, total=len(X), loss=loss_sum / len(X))


def _largest_magnitude(array):
    """max |array| without a full-size temporary array; 0 for an empty one."""
    if array.size == 0:
        return 0.0
    return max(abs(float(array.max())), abs(float(array.min())))


def _diverged(loss, first_loss, updated, input_scale):
    """True if training must stop: the loss is nan or inf, or EXPLOSION_FACTOR times its first
    value; or, at the first step (nothing ``updated`` yet), the inputs exceed MAX_INPUT."""
    if not updated and input_scale > MAX_INPUT:
        return True
    return not math.isfinite(loss) or loss > EXPLOSION_FACTOR * first_loss


def _divergence_message(where, first_loss, lr, model, input_scale, updated):
    """The DivergenceError's message: ``where`` it happened, and the cause. Before the first
    update (``updated`` False) the learning rate played no part: the inputs or the weights are
    too large."""
    if updated:
        return f"{where} (it started at {first_loss:.3g}): {divergence_advice(lr, model.dropout)}"
    before = f"{where}, before any update, so the learning rate is not the cause"
    if input_scale > MAX_INPUT:
        return (
            f"{before}: the inputs are far too large (up to {input_scale:.3g} in magnitude, more "
            f"than {MAX_INPUT:g}; pixels are at most 255), and a step changes the outputs by about "
            f"lr·x²; scale them to about [0, 1], e.g. X / {input_scale:.3g}"
        )
    weights = max(_largest_magnitude(W) for W in model.parameters().values())
    return (
        f"{before}: the network's outputs overflow on these inputs (the largest input is "
        f"{input_scale:.3g}, the largest weight {weights:.3g}); scale the inputs to about [0, 1], "
        f"or start from fresh weights"
    )


def _check_samples(model, X, y, names=("X", "y")):
    """(X, y) as arrays: X (N, model's inputs) finite numbers, y N labels of the model's classes."""
    X = check_inputs(names[0], X, model.layer_sizes[0])
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same length, got {len(X)} and {len(y)}"
        )
    check_labels(y, len(X), model.layer_sizes[-1])
    return X, y

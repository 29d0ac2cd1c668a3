"""Measure the numbers that notebook 04's "Try it" answers quote but the notebook does not print.

    python tools/answers/nb04.py

It uses the notebook's data (the first 2,000 training images, float64, so every number is the same
on every computer) and its settings, with mlp_lib.MLP in place of the notebook's own functions
(section 6 of the notebook shows that both compute the same loss and gradients), and writes
results/answers/04.json:

- "Try it" 2: the parameters of 784-128-64-10, and the share of them in the first layer;
- "Try it" 3: overfitting the batch of 32 images for 300 steps, with its true labels and with
  the labels shuffled (`np.random.default_rng(1).permutation(y_batch)`);
- "Try it" 5: the race of section 8 with a single hidden layer of 64 units, sigmoid and ReLU.

It takes about half a minute on 2 cores.
"""

import json
from pathlib import Path

import numpy as np

from mlp_lib import MLP, load_mnist

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "04.json"
COMMAND = "python tools/answers/nb04.py"
LAYER_SIZES = (784, 32, 16, 10)
N_USED, BATCH_SIZE = 2_000, 32  # the notebook's images, and its batch
LR, N_STEPS = 0.3, 300  # the notebook's overfitting loop
N_FIT = 1_500  # the race: images to train on; the other 500 are held out
LR_RACE, BATCH_RACE, EPOCHS_RACE = 0.1, 32, 5


def load():
    """The notebook's first N_USED training images, float64 in [0, 1], and their labels."""
    X_raw, y_raw = load_mnist("train", normalize=False)
    return X_raw[:N_USED].astype(np.float64) / 255, y_raw[:N_USED]


def init_params(layer_sizes, rng):
    """The notebook's He-initialised weights and zero biases."""
    params = {}
    for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
        params[f"W{i}"] = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        params[f"b{i}"] = np.zeros(n_out)
    return params


def overfit(X, y):
    """The notebook's overfitting loop (section 7): the loss at each of N_STEPS steps."""
    model = MLP(LAYER_SIZES, dtype=np.float64)
    model.set_parameters(init_params(LAYER_SIZES, np.random.default_rng(0)))
    losses = []
    for _ in range(N_STEPS):
        losses.append(float(model.loss(X, y)))
        model.backward()
        params, grads = model.parameters(), model.gradients()
        for name in params:
            params[name] -= LR * grads[name]
    return losses


def race(X_train, y_train, sizes, activation, init):
    """The notebook's race (section 8): mean loss per epoch, and the held-out accuracy."""
    X_fit, y_fit, X_held, y_held = (
        X_train[:N_FIT],
        y_train[:N_FIT],
        X_train[N_FIT:],
        y_train[N_FIT:],
    )
    net = MLP(sizes, activation=activation, init=init, seed=0, dtype=np.float64)
    order_rng = np.random.default_rng(0)
    epoch_losses = []
    for _ in range(EPOCHS_RACE):
        order = order_rng.permutation(N_FIT)
        total = 0.0
        for start in range(0, N_FIT, BATCH_RACE):
            batch = order[start : start + BATCH_RACE]
            total += net.loss(X_fit[batch], y_fit[batch]) * len(batch)
            net.backward()
            net_params, net_grads = net.parameters(), net.gradients()
            for name in net_params:
                net_params[name] -= LR_RACE * net_grads[name]
        epoch_losses.append(round(float(total / N_FIT), 4))
    return epoch_losses, float(np.mean(net.predict(X_held) == y_held))


def main():
    answers = {"command": COMMAND}

    big = MLP((784, 128, 64, 10))
    sizes = {name: p.size for name, p in big.parameters().items()}
    total = sum(sizes.values())
    answers["try_it_2_parameters_784_128_64_10"] = total
    answers["try_it_2_first_layer_parameters"] = sizes["W0"] + sizes["b0"]
    answers["try_it_2_first_layer_share"] = round((sizes["W0"] + sizes["b0"]) / total, 4)

    X_train, y_train = load()
    X_batch, y_batch = X_train[:BATCH_SIZE], y_train[:BATCH_SIZE]
    y_shuffled = np.random.default_rng(1).permutation(y_batch)
    true_losses, shuffled_losses = overfit(X_batch, y_batch), overfit(X_batch, y_shuffled)
    answers["try_it_3_shuffled_labels_that_are_wrong"] = int(np.sum(y_shuffled != y_batch))
    answers["try_it_3_loss_after_300_steps_true_labels"] = round(true_losses[-1], 4)
    answers["try_it_3_loss_after_300_steps_shuffled_labels"] = round(shuffled_losses[-1], 4)
    for step in (100, 200):
        answers[f"try_it_3_loss_at_step_{step}"] = {
            "true_labels": round(true_losses[step - 1], 4),
            "shuffled_labels": round(shuffled_losses[step - 1], 4),
        }

    for activation, init in (("sigmoid", "xavier"), ("relu", "he")):
        epoch_losses, accuracy = race(X_train, y_train, (784, 64, 10), activation, init)
        answers[f"try_it_5_one_hidden_layer_{activation}"] = {
            "loss_per_epoch": epoch_losses,
            "held_out_accuracy": accuracy,
            "held_out_images": N_USED - N_FIT,
        }

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()

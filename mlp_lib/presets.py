"""Named training recipes for the command line and the notebooks.

- ``seed``: the original blog program, reproduced exactly: raw 0..255 pixels, weights N(0, 0.01),
  zero biases, 784-32-16-10, batch 90, learning rate 0.01, plain SGD, 3 epochs, float64.
- ``seed-improved``: the same small 784-32-16-10 network, trained with the improved recipe.
- ``default``: a recipe that trains well: pixels in [0, 1], He initialisation, momentum with a
  cosine learning-rate schedule, float32, a wider 784-512-256-10 network.
"""

PRESETS = {
    "default": dict(hidden_sizes=(512, 256), init="he", optimizer="momentum", lr=0.1,
                    lr_schedule="cosine", batch_size=128, epochs=5, normalize=True,
                    dtype="float32", seed=0),
    "seed": dict(hidden_sizes=(32, 16), init="normal", optimizer="sgd", lr=0.01,
                 lr_schedule="constant", batch_size=90, epochs=3, normalize=False,
                 dtype="float64", seed=0),
    "seed-improved": dict(hidden_sizes=(32, 16), init="he", optimizer="momentum", lr=0.1,
                          lr_schedule="cosine", batch_size=128, epochs=10, normalize=True,
                          dtype="float32", seed=0),
}


def get_preset(name):
    """A copy of the named recipe's settings, or a ValueError naming the valid presets."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return dict(PRESETS[name])

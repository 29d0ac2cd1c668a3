"""Named training recipes for the command line and the notebooks.

- ``seed``: the original blog program, reproduced exactly: raw 0..255 pixels, weights N(0, 0.01),
  zero biases, 784-32-16-10, batch 90, learning rate 0.01, plain SGD, 3 epochs, float64.
- ``seed-improved``: the same small 784-32-16-10 network, trained with the improved recipe.
- ``default``: a recipe that trains well in seconds: pixels in [0, 1], He initialisation,
  momentum with a cosine learning-rate schedule, float32, a wider 784-512-256-10 network.
- ``best``: ``default`` trained longer on randomly shifted images, with dropout (notebook 08
  builds it one change at a time, starting from ``seed``: see ``mlp_lib.ladder``).
- ``record``: the most accurate network of the series, in about 5 minutes on 2 cores: a wider
  784-1024-1024-10 network trained for 60 epochs on elastically distorted digits (Simard,
  Steinkraus and Platt 2003), the recipe ``benchmarks/record_search.py`` chose on the validation
  images.

Each preset is a ``Recipe``; ``print(PRESETS["best"])`` shows every setting. ``default`` and
``seed-improved`` hold out the last 10,000 training images to validate on (``validation``);
``seed`` trains on all 60,000, as the blog program did, and so do ``best`` and ``record``: their settings were
chosen on the validation images (see ``mlp_lib.ladder``), after which they are training data too.
"""

from .recipe import Recipe

PRESETS = {
    "default": Recipe(),
    "seed": Recipe(
        hidden_sizes=(32, 16),
        init="normal",
        optimizer="sgd",
        lr=0.01,
        lr_schedule="constant",
        batch_size=90,
        epochs=3,
        normalize=False,
        dtype="float64",
        validation=0,
    ),
    "seed-improved": Recipe(hidden_sizes=(32, 16), epochs=10),
    "best": Recipe(epochs=16, dropout=0.1, shift=1, validation=0),
    # benchmarks/record_search.py chose it on the validation images (results/record_search.md).
    "record": Recipe(
        hidden_sizes=(1024, 1024), epochs=60, elastic=34, elastic_sigma=4, validation=0
    ),
}


def get_preset(name):
    """The named recipe, or a ValueError naming the valid presets."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]

"""mlp_lib: a small NumPy library for a fully connected network that reads handwritten digits.

The pieces, one module each:

- ``idx``         read and write the IDX files MNIST comes in
- ``data``        load MNIST / Fashion-MNIST as (X, y) arrays;  ``download``: fetch them again
- ``batches``     shuffled mini-batches
- ``layers``      Linear, ReLU, Sigmoid, Tanh, Dropout (and their registry);  ``losses``: softmax
                  cross-entropy
- ``model``       the MLP, a list of layers;  ``model_file``: its file format, checked before loading
- ``optim``       SGD, momentum, Adam (and their registry);  ``train``: fit and evaluate
- ``augment``     random shifts and elastic distortions of the training images
- ``recipe``      ``Recipe``: every setting of a training run, and ``train_recipe``
- ``presets``     named recipes;  ``ladder``: notebook 08's path from the seed to the best one
- ``metrics``, ``gradcheck``, ``plots``, ``checks`` (argument checks), ``atomic`` (safe writes)
- ``threads``     how many threads NumPy's matrix products use (one, unless the CPUs are free)
- ``playground``  the interactive panel of notebook 07;  ``cli``: ``python -m mlp_lib``
"""

from .augment import ElasticDistortion, RandomShift
from .batches import iterate_minibatches
from .data import DATASETS, load_mnist
from .download import DownloadError  # the function: from mlp_lib.download import download
from .drawing import preprocess_drawing
from .gradcheck import (
    check_layer_gradients,
    check_model_gradients,
    numerical_gradient,
    relative_error,
)
from .idx import IDXFormatError, read_idx, write_idx
from .layers import ACTIVATIONS, LAYERS, Dropout, Layer, Linear, ReLU, Sigmoid, Tanh
from .losses import SoftmaxCrossEntropy, log_softmax, softmax
from .metrics import accuracy, confusion_matrix
from .model import MLP, ModelFormatError
from .optim import OPTIMIZERS, SGD, Adam, Momentum, make_optimizer
from .presets import PRESETS
from .recipe import Recipe, train_recipe
from .threads import BlasThreadsWarning, apply_environment, set_blas_threads
from .train import DivergenceError, Evaluation, History, StopTraining, evaluate, fit

__version__ = "0.1.0"

# One BLAS thread outside training, unless MLP_LIB_BLAS_THREADS says otherwise. A value it cannot
# use is a BlasThreadsWarning, never an error: importing mlp_lib always works.
apply_environment()

__all__ = [
    "ACTIVATIONS",
    "DATASETS",
    "LAYERS",
    "MLP",
    "OPTIMIZERS",
    "PRESETS",
    "SGD",
    "Adam",
    "BlasThreadsWarning",
    "DivergenceError",
    "DownloadError",
    "ElasticDistortion",
    "Dropout",
    "Evaluation",
    "History",
    "IDXFormatError",
    "Layer",
    "Linear",
    "ModelFormatError",
    "Momentum",
    "RandomShift",
    "ReLU",
    "Recipe",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "StopTraining",
    "Tanh",
    "accuracy",
    "check_layer_gradients",
    "check_model_gradients",
    "confusion_matrix",
    "evaluate",
    "fit",
    "iterate_minibatches",
    "load_mnist",
    "log_softmax",
    "make_optimizer",
    "numerical_gradient",
    "preprocess_drawing",
    "read_idx",
    "relative_error",
    "set_blas_threads",
    "softmax",
    "train_recipe",
    "write_idx",
]

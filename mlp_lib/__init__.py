"""mlp_lib: a small NumPy library for a fully connected network that reads handwritten digits.

The pieces, one module each:

- ``idx``       read and write the IDX files MNIST comes in
- ``data``      load MNIST / Fashion-MNIST as (X, y) arrays;  ``download``: fetch them again
- ``batches``   shuffled mini-batches
- ``layers``    Linear and ReLU;  ``losses``: softmax cross-entropy
- ``model``     the MLP, with safe saving and loading
- ``optim``     SGD, momentum, Adam;  ``train``: fit and evaluate
- ``metrics``, ``gradcheck``, ``plots``, ``presets``, ``cli``
"""

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
from .layers import Layer, Linear, ReLU
from .losses import SoftmaxCrossEntropy, log_softmax, softmax
from .metrics import accuracy, confusion_matrix
from .model import MLP, ModelFormatError
from .optim import SGD, Adam, Momentum, make_optimizer
from .presets import PRESETS
from .train import DivergenceError, Evaluation, History, StopTraining, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "DATASETS",
    "MLP",
    "PRESETS",
    "SGD",
    "Adam",
    "DivergenceError",
    "DownloadError",
    "Evaluation",
    "History",
    "IDXFormatError",
    "Layer",
    "Linear",
    "ModelFormatError",
    "Momentum",
    "ReLU",
    "SoftmaxCrossEntropy",
    "StopTraining",
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
    "softmax",
    "write_idx",
]

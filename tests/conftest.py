"""Shared test setup: a non-interactive matplotlib backend for plain tests (not for nbval kernels)."""

import matplotlib

matplotlib.use("Agg")

"""Measure the numbers that notebook 02's "Try it" 4 answer quotes but the notebook does not print.

    python tools/answers/nb02.py

"Try it" 4 repeats the gradient check of section 4 in float32. Its result depends on the random
numbers drawn, so this script runs the exercise's solution on the notebook's own draw of `xs`, `Ws`
and `R` and on 200 more random draws (seeds 0 to 199), each in float32 and in float64, and writes
the relative errors to results/answers/02.json. It takes a few seconds.
"""

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "02.json"
COMMAND = "python tools/answers/nb02.py"
N_CHECK, D_CHECK, H_CHECK = 3, 5, 4  # the notebook's sizes
EPS = 1e-6  # the notebook's nudge
N_DRAWS = 200


def numerical_grad(f, a, eps=EPS):
    """The notebook's central differences, entry by entry (a is nudged in place and restored)."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        saved = a[idx]
        a[idx] = saved + eps
        f_plus = f()
        a[idx] = saved - eps
        f_minus = f()
        a[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def rel_error(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(a) + np.abs(b))


def dW_error(xs, Ws, R, dtype):
    """ "Try it" 4's solution: the relative error of the numerical dW against x.T @ R, in dtype."""
    xs, Ws, R = xs.astype(dtype), Ws.astype(dtype), R.astype(dtype)
    return float(rel_error(xs.T @ R, numerical_grad(lambda: np.sum((xs @ Ws) * R), Ws)))


def notebook_draw():
    """xs, Ws and R as the notebook draws them: its rng = default_rng(0) first draws W and b
    (section 1) and dout (section 3)."""
    rng = np.random.default_rng(0)
    rng.normal(0.0, np.sqrt(2.0 / 784), size=(784, 32))  # W
    rng.normal(0.0, 0.1, size=32)  # b
    rng.normal(size=(4, 32))  # dout
    xs = rng.normal(size=(N_CHECK, D_CHECK))
    Ws = rng.normal(size=(D_CHECK, H_CHECK))
    rng.normal(size=H_CHECK)  # bs
    R = rng.normal(size=(N_CHECK, H_CHECK))
    return xs, Ws, R


def random_draw(seed):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(N_CHECK, D_CHECK)),
        rng.normal(size=(D_CHECK, H_CHECK)),
        rng.normal(size=(N_CHECK, H_CHECK)),
    )


def main():
    answers = {"command": COMMAND, "random_draws": N_DRAWS}
    xs, Ws, R = notebook_draw()
    answers["notebook_draw_relative_error_float32"] = dW_error(xs, Ws, R, np.float32)
    answers["notebook_draw_relative_error_float64"] = dW_error(xs, Ws, R, np.float64)

    for dtype in (np.float32, np.float64):
        name = np.dtype(dtype).name
        errors = np.array([dW_error(*random_draw(seed), dtype) for seed in range(N_DRAWS)])
        answers[f"{N_DRAWS}_draws_relative_error_{name}"] = {
            "lowest": float(errors.min()),
            "median": float(np.median(errors)),
            "highest": float(errors.max()),
        }

    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()

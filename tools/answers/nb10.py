"""Measure the numbers that notebook 10's text quotes from runs the notebook itself does not make.

    python tools/answers/nb10.py

It runs the code of two exercise solutions, as the notebook would, and writes
results/answers/10.json:

- "Try it" 2: the 7 of section 4, 180 pixels tall, drawn with brushes of 4, 8, 22, 40 and 60
  pixels: the stroke width after preparation, and what the best network reads, how sure;
- "Try it" 4: the seed network on the 2,000 canvases of section 5 (made again with the same
  seed): the original images, the canvases shrunk naively, and the canvases prepared.

Both networks are loaded in float64, so every number is the same on every computer. Probabilities
and accuracies are fractions (0.7832 is 78.32%). It takes a few seconds.
"""

import json
from pathlib import Path

import numpy as np

from mlp_lib import MLP, evaluate, load_mnist, preprocess_drawing
from mlp_lib.drawing import draw_strokes, resize_area, stroke_width

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "results" / "answers" / "10.json"
COMMAND = "python tools/answers/nb10.py"
BRUSHES = (4, 8, 22, 40, 60)
N_CANVAS, CANVAS, SCALES = 2000, 112, (1.5, 4.0)  # section 5's canvases


def seven(size, offset=(0, 0)):
    """Section 4's 7, `size` pixels tall, its top-left corner at `offset` (x, y): one stroke."""
    x0, y0 = offset
    return [[(x0, y0), (x0 + 0.6 * size, y0), (x0 + 0.25 * size, y0 + size)]]


def on_canvas(x, scale, rng):
    """Section 5: the 28 x 28 image x scaled by `scale`, pasted at a random place on the canvas."""
    side = min(CANVAS, int(round(28 * scale)))
    big = resize_area(x.reshape(28, 28), (side, side))
    top, left = rng.integers(0, CANVAS - side + 1, size=2)
    canvas = np.zeros((CANVAS, CANVAS))
    canvas[top : top + side, left : left + side] = big
    return canvas


def try_it_2(best):
    """The solution's loop: for each brush, the stroke width after preparation and the reading."""
    answers = {}
    for brush in BRUSHES:
        x = preprocess_drawing(draw_strokes(seven(180, (50, 50)), width=brush))
        p = best.predict_proba(x[None])[0]
        answers[brush] = {
            "stroke_width": round(float(stroke_width(x.reshape(28, 28))), 2),
            "read": int(p.argmax()),
            "probability": round(float(p.max()), 4),
        }
    return {"try_it_2_seven_180_pixels_tall_by_brush": answers}


def try_it_4(seed_net, X_test, y_test):
    """The seed network (it reads pixels 0..255) on section 5's canvases, three ways."""
    canvas_rng = np.random.default_rng(0)  # as section 5 draws them
    picked = canvas_rng.choice(len(X_test), size=N_CANVAS, replace=False)
    scales = canvas_rng.uniform(*SCALES, size=N_CANVAS)
    naive_inputs = np.empty((N_CANVAS, 784))
    prepared_inputs = np.empty((N_CANVAS, 784), dtype=np.float32)
    for k, (i, scale) in enumerate(zip(picked, scales)):
        canvas = on_canvas(X_test[i], scale, canvas_rng)
        naive_inputs[k] = resize_area(canvas, (28, 28)).ravel()
        prepared_inputs[k] = preprocess_drawing(canvas)
    y_canvas = y_test[picked]
    ways = {"original": X_test[picked], "naive": naive_inputs, "prepared": prepared_inputs}
    return {
        "try_it_4_seed_network_accuracy_on_the_canvases": {
            name: evaluate(seed_net, 255 * np.asarray(X, dtype=np.float64), y_canvas).accuracy
            for name, X in ways.items()
        }
    }


def main():
    best = MLP.load(ROOT / "models" / "best.npz", dtype=np.float64)
    seed_net = MLP.load(ROOT / "models" / "seed.npz", dtype=np.float64)
    X_test, y_test = load_mnist("test")
    answers = {"command": COMMAND}
    answers.update(try_it_2(best))
    answers.update(try_it_4(seed_net, X_test, y_test))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(answers, indent=1))


if __name__ == "__main__":
    main()

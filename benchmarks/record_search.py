"""The search for the record recipe (issue 14): every training run, logged with its settings.

Each call trains one recipe on the project's validation split -- the first 50,000 training
images, validated after every epoch on the last 10,000 -- and appends the run to
results/record_search.json: its settings, the validation accuracy after every epoch, the
seconds per epoch, the BLAS threads and the machine's load average. The test set is not
touched unless ``--test`` is given, which is meant for the final chosen recipe only.

    OPENBLAS_NUM_THREADS=1 python benchmarks/record_search.py --name pilot-a \\
        --hidden 1024 1024 --epochs 10 --alpha 34 --sigma 4

``--train-on all`` trains on all 60,000 training images (there is then nothing left to
validate on: use it only after the choice is made, with ``--test``). ``--measure`` does not
train: it times the distortion of a batch against a training step of the network, interleaved.
Every option is written into the log, so any run can be repeated from its entry.

The log and ``--save`` are checked before anything trains: their folders must exist, and a
``--log`` that exists must be such a log (another file is never written over). If the log still
cannot be written when the run ends (a full disk), the run's entry goes to a file in the
temporary folder, and the error line says where: a run is never lost.
"""

import argparse
import fcntl
import json
import os
import platform
import signal
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mlp_lib import MLP, StopTraining, evaluate, fit, load_mnist
from mlp_lib.atomic import OutputPathError, check_output_path, write_bytes_atomically
from mlp_lib.augment import Chain, ElasticDistortion, RandomShift
from mlp_lib.optim import Adam, Momentum

VALIDATION_SPLIT = 50_000  # train on X[:50000], validate on X[50000:]
DEFAULT_LOG = Path(__file__).resolve().parent.parent / "results" / "record_search.json"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", help="a short name for the run in the log (required to train)")
    parser.add_argument("--note", default="", help="why this run, what it compares")
    parser.add_argument("--hidden", type=int, nargs="+", default=[1024, 1024])
    parser.add_argument("--init", default="he")
    parser.add_argument("--optimizer", choices=("momentum", "adam"), default="momentum")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--schedule", choices=("constant", "cosine"), default="cosine")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--shift", type=int, default=0, help="RandomShift after the distortion")
    parser.add_argument("--alpha", type=float, default=0.0, help="0: no elastic distortion")
    parser.add_argument("--sigma", type=float, default=4.0)
    parser.add_argument("--rotation", type=float, default=0.0, help="degrees")
    parser.add_argument("--scale", type=float, default=0.0)
    parser.add_argument("--shear", type=float, default=0.0)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--train-on",
        choices=("split", "all"),
        default="split",
        help="split: the first 50,000 images, validated on the last 10,000; all: all 60,000",
    )
    parser.add_argument("--test", action="store_true", help="also evaluate on the test set")
    parser.add_argument("--save", type=Path, help="save the trained model (.npz) here")
    parser.add_argument("--measure", action="store_true", help="time augment vs step, no run")
    parser.add_argument("--summary", action="store_true", help="print the log as a table, no run")
    parser.add_argument(
        "--test-saved",
        metavar="RUN",
        help="evaluate the model saved by the logged run RUN on the test set, once, and log it",
    )
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    args = parser.parse_args(argv)
    if not (args.name or args.summary or args.measure or args.test_saved):
        parser.error("give --name NAME to train a run (or --summary, --measure or --test-saved)")
    return args


def read_log(path):
    """The log's runs; SystemExit with one line if ``path`` is missing or not such a log."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"error: {path}: no such log; train a run first, or give --log") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not JSON"
        raise SystemExit(
            f"error: {path} is not a log of this script ({reason}); give another --log"
        ) from None
    if not (isinstance(data, dict) and isinstance(data.get("runs"), list)):
        raise SystemExit(
            f'error: {path} is not a log of this script (no "runs" list); give another --log'
        )
    return data


def check_outputs(args):
    """Before training: the log can be added to and the model saved (SystemExit with one line)."""
    for path, what in ((args.log, "log"), (args.save, "model")):
        if path is None:
            continue
        try:
            check_output_path(path, what)
        except OutputPathError as exc:
            raise SystemExit(f"error: {exc}") from None
    if args.log.exists():
        read_log(args.log)


def lock_file(path):
    """The lock beside the log, ``.record_search.json.lock``: opened for appending, so that a file
    of that name is never emptied."""
    return open(path.with_name(f".{path.name}.lock"), "a")


def number(value, spec=".1f"):
    """``value`` formatted, or "?" where the log has no value (a run stopped by hand)."""
    return "?" if value is None else format(value, spec)


def summary(path):
    """A markdown table of every logged run: what changed, accuracy, seconds, load."""
    runs = read_log(path)["runs"]
    lines = [
        "| run | network | epochs | batch | lr | dropout | shift | alpha/sigma | rot/scale/shear "
        "| train on | val % (best epoch) | test % | s | CPU s | threads | load |",
        "|---|---|--:|--:|--:|--:|--:|---|---|--:|---|--:|--:|--:|--:|---|",
    ]
    for run in runs:
        s, val = run["settings"], run["val_accuracy"]
        best = f" ({100 * max(val):.2f}, ep {int(np.argmax(val)) + 1})" if val else ""
        final = f"{100 * val[-1]:.2f}{best}" if val else "-"
        if run.get("stopped"):
            final = f"stopped at epoch {len(run['train_accuracy'])}: {final}"
        test = f"{100 * run['test_accuracy']:.2f}" if "test_accuracy" in run else "-"
        elastic = f"{s['alpha']:g}/{s['sigma']:g}" if s["alpha"] else "-"
        affine = f"{s['rotation']:g}/{s['scale']:g}/{s['shear']:g}"
        lines.append(
            f"| {run['name']} | {'-'.join(str(h) for h in s['hidden'])} | {s['epochs']} "
            f"| {s['batch_size']} | {s['lr']:g} | {s['dropout']:g} | {s['shift']} | {elastic} "
            f"| {affine} | {s['train_on']} | {final} | {test} | {run['seconds']:.0f} "
            f"| {number(run['cpu_seconds'], '.0f')} | {run['machine']['openblas_threads']} "
            f"| {number(run['load_average'][0])}-{number(run['load_average'][1])} |"
        )
    return "\n".join(lines)


def settings_of(args):
    """The recipe's settings, as logged: everything that changes what is learned."""
    keys = (
        "hidden optimizer init lr momentum schedule batch_size epochs weight_decay dropout shift "
        "alpha sigma rotation scale shear dtype seed"
    ).split()
    return {key: getattr(args, key) for key in keys}


def build(args):
    """(model, optimizer, augment) for the recipe in ``args``."""
    model = MLP(
        (784, *args.hidden, 10),
        init=args.init,
        seed=args.seed,
        dtype=np.dtype(args.dtype),
        dropout=args.dropout,
    )
    if args.optimizer == "momentum":
        optimizer = Momentum(args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    else:
        optimizer = Adam(args.lr, weight_decay=args.weight_decay)
    augments = []
    if args.alpha or args.rotation or args.scale or args.shear:
        augments.append(
            ElasticDistortion(args.alpha, args.sigma, args.rotation, args.scale, args.shear)
        )
    if args.shift:
        augments.append(RandomShift(args.shift))
    augment = None if not augments else augments[0] if len(augments) == 1 else Chain(*augments)
    return model, optimizer, augment


def machine():
    return {
        "cpus": os.cpu_count(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def test_saved(path, name):
    """Evaluate the model saved by run ``name`` on the test set and add the result to its entry.

    For the chosen recipe trained on the validation split: its model is tested once, after the
    choice, without training it again. A run tested before is not tested again.
    """
    with lock_file(path) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = read_log(path)
        runs = [run for run in data["runs"] if run.get("name") == name]
        if len(runs) != 1:
            raise SystemExit(f"error: {path} has {len(runs)} runs named {name!r}, not one")
        (run,) = runs
        if "test_accuracy" in run:
            raise SystemExit(f"{name} was already tested: {run['test_accuracy']}")
        model = MLP.load(run["saved"])
        X_test, y_test = load_mnist("test", dtype=model.dtype)
        test = evaluate(model, X_test, y_test)
        run["test_accuracy"] = round(test.accuracy, 4)
        run["tested"] = time.strftime("%Y-%m-%d %H:%M:%S")
        write_bytes_atomically(path, (json.dumps(data, indent=1) + "\n").encode("utf-8"))
    print(f"{name}: test {test}")


def append_to_log(path, entry):
    """Add one run to the JSON log; a lock file lets two runs finish at the same time safely."""
    with lock_file(path) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        runs = read_log(path)["runs"] if path.exists() else []
        runs.append(entry)
        data = {
            "about": (
                "Every run of benchmarks/record_search.py: settings, validation accuracy per "
                "epoch (last 10,000 training images; the network trains on the first 50,000), "
                "seconds, BLAS threads and load average (1-minute, from os.getloadavg) at start "
                "and end. The machine has 2 cores and was shared with other jobs."
            ),
            "runs": runs,
        }
        write_bytes_atomically(path, (json.dumps(data, indent=1) + "\n").encode("utf-8"))


def measure(args, X, y, repeats=60):
    """Median ms of distorting a batch and of one training step, measured in alternation.

    Both wall time and CPU time of this thread are reported: on a busy machine the wall times
    include waiting for a core, while the CPU times are close to what an idle machine would
    take with one BLAS thread (run with OPENBLAS_NUM_THREADS=1 for that comparison).
    """
    model, optimizer, augment = build(args)
    rng = np.random.default_rng(0)
    times = {"augment": [], "step": []}  # (wall, cpu) pairs in ms
    for i in range(repeats):
        idx = rng.integers(0, len(X), args.batch_size)
        X_batch, y_batch = X[idx], y[idx]  # (B, 784), (B,)
        wall, cpu = time.perf_counter(), time.thread_time()
        if augment is not None:
            X_batch = augment(X_batch, rng)
        wall_mid, cpu_mid = time.perf_counter(), time.thread_time()
        model.loss(X_batch, y_batch, training=True)
        model.backward()
        optimizer.step(model.parameters(), model.gradients())
        wall_end, cpu_end = time.perf_counter(), time.thread_time()
        if i >= 5:  # the first steps allocate the optimizer's arrays
            times["augment"].append((1000 * (wall_mid - wall), 1000 * (cpu_mid - cpu)))
            times["step"].append((1000 * (wall_end - wall_mid), 1000 * (cpu_end - cpu_mid)))
    (a_wall, a_cpu), (s_wall, s_cpu) = (np.median(times[k], axis=0) for k in ("augment", "step"))
    print(
        f"{augment!r} on a batch of {args.batch_size}: {a_wall:.2f} ms ({a_cpu:.2f} ms CPU); "
        f"training step of {model!r}: {s_wall:.2f} ms ({s_cpu:.2f} ms CPU of this thread); "
        f"distortion / step: {a_wall / s_wall:.2f} ({a_cpu / s_cpu:.2f} in CPU time); "
        f"OPENBLAS_NUM_THREADS={machine()['openblas_threads']}, load {os.getloadavg()[0]:.1f}"
    )


def keep_entry_elsewhere(entry, exc):
    """The run's entry, written to the temporary folder when the log cannot take it."""
    handle, path = tempfile.mkstemp(prefix=f"record_search-{entry['name']}-", suffix=".json")
    with os.fdopen(handle, "w") as file:
        json.dump(entry, file, indent=1)
    raise SystemExit(f"error: {exc}; this run's entry is in {path}: add it to the log by hand")


def main(argv=None):
    args = parse_args(argv)
    if args.summary:
        print(summary(args.log))
        return
    if args.test_saved:
        test_saved(args.log, args.test_saved)
        return
    check_outputs(args)  # before the data is loaded and anything trains
    X, y = load_mnist("train", dtype=np.dtype(args.dtype))  # (60000, 784), (60000,)
    if args.measure:
        measure(args, X, y)
        return
    if args.train_on == "split":
        X_train, y_train = X[:VALIDATION_SPLIT], y[:VALIDATION_SPLIT]
        X_val, y_val = X[VALIDATION_SPLIT:], y[VALIDATION_SPLIT:]
    else:
        X_train, y_train, X_val, y_val = X, y, None, None
    if args.test:
        X_test, y_test = load_mnist("test", dtype=np.dtype(args.dtype))
    model, optimizer, augment = build(args)
    print(f"{args.name}: {model!r}, {optimizer!r}, augment {augment!r}", flush=True)

    # Ctrl-C or `kill PID` ends the run after the current step, and it is still logged as stopped.
    stop = []
    previous = {
        signum: signal.signal(signum, lambda signum, frame: stop.append(signum))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }

    def report(info):
        if stop:
            raise StopTraining
        if info.epoch_end:
            h = info.history
            val = f"val {100 * h.val_accuracy[-1]:.2f}%" if h.val_accuracy else ""
            print(
                f"  epoch {info.epoch:3d}  train {100 * h.train_accuracy[-1]:.2f}%  {val}  "
                f"{h.epoch_seconds[-1]:.1f} s  load {os.getloadavg()[0]:.1f}",
                flush=True,
            )

    load_start, cpu_start = os.getloadavg()[0], time.process_time()
    try:
        history = fit(
            model,
            X_train,
            y_train,
            epochs=args.epochs,
            batch_size=args.batch_size,
            optimizer=optimizer,
            seed=args.seed,
            lr_schedule=args.schedule,
            X_val=X_val,
            y_val=y_val,
            augment=augment,
            callback=report,
            progress=False,
        )
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    entry = {
        "name": args.name,
        "note": args.note,
        "command": "python benchmarks/record_search.py " + " ".join(sys.argv[1:]),
        "settings": {**settings_of(args), "train_on": len(X_train)},
        "augment": repr(augment),
        "val_accuracy": [round(a, 4) for a in history.val_accuracy],
        "final_val_accuracy": round(history.val_accuracy[-1], 4) if history.val_accuracy else None,
        "train_accuracy": [round(a, 4) for a in history.train_accuracy],
        "epoch_seconds": [round(s, 2) for s in history.epoch_seconds],
        "seconds": round(history.seconds, 1),
        "cpu_seconds": round(time.process_time() - cpu_start, 1),
        "steps": len(history.loss),
        "stopped": history.stopped_early,
        "machine": machine(),
        "load_average": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if args.test and not history.stopped_early:
        test = evaluate(model, X_test, y_test)
        entry["test_accuracy"] = round(test.accuracy, 4)
        print(f"  test {test}")
    save_error = None
    if args.save and not history.stopped_early:
        try:
            model.save(args.save, recipe=json.dumps(entry["settings"]))
            entry["saved"] = str(args.save)
        except OSError as exc:  # the run is still logged; the model is lost, and it says so
            save_error = entry["save_error"] = str(exc)
    try:
        append_to_log(args.log, entry)
    except OSError as exc:
        keep_entry_elsewhere(entry, exc)
    final = f"val {100 * entry['final_val_accuracy']:.2f}%, " if history.val_accuracy else ""
    stopped = f" (stopped after epoch {history.epochs})" if history.stopped_early else ""
    print(f"{args.name}: {final}{history.seconds:.0f} s{stopped}")
    if save_error:
        raise SystemExit(f"error: {save_error}; the run is logged without its model")


if __name__ == "__main__":
    main()

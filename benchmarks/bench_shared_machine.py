"""Training on a shared machine: K processes at once, with and without mlp_lib's thread policy.

    python benchmarks/bench_shared_machine.py             # K = 1, 2, 4; both networks; ~5 minutes
    python benchmarks/bench_shared_machine.py --ks 1 2 --rounds 1

For each network (784-32-16-10 at batch 64, 784-512-256-10 at batch 128) and each way of setting
BLAS threads, it starts K training processes at the same moment, each training the same number of
steps with ``fit``, and records how long each one took. It prints every process's slowdown against
one process running alone with the same setting, and that slowdown divided by the fair share: on a
machine with C cores, K processes cannot each run faster than max(1, K / C) times slower than one
alone. Goal: every ratio within 1.3, and a single process with the policy within 10% of one with
the system's default threads ("today's speed").

The two settings: ``auto`` (mlp_lib's policy, see mlp_lib/threads.py) and ``system`` (mlp_lib
leaves BLAS alone: OpenBLAS uses one thread per core, as before the policy existed). Each process is
a fresh Python, so the setting comes from the environment variable MLP_LIB_BLAS_THREADS.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

NETWORKS = {  # name: (layer sizes, batch size, steps each process trains)
    "784-32-16-10": ((784, 32, 16, 10), 64, 6000),
    "784-512-256-10": ((784, 512, 256, 10), 128, 600),
}
POLICIES = ("auto", "system")
GOAL_FAIR_SHARE = 1.3
GOAL_ALONE = 1.10
DATA_SIZE = 12_800  # images each process trains on, epoch after epoch (a multiple of the batches)
START_DELAY = 3.0  # seconds: every process has imported NumPy and made its data by then


def worker(network, start_at):
    """One process: wait for the common start, train, print {"seconds": ...} as JSON."""
    import numpy as np

    from mlp_lib import MLP, Momentum, fit

    sizes, batch_size, steps = NETWORKS[network]
    rng = np.random.default_rng(0)
    X = rng.random((DATA_SIZE, sizes[0]), dtype=np.float32)  # (N, 784) images of noise
    y = rng.integers(0, sizes[-1], len(X))
    epochs = steps * batch_size // DATA_SIZE
    model = MLP(sizes, seed=0)
    time.sleep(max(0.0, start_at - time.time()))
    start = time.perf_counter()
    fit(model, X, y, epochs=epochs, batch_size=batch_size, optimizer=Momentum(0.01), progress=False)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def run_together(network, policy, k):
    """Start k workers at the same moment; return each one's training seconds."""
    env = {key: value for key, value in os.environ.items() if not key.endswith("NUM_THREADS")}
    env["MLP_LIB_BLAS_THREADS"] = policy
    start_at = time.time() + START_DELAY
    command = [sys.executable, __file__, "--worker", network, "--start-at", str(start_at)]
    workers = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(k)
    ]
    seconds = []
    for process in workers:
        out, _ = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"a worker failed ({network}, {policy}, K={k})")
        seconds.append(json.loads(out.strip().splitlines()[-1])["seconds"])
    return seconds


def measure(ks, rounds):
    """{(network, policy, k): [seconds of each process, over all rounds]}, policies alternating."""
    times = {}
    for _ in range(rounds):
        for network in NETWORKS:
            for k in ks:
                for policy in POLICIES:
                    seconds = run_together(network, policy, k)
                    times.setdefault((network, policy, k), []).extend(seconds)
                    shown = ", ".join(f"{s:.2f}" for s in seconds)
                    print(f"{network}, {policy}, K={k}: {shown} s", flush=True)
    return times


def report(times, ks, cores):
    ok = True
    print(f"\n{cores} cores; each cell: the median over processes and rounds\n")
    print(
        "| network | threads | K | seconds | slowdown vs alone | fair share | ratio | goal ≤ 1.3 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for network in NETWORKS:
        for policy in POLICIES:
            alone = statistics.median(times[(network, policy, 1)])
            for k in ks:
                seconds = times[(network, policy, k)]
                slowdown = max(seconds) / alone  # the slowest process of the K
                fair = max(1.0, k / cores)
                ratio = slowdown / fair
                verdict = "PASS" if ratio <= GOAL_FAIR_SHARE else "FAIL"
                if policy == "auto":
                    ok &= ratio <= GOAL_FAIR_SHARE
                else:
                    verdict = f"({verdict})"  # today's behaviour, for comparison
                print(
                    f"| {network} | {policy} | {k} | {statistics.median(seconds):.2f} | "
                    f"{slowdown:.2f}× | {fair:g}× | {ratio:.2f} | {verdict} |"
                )
    print("\nOne process alone, the policy against the system's threads (today's speed):\n")
    for network in NETWORKS:
        auto = statistics.median(times[(network, "auto", 1)])
        system = statistics.median(times[(network, "system", 1)])
        verdict = "PASS" if auto / system <= GOAL_ALONE else "FAIL"
        ok &= auto / system <= GOAL_ALONE
        print(
            f"- {network}: auto {auto:.2f} s, system {system:.2f} s: "
            f"{auto / system:.2f}× (goal ≤ {GOAL_ALONE}): {verdict}"
        )
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 2, 4], help="processes at once")
    parser.add_argument("--rounds", type=int, default=2, help="repeat everything this many times")
    parser.add_argument("--worker", choices=list(NETWORKS), help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.start_at)
        return 0
    if 1 not in args.ks:
        parser.error("--ks must include 1: the slowdowns are measured against one process alone")
    from mlp_lib.threads import available_cpus

    cores = available_cpus()
    print(f"python {sys.version.split()[0]}, {cores} cores available; networks: {dict(NETWORKS)}")
    times = measure(args.ks, args.rounds)
    ok = report(times, args.ks, cores)
    print("\nall goals met" if ok else "\nsome goals not met")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How many threads NumPy's matrix products use: one, unless the CPUs are free.

NumPy hands every matrix product to a BLAS library (OpenBLAS), which starts one thread per core.
On an idle 2-core machine two threads train 1.2 to 1.6 times faster than one. On a busy machine
(a class on one server, a laptop running a browser) the threads wait for each other, and the
same training step can take ten or twenty times longer. So mlp_lib decides:

- importing mlp_lib limits BLAS to one thread, for the small products of the notebooks' own code;
- while ``fit`` trains, it looks four times a second at how many other programs want a CPU right
  now (``/proc/loadavg``), and uses as many threads as there are CPUs free for it: all the CPUs
  this process may use (its affinity and its container's CPU quota) on an idle machine, one on a
  busy one. It lowers the count at once and raises it only after a second of free CPUs.

Choose for yourself with the environment variable ``MLP_LIB_BLAS_THREADS`` (read on import) or
``set_blas_threads`` (at any time): ``"auto"`` (the policy above, the default), a number (always
that many threads), or ``"system"`` (mlp_lib never changes BLAS's threads).

A float32 network trained with a different number of threads can differ in its last digits (the
additions happen in another order); float64 results are the same to the last digit.
"""

import math
import os
import time

from threadpoolctl import ThreadpoolController

from .checks import is_integer

ENV_VAR = "MLP_LIB_BLAS_THREADS"
CHECK_SECONDS = 0.25  # how often fit looks at the machine
RAISE_AFTER_CHECKS = 4  # free CPUs seen this many times in a row before using more threads

_mode = "auto"  # "auto", "system", or an int
_blas = None  # threadpoolctl's controller of the BLAS libraries, made on first use


def available_cpus():
    """The CPUs this process may use: its CPU affinity, capped by a container's CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS has no affinity
        cpus = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    return max(1, min(cpus, math.ceil(quota))) if quota else max(1, cpus)


def _cgroup_cpu_quota(root="/sys/fs/cgroup"):
    """CPUs allowed by the cgroup (Docker's --cpus, Kubernetes limits), or None if unlimited."""
    try:  # cgroup v2: "max 100000" or "200000 100000"
        with open(f"{root}/cpu.max") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        with open(f"{root}/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open(f"{root}/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def runnable_tasks():
    """How many threads of the whole machine are running or waiting for a CPU right now.

    Linux: the fourth field of /proc/loadavg ("3/420": 3 runnable); elsewhere the one-minute
    load average, a slower guess.
    """
    try:
        with open("/proc/loadavg") as f:
            return int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return math.ceil(os.getloadavg()[0])


def _controller():
    global _blas
    if _blas is None:
        _blas = ThreadpoolController().select(user_api="blas")
    return _blas


def blas_threads():
    """The number of threads BLAS uses now (the largest, if several BLAS libraries are loaded)."""
    return max((lib.num_threads for lib in _controller().lib_controllers), default=1)


def _set(threads):
    for lib in _controller().lib_controllers:
        lib.set_num_threads(threads)


def set_blas_threads(mode):
    """Choose how mlp_lib sets BLAS's threads: "auto", "system" or a positive number.

    "auto" and numbers take effect at once (outside training: one thread, or that number).
    """
    global _mode
    if isinstance(mode, str) and mode.strip().isdigit():
        mode = int(mode)
    if mode not in ("auto", "system") and not (is_integer(mode) and mode >= 1):
        raise ValueError(
            f"BLAS threads must be 'auto', 'system' or a positive number, got {mode!r}; try 'auto'"
        )
    _mode = mode if isinstance(mode, str) else int(mode)
    if _mode != "system":
        _set(1 if _mode == "auto" else _mode)
    return _mode


def apply_environment():
    """On import: the mode named by MLP_LIB_BLAS_THREADS, or "auto"."""
    value = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    try:
        set_blas_threads(value)
    except ValueError as exc:
        raise ValueError(f"the environment variable {ENV_VAR}: {exc}") from None


class TrainingThreads:
    """The thread policy while ``fit`` trains; call ``update()`` before every step.

    Used as a context manager: on exit BLAS gets back the threads it had before.
    """

    def __init__(self):
        self.mode = _mode
        self.max_threads = available_cpus()
        self.threads = None
        self.free_in_a_row = 0
        self.next_check = 0.0
        self.checked = False

    def __enter__(self):
        if self.mode != "system":
            self.before = blas_threads()
            self.threads = self.before if self.mode == "auto" else self.mode
            _set(self.threads)
        return self

    def __exit__(self, *exc_info):
        if self.mode != "system":
            _set(self.before)

    def update(self):
        """Look at the machine (at most every CHECK_SECONDS) and set the thread count to match."""
        if self.mode != "auto" or self.max_threads == 1:
            return
        now = time.monotonic()
        if now < self.next_check:
            return
        self.next_check = now + CHECK_SECONDS
        self.first_check, self.checked = not self.checked, True
        # Our own threads are among the runnable ones (the BLAS helpers spin for a moment after
        # each product): the others are what is left.
        others = max(0, runnable_tasks() - self.threads)
        wanted = max(1, min(self.max_threads, self.max_threads - others))
        if wanted < self.threads:  # busy: fewer threads at once
            self.free_in_a_row = 0
            self.threads = wanted
            _set(wanted)
        elif wanted > self.threads:  # free: more threads, at once at the start, later once it lasts
            self.free_in_a_row += 1
            if self.free_in_a_row >= RAISE_AFTER_CHECKS or self.first_check:
                self.free_in_a_row = 0
                self.threads = wanted
                _set(wanted)
        else:
            self.free_in_a_row = 0

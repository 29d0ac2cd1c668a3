"""How many threads NumPy's matrix products use: one, unless the CPUs are free.

NumPy hands every matrix product to a BLAS library (OpenBLAS), which starts one thread per core.
On an idle 2-core machine two threads train 1.2 to 1.6 times faster than one. On a busy machine
(a class on one server, a laptop running a browser) the threads wait for each other, and the
same training step can take ten or twenty times longer. So mlp_lib decides:

- importing mlp_lib limits BLAS to one thread, for the small products of the notebooks' own code;
- while ``fit`` trains, it measures four times a second how much CPU time the machine left idle
  (``/proc/stat``) besides what this process used, and uses as many threads as that covers: all
  the CPUs this process may use (its affinity and its container's CPU quota) on an idle machine,
  one on a busy one. It lowers the count at once and raises it after half a second of idle CPUs.

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
FIRST_CHECK_SECONDS = 0.05  # the first look comes sooner: a short training should not wait for it
RAISE_AFTER_CHECKS = 2  # idle CPUs seen this many times in a row before using more threads

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


def machine_cpu_seconds():
    """(idle, total) CPU seconds of the whole machine since it started, from /proc/stat.

    None where there is no /proc/stat (macOS, Windows): then ``idle_cpus_guess`` is used.
    """
    try:
        with open("/proc/stat") as f:
            fields = [int(value) for value in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")  # the clock ticks /proc/stat counts in, usually 100 a second
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return (idle + iowait) / ticks, sum(fields) / ticks


def idle_cpus_guess():
    """Idle CPUs where /proc/stat is missing: the CPUs less the one-minute load average."""
    return max(0.0, (os.cpu_count() or 1) - os.getloadavg()[0])


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

    Every CHECK_SECONDS (the first time after FIRST_CHECK_SECONDS) it compares two clocks over the time since the last check: the CPU time
    this process used (all its threads) and the CPU time the whole machine left idle. Together
    they say how many CPUs it could keep busy now: with one thread on an idle 2-core machine,
    1 used + 1 idle = 2; with another training beside it, 1 used + 0 idle = 1.
    Used as a context manager: on exit BLAS gets back the threads it had before.
    """

    def __init__(self):
        self.mode = _mode
        self.max_threads = available_cpus()
        self.threads = None
        self.idle_in_a_row = 0
        self.checked = False
        self.last = None  # (wall, process CPU, machine idle) seconds at the last check

    def __enter__(self):
        if self.mode != "system":
            self.before = blas_threads()
            self.threads = self.before if self.mode == "auto" else self.mode
            _set(self.threads)
            self.last = self._clocks()
        return self

    def __exit__(self, *exc_info):
        if self.mode != "system":
            _set(self.before)

    @staticmethod
    def _clocks():
        machine = machine_cpu_seconds()
        return time.monotonic(), time.process_time(), None if machine is None else machine[0]

    def usable_cpus(self):
        """CPUs this process could keep busy now: what it used plus what the machine left idle."""
        wall, cpu, idle = self._clocks()
        last_wall, last_cpu, last_idle = self.last
        self.last = wall, cpu, idle
        elapsed = max(wall - last_wall, 1e-9)
        idle_cpus = idle_cpus_guess() if idle is None else (idle - last_idle) / elapsed
        return (cpu - last_cpu) / elapsed + idle_cpus

    def update(self):
        """Every CHECK_SECONDS, set the thread count to the CPUs this process could use now."""
        if self.mode != "auto" or self.max_threads == 1:
            return
        if time.monotonic() - self.last[0] < (
            CHECK_SECONDS if self.checked else FIRST_CHECK_SECONDS
        ):
            return
        first_check, self.checked = not self.checked, True
        # A CPU counts if at least half of it was free: rounding, not flooring.
        wanted = max(1, min(self.max_threads, round(self.usable_cpus())))
        if wanted < self.threads:  # busy: fewer threads at once
            self.idle_in_a_row = 0
            self.threads = wanted
            _set(wanted)
        elif (
            wanted > self.threads
        ):  # idle CPUs: more threads, at once at the start, later if it lasts
            self.idle_in_a_row += 1
            if self.idle_in_a_row >= RAISE_AFTER_CHECKS or first_check:
                self.idle_in_a_row = 0
                self.threads = wanted
                _set(wanted)
        else:
            self.idle_in_a_row = 0

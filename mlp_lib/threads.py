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
that many threads), or ``"system"`` (mlp_lib never changes BLAS's threads). A number larger than
the CPUs this process may use is lowered to them, with a warning. A value of the variable that
means none of these never stops ``import mlp_lib``: it gives one ``BlasThreadsWarning`` line,
naming the variable, its value and what it may be, and mlp_lib uses ``"auto"``. (Threads change
how fast a network trains, not what it learns, so a notebook or a command goes on.)

A network trained with a different number of threads can differ in its last digits (the additions
happen in another order): a float32 one by a few images of accuracy, a float64 one only in the last
digits of its weights (the seed preset's weights by about 2e-14, its accuracy not at all).
"""

import math
import os
import time
import warnings

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


class BlasThreadsWarning(UserWarning):
    """A number of BLAS threads mlp_lib cannot use as asked: lowered, or replaced by "auto"."""


def _allowed(cpus):
    return f"'auto', 'system' or a number of threads from 1 to {cpus}"


def parse_mode(mode):
    """``mode`` as "auto", "system" or an int >= 1; text such as " 2 " or "AUTO" is accepted.

    Raises ValueError naming the value for anything else (0, -3, 1.5, "banana", True).
    """
    if isinstance(mode, str):
        text = mode.strip().lower()
        if text in ("auto", "system"):
            return text
        if text.isascii() and text.isdigit():  # "²".isdigit() is True, but int("²") fails
            mode = int(text)
    if is_integer(mode) and mode >= 1:
        return int(mode)
    raise ValueError(f"BLAS threads must be {_allowed(available_cpus())}, got {mode!r}; try 'auto'")


def _cap(mode, asked_by):
    """(mode, None), or (the CPUs this process may use, a sentence) for a number above them."""
    cpus = available_cpus()
    if isinstance(mode, int) and mode > cpus:
        return cpus, (
            f"{asked_by} asks for {mode} BLAS threads, more than the {cpus} CPUs this process may "
            f"use; using {cpus}"
        )
    return mode, None


def set_blas_threads(mode):
    """Choose how mlp_lib sets BLAS's threads: "auto", "system" or a positive number.

    "auto" and numbers take effect at once (outside training: one thread, or that number). A
    number above the CPUs this process may use (``available_cpus``) is lowered to them, with a
    ``BlasThreadsWarning``. Returns the mode now in use.
    """
    mode, lowered = _cap(parse_mode(mode), "set_blas_threads")
    if lowered:
        warnings.warn(lowered, BlasThreadsWarning, stacklevel=2)
    return _use(mode)


def _use(mode):
    global _mode
    _mode = mode
    if _mode != "system":
        _set(1 if _mode == "auto" else _mode)
    return _mode


def _warn_about_the_environment(message):
    """One BlasThreadsWarning line. It has no line of code to point at: its place is given as
    "<environment>", which keeps it to one line on the command line and in a notebook alike."""
    warnings.warn_explicit(message, BlasThreadsWarning, "<environment>", 0, module="mlp_lib")


def apply_environment(environ=os.environ):
    """On import: the mode named by MLP_LIB_BLAS_THREADS, or "auto" if it is unset or empty.

    Never raises for the variable's value: one that is not a mode gives one
    ``BlasThreadsWarning`` and "auto"; a number above the CPUs is lowered, with one warning.
    """
    value = environ.get(ENV_VAR, "")
    try:
        mode = parse_mode(value) if value.strip() else "auto"
    except ValueError:
        _warn_about_the_environment(
            f"the environment variable {ENV_VAR} is {value!r}, not {_allowed(available_cpus())}; "
            f"using 'auto' (set it to one of those, or unset it)"
        )
        mode = "auto"
    mode, lowered = _cap(mode, f"the environment variable {ENV_VAR}")
    if lowered:
        _warn_about_the_environment(lowered)
    return _use(mode)


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

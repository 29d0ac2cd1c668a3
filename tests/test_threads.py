"""The BLAS thread policy: one thread outside training, more while fit trains and CPUs are free."""

import os
import subprocess
import sys

import numpy as np
import pytest

from mlp_lib import MLP, fit, threads
from mlp_lib.threads import TrainingThreads, available_cpus, blas_threads, set_blas_threads


@pytest.fixture
def auto_mode():
    """The default mode for the test, and whatever was set before afterwards."""
    before_mode, before_threads = threads._mode, blas_threads()
    set_blas_threads("auto")
    yield
    threads._mode = before_mode
    threads._set(before_threads)


BLAS_THREADS_NOW = (
    "import threadpoolctl;"
    "print(max(i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'))"
)
ENV_WARNING = "<environment>:0: BlasThreadsWarning: the environment variable MLP_LIB_BLAS_THREADS"


def run_python(args, value=None):
    """``python ARGS`` with MLP_LIB_BLAS_THREADS set to ``value`` (unset if None)."""
    env = {k: v for k, v in os.environ.items() if k != threads.ENV_VAR and "NUM_THREADS" not in k}
    if value is not None:
        env[threads.ENV_VAR] = value
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300
    )


def bad_value_line(value):
    return (
        f"{ENV_WARNING} is {value!r}, not 'auto', 'system' or a number of threads from 1 to "
        f"{available_cpus()}; using 'auto' (set it to one of those, or unset it)"
    )


def test_importing_mlp_lib_leaves_one_blas_thread_unless_told_otherwise():
    code = f"import mlp_lib; {BLAS_THREADS_NOW}"
    assert run_python(["-c", code]).stdout.strip() == "1"
    assert run_python(["-c", code], "1").stdout.strip() == "1"
    system = run_python(["-c", code], "system").stdout.strip()
    assert system == str(os.cpu_count())  # OpenBLAS's own default: one per core


@pytest.mark.parametrize("value, expected", [("", "1"), ("AUTO", "1"), (" system ", "cores")])
def test_an_empty_value_spaces_and_capitals_are_read_without_a_word(value, expected):
    run = run_python(["-c", f"import mlp_lib; {BLAS_THREADS_NOW}"], value)
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.strip() == (str(os.cpu_count()) if expected == "cores" else expected)


def test_a_number_with_spaces_is_that_number():
    run = run_python(["-c", f"import mlp_lib; {BLAS_THREADS_NOW}"], " 2 ")
    assert run.returncode == 0 and run.stdout.strip() == str(min(2, available_cpus()))
    assert run.stderr == "" if available_cpus() >= 2 else "more than the 1 CPUs" in run.stderr


@pytest.mark.parametrize("value", ["banana", "0", "-3", "1.5", "2 threads", "²", "   x "])
def test_a_bad_value_warns_in_one_line_and_import_goes_on_with_auto(value):
    run = run_python(["-c", f"import mlp_lib; {BLAS_THREADS_NOW}"], value)
    assert run.returncode == 0 and run.stdout.strip() == "1"  # "auto": one thread outside fit
    assert "Traceback" not in run.stderr
    assert run.stderr.splitlines() == [bad_value_line(value)]


def test_more_threads_than_cpus_are_capped_and_said_once():
    cpus = available_cpus()
    run = run_python(["-c", f"import mlp_lib; {BLAS_THREADS_NOW}"], "99999")
    assert run.returncode == 0 and run.stdout.strip() == str(cpus)
    assert run.stderr.splitlines() == [
        f"{ENV_WARNING} asks for 99999 BLAS threads, more than the {cpus} CPUs this process may "
        f"use; using {cpus}"
    ]


def test_the_command_line_says_one_line_about_a_bad_value_and_trains(tiny_data_dir):
    help_run = run_python(["-m", "mlp_lib", "train", "--help"], "banana")
    assert help_run.returncode == 0 and help_run.stdout.startswith("usage:")
    assert help_run.stderr.splitlines() == [bad_value_line("banana")]
    options = "--train-size 20 --validation 0 --hidden-sizes 8 --epochs 1 --no-progress"
    train = run_python(
        ["-m", "mlp_lib", "train", *options.split(), "--data-dir", str(tiny_data_dir)], "banana"
    )
    assert train.returncode == 0, train.stderr
    assert "Traceback" not in train.stderr
    assert train.stderr.splitlines() == [bad_value_line("banana")]
    assert train.stdout.splitlines()[-1].startswith("test accuracy: ")


@pytest.mark.parametrize(
    "value, message",
    [
        ("banana", r"^the environment variable MLP_LIB_BLAS_THREADS is 'banana', not 'auto'"),
        ("0", r"is '0', not 'auto', 'system' or a number of threads from 1 to 2; using 'auto'"),
        ("99999", r"asks for 99999 BLAS threads, more than the 2 CPUs this process may use"),
    ],
)
def test_apply_environment_warns_and_never_raises(auto_mode, monkeypatch, value, message):
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    with pytest.warns(threads.BlasThreadsWarning, match=message) as record:
        mode = threads.apply_environment({threads.ENV_VAR: value})
    assert len(record) == 1
    assert mode == (2 if value == "99999" else "auto")
    assert threads._mode == mode and blas_threads() == (2 if mode == 2 else 1)


def test_set_blas_threads_takes_a_number_auto_or_system(auto_mode, monkeypatch):
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    set_blas_threads(2)
    assert blas_threads() == 2
    set_blas_threads("auto")
    assert blas_threads() == 1
    threads._set(2)
    set_blas_threads("system")  # mlp_lib no longer touches the threads
    assert blas_threads() == 2
    for bad in (0, -1, "many", 1.5, True, None, "0", "²"):
        with pytest.raises(
            ValueError,
            match=r"BLAS threads must be 'auto', 'system' or a number of threads from 1 to 2, got ",
        ):
            set_blas_threads(bad)


def test_set_blas_threads_caps_a_number_above_the_cpus_with_a_warning(auto_mode, monkeypatch):
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    with pytest.warns(
        threads.BlasThreadsWarning,
        match=r"^set_blas_threads asks for 64 BLAS threads, more than the 2 CPUs this process may "
        r"use; using 2$",
    ) as record:
        assert set_blas_threads(64) == 2
    assert len(record) == 1 and record[0].filename == __file__  # it points at the caller's line
    assert blas_threads() == 2


def test_available_cpus_respects_the_affinity_and_the_container_quota(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(threads, "_cgroup_cpu_quota", lambda: None)
    assert available_cpus() == 4
    monkeypatch.setattr(threads, "_cgroup_cpu_quota", lambda: 1.5)  # docker run --cpus 1.5
    assert available_cpus() == 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3})  # taskset -c 3
    assert available_cpus() == 1


@pytest.mark.parametrize(
    "files, quota",
    [
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),
        ({}, None),
    ],
)
def test_the_cgroup_quota_is_read_from_v2_or_v1_files(tmp_path, files, quota):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert threads._cgroup_cpu_quota(str(tmp_path)) == quota


class FakeMachine:
    """Stands in for the clocks: each tick, this process used ``used`` CPUs and ``idle`` were free."""

    def __init__(self, monkeypatch, policy):
        self.wall = self.cpu = self.idle = 0.0
        self.policy = policy
        monkeypatch.setattr(threads.time, "monotonic", lambda: self.wall)
        monkeypatch.setattr(threads.time, "process_time", lambda: self.cpu)
        monkeypatch.setattr(threads, "machine_cpu_seconds", lambda: (self.idle, 0.0))
        policy.last = policy._clocks()

    def tick(self, used, idle):
        seconds = threads.CHECK_SECONDS if self.policy.checked else threads.FIRST_CHECK_SECONDS
        self.wall += seconds
        self.cpu += used * seconds
        self.idle += idle * seconds
        self.policy.update()
        return self.policy.threads


def test_usable_cpus_are_the_cpu_time_used_plus_the_idle_time_of_the_machine(monkeypatch):
    policy = TrainingThreads()
    machine = FakeMachine(monkeypatch, policy)
    machine.wall, machine.cpu, machine.idle = 0.5, 0.5, 0.25  # over half a second: 1 + 0.5 CPUs
    assert policy.usable_cpus() == pytest.approx(1.5)


def test_machine_cpu_seconds_are_read_from_proc_stat():
    idle, total = threads.machine_cpu_seconds()
    assert 0 < idle < total


def test_training_uses_idle_cpus_at_once_and_gives_them_back_at_once(auto_mode, monkeypatch):
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    with TrainingThreads() as policy:
        machine = FakeMachine(monkeypatch, policy)
        assert machine.tick(used=1, idle=1) == 2 and blas_threads() == 2  # idle at the start
        assert machine.tick(used=2, idle=0) == 2  # it keeps both CPUs busy itself
        assert machine.tick(used=1.1, idle=0) == 1 and blas_threads() == 1  # another program
        assert machine.tick(used=1, idle=0.6) == 1  # one check of idle CPUs is not enough...
        assert machine.tick(used=1, idle=0.8) == 2  # ...two in a row are
        assert machine.tick(used=1, idle=0.3) == 1  # less than half a CPU idle: one thread
    assert blas_threads() == 1  # back to the threads of before


def test_a_fixed_number_or_system_mode_is_left_alone_while_training(auto_mode, monkeypatch):
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    set_blas_threads(2)
    with TrainingThreads() as policy:
        FakeMachine(monkeypatch, policy).tick(used=0.5, idle=0)
        assert blas_threads() == 2
    set_blas_threads("system")
    threads._set(1)
    with TrainingThreads() as policy:
        policy.update()
        assert blas_threads() == 1


def test_fit_applies_the_policy_and_restores_the_threads(auto_mode, monkeypatch, blobs):
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    monkeypatch.setattr(threads.TrainingThreads, "usable_cpus", lambda self: 2.0)  # an idle machine
    monkeypatch.setattr(threads, "CHECK_SECONDS", 0.0)
    monkeypatch.setattr(threads, "FIRST_CHECK_SECONDS", 0.0)
    seen = []
    X, y = blobs(n=64)
    model = MLP((20, 8, 3), dtype=np.float64)
    fit(
        model,
        X,
        y,
        epochs=1,
        batch_size=32,
        progress=False,
        callback=lambda i: seen.append(blas_threads()),
    )
    assert seen == [2, 2] and blas_threads() == 1


def test_the_first_look_comes_sooner_than_the_later_ones(auto_mode, monkeypatch):
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    with TrainingThreads() as policy:
        machine = FakeMachine(monkeypatch, policy)
        machine.wall, machine.cpu, machine.idle = threads.FIRST_CHECK_SECONDS / 2, 0.025, 0.025
        policy.update()
        assert not policy.checked and policy.threads == 1  # too soon for a first look
        machine.wall, machine.cpu, machine.idle = threads.FIRST_CHECK_SECONDS, 0.05, 0.05
        policy.update()
        assert policy.checked and policy.threads == 2  # idle at the start: both CPUs at once
        machine.wall += threads.CHECK_SECONDS / 2
        machine.cpu += threads.CHECK_SECONDS / 2 * 1.2  # busy now, but the next look is later
        policy.update()
        assert policy.threads == 2

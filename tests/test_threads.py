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


def test_importing_mlp_lib_leaves_one_blas_thread_unless_told_otherwise():
    code = (
        "import numpy, threadpoolctl, mlp_lib;"
        "print(max(i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'))"
    )
    env = {k: v for k, v in os.environ.items() if k != threads.ENV_VAR and "NUM_THREADS" not in k}
    run = lambda extra: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True
    )
    assert run({}).stdout.strip() == "1"
    assert run({threads.ENV_VAR: "2"}).stdout.strip() == "2"
    system = run({threads.ENV_VAR: "system"}).stdout.strip()
    assert system == str(os.cpu_count())  # OpenBLAS's own default: one per core
    bad = run({threads.ENV_VAR: "lots"})
    assert bad.returncode != 0
    assert (
        "the environment variable MLP_LIB_BLAS_THREADS: BLAS threads must be 'auto'" in bad.stderr
    )


def test_set_blas_threads_takes_a_number_auto_or_system(auto_mode):
    set_blas_threads(2)
    assert blas_threads() == 2
    set_blas_threads("auto")
    assert blas_threads() == 1
    threads._set(2)
    set_blas_threads("system")  # mlp_lib no longer touches the threads
    assert blas_threads() == 2
    for bad in (0, -1, "many", 1.5, True, None):
        with pytest.raises(
            ValueError, match=r"BLAS threads must be 'auto', 'system' or a positive"
        ):
            set_blas_threads(bad)


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

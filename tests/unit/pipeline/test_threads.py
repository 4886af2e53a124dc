"""The computations that run in threads of Snakemake's process give the same bits there.

The minimum searches, the stationary-point search and the barriers run in Snakemake's
thread pool (``pipeline.inprocess``), several at once.  Shared state anywhere beneath
them (a cache filled by two threads, a module-level work array, a solver that is not
reentrant, BLAS limits set and restored by one thread while another computes) would
show as results that differ from the same calls made one after another.  Each case
runs four different jobs concurrently, started together, and compares them exactly
with the serial results.
"""

import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from backprop_landscape.minima import find_minima
from backprop_landscape.minima.barriers import neuron_barriers
from backprop_landscape.minima.networks import network_data, network_for, search_network
from backprop_landscape.models.neuron import reduce_problem
from backprop_landscape.models.theta import get_theta
from backprop_landscape.pipeline.compare import table_difference
from backprop_landscape.pipeline.io import write_table
from backprop_landscape.pipeline.plan import problem_spec
from backprop_landscape.problems.families import build_problem
from backprop_landscape.problems.problem import problem_to_frame
from backprop_landscape.trajectories.neuron import (
    backprop,
    gradient_flow,
    log_step_grid,
    log_time_grid,
)


def _concurrently(calls):
    """Results of ``calls`` (zero-argument functions), each in its own thread at once."""
    results, errors = [None] * len(calls), []
    start = threading.Barrier(len(calls))

    def run(k):
        start.wait()
        try:
            results[k] = calls[k]()
        except BaseException as error:  # surfaced below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _assert_same(left, right):
    """Each pair of results holds the same tables, by the test of same data between two
    runs of the workflow (pipeline.compare: exact, NaN equal to NaN, attrs too)."""
    with tempfile.TemporaryDirectory() as folder:
        for k, (a, b) in enumerate(zip(left, right, strict=True)):
            frames = a if isinstance(a, tuple) else (a,)
            others = b if isinstance(b, tuple) else (b,)
            for j, (x, y) in enumerate(zip(frames, others, strict=True)):
                paths = [Path(folder, f"{side}{k}_{j}.parquet") for side in "ab"]
                write_table(x, paths[0])
                write_table(y, paths[1])
                assert table_difference(*paths) is None, (k, j, table_difference(*paths))


def _same_in_threads(calls):
    serial = [call() for call in calls]
    _assert_same(_concurrently(calls), serial)


def _neuron(name):
    spec = problem_spec(name)
    problem = build_problem(spec["family"], spec["fields"])
    return reduce_problem(problem.A, problem.y)


PROBLEMS = ["product/m2_a10", "random/n16_m3_nonsep_s1", "random/n16_m2_nonsep_s0"]


@pytest.mark.parametrize("theta", ["tanh", "atan"])
def test_minimum_searches_in_threads_match_serial_ones(theta):
    jobs = [_neuron(name) for name in PROBLEMS] + [_neuron(PROBLEMS[0])]
    calls = [
        lambda A=A, t=t, seed=k: find_minima(A, theta, targets=t, n_starts=200, seed=seed)
        for k, (A, t) in enumerate(jobs)
    ]
    _same_in_threads(calls)


def test_barriers_in_threads_match_serial_ones():
    theta = get_theta("tanh")
    jobs = []
    for name in PROBLEMS[:2]:
        A, t = _neuron(name)
        jobs.append((A, t, find_minima(A, theta, targets=t, n_starts=200, seed=0)))
    jobs = jobs + jobs  # the same job twice at once as well
    calls = [
        lambda A=A, t=t, minima=minima: neuron_barriers(A, theta, minima, targets=t, k=2)
        for A, t, minima in jobs
    ]
    _same_in_threads(calls)


def test_stationary_point_searches_in_threads_match_serial_ones():
    U, labels, _ = network_data(problem_to_frame(build_problem("xor", {})), "xor.parquet")
    calls = []
    for model in ("net_h2_logistic", "net_h2_logistic_soft0.8_decay0.001") * 2:
        net, target = network_for(model, 2)
        y = net.code_targets(target * labels)
        calls.append(
            lambda net=net, y=y, model=model: search_network(
                net, U, y, 60, seed=len(calls), problem="xor", model=model
            )
        )
    _same_in_threads(calls)


def test_a_difference_between_threads_would_be_seen():
    # The comparison itself: two searches with different seeds differ.
    A, t = _neuron(PROBLEMS[1])
    one, two = (find_minima(A, "tanh", targets=t, n_starts=200, seed=s) for s in (0, 1))
    with pytest.raises(AssertionError):
        _assert_same([one], [two])
    assert np.all(np.isfinite(one["E"]))


@pytest.mark.parametrize("method", ["flow", "backprop"])
def test_trajectories_in_threads_match_serial_ones(method):
    # The flow integrates with scipy's LSODA (C since scipy 1.17, reentrant).
    theta = get_theta("tanh")
    calls = []
    for k, name in enumerate(PROBLEMS + PROBLEMS[:1]):
        A, t = _neuron(name)
        x0 = np.random.default_rng(k).normal(size=(3, A.shape[1]))
        if method == "flow":
            grid = log_time_grid(1e8, per_decade=4)
            calls.append(
                lambda A=A, t=t, x0=x0, grid=grid: gradient_flow(
                    A, x0, theta, t_eval=grid, targets=t
                )
            )
        else:
            steps = log_step_grid(10**4, per_decade=4)
            calls.append(
                lambda A=A, t=t, x0=x0, steps=steps: backprop(
                    A, x0, theta, 0.1, 10**4, record_steps=steps, targets=t
                )
            )
    _same_in_threads(calls)

"""A network of realistic size: the flow to t = 1e12 in log time, and its kernel.

* ``scale_flow_30_32_1_to_1e12``: gradient flow of the 30-32-1 logistic network (1025
  weights) on breast cancer (455 training rows) from the default config's start, to
  t = 1e12, LSODA in s = log(1 + t) with the exact Hessian; baseline: fixed-step backprop
  with the default config's learning rate (0.8 x 2 / lambda_max at the start) to the
  same t, i.e. 1e12 / eta steps, timed on BASELINE_STEPS steps of the same kernel and
  scaled linearly.
* ``scale_flow_bdf``: the same flow with BDF against LSODA (the choice of
  trajectories.network.DEFAULT_METHOD; ratio above 1 means LSODA is faster).
* ``scale_gradient_kernel``: one gradient of the 30-32-1 network by NetworkKernel (two
  matrix products) against ``Network.gradient`` (the per-sample Jacobian, n x P), per
  call, from 200 calls each: the cost of one backprop epoch.

``ratio`` is ours_s / baseline_s, as in benchmarks/run.py.  Run it alone with
``python benchmarks/run.py scale``.
"""

from __future__ import annotations

import time

from backprop_landscape.models.network_kernel import NetworkKernel
from backprop_landscape.problems.datasets import dataset_problem
from backprop_landscape.trajectories import network as nt

PROBLEM, NETWORK = "dataset/breast_cancer_s0", "net_h32_logistic"
T_MAX, ETA_FRACTION = 1e12, 0.8  # as in config.yaml's scale section
BASELINE_STEPS = 2000
CALLS = 200


def setup():
    problem = dataset_problem("breast_cancer", seed=0, test_fraction=0.2)
    net = nt.build_network(NETWORK, problem.m)
    kernel = NetworkKernel(net, problem.A, net.code_targets(problem.y))
    x0 = nt.initial_weights(net, 1, 1.0, PROBLEM, NETWORK, 0)  # the workflow's start
    return net, kernel, x0


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def run() -> list[dict]:
    net, kernel, x0 = setup()
    lsoda, traj = timed(nt.gradient_flow, kernel, x0, T_MAX, 10, method="LSODA")
    eta = nt.learning_rate(kernel, x0, ETA_FRACTION)  # the workflow's backprop rate
    measured, _ = timed(nt.backprop, kernel, x0, eta, BASELINE_STEPS, 10)
    steps = T_MAX / eta
    rows = [
        {
            "name": "scale_flow_30_32_1_to_1e12",
            "ours_s": lsoda,
            "baseline_s": measured * steps / BASELINE_STEPS,
            "note": (
                f"P = {net.n_params}, n = {kernel.n}; flow {traj.solver[0]}, E(1e12) = "
                f"{traj.E[0, -1]:.3g}; baseline: {BASELINE_STEPS} backprop steps in "
                f"{measured:.2f} s scaled to {steps:.2g} steps (eta = {eta:.3g}); ratio "
                f"{lsoda / (measured * steps / BASELINE_STEPS):.3g}"
            ),
        }
    ]
    bdf, other = timed(nt.gradient_flow, kernel, x0, T_MAX, 10, method="BDF")
    rows.append(
        {
            "name": "scale_flow_bdf",
            "ours_s": bdf,
            "baseline_s": lsoda,
            "note": f"BDF {other.solver[0]} against LSODA {traj.solver[0]}",
        }
    )
    X = x0
    fast, _ = timed(lambda: [kernel.energy_gradient(X) for _ in range(CALLS)])
    slow, _ = timed(lambda: [net.gradient(X, kernel.U, kernel.y) for _ in range(CALLS)])
    rows.append(
        {
            "name": "scale_gradient_kernel",
            "ours_s": fast / CALLS,
            "baseline_s": slow / CALLS,
            "note": f"per gradient, {CALLS} calls each",
        }
    )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)

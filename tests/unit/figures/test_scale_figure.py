"""Figure 5 at scale: one line per weight, the log-mode shares, the margin distributions."""

import numpy as np

from backprop_landscape.figures import save_figure
from backprop_landscape.figures.scale import scale_figure
from backprop_landscape.logrule.network import network_tables
from backprop_landscape.models.network_kernel import NetworkKernel
from backprop_landscape.problems.datasets import dataset_problem
from backprop_landscape.questions.extrapolation import Settings
from backprop_landscape.questions.scale import network_experiment
from backprop_landscape.trajectories import network as nt


def test_figure_draws_every_weight_and_writes_both_formats(tmp_path):
    problem = dataset_problem("iris_c0", seed=0)
    net = nt.build_network("net_h2_logistic", problem.m)
    kernel = NetworkKernel(net, problem.A, net.code_targets(problem.y))
    test = (problem.A_test, net.code_targets(problem.y_test))
    x0 = nt.initial_weights(net, 1, 1.0, "figure")
    names = nt.weight_names(net)
    flow = nt.weights_frame(nt.gradient_flow(kernel, x0, t_max=1e6, per_decade=6), names)
    back = nt.weights_frame(nt.backprop(kernel, x0, 0.01, 2000, per_decade=6), names)
    modes = {m: network_tables(f, decades=1.5)[1] for m, f in [("flow", flow), ("backprop", back)]}
    tables = network_experiment(
        kernel,
        nt.arrays_from_frame(flow),
        eta=0.01,
        t_start=1e3,
        t_target=1e5,
        budget=50,
        settings=Settings(min_steps=1),
        jump_factor=10,
        test=test,
    )
    fig = scale_figure(flow, modes, tables["margins"], title="iris", tol=0.1)
    ax_d, ax_share, ax_m = fig.axes
    (layer1, layer2) = ax_d.collections[:2]
    assert len(layer1.get_segments()) + len(layer2.get_segments()) == net.n_params
    assert len(ax_share.get_lines()) == 6  # flow and backprop, all and per layer
    cdf = ax_m.get_lines()[0].get_ydata()
    assert cdf[-1] == 1.0 and np.all(np.diff(cdf) >= 0)
    paths = [tmp_path / "scale.png", tmp_path / "scale.pdf"]
    save_figure(fig, paths)
    assert all(path.stat().st_size > 10_000 for path in paths)

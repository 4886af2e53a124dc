"""The headline numbers of a run as Markdown, from the aggregate tables.

``results/summary.md`` is what the README's Results section quotes, so every number
there can be regenerated with ``snakemake results/summary.md``.
"""

from __future__ import annotations

import pandas as pd

from ..minima.counts import prediction_table
from .markdown import markdown_table as _markdown
from .markdown import spread as _spread
from .summary_escape import escape_section


def bifurcation_section(bifurcation: pd.DataFrame) -> str:
    table = bifurcation[["theta", "a_star", "x_fold", "second_minimum_at_infinity"]]
    return "### Where the second minimum of type 3 is born\n\n" + _markdown(table, ".7g")


def type3_section(critical: pd.DataFrame, a: float) -> str:
    rows = critical[(critical["type"] == 3) & (critical["a"] == a)]
    table = rows[["theta", "x", "E", "kind", "at_infinity"]]
    return f"### Critical points of type 3 with a = {a:g}\n\n" + _markdown(table)


def growth_section(laws: pd.DataFrame) -> str:
    norms = laws[(laws["coordinate"] == "norm") & (laws["seed"] == laws["seed"].min())]
    norms = norms[norms["problem"].isin(["scalar"]) | norms["theory_coef"].notna()]
    table = norms[["problem", "theta", "method", "law", "coef", "theory_law", "theory_coef"]]
    return "### Growth law of ||x(t)|| (first start), fitted against predicted\n\n" + _markdown(
        table, ".4g"
    )


def lemma_section(lemma: pd.DataFrame) -> str:
    grouped = (
        lemma.groupby(["separable", "theta"], sort=True)[["n_runs", "n_diverged"]]
        .sum()
        .reset_index()
    )
    return "### The Lemma: gradient-flow runs that diverge\n\n" + _markdown(grouped)


def bias_section(bias: pd.DataFrame) -> str:
    rows = bias[bias["separable"].eq(True)]  # soft-target rows (separable None) are skipped
    table = rows[["problem", "theta", "svm_norm", "t_normdot_tail", "predicted", "angle_final"]]
    return "### Implicit bias on separable problems\n\n" + _markdown(table, ".4g")


def xor_section(seeds: pd.DataFrame) -> str:
    solved = int(seeds["solved"].sum())
    return (
        "### XOR (Figure 5)\n\n"
        f"{solved} of {len(seeds)} seeds solve XOR (every |out - target| < 0.1); "
        f"{len(seeds) - solved} stall."
    )


def minima_count_section(counts: pd.DataFrame) -> str:
    """Open question 1: minima against m, random labels (over seeds), and the families
    whose count is predicted from exact blocks (product, Auer-Herbster-Warmuth)."""
    parts = ["### Open question 1: local minima found against m"]
    random = counts[counts["family"] == "random"]
    if len(random):
        table = (
            random.groupby(["theta", "n", "m"], sort=True)
            .agg(
                seeds=("seed", "size"),
                finite=("n_finite", _spread),
                at_infinity=("n_at_infinity", _spread),
                estimated=("n_estimated", _spread),
                global_basin=("global_basin", _spread),
                starts=("n_starts", _spread),
                missed=("missed_mass", "max"),
                budget=("stopped_by", lambda s: int((s == "budget").sum())),
                undecided=("undecided_fraction", "max"),
                saturated=("saturated_fraction", "max"),
            )
            .reset_index()
        )
        parts.append(
            "Random labels, median (range) over seeds; estimated is Chao1's estimate of the "
            "total count (finite and at infinity) from the minima seen once and twice; "
            "global_basin the share of starts that reach the global minimum; starts the "
            "starts drawn (batches are added until the missed mass, the Good-Turing "
            "estimate of the share of starts whose basin was never seen, is below its "
            "target), missed its largest value, budget how many seeds stopped at the start "
            "budget instead; undecided the largest share of starts that reach no minimum, "
            "saturated the largest share that end with every row saturated (plateaus and "
            "non-minimal limits at infinity):\n\n" + _markdown(table, ".3g")
        )
    predicted = prediction_table(counts)
    if len(predicted):
        parts.append(
            "Families whose minima follow from exact one-weight blocks: the product family "
            "(m copies of the type-3 example, k^m minima) and the construction of Auer, "
            "Herbster and Warmuth (ahw: a chain of examples with one soft target on each of "
            "m = d axes, floor(n/d)^d minima); predicted from the blocks' exact minima, "
            "certified when the minima found are exactly the predicted ones:\n\n"
            + _markdown(predicted, ".3g")
        )
    exact = counts[counts["stopped_by"] == "exact"]
    if len(exact):
        parts.append(
            f"{exact['problem'].nunique()} one-weight problems ({len(exact)} with their "
            "thetas) come from the exact search: their counts are certified."
        )
    return "\n\n".join(parts)


def task_section(counts: pd.DataFrame) -> str:
    """Open question 2: structured tasks beside the same inputs with shuffled labels."""
    tasks = counts[counts["family"] == "task"]
    table = (
        tasks.assign(labels=tasks["shuffled"].map({False: "structured", True: "shuffled"}))
        .groupby(["theta", "task", "n", "labels"], sort=True)
        .agg(
            seeds=("seed", "size"),
            minima=("n_minima", _spread),
            estimated=("n_estimated", _spread),
            at_infinity=("n_at_infinity", _spread),
            global_basin=("global_basin", _spread),
            E_global=("E_global", _spread),
            missed=("missed_mass", "max"),
        )
        .reset_index()
    )
    return (
        "### Open question 2: structured tasks against shuffled labels\n\n"
        "Median (range) over seeds; estimated is Chao1's total count, missed the largest "
        "estimated share of starts whose basin was never seen:\n\n" + _markdown(table, ".3g")
    )


def _regime(target: float, decay: float) -> str:
    targets = "hard" if target == 1.0 else f"+-{target:g}"
    return f"{targets}, decay {decay:g}" if decay else f"{targets}, no decay"


def network_section(counts: pd.DataFrame) -> str:
    """Open question 1 in neurons: classes of stationary points and limits against H."""
    table = counts.assign(
        regime=[_regime(t, d) for t, d in zip(counts["target"], counts["decay"], strict=True)]
    )[
        [
            "problem",
            "activation",
            "regime",
            "hidden",
            "n_finite_minima",
            "n_minima_at_infinity",
            "n_plateaus",
            "n_saddles",
            "E_global",
            "global_at_infinity",
            "global_basin",
        ]
    ].rename(
        columns={
            "hidden": "H",
            "n_finite_minima": "finite_minima",
            "n_minima_at_infinity": "minima_at_infinity",
            "n_plateaus": "plateaus",
            "n_saddles": "saddles",
        }
    )
    parts = [
        "### Open question 1 in neurons: stationary points of networks against H",
        f"Classes found from {int(counts['n_starts'].max())} starts per job (each solved "
        "for grad E = 0 and descended); a class is every point equivalent under the "
        "network's symmetries.  finite_minima counts nondegenerate minima and degenerate "
        "ones where no probe found a descending path; minima_at_infinity and plateaus "
        "are limits the descents approach, without and with a descending path found "
        "near them; global_basin is the share of starts whose descent reaches the lowest "
        "minimum:\n\n" + _markdown(table, ".4g"),
    ]
    xor = counts[(counts["problem"] == "xor") & (counts["target"] == 1.0) & (counts["decay"] == 0)]
    xor = xor[(xor["hidden"] == 2) & (xor["activation"] == "logistic")]
    if len(xor):
        row = xor.iloc[0]
        verdict = "none" if row["n_finite_minima"] == 0 else int(row["n_finite_minima"])
        parts.append(
            f"XOR 2-2-1 (logistic, hard targets): finite minima found: {verdict} "
            "(Hamey 1998, Sprinkhuizen-Kuyper and Boers 1998: none exists); "
            f"{int(row['n_saddles'])} classes of saddles, "
            f"{int(row['n_minima_at_infinity'])} minima at infinity, "
            f"{int(row['n_plateaus'])} plateaus."
        )
    parts.append(
        "A count is a lower bound: a class that no start reached is missing, and more "
        "starts or other radii can add classes; `minimum` verdicts of degenerate points "
        "and limits mean that no probe found a descending path, not that none exists."
    )
    return "\n\n".join(parts)


def xor_limits_section(limits: pd.DataFrame) -> str:
    """Figure 5's seeds, grouped by what they approach."""
    lines = ["### Figure 5's seeds: what each approaches"]
    for (solved, kind, E), group in limits.groupby(
        ["solved", "kind", limits["E_limit"].round(9)], sort=True
    ):
        seeds = ", ".join(str(seed) for seed in group["seed"])
        patterns = "; ".join(sorted(set(group["hidden_pattern"])))
        one = len(group) == 1
        what = ("solves XOR" if one else "solve XOR") if solved else ("stalls" if one else "stall")
        who = f"{len(group)} seed{'' if one else 's'} that {what} ({seeds})"
        lines.append(
            f"- {who} approach{'es' if one else ''} E = {E:.6g}: {kind}, "
            f"hidden saturation pattern {patterns} (per pattern (0,0) (0,1) (1,0) (1,1): "
            "+ / - a unit saturated high / low, . free)"
        )
    return "\n".join(lines)


def relaxation_section(relaxation: pd.DataFrame) -> str:
    """Open question 3: P(global minimum reached) at a few budgets, per method."""
    budgets = sorted(relaxation["budget"].unique())
    picks = [b for b in budgets if b in _decade_points(budgets)]
    keys = ["problem", "theta", "E_global", "minima_at_infinity", "method"]
    table = (
        relaxation[relaxation["budget"].isin(picks)]
        .pivot_table(index=keys, columns="budget", values="p_global", sort=False)
        .rename(columns=lambda b: f"P at {b}")
        .reset_index()
        .rename(columns={"minima_at_infinity": "global_at_infinity"})
    )
    repeats = int(relaxation["n_repeats"].max())
    return (
        "### Open question 3: P(global minimum reached) against evaluations\n\n"
        f"{repeats} repeats per method; E and grad E count one evaluation each:\n\n"
        + _markdown(table, ".4g")
    )


def extrapolation_section(runs: pd.DataFrame) -> str:
    """Open question 4: steps to the target error, plain against extrapolated backprop."""
    reached = runs[runs["reached_extrapolated"] & ~runs["stalled"]]
    table = (
        reached.groupby(["problem", "theta"], sort=False)
        .agg(
            runs=("seed", "size"),
            target=("target", "first"),
            plain_steps=("steps_plain", "median"),
            plain_estimated=("plain_estimated", "sum"),
            extrapolated_steps=("steps_extrapolated", "median"),
            speedup=("speedup", _spread),
            jumps=("n_jumps", "sum"),
            rejected=("n_rejected", "sum"),
            angle_to_plain=("angle_to_plain", "median"),
        )
        .reset_index()
    )
    left_out = len(runs) - len(reached)
    return (
        "### Open question 4: steps to the target error, plain against extrapolated\n\n"
        "Medians over the runs that reach the target (speedup: median (range); "
        "plain_estimated: runs whose plain steps are extrapolated from their E(t) tail; "
        f"{left_out} runs that stall or miss the target are left out):\n\n"
        + _markdown(table, ".3g")
    )


def _is_network(names: pd.Series) -> pd.Series:
    return names.astype(str).str.startswith("net_h")


def first_stable(t0, ok) -> float:
    """The smallest t0 from which ok holds at every later t0 (NaN if not at the last)."""
    t0, ok = list(t0), list(ok)
    if not ok or not ok[-1]:
        return float("nan")
    i = len(ok) - 1
    while i > 0 and ok[i - 1]:
        i -= 1
    return float(t0[i])


def scale_section(tables: dict[str, pd.DataFrame]) -> str:
    """Open question 4 at scale: the log rule per weight, the jumps, the race, what is learnt."""
    laws = tables["growth_laws"]
    laws = laws[_is_network(laws["theta"])]
    modes, scan, nets = tables["scale_log_mode"], tables["scale_scan"], tables["scale_networks"]
    runs = tables["extrapolation"]
    runs = runs[_is_network(runs["theta"])]
    parts = ["### Open question 4 at scale: the log rule on networks of realistic size"]

    is_norm = laws["coordinate"].astype(str).str.startswith("norm")
    weights = laws[~is_norm & (laws["method"] == "flow")]
    last = (
        modes[modes["method"] == "flow"]
        .sort_values("t")
        .groupby(["problem", "network", "seed"])
        .last()
    )
    rows = []
    for (problem, network, seed), end in last.iterrows():
        mine = weights[
            (weights["problem"] == problem)
            & (weights["theta"] == network)
            & (weights["seed"] == seed)
        ]
        curve = modes[
            (modes["problem"] == problem)
            & (modes["network"] == network)
            & (modes["seed"] == seed)
            & (modes["method"] == "flow")
        ].sort_values("t")
        half = curve[curve["share_layer2"] >= 0.5]["t"]
        out = mine[mine["layer"] == 2]
        rows.append(
            {
                "problem": problem,
                "network": network,
                "seed": seed,
                "weights": len(mine),
                "t_end": end["t"],
                "log_mode": end["share"],
                "log_mode_layer1": end["share_layer1"],
                "log_mode_layer2": end["share_layer2"],
                "t_half_layer2": half.iloc[0] if len(half) else float("nan"),
                "log_law": (mine["law"] == "log").mean(),
                "sqrtlog_law": (mine["law"] == "sqrtlog").mean(),
                "power_law": (mine["law"] == "power").mean(),
                "bounded": (mine["law"] == "bounded").mean(),
                "layer2_abs_coef": out.loc[out["law"] == "log", "coef"].abs().median(),
            }
        )
    parts.append(
        "Every weight of the gradient flow (integrated in log time): the share in log mode "
        "at the end (t [w(t+1) - w(t)] flat within the configured tolerance over the last "
        "decade), the first t with half the output layer in log mode, the share of weights "
        "whose tail is best fitted by each law, and the median |coef| of the output "
        "weights with a log law:\n\n" + _markdown(pd.DataFrame(rows), ".3g")
    )

    norms = laws[is_norm]
    table = norms[
        [
            "problem",
            "theta",
            "method",
            "seed",
            "coordinate",
            "law",
            "coef",
            "t_dw_tail",
            "t_dw_drift",
        ]
    ].rename(columns={"theta": "network"})
    parts.append(
        "Growth laws of the norms (all weights, each layer):\n\n" + _markdown(table, ".3g")
    )

    rows = []
    for (problem, network, seed), jumps in scan.groupby(["problem", "network", "seed"]):
        jumps = jumps.sort_values("t0")
        t_ok = first_stable(jumps["t0"], jumps["improved"])
        later = jumps[jumps["t0"] >= t_ok] if t_ok == t_ok else jumps.iloc[:0]
        rows.append(
            {
                "problem": problem,
                "network": network,
                "seed": seed,
                "K": jumps["K"].iloc[0],
                "t0_from": t_ok,
                "ratio_median": later["ratio"].median() if len(later) else float("nan"),
                "test_errors_jump": "/".join(map(str, later.get("test_errors_jump", []))),
                "test_errors_flow": "/".join(map(str, later.get("test_errors_flow", []))),
            }
        )
    parts.append(
        "Jumps from limited learning: every weight moved along its own log rule, "
        "w + t [w(t+1) - w(t)] log K, from the flow's state at each decade t0; t0_from is "
        "the first t0 from which every jump lowers E, ratio_median the median of "
        "E(jump) / E(flow at K t0) from there (below 1: the jump does better than "
        "learning K times as long), and the held-out errors of the jumped networks "
        "against the flow's at K t0, decade by decade:\n\n" + _markdown(pd.DataFrame(rows), ".3g")
    )

    race = runs[
        [
            "problem",
            "theta",
            "seed",
            "eta",
            "t_start",
            "t_target",
            "target",
            "steps_plain",
            "plain_estimated",
            "steps_extrapolated",
            "speedup",
            "n_jumps",
            "n_rejected",
            "plain_flow_gap",
        ]
    ].rename(columns={"theta": "network"})
    parts.append(
        "The race from the flow's state at t_start to the flow's error at t_target "
        "(plain steps estimated as (t_target - t_start) / eta when the budget runs out; "
        "plain_flow_gap: plain backprop's E against the flow's at the end of its run):"
        "\n\n" + _markdown(race, ".3g")
    )

    table = nets[
        [
            "problem",
            "network",
            "seed",
            "kind",
            "t",
            "train_errors",
            "test_errors",
            "test_error_rate",
            "test_margin_q00",
            "test_margin_q50",
            "angle_to_horizon",
            "test_agreement",
        ]
    ]
    parts.append(
        "What is learnt: the network stopped at first correct classification, at t_start, "
        "after the race (plain, extrapolated) and at t_max, on the held-out rows (margins "
        "y z of the output's pre-activation; agreement: share of held-out rows classified "
        "as the horizon network does):\n\n" + _markdown(table, ".3g")
    )
    return "\n\n".join(parts)


def _decade_points(budgets: list[int]) -> set[int]:
    """The budget closest to each power of ten up to the largest, and the largest."""
    picks = {max(budgets)}
    power = 10
    while power <= max(budgets):
        picks.add(min(budgets, key=lambda b: abs(b - power)))
        power *= 10
    return picks


def summary_markdown(tables: dict[str, pd.DataFrame], type3_a: float) -> str:
    parts = [
        bifurcation_section(tables["bifurcation"]),
        type3_section(tables["critical_points"], type3_a),
        growth_section(tables["growth_laws"]),
        lemma_section(tables["lemma"]),
        bias_section(tables["implicit_bias"]),
        xor_section(tables["xor_seeds"]),
        minima_count_section(tables["minima_counts"]),
    ]
    if (tables["minima_counts"]["family"] == "task").any():
        parts.append(task_section(tables["minima_counts"]))
    if len(tables.get("network_counts", ())):
        parts.append(network_section(tables["network_counts"]))
    if len(tables.get("xor_limits", ())):
        parts.append(xor_limits_section(tables["xor_limits"]))
    if len(tables.get("relaxation", ())):
        parts.append(relaxation_section(tables["relaxation"]))
    if len(tables.get("extrapolation", ())):
        parts.append(extrapolation_section(tables["extrapolation"]))
    if len(tables.get("scale_networks", ())):
        parts.append(scale_section(tables))
    if len(tables.get("escape", ())):
        escape = escape_section(
            tables["escape"], tables["minima"], tables["barriers"], tables.get("relaxation")
        )
        parts.append(escape)
    return "\n\n".join(parts) + "\n"

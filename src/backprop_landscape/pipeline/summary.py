"""The headline numbers of a run as Markdown, from the aggregate tables.

``results/summary.md`` is what the README's Results section quotes, so every number
there can be regenerated with ``snakemake results/summary.md``.
"""

from __future__ import annotations

import pandas as pd

from ..minima.counts import prediction_table


def _markdown(frame: pd.DataFrame, floatfmt: str = ".6g") -> str:
    """A pipe table without the optional `tabulate` dependency."""
    cells = [[_cell(v, floatfmt) for v in row] for row in frame.itertuples(index=False)]
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    return "\n".join([header, rule] + ["| " + " | ".join(row) + " |" for row in cells])


def _cell(value, floatfmt: str) -> str:
    if isinstance(value, float):
        return "NaN" if value != value else format(value, floatfmt)
    return str(value)


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


def _spread(values: pd.Series) -> str:
    """Median and range over seeds: "9 (5-21)"."""
    lo, mid, hi = values.min(), values.median(), values.max()
    return f"{mid:.4g}" if lo == hi else f"{mid:.4g} ({lo:.4g}-{hi:.4g})"


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
    if len(tables.get("relaxation", ())):
        parts.append(relaxation_section(tables["relaxation"]))
    if len(tables.get("extrapolation", ())):
        parts.append(extrapolation_section(tables["extrapolation"]))
    return "\n\n".join(parts) + "\n"

"""The grammar of problem names and of network names, written once.

A problem's name is its path below ``results/problems/`` without the suffix, e.g.
``n2m1/type3_a10`` or ``task/grid_n24_s0_shuffled``.  Each family declares here its
template, the pattern of each field and how a field's text becomes a value; from that
one declaration come the name of a problem (:func:`problem_name`), the parse of a name
(:func:`parse_problem`) and the regular expressions that the workflow uses as wildcard
constraints (:data:`PROBLEM_PATTERN`, :func:`pattern_of`).  Names are canonical: one
problem has one name, so a sweep value cannot make the same problem twice, and a name
that is not canonical (``a10.0`` for ``a10``) is refused with the name to ask for.

A network's name is its ``{model}`` wildcard (``results/minima/{problem}/{model}.parquet``),
declared the same way (:data:`NETWORK`, :func:`network_name`, :func:`parse_network`,
:data:`NETWORK_PATTERN`): ``net_h2_logistic`` is the XOR network of Figure 5,
``net_h3_tanh_soft0.8_decay0.001`` three tanh units with targets +-0.8 and weight decay
lambda = 0.001.  Every network name starts with ``net_``, so no name is both a network's
and a theta's.

This module imports nothing heavy: the Snakefile reads it while it builds the DAG.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


def format_number(value: float) -> str:
    """Canonical text of a real parameter: 10 -> "10", 0.5 -> "0.5", 1e-6 -> "1e-06"."""
    return f"{float(value):.12g}"


@dataclass(frozen=True)
class Field:
    """One field of a name: its pattern, and text -> value -> text."""

    pattern: str
    parse: Callable[[str], object]
    format: Callable[[object], str]


def _integer(least: int) -> Field:
    pattern = "0|[1-9][0-9]*" if least == 0 else "[1-9][0-9]*"
    return Field(pattern, int, lambda value: str(int(value)))


def _choice(*options: str) -> Field:
    return Field("|".join(map(re.escape, options)), str, str)


def _flag(text: str) -> Field:
    """A suffix that is there (True) or not (False)."""
    return Field(f"|{re.escape(text)}", lambda s: s == text, lambda on: text if on else "")


# No sign, no leading or trailing zeros: the texts format_number writes, and only those
# (a float's repr could have up to 3 exponent digits).
NUMBER = Field(r"(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?(?:e[+-][0-9]{2,3})?", float, format_number)
COUNT = _integer(1)
SEED = _integer(0)
FILE_NAME = Field("[A-Za-z0-9_-]+", str, str)
TASKS = ("clusters", "grid", "topobathy")
# Parity of n bits for n >= 3 (n = 2 is XOR, which has its own name).
BITS = Field("[3-9]|[1-9][0-9]+", int, lambda value: str(int(value)))
# Data sets that scikit-learn ships with its installation (read locally, no download),
# each as a two-class problem: breast_cancer (malignant against benign), wine_c{k} and
# iris_c{k} (class k against the other two), digits_d{k} (digit k against the other
# nine) and digits_evenodd (even digits against odd ones).
DATASETS = (
    "breast_cancer",
    *(f"wine_c{k}" for k in range(3)),
    *(f"iris_c{k}" for k in range(3)),
    *(f"digits_d{k}" for k in range(10)),
    "digits_evenodd",
)


@dataclass(frozen=True)
class Family:
    """A family of problems: ``template`` with ``{field}`` slots, and the fields' grammar."""

    name: str
    template: str
    fields: dict[str, Field]

    @property
    def pattern(self) -> str:
        """A regular expression (no groups) that matches exactly this family's names."""
        return self._regex(named=False)

    def format(self, **values) -> str:
        """The canonical name of the problem with these field values."""
        if set(values) != set(self.fields):
            raise ValueError(
                f"problem family {self.name!r} needs the fields {sorted(self.fields)}; "
                f"got {sorted(values)}"
            )
        texts = {key: field.format(values[key]) for key, field in self.fields.items()}
        return self.template.format(**texts)

    def parse(self, name: str) -> dict | None:
        """The field values of ``name``, or None if it is not a name of this family."""
        match = re.fullmatch(self._regex(named=True), name)
        if match is None:
            return None
        return {key: field.parse(match[key]) for key, field in self.fields.items()}

    def _regex(self, named: bool) -> str:
        parts = re.split(r"\{(\w+)\}", self.template)
        regex = ""
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.escape(part)
            else:
                regex += (
                    f"(?P<{part}>{self.fields[part].pattern})"
                    if named
                    else (f"(?:{self.fields[part].pattern})")
                )
        return regex


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        # Section 2: V spanned by (0, a) (type 1), (1, a) (type 2) or (1, -a) (type 3).
        Family("n2m1", "n2m1/type{kind}_a{a}", {"kind": Field("[123]", int, str), "a": NUMBER}),
        # Section 3: n = m = 1, u = 1, y = 1.
        Family("scalar", "scalar", {}),
        # Gaussian inputs, labels from a random plane (sep) or random labels (nonsep).
        Family(
            "random",
            "random/n{n}_m{m}_{separable}_s{seed}",
            {
                "n": COUNT,
                "m": COUNT,
                "separable": Field(
                    "sep|nonsep", lambda s: s == "sep", lambda on: "sep" if on else "nonsep"
                ),
                "seed": SEED,
            },
        ),
        # m copies of the type-3 example: k^m minima.
        Family("product", "product/m{m}_a{a}", {"m": COUNT, "a": NUMBER}),
        # Auer, Herbster and Warmuth (1996): n examples in d dimensions, floor(n/d)^d minima.
        Family("ahw", "ahw/n{n}_d{d}", {"n": COUNT, "d": COUNT}),
        # Structured tasks of the plane, and the same inputs with shuffled labels.
        Family(
            "task",
            "task/{task}_n{n}_s{seed}{shuffled}",
            {"task": _choice(*TASKS), "n": COUNT, "seed": SEED, "shuffled": _flag("_shuffled")},
        ),
        # The user's data files (config data_files).
        Family("file", "file/{name}", {"name": FILE_NAME}),
        # XOR on {0, 1}^2 (Figure 5; Hamey 1998, Sprinkhuizen-Kuyper and Boers 1998).
        Family("xor", "xor", {}),
        # The parity of n bits on {0, 1}^n.
        Family("parity", "parity/n{n}", {"n": BITS}),
        # Real data sets (DATASETS), standardised with a bias column, and the seed of
        # the split into training and held-out rows.
        Family("dataset", "dataset/{data}_s{seed}", {"data": _choice(*DATASETS), "seed": SEED}),
    )
}

#: Families whose data a job computes from the name alone (a file's needs the file).
GENERATED = ("n2m1", "scalar", "random", "product", "ahw", "task", "xor", "parity")


def pattern_of(families) -> str:
    """A regular expression matching the names of these families (and nothing else)."""
    return "(?:" + "|".join(FAMILIES[family].pattern for family in families) + ")"


PROBLEM_PATTERN = pattern_of(FAMILIES)
EXAMPLES = (
    "n2m1/type3_a10, scalar, random/n16_m3_nonsep_s0, product/m3_a10, ahw/n9_d3, "
    "task/grid_n24_s0, xor, parity/n3, file/<name>, dataset/breast_cancer_s0"
)


def problem_name(family: str, **values) -> str:
    """The canonical name of a problem, e.g. ``problem_name("product", m=3, a=10)``."""
    if family not in FAMILIES:
        raise ValueError(f"unknown problem family {family!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[family].format(**values)


def parse_problem(name: str) -> tuple[str, dict]:
    """``(family, field values)`` of a problem's name.

    Raises
    ------
    ValueError
        If ``name`` is no family's name, or is not canonical (the message names the one
        to ask for).
    """
    for family in FAMILIES.values():
        values = family.parse(name)
        if values is not None:
            canonical = family.format(**values)
            if canonical != name:
                raise ValueError(f"{name!r} is not a canonical problem name; ask for {canonical!r}")
            return family.name, values
    raise ValueError(f"{name!r} is not a problem name (e.g. {EXAMPLES})")


# ---------------------------------------------------------------------------------------
# Network names
# ---------------------------------------------------------------------------------------


def _suffix(prefix: str) -> Field:
    """An optional ``<prefix><number>`` part: absent (None) or a number."""
    return Field(
        f"|{re.escape(prefix)}(?:{NUMBER.pattern})",
        lambda text: float(text[len(prefix) :]) if text else None,
        lambda value: "" if value is None else prefix + format_number(value),
    )


#: Hidden activations a network's name may give (``models.activations``, less linear: a
#: linear hidden layer has a continuous symmetry group, so every point is degenerate).
#: The output unit has the hidden units' activation; every unit has a bias.
NETWORK_ACTIVATIONS = ("logistic", "tanh", "atan", "erf")
NETWORK = Family(
    "net",
    "net_h{hidden}_{activation}{soft}{decay}",
    {
        "hidden": COUNT,
        "activation": _choice(*NETWORK_ACTIVATIONS),
        "soft": _suffix("_soft"),  # target level t in (0, 1): labels +-1 become +-t
        "decay": _suffix("_decay"),  # lambda > 0 of the weight decay
    },
)
NETWORK_PATTERN = NETWORK.pattern
NETWORK_EXAMPLES = "net_h2_logistic, net_h3_tanh_soft0.8_decay0.001"


def network_name(hidden: int, activation: str, target: float = 1.0, decay: float = 0.0) -> str:
    """The canonical name of a network: ``network_name(2, "logistic", 0.8, 1e-3)``.

    ``target`` is the level t of the targets on the paper's scale, labels +-1 becoming
    +-t (1: hard targets, at the bounds of the output's range; 0.8 gives a logistic
    output 0.1 / 0.9); ``decay`` is lambda of the penalty lambda ||w||^2.
    """
    target, decay = float(target), float(decay)
    if not 0.0 < target <= 1.0:
        raise ValueError(f"a network's target level must be in (0, 1]; got {target!r}")
    if not decay >= 0.0 or decay == float("inf"):
        raise ValueError(f"a network's decay must be a finite number >= 0; got {decay!r}")
    return NETWORK.format(
        hidden=hidden,
        activation=activation,
        soft=None if target == 1.0 else target,
        decay=None if decay == 0.0 else decay,
    )


def parse_network(name: str) -> dict:
    """``{hidden, activation, target, decay}`` of a network's name.

    Raises
    ------
    ValueError
        If ``name`` is not a network's name, or is not canonical (``_soft1`` and
        ``_decay0`` are the defaults, left out of the name; the message names the one to
        ask for).
    """
    values = NETWORK.parse(name)
    if values is None:
        raise ValueError(f"{name!r} is not a network name (e.g. {NETWORK_EXAMPLES})")
    soft = values["soft"]
    if soft is not None and not 0.0 < soft <= 1.0:
        raise ValueError(f"{name!r} is not a network name: the target level must be in (0, 1]")
    fields = {
        "hidden": values["hidden"],
        "activation": values["activation"],
        "target": 1.0 if soft is None else soft,
        "decay": 0.0 if values["decay"] is None else values["decay"],
    }
    canonical = network_name(**fields)
    if canonical != name:
        raise ValueError(f"{name!r} is not a canonical network name; ask for {canonical!r}")
    return fields

"""The grammar of problem names, written once.

A problem's name is its path below ``results/problems/`` without the suffix, e.g.
``n2m1/type3_a10`` or ``task/grid_n24_s0_shuffled``.  Each family declares here its
template, the pattern of each field and how a field's text becomes a value; from that
one declaration come the name of a problem (:func:`problem_name`), the parse of a name
(:func:`parse_problem`) and the regular expressions that the workflow uses as wildcard
constraints (:data:`PROBLEM_PATTERN`, :func:`pattern_of`).  Names are canonical: one
problem has one name, so a sweep value cannot make the same problem twice, and a name
that is not canonical (``a10.0`` for ``a10``) is refused with the name to ask for.

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
    )
}

#: Families whose data a job computes from the name alone (a file's needs the file).
GENERATED = ("n2m1", "scalar", "random", "product", "ahw", "task")


def pattern_of(families) -> str:
    """A regular expression matching the names of these families (and nothing else)."""
    return "(?:" + "|".join(FAMILIES[family].pattern for family in families) + ")"


PROBLEM_PATTERN = pattern_of(FAMILIES)
EXAMPLES = (
    "n2m1/type3_a10, scalar, random/n16_m3_nonsep_s0, product/m3_a10, ahw/n9_d3, "
    "task/grid_n24_s0, file/<name>"
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

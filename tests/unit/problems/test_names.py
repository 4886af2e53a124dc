"""The grammar of problem names: one declaration gives names, parses and patterns."""

import re

import pytest

from backprop_landscape.problems import names
from backprop_landscape.problems.families import build_problem

EXAMPLES = {
    "n2m1/type3_a10": ("n2m1", {"kind": 3, "a": 10.0}),
    "n2m1/type1_a0.5": ("n2m1", {"kind": 1, "a": 0.5}),
    "n2m1/type2_a1e-06": ("n2m1", {"kind": 2, "a": 1e-6}),
    "scalar": ("scalar", {}),
    "random/n16_m3_nonsep_s0": ("random", {"n": 16, "m": 3, "separable": False, "seed": 0}),
    "random/n5_m2_sep_s12": ("random", {"n": 5, "m": 2, "separable": True, "seed": 12}),
    "product/m4_a10": ("product", {"m": 4, "a": 10.0}),
    "ahw/n9_d3": ("ahw", {"n": 9, "d": 3}),
    "task/grid_n24_s0_shuffled": (
        "task",
        {"task": "grid", "n": 24, "seed": 0, "shuffled": True},
    ),
    "task/clusters_n8_s1": ("task", {"task": "clusters", "n": 8, "seed": 1, "shuffled": False}),
    "file/my-data_2": ("file", {"name": "my-data_2"}),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_parse_and_format_are_inverse(name):
    family, fields = EXAMPLES[name]
    assert names.parse_problem(name) == (family, fields)
    assert names.problem_name(family, **fields) == name
    assert re.fullmatch(names.PROBLEM_PATTERN, name)
    assert re.fullmatch(names.FAMILIES[family].pattern, name)


@pytest.mark.parametrize("name", [n for n in EXAMPLES if not n.startswith("file/")])
def test_generated_problems_carry_the_name_they_were_built_from(name):
    family, fields = names.parse_problem(name)
    assert build_problem(family, fields).name == name


def test_each_name_belongs_to_one_family():
    for name in EXAMPLES:
        matches = [f for f in names.FAMILIES.values() if re.fullmatch(f.pattern, name)]
        assert len(matches) == 1, (name, matches)


@pytest.mark.parametrize(
    "name",
    [
        "n2m1/type4_a10",
        "n2m1/type3_a-1",
        "random/n0_m3_sep_s0",
        "random/n6_m2_half_s0",
        "task/moons_n8_s0",
        "product/m3",
        "file/a/b",
        "scalars",
        "n2m1/type3_a10.0/x",
    ],
)
def test_names_of_no_family_are_refused(name):
    assert not re.fullmatch(names.PROBLEM_PATTERN, name)
    with pytest.raises(ValueError, match="not a problem name"):
        names.parse_problem(name)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("product/m3_a1e+01", "product/m3_a10"), ("n2m1/type3_a1.5e+05", "n2m1/type3_a150000")],
)
def test_non_canonical_names_name_the_one_to_ask_for(name, canonical):
    assert re.fullmatch(names.PROBLEM_PATTERN, name)  # a job could be asked for it
    with pytest.raises(ValueError, match=re.escape(f"ask for '{canonical}'")):
        names.parse_problem(name)


def test_numbers_with_trailing_zeros_are_no_names():
    for name in ["n2m1/type3_a1.50", "n2m1/type3_a10.0", "product/m3_a010"]:
        assert not re.fullmatch(names.PROBLEM_PATTERN, name)


def test_numbers_have_one_spelling():
    for value in [10, 10.0, 0.5, 1e-6, 1e20, 123.456, 2**-30]:
        text = names.format_number(value)
        assert re.fullmatch(names.NUMBER.pattern, text)
        assert names.format_number(float(text)) == text


def test_format_needs_every_field():
    with pytest.raises(ValueError, match="needs the fields"):
        names.problem_name("product", m=3)
    with pytest.raises(ValueError, match="unknown problem family"):
        names.problem_name("moons", n=3)

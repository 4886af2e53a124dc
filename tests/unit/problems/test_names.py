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
    "xor": ("xor", {}),
    "parity/n3": ("parity", {"n": 3}),
    "parity/n12": ("parity", {"n": 12}),
    "dataset/breast_cancer_s0": ("dataset", {"data": "breast_cancer", "seed": 0}),
    "dataset/digits_evenodd_s12": ("dataset", {"data": "digits_evenodd", "seed": 12}),
    "dataset/iris_c2_s1": ("dataset", {"data": "iris_c2", "seed": 1}),
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
        "parity/n2",  # that is xor
        "parity/n03",
        "xor/n2",
        "dataset/iris_c3_s0",
        "dataset/breast_cancer",
        "dataset/digits_d10_s0",
        "dataset/moons_s0",
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


NETWORKS = {
    "net_h2_logistic": {"hidden": 2, "activation": "logistic", "target": 1.0, "decay": 0.0},
    "net_h3_tanh_soft0.8_decay0.001": {
        "hidden": 3,
        "activation": "tanh",
        "target": 0.8,
        "decay": 0.001,
    },
    "net_h1_erf_decay1e-05": {"hidden": 1, "activation": "erf", "target": 1.0, "decay": 1e-5},
    "net_h12_atan_soft0.5": {"hidden": 12, "activation": "atan", "target": 0.5, "decay": 0.0},
}


@pytest.mark.parametrize("name", list(NETWORKS))
def test_network_names_parse_and_format(name):
    assert names.parse_network(name) == NETWORKS[name]
    assert names.network_name(**NETWORKS[name]) == name
    assert re.fullmatch(names.NETWORK_PATTERN, name)
    assert not re.fullmatch(names.PROBLEM_PATTERN, name)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("net_h2_logistic_soft1", "net_h2_logistic"),  # hard targets are the default
        ("net_h2_logistic_decay0", "net_h2_logistic"),
        ("net_h2_tanh_soft0.8_decay1e-03", "net_h2_tanh_soft0.8_decay0.001"),
    ],
)
def test_non_canonical_network_names_name_the_one_to_ask_for(name, canonical):
    assert re.fullmatch(names.NETWORK_PATTERN, name)
    with pytest.raises(ValueError, match=re.escape(f"ask for '{canonical}'")):
        names.parse_network(name)


@pytest.mark.parametrize(
    "name",
    [
        "net_h0_tanh",
        "net_h2_linear",  # a linear hidden layer: GL(H) symmetry, every point degenerate
        "net_h2_logistic_decay0.01_soft0.8",  # the parts come in one order
        "net_h2_logistic_soft2",
        "net_h2",
        "tanh",
        "h2_logistic",
    ],
)
def test_names_of_no_network_are_refused(name):
    with pytest.raises(ValueError, match="not a network name"):
        names.parse_network(name)


def test_network_and_theta_names_cannot_meet():
    from backprop_landscape.models.theta import THETA_NAMES

    assert not any(re.fullmatch(names.NETWORK_PATTERN, theta) for theta in THETA_NAMES)


def test_network_name_refuses_levels_outside_the_range():
    with pytest.raises(ValueError, match="target level"):
        names.network_name(2, "tanh", target=1.5)
    with pytest.raises(ValueError, match="decay"):
        names.network_name(2, "tanh", decay=-1.0)

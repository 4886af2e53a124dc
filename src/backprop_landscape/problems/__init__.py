"""Stage ``problems``: data sets (u, y), one per name.

``names``: the grammar of problem names (templates, patterns, parsers), written once;
``problem``: the record (A, y) and its table; ``families``: the paper's n2m1, scalar
and product problems and ``build_problem``;
``tasks``: structured tasks and their shuffled controls; ``datafile``: the user's files;
``separability``: separability LP, max-margin QP and random problems; ``datasets``:
scikit-learn's bundled data sets as two-class problems with held-out rows.
"""

from .._lazy import lazy_exports

__all__ = [
    "FAMILIES",
    "PROBLEM_PATTERN",
    "parse_problem",
    "problem_name",
    "pattern_of",
    "Problem",
    "build_problem",
    "problem_to_frame",
    "problem_from_frame",
    "n2m1_name",
    "n2m1_problem",
    "random_name",
    "product_name",
    "TASKS",
    "task_name",
    "task_data",
    "DataFileError",
    "read_data_file",
    "dataset_problem",
    "is_separable",
    "lemma_hypothesis",
    "max_margin",
    "angle_to",
    "random_problem",
]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "FAMILIES": ".names",
        "PROBLEM_PATTERN": ".names",
        "parse_problem": ".names",
        "problem_name": ".names",
        "pattern_of": ".names",
        "Problem": ".problem",
        "build_problem": ".families",
        "problem_to_frame": ".problem",
        "problem_from_frame": ".problem",
        "n2m1_name": ".families",
        "n2m1_problem": ".families",
        "random_name": ".families",
        "product_name": ".families",
        "TASKS": ".tasks",
        "task_name": ".tasks",
        "task_data": ".tasks",
        "DataFileError": ".datafile",
        "read_data_file": ".datafile",
        "dataset_problem": ".datasets",
        "is_separable": ".separability",
        "lemma_hypothesis": ".separability",
        "max_margin": ".separability",
        "angle_to": ".separability",
        "random_problem": ".separability",
    },
)

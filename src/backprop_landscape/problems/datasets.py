"""Real data sets shipped with scikit-learn, as two-class problems with held-out rows.

Family ``dataset`` (``problems.names.DATASETS``): breast cancer (569 x 30), wine (178 x
13), iris (150 x 4) and digits (1797 x 64), all read from the copies that scikit-learn
installs with itself (``sklearn.datasets.load_*``: no download).  Each name picks the
two classes:

* ``breast_cancer``: malignant (+1) against benign (-1);
* ``wine_c{k}``, ``iris_c{k}``: class k (+1) against the other two (-1);
* ``digits_d{k}``: digit k (+1) against the other nine; ``digits_evenodd``: even (+1)
  against odd digits.

The rows are split into training and held-out rows by ``train_test_split`` (stratified
by label, ``random_state`` = the seed of the name, a share ``test_fraction`` held out),
the inputs are standardised with the training rows' mean and standard deviation
(``StandardScaler`` fitted on them alone; a column constant on the training rows, like
digits' blank border pixels, is dropped), and a last column of ones (the bias input) is
appended.  Labels are +-1, the project's coding (``Network.code_targets`` maps them to a
logistic output's 0/1).
"""

from __future__ import annotations

import numpy as np

from .names import DATASETS, problem_name
from .problem import Problem

DEFAULT_TEST_FRACTION = 0.2

# sklearn loader and, for each two-class split, the classes that are labelled +1.
_SOURCES = {
    "breast_cancer": ("load_breast_cancer", (0,), "malignant (target 0) against benign"),
    **{f"wine_c{k}": ("load_wine", (k,), f"class {k} against the other two") for k in range(3)},
    **{f"iris_c{k}": ("load_iris", (k,), f"class {k} against the other two") for k in range(3)},
    **{
        f"digits_d{k}": ("load_digits", (k,), f"digit {k} against the other nine")
        for k in range(10)
    },
    "digits_evenodd": ("load_digits", (0, 2, 4, 6, 8), "even digits against odd ones"),
}
assert set(_SOURCES) == set(DATASETS)


def raw_dataset(data: str) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """(inputs, labels +-1, feature names, what +1 means) of a data set, unsplit."""
    if data not in _SOURCES:
        raise ValueError(f"unknown data set {data!r}; choose one of {', '.join(DATASETS)}")
    from sklearn import datasets  # installed with scikit-learn: nothing is downloaded

    loader, positive, meaning = _SOURCES[data]
    bunch = getattr(datasets, loader)()
    X = np.asarray(bunch.data, dtype=float)
    labels = np.where(np.isin(bunch.target, positive), 1, -1).astype(np.int64)
    names = [str(f) for f in getattr(bunch, "feature_names", [])] or [
        f"x{j}" for j in range(X.shape[1])
    ]
    return X, labels, names, meaning


def dataset_problem(data: str, seed: int, test_fraction: float = DEFAULT_TEST_FRACTION) -> Problem:
    """The problem ``dataset/{data}_s{seed}``: standardised inputs with a bias column.

    Returns a :class:`Problem` with the training rows as ``A``, ``y`` and the held-out
    rows as ``A_test``, ``y_test`` (both in the order of the original data set); ``meta``
    records the original row numbers, the kept feature names and what +1 means.
    """
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1); got {test_fraction!r}")
    X, labels, features, meaning = raw_dataset(data)
    rows = np.arange(len(X))
    train, test = train_test_split(
        rows, test_size=test_fraction, random_state=int(seed), stratify=labels
    )
    train, test = np.sort(train), np.sort(test)
    keep = np.ptp(X[train], axis=0) > 0  # constant on the training rows: no information
    scaler = StandardScaler().fit(X[train][:, keep])

    def inputs(idx):
        Z = scaler.transform(X[idx][:, keep])
        return np.hstack([Z, np.ones((len(idx), 1))])

    meta = {
        "data": data,
        "seed": int(seed),
        "test_fraction": float(test_fraction),
        "positive": meaning,
        "features": [f for f, k in zip(features, keep) if k] + ["bias"],
        "dropped": [f for f, k in zip(features, keep) if not k],
        "train_rows": train.tolist(),
        "test_rows": test.tolist(),
    }
    name = problem_name("dataset", data=data, seed=seed)
    return Problem(name, inputs(train), labels[train], meta, inputs(test), labels[test])

"""Points equal under a network's symmetries: orbit sizes and classes.

The group (``models.network.Network.symmetry_group``) permutes the hidden units and, for
an odd hidden activation, flips a unit's signs (W_j, b_j, v_j) -> -(W_j, b_j, v_j); for
the logistic unit the flip also moves v_j into the output bias, c -> c + v_j, since
sigma(-a) = 1 - sigma(a).  Every element keeps the network's function, hence E and its
whole landscape; a stationary point's images are stationary points of the same E and
Hessian spectrum.

Two points are one class when some image of one is within ``tol`` of the other (max
norm, relative to 1 + the larger coordinate).  The *orbit size* of a point -- the
``class_size`` of the tables -- is its number of distinct images: G = H! 2^H for a
generic point, fewer when a group element fixes it (two identical units, or a unit with
W_j = b_j = v_j = 0, which a flip leaves in place).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..models.network import Network

SAME_RTOL = 1e-6  # points closer than this (max norm, relative) are one point


def _close(A, B, tol):
    """|A - B| <= tol (1 + max(|A|, |B|)) in every coordinate; broadcasts, reduces the last axis."""
    scale = 1.0 + np.maximum(np.abs(A).max(axis=-1), np.abs(B).max(axis=-1))
    return np.abs(A - B).max(axis=-1) <= tol * scale


def orbit_sizes(net: Network, X, tol: float = SAME_RTOL) -> np.ndarray:
    """Number of distinct images of each point under the symmetry group: shape (S,).

    An image counts once however many elements produce it: image k is new unless it is
    within ``tol`` of an earlier image (equal images agree to rounding, distinct ones
    differ by O(1) in some coordinate, so the first-occurrence count is unambiguous).
    """
    images = net.symmetry_images(X)  # (S, G, P)
    S, G, _ = images.shape
    sizes = np.empty(S, dtype=np.int64)
    earlier = np.tri(G, k=-1, dtype=bool)  # j < k
    for s in range(S):  # one G x G comparison per point (G <= 384 for H <= 4)
        same = _close(images[s, :, None, :], images[s, None, :, :], tol) & earlier
        sizes[s] = G - int(np.count_nonzero(same.any(axis=1)))
    return sizes


def symmetry_distance(net: Network, X, Y) -> np.ndarray:
    """min over group elements g of max |g(x_i) - y_k| / (1 + max |.|): shape (len X, len Y)."""
    images = net.symmetry_images(X)  # (N, G, P)
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    out = np.empty((images.shape[0], Y.shape[0]))
    for i in range(images.shape[0]):  # over points, not starts: these are refined ends
        diff = np.abs(images[i][:, None, :] - Y[None, :, :]).max(axis=-1)  # (G, M)
        scale = 1.0 + np.maximum(np.abs(images[i]).max(axis=-1)[:, None], np.abs(Y).max(axis=-1))
        out[i] = (diff / scale).min(axis=0)
    return out


def symmetry_classes(net: Network, X, tol: float = SAME_RTOL) -> np.ndarray:
    """Label each point by its class under the group: shape (N,), labels 0..K-1.

    Labels follow first appearance, so the first point of each class carries the
    smallest label of the classes after it.
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    N = len(X)
    if N == 0:
        return np.zeros(0, dtype=np.int64)
    near = symmetry_distance(net, X, X) <= tol
    i, k = np.nonzero(near)
    graph = coo_matrix((np.ones(len(i)), (i, k)), shape=(N, N))
    _, labels = connected_components(graph, directed=False)
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)  # relabel by first appearance
    relabel = np.empty_like(order)
    relabel[order] = np.arange(len(order))
    return relabel[labels]

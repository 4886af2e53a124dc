"""A network's symmetry group, and which points it (or rounding) makes one.

The group permutes the hidden units and, for an odd hidden activation, flips a unit's
signs (W_j, b_j, v_j) -> -(W_j, b_j, v_j); for the logistic unit the flip also moves v_j
into the output bias, c -> c + v_j, since sigma(-a) = 1 - sigma(a).  Every element keeps
the network's function, hence E and its whole landscape; a stationary point's images are
stationary points of the same E and Hessian spectrum.  (:func:`symmetry_group`,
:func:`symmetry_images`.)

Two points are one class when some image of one is within ``tol`` of the other (max
norm, relative to 1 + the larger coordinate).  The *orbit size* of a point -- the
``class_size`` of the tables -- is its number of distinct images: G = H! 2^H for a
generic point, fewer when a group element fixes it (two identical units, or a unit with
W_j = b_j = v_j = 0, which a flip leaves in place).

Before the group is applied, points are grouped by what it leaves unchanged
(:func:`invariant_groups`: E and the outputs on the samples) and runs that ended at one
point are merged (:func:`distinct_points`).
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np

from ..models.network import Network

SAME_RTOL = 1e-6  # points (and invariants) closer than this (max norm, relative) are one
# Up to this many rows, pairs within a tolerance are found by comparing all of them (in
# blocks); beyond, by a k-d tree (scipy.spatial, imported only then: a network job pays
# for no import it does not need)
ALL_PAIRS_MAX = 4000


def flips_are_symmetries(net: Network) -> bool:
    """Whether flipping a hidden unit's sign leaves E unchanged.

    Odd f: (W_j, b_j, v_j) -> -(W_j, b_j, v_j) keeps every output and every norm.
    Logistic f: sigma(-a) = 1 - sigma(a), so the flip also needs c -> c + v_j; that
    requires an output bias, and keeps E only if c is not penalised (lambda = 0 or
    biases not decayed).
    """
    if net.hidden == 0:
        return False
    flip = net.f.flip
    if flip == "odd":
        return True
    if flip == "logistic":
        return net.output_bias and (net.decay == 0 or not net.decay_biases)
    return False


@cache
def symmetry_group(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """The group acting on a network's parameters: (perms (G, H), signs (G, H)).

    Element k sends unit i of the image to unit perms[k, i] of the original, flipped
    when signs[k, i] = -1.  Hidden-unit permutations always act; sign flips when
    :func:`flips_are_symmetries`.  G = H! 2^H or H!.  (A linear hidden layer has a
    continuous symmetry group, GL(H), besides these; it is not enumerated.)  The arrays
    are shared between calls: do not modify them.
    """
    H = net.hidden
    perms = np.array(list(itertools.permutations(range(H))), dtype=np.intp).reshape(-1, H)
    if flips_are_symmetries(net):
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=H))).reshape(-1, H)
    else:
        signs = np.ones((1, H))
    P_, S_ = len(perms), len(signs)
    return np.repeat(perms, S_, axis=0), np.tile(signs, (P_, 1))


def group_size(net: Network) -> int:
    """G, the number of elements of :func:`symmetry_group` (1 without a hidden layer)."""
    return len(symmetry_group(net)[0]) if net.hidden else 1


def symmetry_images(net: Network, params) -> np.ndarray:
    """Every image of every parameter vector under :func:`symmetry_group`: (S, G, P).

    Image 0 is the point itself (identity permutation, no flips).
    """
    parts = net.unpack(params)  # checks the shape
    params = np.atleast_2d(np.asarray(params, dtype=float))
    S = params.shape[0]
    if net.hidden == 0:
        return params[:, None, :].copy()
    perms, signs = symmetry_group(net)
    G = len(perms)
    W = parts["W"][:, perms] * signs[None, :, :, None]  # (S, G, H, m)
    b = parts["b"][:, perms] * signs[None]
    v_perm = parts["v"][:, perms]  # (S, G, H)
    v = v_perm * signs[None]
    c = np.broadcast_to(parts["c"][:, None], (S, G)).copy()
    if net.f.flip == "logistic":
        c = c + np.sum(np.where(signs[None] < 0, v_perm, 0.0), axis=2)
    packed = net.pack(
        W.reshape(S * G, net.hidden, net.m),
        b.reshape(S * G, net.hidden),
        v.reshape(S * G, net.hidden),
        c.reshape(S * G),
    )
    return packed.reshape(S, G, net.n_params)


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
    images = symmetry_images(net, X)  # (S, G, P)
    S, G, _ = images.shape
    sizes = np.empty(S, dtype=np.int64)
    earlier = np.tri(G, k=-1, dtype=bool)  # j < k
    for s in range(S):  # one G x G comparison per point (G <= 384 for H <= 4)
        same = _close(images[s, :, None, :], images[s, None, :, :], tol) & earlier
        sizes[s] = G - int(np.count_nonzero(same.any(axis=1)))
    return sizes


def symmetry_distance(net: Network, X, Y) -> np.ndarray:
    """min over group elements g of max |g(x_i) - y_k| / (1 + max |.|): shape (len X, len Y)."""
    images = symmetry_images(net, X)  # (N, G, P)
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
    labels = connected(N, *np.nonzero(near))
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)  # relabel by first appearance
    relabel = np.empty_like(order)
    relabel[order] = np.arange(len(order))
    return relabel[labels]


# --------------------------------------------------------------------------------------
# Points that are one before the group acts: equal invariants, equal to rounding
# --------------------------------------------------------------------------------------


def connected(n: int, i, k) -> np.ndarray:
    """Components of the graph on n nodes with edges (i, k): a label per node.

    Labels count the components in the order of their smallest node, as
    ``scipy.sparse.csgraph.connected_components`` numbers them.  Each node takes the
    smallest label among its neighbours, with pointer jumping, until nothing changes.
    """
    label = np.arange(n)
    i, k = np.asarray(i, dtype=np.intp), np.asarray(k, dtype=np.intp)
    while True:  # over rounds of propagation (about log of the longest path), not nodes
        new = label.copy()
        least = np.minimum(label[i], label[k])
        np.minimum.at(new, i, least)
        np.minimum.at(new, k, least)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    return np.unique(label, return_inverse=True)[1].ravel()


def close_pairs(key, tol: float) -> np.ndarray:
    """Every pair (i, k), i < k, of rows of ``key`` within ``tol`` in the max norm: (Q, 2)."""
    K = len(key)
    if K > ALL_PAIRS_MAX:
        from scipy.spatial import cKDTree

        return cKDTree(key).query_pairs(tol, p=np.inf, output_type="ndarray")
    found = []
    block = max(1, 2_000_000 // max(K * key.shape[1], 1))
    for start in range(0, K, block):  # over blocks of rows, not rows
        rows = key[start : start + block]
        near = np.abs(rows[:, None, :] - key[None, :, :]).max(axis=2) <= tol
        a, b = np.nonzero(near)
        a = a + start
        found.append(np.column_stack([a, b])[a < b])
    return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.intp)


def components(key, tol: float) -> np.ndarray:
    """Connected components of rows of ``key`` within ``tol`` of each other (max norm).

    Rows are first snapped to a grid 1000 times finer than ``tol`` (a cell's rows are
    within tol of each other, so merging them first changes no component): on a
    manifold of stationary points thousands of rows agree to rounding, and pairing them
    all would cost their number squared.
    """
    N = len(key)
    if N == 0:
        return np.zeros(0, dtype=np.int64)
    cells = np.round(key / (1e-3 * tol)).astype(np.int64)
    _, first, inverse = np.unique(cells, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    pairs = close_pairs(key[first], tol)
    return connected(len(first), pairs[:, 0], pairs[:, 1])[inverse]


def invariant_groups(E, outputs, degenerate, index, tol: float = SAME_RTOL) -> np.ndarray:
    """Group points whose E and outputs agree to ``tol``, degenerate points apart.

    E and the outputs on the samples are invariant under the symmetry group, so images
    of one point always share a group; a tolerance (not rounding) keeps values near a
    rounding boundary together.  Nondegenerate points are grouped by their index too;
    degenerate ones are not, since the index changes along a set of stationary points
    (where a branch crosses it, or where a unit saturates).
    """
    if len(E) == 0:
        return np.zeros(0, dtype=np.int64)
    key = np.column_stack([E, outputs])
    key = key / (1.0 + np.abs(key).max())
    index = np.where(degenerate, -1, index)
    key = np.column_stack([key, degenerate * 10.0, index * 10.0])  # far apart unless equal
    return components(key, tol)


def distinct_points(X) -> np.ndarray:
    """Labels of distinct points (max norm within SAME_RTOL (1 + max |x|))."""
    return components(X / (1.0 + np.abs(X).max()), SAME_RTOL)

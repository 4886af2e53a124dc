"""Open question 4: can the log rule extrapolate the limit and speed up learning?

Section 3 of the report suggests that once diverging weights are in "log mode",
w(t) ~ a + c log t, their growth can be extrapolated instead of waiting for backprop.
This module runs backprop with such extrapolation and counts the steps it saves.

**The diagnostic.**  Backprop is w_{k+1} = w_k - eta grad E(w_k).  A run's *virtual time*
tau is the number of plain steps its state stands for (tau = k until the first jump; flow
time t = eta tau), and

    D = tau [w(tau + 1) - w(tau)] = -tau eta grad E(w)

is the paper's t [w(t+1) - w(t)], read off the gradient backprop computes anyway.

**The law.**  In log time s = log tau the weights move with velocity dw/ds = D, and D is
modelled as a constant plus one exponential in s,

    D(s) = c + B e^(q (s - s_2)),           q in [min_exponent, max_exponent],

with vectors c, B and one exponent q shared by all weights.  This family holds the laws of
``docs/theory.md``: the log rule is q < 0 (D -> c, so w = a + c log t plus a correction
that dies like t^q; exactly c when D no longer changes), a power law is c = 0, q = p > 0
(w = b t^p has D = p w; p = 1/4 for atan and softsign), and erf's sqrtlog law, whose D
decays like (log t)^(-1/2), looks locally like a slightly negative q.  Integrating
dw/ds = D from the last checkpoint over L = log K gives the jump to virtual time K tau_2:

    w(K tau_2) = w_2 + c L + B (K^q - 1) / q
               = w_2 + D_2 L + B [(e^(qL) - 1 - qL) / q],

i.e. w + c log K in pure log mode and w K^p for a pure power law: the weights are
increased in the proportions the run has settled into, as the report proposes.

**Detection** (per run, while stepping plainly).  At checkpoints where tau crosses
10^(j h), h = window_decades / 2, the run stores (tau, D, E).  With the last three
(tau_0 < tau_1 < tau_2, spanning one window, a decade by default; tau_2 >= min_steps),
log mode is detected when

* E decreases: E_0 > E_1 > E_2;
* the increments dD_1 = D_1 - D_0 and dD_2 = D_2 - D_1 are parallel with a positive
  ratio r = <dD_2, dD_1> / |dD_1|^2, to the relative tolerance law_rtol:
  |dD_2 - r dD_1| <= law_rtol |D_2| (one geometric drift of t dw/dt, the direction
  included), and the exponent q that gives this ratio (solved by bisection for the
  checkpoints' actual spacing) lies in [min_exponent, max_exponent], default [-1, 0.5];
* the law is near its asymptotic form, to law_rtol: for q < 0, D_2 is within
  law_rtol |D_2| of its limit c (|B| small -- the paper's "t [w(t+1) - w(t)] becomes
  constant"); for q > 0, D is a pure power law (|c| small);
* or D no longer changes at all (both increments below 1e-9 |D_2|): q = 0, B = 0.

A run converging to a finite minimum has D -> 0 exponentially fast: its increments shrink
by ever larger factors (q -> -inf), change sign as D peaks, or, on the way up, are nearly
equal (q ~ 0, where the fitted limit c runs off to infinity); so it never qualifies.
Neither does a run moving at constant speed (D ~ tau, q = 1), nor one whose D is still
growing towards a limit (a transient, q > 0 with c not small).

**Jumps and the safeguard.**  From detection on, every move is a trial along the law,
anchored at the detecting checkpoint: the trial goes one factor K (initially
``jump_factor``) beyond the current virtual time, costs one evaluation of E and grad E at
the landing point, and is accepted only if E decreases there -- a jump never makes the
error worse.  On acceptance tau <- K tau, the decay exponent a of E (E ~ tau^-a) is
re-measured across the jump and K grows back to min(K^2, jump_factor).  On rejection the
state is kept and K <- sqrt(K); below ``min_jump_factor`` the run returns to plain
backprop from its best point, and must be detected afresh (a full window later).  The last
jump is aimed at the target, K <= (E / (AIM target))^(1/a), so that it lands just below
the target instead of far beyond it, and no jump goes past ``horizon``.

**Cost.**  Every evaluation of E and grad E at a new point is one step: a backprop update,
an accepted jump or a rejected one.  The gradient at an accepted landing point is the one
the next move uses, so nothing is evaluated twice; detection only reads gradients already
computed.  The start is step 0 for both methods, so ``steps`` is the number of
evaluations after the start until one returns E <= target -- for plain backprop exactly
the number of updates k with E(w_k) <= target first.  A run gives up ("stalled", not
reached) when its virtual time reaches ``horizon``, or when its jumps fail at a virtual
time tau > 10^window_decades budget: the whole budget of plain steps would add less than
a fraction 10^-window_decades to tau, and so (by the law) hardly change E; this is what
happens on the way to a limit at infinity with E above the target, like the XOR seeds
that stall at E = 1/2.

Plain backprop may not reach the target within its budget (E ~ 1/t in log mode, t^(-1/2)
for power tails); :func:`estimate_steps` then extrapolates its own E(step) tail, a power
law checked over the last two windows, and the steps are marked as estimated.

Everything is vectorised over runs: states have shape (S, P) and each loop iteration is
one call of the evaluator on all runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ..grids import as_count, log_step_grid
from ..models.neuron import evaluator as neuron_evaluator
from ..models.theta import Theta
from ..problems.separability import angle_to
from ..trajectories import xor
from .logmode import TINY, Law, Window

Evaluator = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

#: The last jump aims at AIM * target, so that it lands just below the target.
AIM = 0.8
#: The E(step) tail of plain backprop is extrapolated only if its decay exponents over the
#: last two windows agree to this relative tolerance.
TAIL_RTOL = 0.1
EVENTS = ("plain", "jump", "rejected")


@dataclass(frozen=True)
class Settings:
    """How log mode is detected and how far a run jumps (see the module docstring).

    Attributes
    ----------
    jump_factor : float
        Largest factor K of virtual time per jump (> 1).
    min_jump_factor : float
        Below this factor a shrinking jump gives up and the run steps plainly again.
    law_rtol : float
        Relative tolerance of the law of D over the detection window: its drift, and its
        distance to the asymptotic form (log rule or pure power law).
    window_decades : float
        Span of the detection window in decades of tau (three checkpoints).
    min_steps : int
        Earliest virtual time at which log mode may be detected.
    min_exponent, max_exponent : float
        Range of the exponent q of D's varying part (q < 0: log rule with a decaying
        correction; q > 0: power law).
    horizon : float
        Largest virtual time; a run that reaches it without reaching the target gives up.
    """

    jump_factor: float = 100.0
    min_jump_factor: float = 1.5
    law_rtol: float = 0.1
    window_decades: float = 1.0
    min_steps: int = 1000
    min_exponent: float = -1.0
    max_exponent: float = 0.5
    horizon: float = 1e15

    @classmethod
    def from_mapping(cls, values: dict) -> Settings:
        """The settings among ``values`` (e.g. a config section); other keys are ignored."""
        names = [f.name for f in fields(cls)]
        return cls(**{name: values[name] for name in names if name in values})

    def __post_init__(self):
        checks = {
            "jump_factor": self.jump_factor > 1,
            "min_jump_factor": 1 < self.min_jump_factor <= self.jump_factor,
            "law_rtol": self.law_rtol > 0,
            "window_decades": self.window_decades > 0,
            "min_steps": self.min_steps >= 1 and float(self.min_steps).is_integer(),
            "min_exponent": self.min_exponent < self.max_exponent,
            "horizon": self.horizon > 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(
                    f"invalid extrapolation setting {name} = {getattr(self, name)!r} "
                    "(need jump_factor > 1, 1 < min_jump_factor <= jump_factor, law_rtol > 0, "
                    "window_decades > 0, an integer min_steps >= 1, "
                    "min_exponent < max_exponent, horizon > 1)"
                )


@dataclass
class Descent:
    """What :func:`descend` returns; arrays have one entry per run.

    steps : float, the steps (evaluations after the start) until E <= target, NaN if not
        reached; reached : bool; x (S, P), E, t_virtual : the state where the target was
        reached, else the last one; n_jumps, n_rejected, n_plain : accepted jumps,
        rejected jumps and plain updates up to then (they add up to the steps);
        detected_at : step of the first detection of log mode (NaN if never; for a
        plain run, where a run with jumps would first detect it if ``watch``, else NaN);
        exponent : q of the last detected law (NaN if never); trace : long frame with
        seed, step, t_virtual, E, event (plain, jump or rejected) at log-spaced steps, at
        every detection and every trial jump, and where the run stopped; iterations : loop
        iterations run.
    """

    steps: np.ndarray
    reached: np.ndarray
    stalled: np.ndarray
    x: np.ndarray
    E: np.ndarray
    t_virtual: np.ndarray
    n_jumps: np.ndarray
    n_rejected: np.ndarray
    n_plain: np.ndarray
    detected_at: np.ndarray
    exponent: np.ndarray
    trace: pd.DataFrame
    iterations: int


# --------------------------------------------------------------------------------------
# Evaluators: X (S, P) -> (E (S,), grad E (S, P))
# --------------------------------------------------------------------------------------
# The one-neuron error's is ``neuron_evaluator(A_tilde, theta)``, i.e.
# :func:`models.neuron.evaluator` (imported above): E and its gradient in one pass over
# the margins.


class XorEvaluator:
    """E and grad E of S networks 2-H-1 on XOR (parameters in ``xor.weight_names`` order).

    The same values as :func:`xor.loss_and_gradient`, but computed on one preallocated
    kernel of :mod:`xor`, so that a call allocates none of the network's buffers.
    """

    def __init__(self, n_runs: int, hidden: int = 2):
        S, H = int(n_runs), int(hidden)
        P = 4 * H + 1
        W1, W2 = xor.unpack(np.arange(P, dtype=float)[None, :])
        # Position in weight_names order of each entry of the kernel's (W1, W2) layout.
        self._to_kernel = np.concatenate([W1.ravel(), W2.ravel()]).astype(np.intp)
        self._flat = np.empty((S, P))
        W1_view = self._flat[:, : 3 * H].reshape(S, 3, H)
        W2_view = self._flat[:, 3 * H :].reshape(S, H + 1, 1)
        if not (np.shares_memory(W1_view, self._flat) and np.shares_memory(W2_view, self._flat)):
            raise RuntimeError("the kernel's weights must be views of the flat buffer")
        self._kernel = xor.BatchKernel(W1_view, W2_view)
        self._coef = 2.0 * self._kernel.neg_sign  # the kernel's coefficient for grad E
        self._to_names = np.argsort(self._to_kernel)  # kernel layout -> weight_names order
        self._shapes = ((S, 3 * H), (S, H + 1))

    def __call__(self, X):
        # The hot path of the XOR comparison (~5e5 calls): the same operations as
        # np.take, np.sum and xor.pack, without their Python wrappers.
        X.take(self._to_kernel, axis=1, out=self._flat)
        kernel = self._kernel
        kernel.gradient(self._coef)
        E = np.add.reduce(np.square(kernel.q[:, :, 0]), axis=1)
        g1, g2 = kernel.g1.reshape(self._shapes[0]), kernel.g2.reshape(self._shapes[1])
        return E, np.concatenate((g1, g2), axis=1).take(self._to_names, axis=1)


# --------------------------------------------------------------------------------------
# Backprop with extrapolation
# --------------------------------------------------------------------------------------


def descend(
    evaluate: Evaluator,
    x0,
    eta: float,
    target: float,
    budget: int,
    settings: Settings | None = None,
    extrapolate: bool = True,
    per_decade: int = 20,
    seeds=None,
    t_virtual0=0.0,
    history=None,
    watch: bool = False,
    skip=None,
) -> Descent:
    """Backprop from every start until E <= target, with log-rule jumps if ``extrapolate``.

    Parameters
    ----------
    evaluate : callable
        X of shape (S, P) -> (E of shape (S,), grad E of shape (S, P)).
    x0 : array_like, shape (S, P) or (P,)
        Starts.
    eta : float
        Learning rate (> 0).
    target : float
        Target error (> 0): a run stops at the first state with E <= target.
    budget : int
        Largest number of steps (evaluations after the start) of every run.
    settings : Settings, optional
        Detection and jump settings; default ``Settings()``.
    extrapolate : bool
        False runs plain backprop (the reference); True adds the jumps.
    per_decade : int
        Trace samples per decade of steps (every trial jump is traced too).
    seeds : array_like of int, optional
        Labels of the runs in the trace; default 0..S-1.
    t_virtual0 : float or array_like, shape (S,)
        Virtual time of the starts (default 0): a warm start that stands for this many
        plain steps already taken (``steps`` still count from the start).
    history : sequence of (tau (S,), D (S, P), E (S,)), optional
        Checkpoints of the runs before a warm start, oldest first (the diagnostic D =
        tau [w(tau + 1) - w(tau)] and E recorded there, e.g. from a trajectory).  They
        fill the detection window, the start itself is recorded after them, and log
        mode may be detected at step 0.  Ignored for plain runs unless ``watch``.
    watch : bool
        For a plain run: also run the detection test, as a run with jumps would until its
        first detection, and report that step in ``detected_at`` (the steps themselves
        are those of plain backprop, bit for bit).
    skip : array_like of bool, shape (S,), optional
        For a run with jumps: runs that start stopped, as if they had finished at step 0;
        their entries of the result mean nothing (:func:`paired_descents` fills them
        in).  They stay in the batch and take plain steps, so that the other runs see
        every array operation on the batch they would see without ``skip``.

    Returns
    -------
    Descent
    """
    s = settings or Settings()
    X = np.array(np.atleast_2d(np.asarray(x0, dtype=float)))
    if X.ndim != 2 or not np.all(np.isfinite(X)):
        raise ValueError(f"x0 must be a finite array of shape (S, P); got shape {X.shape}")
    if not eta > 0:
        raise ValueError(f"eta must be > 0; got {eta!r}")
    if not target > 0:
        raise ValueError(f"target must be > 0; got {target!r}")
    budget = as_count(budget, "budget")
    S, P = X.shape
    labels = np.arange(S) if seeds is None else np.asarray(seeds, dtype=np.int64)
    if labels.shape != (S,):
        raise ValueError(f"seeds must have one label per run ({S}); got shape {labels.shape}")

    E, G = evaluate(X)
    tau = np.broadcast_to(np.asarray(t_virtual0, dtype=float), (S,)).copy()
    if not np.all(np.isfinite(tau) & (tau >= 0)):
        raise ValueError(f"t_virtual0 must be finite and >= 0; got {t_virtual0!r}")
    reached = E <= target
    stopped = reached.copy()
    if skip is not None:
        stopped |= np.asarray(skip, dtype=bool)
    active = ~stopped
    steps = np.where(reached, 0.0, np.nan)
    stop_at = np.zeros(S, dtype=np.int64)  # iteration at which each run stopped
    x_end, E_end, tau_end = X.copy(), E.copy(), tau.copy()
    n_jumps, n_rejected = np.zeros(S, dtype=np.int64), np.zeros(S, dtype=np.int64)
    detected_at = np.full(S, np.nan)
    stalled = np.zeros(S, dtype=bool)  # gave up: at the horizon, or jumps failed too late

    jump = np.zeros(S, dtype=bool)  # in log mode
    law = Law(S, P)
    log_k_max, log_k_min = math.log(s.jump_factor), math.log(s.min_jump_factor)
    log_horizon = math.log(s.horizon)
    log_k = np.full(S, log_k_max)  # factor of the next trial
    a = np.zeros(S)  # decay exponent of E ~ tau^-a
    window = Window(S, P, s)
    watch = watch and not extrapolate
    detects = extrapolate or watch
    # Plain runs gain one unit of tau per iteration: the next iteration with a checkpoint.
    next_due = 1 if detects else budget + 1

    grid = log_step_grid(budget, per_decade)
    next_grid = 1
    trace = [_trace_rows(labels, 0, tau, E, np.zeros(S, dtype=np.int8), active | True)]
    if detects and history is not None:
        everyone = np.ones(S, dtype=bool)
        for tau_h, D_h, E_h in history:
            window.record(everyone, np.asarray(tau_h, float), np.asarray(D_h, float), E_h)
        fired, fit = window.record(active, tau, -eta * tau[:, None] * G, E)
        fired &= active
        if fired.any():
            f = np.flatnonzero(fired)
            detected_at[f] = 0
            if extrapolate:
                jump[f] = True
                law.start(f, X, tau, fit)
                a[f] = fit["a"][f]

    iteration = 0
    running = bool(active.any())  # kept up to date where active changes
    while iteration < budget and running:
        iteration += 1
        trial = active & jump
        any_trial = extrapolate and bool(trial.any())
        Y = X - eta * G
        if any_trial:
            i = np.flatnonzero(trial)
            # One factor K further along the law, aimed at the target, within the horizon.
            aim = np.log(E[i] / (AIM * target)) / np.maximum(a[i], TINY)
            aim = np.where(a[i] > 0, aim, np.inf)
            step_k = np.maximum(np.minimum(log_k[i], aim), log_k_min)
            log_try = np.minimum(law.log_now[i] + step_k, log_horizon - np.log(law.tau[i]))
            step_k = log_try - law.log_now[i]
            Y[i] = law.position(i, log_try)
        EY, GY = evaluate(Y)
        tau += 1.0
        event = None
        if any_trial:
            better = EY[i] < E[i]
            ok, bad = i[better], i[~better]
            a[ok] = (np.log(E[ok]) - np.log(np.maximum(EY[ok], TINY))) / step_k[better]
            tau[ok] = law.tau[ok] * np.exp(log_try[better])
            law.log_now[ok] = log_try[better]
            log_k[ok] = np.minimum(2.0 * step_k[better], log_k_max)
            # A rejected trial leaves the run where it was.
            Y[bad], EY[bad], GY[bad], tau[bad] = X[bad], E[bad], G[bad], tau[bad] - 1.0
            log_k[bad] = 0.5 * step_k[~better]
            give_up = bad[log_k[bad] < log_k_min]
            jump[give_up] = False
            window.reset(give_up, tau)
            # Back to plain steps, unless the run is so far along in virtual time that the
            # whole budget adds less than a window's fraction to it (see the docstring).
            stalled[give_up[tau[give_up] * 10.0**-s.window_decades > budget]] = True
            n_jumps[ok] += 1
            n_rejected[bad] += 1
            event = np.zeros(S, dtype=np.int8)
            event[ok], event[bad] = 1, 2
        X, E, G = Y, EY, GY

        fired_now = None
        if iteration >= next_due or any_trial:
            # A watching plain run stops testing a run at its first detection.
            plain = active & ~jump & np.isnan(detected_at) if watch else active & ~jump
            due = plain & (tau >= window.next_check)
            if due.any():
                fired, fit = window.record(due, tau, -eta * tau[:, None] * G, E)
                fired &= E > target
                if watch and fired.any():
                    detected_at[fired] = iteration
                    plain &= ~fired
                elif fired.any():
                    f = np.flatnonzero(fired)
                    jump[f] = True
                    plain[f] = False
                    law.start(f, X, tau, fit)
                    a[f], log_k[f] = fit["a"][f], log_k_max
                    detected_at[f[np.isnan(detected_at[f])]] = iteration
                    fired_now = fired
            wait = np.ceil(window.next_check[plain] - tau[plain])
            next_due = iteration + max(int(wait.min()), 1) if wait.size else budget + 1

        newly = active & (E <= target)
        if any_trial:
            stalled |= active & ~newly & (tau >= s.horizon)
            finished = newly | (active & stalled)
        else:
            finished = newly
        any_finished = bool(finished.any())
        if any_finished:
            steps[newly] = iteration
            reached |= newly
            stopped |= finished
            stop_at[finished] = iteration
            x_end[finished], E_end[finished] = X[finished], E[finished]
            tau_end[finished] = tau[finished]
        on_grid = next_grid < grid.size and iteration == grid[next_grid]
        if on_grid:
            next_grid += 1
        if on_grid or any_trial or any_finished or fired_now is not None:
            event = np.zeros(S, dtype=np.int8) if event is None else event
            rows = active & (trial | finished | on_grid)
            if fired_now is not None:
                rows |= fired_now  # the state each law is anchored at
            trace.append(_trace_rows(labels, iteration, tau, E, event, rows))
        if any_finished:
            active = ~stopped
            running = bool(active.any())

    last = ~stopped
    stop_at[last] = iteration
    x_end[last], E_end[last], tau_end[last] = X[last], E[last], tau[last]
    n_plain = stop_at - n_jumps - n_rejected
    return Descent(
        steps=steps,
        reached=reached,
        stalled=stalled,
        x=x_end,
        E=E_end,
        t_virtual=tau_end,
        n_jumps=n_jumps,
        n_rejected=n_rejected,
        n_plain=n_plain,
        detected_at=detected_at,
        exponent=law.q,
        trace=_trace_frame(trace),
        iterations=iteration,
    )


def paired_descents(
    evaluate: Evaluator, x0, eta, target, budget, settings=None, history=None, **common
) -> tuple[Descent, Descent]:
    """Plain backprop and backprop with extrapolation from the same starts: (plain, fast).

    The same as ``descend(..., extrapolate=False)`` and ``descend(..., history=history)``
    bit for bit, without running twice what both would do.  A run with jumps makes plain
    steps until log mode is first detected; a start where that never happens (while it
    runs) makes exactly plain backprop's steps and stops where it stops.  So the plain
    run watches for the detection (``watch``), and the run with jumps starts only the
    runs that detect it (``skip`` the others, which stay in the batch); the skipped
    runs' results and trace rows are the plain run's.  In the default run this spares
    306,000 of the comparisons' 2.13 million loop iterations (XOR: seed 15, the one of 20
    that never detects log mode, kept the loop of 20 runs going for 140,000 more steps).
    ``common``: ``per_decade``, ``seeds``, ``t_virtual0`` of :func:`descend`.
    """
    plain = descend(
        evaluate,
        x0,
        eta,
        target,
        budget,
        settings,
        extrapolate=False,
        watch=True,
        history=history,
        **common,
    )
    never = np.isnan(plain.detected_at)
    fast = descend(
        evaluate, x0, eta, target, budget, settings, history=history, skip=never, **common
    )
    plain.detected_at = np.full_like(plain.detected_at, np.nan)  # a plain run detects nothing
    if never.any():
        for name in ("steps", "reached", "stalled", "x", "E", "t_virtual", "n_plain"):
            getattr(fast, name)[never] = getattr(plain, name)[never]
        seeds = common.get("seeds")
        skipped = (np.arange(never.size) if seeds is None else np.asarray(seeds))[never]
        ours, theirs = fast.trace["seed"].isin(skipped), plain.trace["seed"].isin(skipped)
        fast.trace = (
            pd.concat([fast.trace[~ours], plain.trace[theirs]], ignore_index=True)
            .sort_values(["seed", "step"], kind="stable")
            .reset_index(drop=True)
        )
    return plain, fast


def _trace_rows(labels, step, tau, E, event, rows) -> dict:
    return {
        "seed": labels[rows],
        "step": np.full(int(rows.sum()), step, dtype=np.int64),
        "t_virtual": tau[rows],
        "E": E[rows],
        "event": event[rows],
    }


def _trace_frame(chunks: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame({k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]})
    frame["event"] = pd.Categorical.from_codes(frame["event"], categories=list(EVENTS))
    return frame.sort_values(["seed", "step"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Comparison with plain backprop
# --------------------------------------------------------------------------------------


def estimate_steps(step, E, target: float, window_decades: float = 1.0) -> float:
    """Steps plain backprop would need to reach ``target``, from the tail of E(step).

    E is taken at the last step s_2 and at s_2 / 10^w, s_2 / 10^(2w) (w = window_decades,
    interpolated on log-log axes).  If the decay exponents a_1, a_2 of E ~ s^-a over the
    two windows agree to :data:`TAIL_RTOL` and a_2 > 0, the estimate is
    s_2 (E(s_2) / target)^(1/a_2); otherwise NaN (E levels off, e.g. towards a minimum
    above the target, or its tail is not a power law yet).  If E already reached the
    target, the first such step is returned.
    """
    step, E = np.asarray(step, dtype=float), np.asarray(E, dtype=float)
    keep = (step > 0) & (E > 0)
    step, E = step[keep], E[keep]
    if step.size < 3 or not target > 0:
        return math.nan
    if E.min() <= target:
        return float(step[np.argmax(E <= target)])
    s2 = step[-1]
    s1, s0 = s2 / 10.0**window_decades, s2 / 10.0 ** (2 * window_decades)
    if s0 < step[0]:
        return math.nan
    log_s, log_E = np.log(step), np.log(E)
    l0, l1 = np.interp(np.log([s0, s1]), log_s, log_E)
    l2 = log_E[-1]
    a1 = (l0 - l1) / math.log(s1 / s0)
    a2 = (l1 - l2) / math.log(s2 / s1)
    if not a2 > 0 or abs(a1 - a2) > TAIL_RTOL * a2:
        return math.nan
    return float(s2 * math.exp((l2 - math.log(target)) / a2))


def compare(
    evaluate: Evaluator,
    x0,
    eta: float,
    target: float,
    budget: int,
    settings: Settings | None = None,
    seeds=None,
    per_decade: int = 20,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Plain backprop against backprop with extrapolation, from the same starts.

    Returns
    -------
    table : DataFrame
        One row per run: seed, target, steps_plain, plain_estimated (True when plain
        backprop did not reach the target within ``budget`` and steps_plain comes from
        :func:`estimate_steps`, NaN if its tail allows no estimate), reached_plain,
        steps_extrapolated, reached_extrapolated, stalled (the extrapolated run gave up,
        see :class:`Descent`), steps_saved (steps_plain -
        steps_extrapolated), speedup (steps_plain / steps_extrapolated), E_end_plain,
        E_end_extrapolated, n_jumps, n_rejected, n_plain (plain updates of the
        extrapolated run), detected_at, exponent (q of the law; < 0 log rule, > 0 power
        law), t_virtual (plain steps the extrapolated run's final state stands for),
        angle_to_plain and norm_ratio (final weights of the extrapolated run against plain
        backprop's where it reached the target; NaN unless both reached it).
    trace : DataFrame
        method (plain or extrapolated), seed, step, t_virtual, E, event.
    """
    return _compare(evaluate, x0, eta, target, budget, settings, seeds, per_decade)[:2]


def _compare(evaluate, x0, eta, target, budget, settings, seeds, per_decade):
    """:func:`compare`, also returning both :class:`Descent` results."""
    settings = settings or Settings()
    plain, fast = paired_descents(
        evaluate, x0, eta, target, budget, settings, seeds=seeds, per_decade=per_decade
    )
    labels = np.arange(plain.steps.size) if seeds is None else np.asarray(seeds, dtype=np.int64)

    steps_plain = plain.steps.copy()
    estimated = ~plain.reached
    for i in np.flatnonzero(estimated):  # once per unfinished run, after the loops
        run = plain.trace[plain.trace["seed"] == labels[i]]
        steps_plain[i] = estimate_steps(run["step"], run["E"], target, settings.window_decades)
    both = plain.reached & fast.reached
    norm_plain = np.maximum(np.linalg.norm(plain.x, axis=1), TINY)
    table = pd.DataFrame(
        {
            "seed": labels,
            "target": float(target),
            "steps_plain": steps_plain,
            "plain_estimated": estimated,
            "reached_plain": plain.reached,
            "steps_extrapolated": fast.steps,
            "reached_extrapolated": fast.reached,
            "stalled": fast.stalled,
            "steps_saved": steps_plain - fast.steps,
            "speedup": steps_plain / np.maximum(fast.steps, 1.0),
            "E_end_plain": plain.E,
            "E_end_extrapolated": fast.E,
            "n_jumps": fast.n_jumps,
            "n_rejected": fast.n_rejected,
            "n_plain": fast.n_plain,
            "detected_at": fast.detected_at,
            "exponent": fast.exponent,
            "t_virtual": fast.t_virtual,
            "angle_to_plain": np.where(both, angle_to(fast.x, plain.x), np.nan),
            "norm_ratio": np.where(both, np.linalg.norm(fast.x, axis=1) / norm_plain, np.nan),
        }
    )
    trace = pd.concat(
        [plain.trace.assign(method="plain"), fast.trace.assign(method="extrapolated")],
        ignore_index=True,
    )
    trace = trace[["method", *[c for c in trace.columns if c != "method"]]]
    return table, trace, plain, fast


def neuron_experiment(
    A_tilde, theta: Theta, x0, eta, target, budget, settings=None, per_decade=20
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`compare` on the one-neuron error E(x) = sum_i (1 - theta((A~ x)_i))^2.

    The table gains ``solved``: plain backprop's last state classifies every sample
    correctly (every margin (A~ x)_i > 0).
    """
    evaluate = neuron_evaluator(A_tilde, theta)
    table, trace, plain, _ = _compare(evaluate, x0, eta, target, budget, settings, None, per_decade)
    margins = plain.x @ np.asarray(A_tilde, dtype=float).T
    table.insert(1, "solved", np.all(margins > 0, axis=1))
    return table, trace


def xor_experiment(
    seeds, hidden, eta, scale, target, budget, settings=None, per_decade=20
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`compare` on XOR from :func:`xor.initial_weights` of each seed.

    ``seeds`` is an int S (seeds 0..S-1) or a sequence of seeds.  The table gains
    ``solved``: plain backprop solves XOR by the end (every |output - target| <
    ``xor.SOLVED_TOLERANCE``) -- the seeds that stall cannot reach a small target.
    """
    seeds = list(range(seeds)) if np.ndim(seeds) == 0 else [int(s) for s in seeds]
    x0 = xor.initial_weights(seeds, hidden, scale)
    evaluate = XorEvaluator(len(seeds), hidden)
    table, trace, plain, _ = _compare(
        evaluate, x0, eta, target, budget, settings, seeds, per_decade
    )
    errors = np.abs(xor.outputs(plain.x) - xor.TARGETS)
    table.insert(1, "solved", errors.max(axis=1) < xor.SOLVED_TOLERANCE)
    return table, trace

"""The path API: :func:`dglnn_path` and :func:`dlnn_path`.

Validates inputs once, makes them canonical (see :mod:`fastgs._validation`),
chooses step sizes, allocates the record buffers and calls one compiled
solver (:mod:`fastgs.solvers`) for the whole run.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from . import solvers
from ._validation import (
    Design,
    check_design,
    check_scalar,
    check_target,
    _to_scipy,
    empty_design_like,
    match_design,
)
from .groups import Groups, make_groups
from ._threads import compiled_threads, resolve_n_jobs
from .kernels import STATUS_OK, group_norms
from .results import DGLNNCVPath, DGLNNPath, DivergenceWarning, DLNNPath, ScaleWarning, Status

__all__ = ["dglnn_path", "dlnn_path", "dglnn_cv_path", "DEFAULT_MAX_ITER"]

DEFAULT_MAX_ITER = 2000
#: gamma = KAPPA / a_max with a_max = max_l ||X_l^T y / n|| (ALGORITHMS.md §6)
DEFAULT_KAPPA = 0.05
#: Algorithm 2's constant direction step eta = ETA_FACTOR / a_max^2
DEFAULT_ETA_FACTOR = 0.5
#: tolerance of the switch rules (the paper's tau)
DEFAULT_TAU = 5e-3
#: the fast schedule (ALGORITHMS.md §9): gamma = FAST_KAPPA / a_max, skip to
#: u_max^2 = FAST_SKIP_FRACTION * a_max, magnitude step capped at FAST_STEP_CAP / u_l^2
FAST_KAPPA = 0.2
FAST_SKIP_FRACTION = 1e-2
FAST_STEP_CAP = 0.25
#: the fast schedule's horizon: about a fifth of the paper schedule's
FAST_MAX_ITER = 400
#: the analytic skip is used for steps with gamma * a_max <= this (the default is 0.2)
MAX_SKIP_GROWTH = 1.0
#: a median column root-mean-square of X outside this range draws a ScaleWarning
STANDARD_COLUMN_RMS = (0.1, 10.0)

_ALGORITHMS = {"alg1": solvers.ALG1, "alg2": solvers.ALG2, "gd": solvers.GD}
_SWITCH_RULES = {"auto": solvers.SWITCH_AUTO, "paper": solvers.SWITCH_PAPER}


class _Problem:
    """Canonical training (and validation) data shared by the path functions."""

    def __init__(self, X, y, X_val, y_val, fit_intercept):
        if not isinstance(fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept must be True or False, got {fit_intercept!r}.")
        design = check_design(X, "X")
        if design.kind == "csc":
            # one model's fused row sweep over CSR runs 1.1-2.5x faster than the
            # two column sweeps of CSC, and multi-threaded: one copy of the
            # nonzeros, converted once (bench/cv_and_threads.py, sparse rows)
            design = design.as_sparse_kind("csr")
        self.design: Design = design
        self.work = self.design.workspace()
        n, p = self.design.shape
        dtype = self.design.dtype
        y = check_target(y, n, dtype, "y")
        self.center = bool(fit_intercept)
        if self.center:
            self.x_offset = self.design.column_means()
            self.y_offset = float(np.mean(y, dtype=np.float64))
            y = (y - dtype.type(self.y_offset)).astype(dtype)
        else:
            self.x_offset = np.zeros(p, dtype=dtype)
            self.y_offset = 0.0
        self.y = y
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together (or neither).")
        if X_val is not None:
            val = match_design(X_val, self.design, "X_val")
            yv = check_target(y_val, val.shape[0], dtype, "y_val")
            if self.center:
                yv = (yv - dtype.type(self.y_offset)).astype(dtype)
            self.val_arrays = val.arrays
            self.y_val = yv
            self.has_val = True
        else:
            self.val_arrays = empty_design_like(self.design)
            self.y_val = np.empty(0, dtype=dtype)
            self.has_val = False

    @property
    def dtype(self):
        return self.design.dtype

    def correlation(self) -> np.ndarray:
        """``X_c^T y_c / n`` (p,), one compiled pass over X.

        Raises the rescaling error when the loss or the correlation at w = 0
        already overflows (nothing could be fit).
        """
        n, p = self.design.shape
        g = np.empty(p, dtype=self.dtype)
        r = np.empty(n, dtype=self.dtype)
        loss = solvers.loss_and_gradient(
            self.design.arrays, self.y, np.zeros(p, dtype=self.dtype), r, g, self.work,
            self.x_offset, self.center,
        )  # fmt: skip
        _check_scale(g, loss)
        return g

    def intercepts(self, coefs: np.ndarray) -> np.ndarray:
        if not self.center:
            return np.zeros(coefs.shape[0], dtype=self.dtype)
        return (self.y_offset - coefs.astype(np.float64) @ self.x_offset.astype(np.float64)).astype(
            self.dtype
        )


def _record_slots(max_iter: int, record_every: int) -> int:
    # records at multiples of record_every, the last iteration, and one spare
    # slot for the last good iterate of a run that stops early
    return max_iter // record_every + 2


def _check_step(value, name: str):
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"{name} must be 'auto' or a positive number, got {value!r}.")
        return None
    return check_scalar(value, name, low=0.0)


def _check_common(alpha, max_iter, record_every):
    alpha = check_scalar(alpha, "alpha", low=0.0)
    max_iter = check_scalar(max_iter, "max_iter", low=1, low_inclusive=True, integer=True)
    record_every = check_scalar(record_every, "record_every", low=1, low_inclusive=True, integer=True)
    return alpha, max_iter, record_every


def _status(code, status_iter, last_iter, step) -> Status:
    if code == STATUS_OK:
        return Status(code, -1, last_iter, step)
    return Status(code, status_iter, last_iter, step)


def _group_norms64(g: np.ndarray, grp: Groups) -> np.ndarray:
    """Group norms of g computed in float64 (no overflow for float32 data)."""
    norms = np.empty(grp.n_groups, dtype=np.float64)
    group_norms(g.astype(np.float64), grp.group_ptr, grp.group_idx, norms)
    return norms


def _check_scale(g0: np.ndarray, loss=0.0) -> None:
    """Refuse data whose scale overflows the start: ``X^T y / n``, ``||y||^2``
    or the squared norm of a group of ``X^T y / n``."""
    with np.errstate(over="ignore", invalid="ignore"):
        g64 = g0.astype(np.float64)
        squared = float(g64 @ g64)  # the step rule squares it: must fit X's dtype
        loss = float(loss)
    if not (np.all(np.isfinite(g0)) and np.isfinite(loss) and squared < float(np.finfo(g0.dtype).max)):
        hint = " or pass float64 data" if g0.dtype == np.float32 else ""
        raise ValueError(
            "X.T @ y overflows: the values of X and y are too large for "
            f"{g0.dtype} arithmetic. Rescale X and y, e.g. standardize the columns of X "
            "(sklearn.preprocessing.StandardScaler) and divide y by its standard deviation"
            f"{hint}."
        )


def _warn_if_badly_scaled(design: Design, x_offset: np.ndarray, func: str) -> None:
    """Warn if the (centered) columns of X are far from standardized.

    The weight-normalized direction step moves w by about ``g_l`` per
    iteration, a unit step against a curvature of about the columns' mean
    square: columns of RMS 0.02 make it ~2500x too small (the fit stalls),
    columns of RMS 10 make it unstable; the automatic magnitude step, scaled
    by ``X^T y``, does not correct that.  One extra pass over X.
    """
    with np.errstate(invalid="ignore"):
        ms = design.column_mean_squares() - x_offset.astype(np.float64) ** 2
    rms = np.sqrt(ms[ms > 0])
    if rms.size == 0:
        return
    median = float(np.median(rms))
    low, high = STANDARD_COLUMN_RMS
    if not low <= median <= high:
        warnings.warn(
            f"{func}: the columns of X have a median root-mean-square of {median:.3g}; DGLNN's "
            "steps and implicit regularization assume standardized columns (about 1), and the "
            "fit may stall or diverge. Scale the columns, e.g. with "
            "sklearn.preprocessing.StandardScaler (with_mean=False keeps sparse X sparse).",
            ScaleWarning, stacklevel=3,
        )  # fmt: skip


def _warn_if_diverged(status: Status, func: str) -> None:
    if not status.ok:
        warnings.warn(f"{func}: {status.message}", DivergenceWarning, stacklevel=3)


class _DGLNNOptions:
    """The checked options shared by :func:`dglnn_path` and :func:`dglnn_cv_path`."""

    def __init__(self, algorithm, update, alpha, step_u, step_v, switch, tau, max_iter,
                 record_every, schedule="auto", kappa=None, skip_fraction=FAST_SKIP_FRACTION,
                 step_cap=FAST_STEP_CAP):  # fmt: skip
        if not isinstance(schedule, str) or schedule not in ("auto", "paper", "fast"):
            raise ValueError(f"schedule must be 'auto', 'fast' or 'paper', got {schedule!r}.")
        if algorithm == "auto":
            # Algorithm 2 with the automatic switch for both schedules: with the
            # fast schedule, Algorithm 1 also diverges late (after the useful
            # window) in noisy settings (bench/fast_schedule.py)
            algorithm = "alg2"
        if not isinstance(algorithm, str) or algorithm not in _ALGORITHMS:
            raise ValueError(
                f"algorithm must be 'auto' or one of {sorted(_ALGORITHMS)}, got {algorithm!r}."
            )
        if schedule == "auto":
            # the fast schedule's start and steps assume weight normalization
            schedule = "paper" if algorithm == "gd" else "fast"
        self.schedule = schedule
        if schedule == "fast" and algorithm == "gd":
            raise ValueError("schedule='fast' needs weight normalization: algorithm 'alg1' or 'alg2'.")
        if update not in ("simultaneous", "sequential"):
            raise ValueError(f"update must be 'simultaneous' or 'sequential', got {update!r}.")
        self.algorithm = algorithm
        self.code = _ALGORITHMS[algorithm]
        self.sequential = update == "sequential"
        if max_iter is None:
            max_iter = DEFAULT_MAX_ITER if schedule == "paper" else FAST_MAX_ITER
        self.alpha, self.max_iter, self.record_every = _check_common(alpha, max_iter, record_every)
        self.gamma = _check_step(step_u, "step_u")
        self.eta = _check_step(step_v, "step_v")
        self.tau = check_scalar(tau, "tau", low=0.0)
        if kappa is None:
            kappa = DEFAULT_KAPPA if schedule == "paper" else FAST_KAPPA
        self.kappa = check_scalar(kappa, "kappa", low=0.0)
        self.skip_fraction = check_scalar(skip_fraction, "skip_fraction", low=0.0)
        self.step_cap = check_scalar(step_cap, "step_cap", low=0.0) if schedule == "fast" else 0.0
        self.switch_at = -1
        if isinstance(switch, str):
            if switch not in _SWITCH_RULES:
                raise ValueError(
                    f"switch must be 'auto', 'paper' or an iteration number, got {switch!r}."
                )
            self.switch_rule = _SWITCH_RULES[switch]
        else:
            self.switch_at = check_scalar(switch, "switch", low=0, low_inclusive=True, integer=True)
            self.switch_rule = solvers.SWITCH_AT

    def steps(self, a_max: float):
        """(gamma, eta): the given step sizes, or the automatic ones for ``a_max``."""
        scale = a_max if a_max > 0 else 1.0
        gamma = self.kappa / scale if self.gamma is None else self.gamma
        if self.eta is not None:
            eta = self.eta
        else:
            eta = gamma if self.algorithm == "gd" else DEFAULT_ETA_FACTOR / scale**2
        return gamma, eta

    def begin(self, g0, grp: Groups, dtype, u0=None, v0=None):
        """(gamma, eta, u, v, t0) of a run whose correlation at w = 0 is g0 (p,)."""
        norms = _group_norms64(g0, grp)
        gamma, eta = self.steps(float(norms.max()))
        u, v, t0 = self.start(g0, norms, grp, gamma, dtype, u0, v0)
        return gamma, eta, u, v, t0

    def start(self, g0, norms, grp: Groups, gamma: float, dtype, u0=None, v0=None):
        """(u, v, t0): the starting point, and the iterations it skips.

        The fast schedule skips the linear start analytically (ALGORITHMS.md
        §9): while w ~ 0 the residual is y, every direction is
        ``X_l^T y / ||X_l^T y||`` and ``u_l = alpha exp(2 gamma a_l t)``; it
        starts at the first integer t0 where the leading group's ``u^2``
        reaches ``skip_fraction * a_max``.  Not for warm starts, nor for a
        step with ``gamma * a_max > MAX_SKIP_GROWTH``.
        """
        if self.schedule != "fast" or u0 is not None or v0 is not None:
            u, v = _initial_uv(u0, v0, self.alpha, grp, g0, norms, self.algorithm, dtype)
            return u, v, 0
        a_max = float(norms.max())
        u, v = _initial_uv(None, None, self.alpha, grp, g0, norms, self.algorithm, dtype)
        if not 0 < gamma * a_max <= MAX_SKIP_GROWTH:
            # a step that multiplies u^2 by more than e^4 per iteration is not in
            # the slow linear regime the skip models (and would overshoot the
            # target by that factor): start at alpha like the paper schedule
            return u, v, 0
        target = self.skip_fraction * a_max
        if self.alpha**2 >= target:
            return u, v, 0
        t0 = int(np.ceil(np.log(target / self.alpha**2) / (4.0 * gamma * a_max)))
        grow = norms > 0
        u = np.where(grow, self.alpha * np.exp(2.0 * gamma * norms * t0), self.alpha).astype(dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            direction = g0.astype(np.float64) / norms[grp.feature_group]
        v = np.where(grow[grp.feature_group], direction, v).astype(dtype)
        return u, v, t0


def dglnn_path(
    X,
    y,
    groups=None,
    *,
    algorithm="auto",
    update="simultaneous",
    alpha=1e-6,
    step_u="auto",
    step_v="auto",
    switch="auto",
    tau=DEFAULT_TAU,
    max_iter=None,
    record_every=1,
    X_val=None,
    y_val=None,
    fit_intercept=False,
    u0=None,
    v0=None,
    n_jobs=None,
    schedule="auto",
    kappa=None,
    skip_fraction=FAST_SKIP_FRACTION,
    step_cap=FAST_STEP_CAP,
    _stop=None,
) -> DGLNNPath:
    """Gradient descent on the diagonally grouped linear network ``w_l = u_l^2 v_l``.

    Parameters
    ----------
    X : (n, p) array (C or F order) or scipy.sparse matrix/array
        float32 input gives float32 results; other numeric types use float64.
        Sparse X is never densified.
    y : (n,) array
    groups : None, int, labels or index lists (see :func:`fastgs.make_groups`)
    algorithm : {"auto", "alg1", "alg2", "gd"}
        "auto" (default): "alg2" with the automatic switch.
        "alg1": weight normalization with the direction step ``1/u^4``
        (ALGORITHMS.md §2); "alg2": the same until the switch, then the
        constant direction step ``step_v`` (§3); "gd": plain gradient descent
        from a balanced start (§4).
    update : {"simultaneous", "sequential"}
        "sequential" recomputes the gradient before the magnitude step, as in
        the paper's box (two passes over X per iteration); "simultaneous" uses
        one pass.
    alpha : float > 0, initial magnitude ``u(0)``
    step_u : "auto" or float > 0
        Magnitude step gamma; "auto" is ``kappa / max_l ||X_l^T y / n||``.
    step_v : "auto" or float > 0
        Algorithm 2's constant direction step eta ("auto": ``0.5 / a_max^2``);
        for "gd" the direction step (default: ``step_u``).
    switch : "auto", "paper" or int
        Algorithm 2's switch: "paper" fires when ``max_l |du_l|/u_l < tau``
        over all groups; "auto" (default) applies the same test to the groups
        that carry the model (``u_l^2 >= 1%`` of the largest) and so also fires
        at moderate noise, and also switches as soon as the training loss goes
        up (the normalized direction step overshoots, e.g. on ill-conditioned
        X); an int switches at that iteration.
    tau : float > 0, tolerance of the switch rules
    max_iter : int >= 1 or None, number of iterations (passes over X) after
        the start; None: 400 for the fast schedule, 2000 for the paper one
    record_every : int >= 1, record every k-th iterate (and the last)
    X_val, y_val : optional validation set; its loss is evaluated at every
        iteration inside the compiled loop and the best iterate is kept
    fit_intercept : bool, fit an intercept by (implicit) centering
    u0, v0 : optional warm start, (L,) positive magnitudes and (p,) directions
        (each group of ``v0`` is normalized; for "gd" it is used as is)
    n_jobs : None (1), -1 (all) or int, Numba threads for the sweeps over X
        (dense and CSR); results are bit-identical for every value
    schedule : {"auto", "fast", "paper"}
        "fast" (ALGORITHMS.md §9): the same estimate as "paper" in about 7x
        fewer passes over X: a larger automatic step (``kappa`` 0.2), the
        linear start skipped analytically, and a magnitude step in log space
        capped per group (``gamma_l = min(gamma, step_cap / u_l^2)``).
        "paper": Algorithms 1/2 as published (§2-3); the reproduction of the
        paper uses it.  "auto" (default): "fast", except "paper" for
        ``algorithm="gd"`` (the fast start and step assume weight
        normalization).  With "fast", ``iterations``, ``best_iter`` and
        ``switch_iter`` count the skipped iterations ``t0`` (``path.t0``);
        ``max_iter`` and ``n_passes`` count passes over X after the skip;
        ``train_curve[i]`` and ``val_curve[i]`` are iteration ``t0 + i``.
    kappa : float, the automatic step is ``kappa / max_l ||X_l^T y / n||``
        (default 0.05 for "paper", 0.2 for "fast")
    skip_fraction : float, the fast start begins where the leading group's
        ``u^2`` reaches ``skip_fraction * a_max`` (default 1e-2)
    step_cap : float, the fast schedule's per-group cap (default 0.25)
    _stop : private, (min_iter, rate): end the run at the first pass t >=
        min_iter whose training loss fell by at most ``rate * loss`` (the
        estimators' refit, see :mod:`fastgs.estimators`)

    Returns
    -------
    DGLNNPath
        ``iterations``, ``coefs`` (k, p), ``u`` (k, L), ``train_loss``,
        ``val_loss``, ``best_iter``, ``best_coef``, ``switch_iter``, ``status``...
        A diverging run stops, warns (:class:`fastgs.DivergenceWarning`) and
        returns the last good iterate.
    """
    opts = _DGLNNOptions(algorithm, update, alpha, step_u, step_v, switch, tau, max_iter,
                         record_every, schedule, kappa, skip_fraction, step_cap)  # fmt: skip
    resolve_n_jobs(n_jobs)
    prob = _Problem(X, y, X_val, y_val, fit_intercept)
    p = prob.design.shape[1]
    grp: Groups = make_groups(groups, p)
    L = grp.n_groups
    dtype = prob.dtype

    with compiled_threads(n_jobs):
        g0 = prob.correlation()
    _warn_if_badly_scaled(prob.design, prob.x_offset, "dglnn_path")
    gamma, eta, u, v, t0 = opts.begin(g0, grp, dtype, u0, v0)

    run = _DGLNNRun(opts, p, L, dtype, u, v, _stop)
    with compiled_threads(n_jobs):
        solvers.dglnn_solve(
            prob.design.arrays, prob.y, prob.work, prob.val_arrays, prob.y_val,
            grp.group_ptr, grp.group_idx, u, v, prob.x_offset, prob.center,
            opts.code, opts.sequential, dtype.type(gamma), dtype.type(eta), opts.step_cap,
            opts.switch_rule, opts.tau, opts.switch_at, opts.max_iter, opts.record_every,
            *run.stop, run.records, run.istate, run.fstate,
        )  # fmt: skip
    return run.result(opts, grp, t0, gamma, eta, v, prob.has_val, prob.intercepts, "dglnn_path")


class _DGLNNRun:
    """Record buffers and scalar state of one DGLNN run, and its result.

    Shared by :func:`dglnn_path` (one compiled :func:`fastgs.solvers.dglnn_solve`)
    and the distributed driver in :mod:`fastgs.dask` (the same compiled steps
    around sweeps on a cluster).
    """

    def __init__(self, opts: _DGLNNOptions, p: int, L: int, dtype, u, v, stop=None):
        self.stop = _stop_rule(stop, opts.max_iter)
        k = _record_slots(opts.max_iter, opts.record_every)
        self.slots = k
        self.records = (
            np.empty(k, dtype=np.int64),  # iterations
            np.empty((k, p), dtype=dtype),  # w
            np.empty((k, L), dtype=dtype),  # u
            np.empty(k, dtype=dtype),  # training loss
            np.empty(k, dtype=dtype),  # validation loss
            u.copy(),  # best u
            v.copy(),  # best v
            np.full(opts.max_iter + 1, np.nan, dtype=dtype),  # training loss curve
            np.full(opts.max_iter + 1, np.nan, dtype=dtype),  # validation loss curve
        )
        self.istate, self.fstate = solvers.new_run_state(opts.code, opts.switch_rule, opts.switch_at)

    def result(self, opts, grp: Groups, t0: int, gamma, eta, v, has_val: bool, intercepts,
               func: str) -> DGLNNPath:  # fmt: skip
        """The DGLNNPath of the finished run; warns if it stopped early.

        intercepts : callable, (k, p) coefficients -> (k,) intercepts
        """
        rec_iter, rec_w, rec_u, rec_train, rec_val, best_u, best_v, train_curve, val_curve = self.records
        ist = self.istate
        n_rec = int(ist[solvers.I_RECORDS])
        code = int(ist[solvers.I_STATUS])
        status_iter = int(ist[solvers.I_STATUS_ITER])
        best_iter = int(ist[solvers.I_BEST_ITER])
        switch_iter = int(ist[solvers.I_SWITCH_ITER])
        dtype = rec_w.dtype
        coefs = rec_w[:n_rec]
        last_pass = int(rec_iter[n_rec - 1]) if n_rec else 0
        curve_len = last_pass + 1  # the last good iterate is always the last record
        # iterations count the skipped start t0 of the fast schedule
        rec_iter[:n_rec] += t0
        status = _status(code, status_iter + t0 if code != STATUS_OK else -1, last_pass + t0, gamma)
        _warn_if_diverged(status, func)
        best_coef = best_intercept = None
        if has_val and best_iter >= 0:
            best_coef = (best_u[grp.feature_group] ** 2 * best_v).astype(dtype)
            best_intercept = float(intercepts(best_coef[None, :])[0])
        # passes over X: the start's X^T y, one per evaluated iterate, one more per
        # sequential update
        evaluated = (status_iter + 1) if code != STATUS_OK else last_pass + 1
        sequential = opts.sequential and opts.algorithm != "gd"
        n_passes = 1 + evaluated + (evaluated - 1 if sequential else 0)
        return DGLNNPath(
            iterations=rec_iter[:n_rec].copy(),
            coefs=coefs.copy() if n_rec < self.slots // 2 else coefs,
            train_loss=rec_train[:n_rec].copy(),
            val_loss=rec_val[:n_rec].copy() if has_val else None,
            best_iter=best_iter + t0 if has_val and best_iter >= 0 else None,
            best_coef=best_coef,
            best_intercept=best_intercept,
            intercepts=intercepts(coefs),
            status=status,
            n_passes=int(n_passes),
            train_curve=train_curve[:curve_len],
            val_curve=val_curve[:curve_len] if has_val else None,
            best_u=best_u if best_coef is not None else None,
            t0=t0,
            u=rec_u[:n_rec].copy(),
            switch_iter=switch_iter + t0 if switch_iter >= 0 else None,
            groups=grp,
            step_u=float(gamma),
            step_v=float(eta),
            v=v,
        )


def _stop_rule(stop, max_iter: int):
    """(min_iter, stop_rate) of the solvers' stop on a slowing training loss; off
    (run max_iter passes) for ``stop=None``."""
    return (max_iter + 1, -np.inf) if stop is None else (int(stop[0]), float(stop[1]))


def _initial_uv(u0, v0, alpha, grp: Groups, g0, norms, algorithm, dtype):
    L, p = grp.n_groups, grp.n_features
    if u0 is None:
        u = np.full(L, alpha, dtype=dtype)
    else:
        u = np.array(u0, dtype=dtype).ravel()
        if u.shape != (L,):
            raise ValueError(f"u0 must have one entry per group ({L}), got shape {np.shape(u0)}.")
        if not np.all(np.isfinite(u)) or np.any(u <= 0):
            raise ValueError("u0 must be finite and strictly positive.")
    if v0 is not None:
        v = np.array(v0, dtype=dtype).ravel()
        if v.shape != (p,):
            raise ValueError(f"v0 must have one entry per feature ({p}), got shape {np.shape(v0)}.")
        if not np.all(np.isfinite(v)):
            raise ValueError("v0 must be finite.")
        if algorithm != "gd":
            from .kernels import normalize_groups

            normalize_groups(v, grp.group_ptr, grp.group_idx)
        return u, v
    sizes = grp.sizes
    if algorithm == "gd":
        # balanced start (ALGORITHMS.md §4): v_l ∝ X_l^T y / n, ||v_l||^2 = u_l^2 / 2
        per_group = np.where(norms > 0, (u / np.sqrt(2)) / np.where(norms > 0, norms, 1), 0)
        v = (g0 * per_group[grp.feature_group]).astype(dtype)
        return u, v
    v = (1.0 / np.sqrt(sizes))[grp.feature_group].astype(dtype)
    return u, v


def dlnn_path(
    X,
    y,
    *,
    depth=2,
    alpha=1e-6,
    step="auto",
    max_iter=DEFAULT_MAX_ITER,
    record_every=1,
    X_val=None,
    y_val=None,
    fit_intercept=False,
    n_jobs=None,
    _stop=None,
) -> DLNNPath:
    """Gradient descent on the diagonal linear network ``w = a^N - b^N``.

    The baseline of Vaskevicius et al. (2019) (N = 2) and its depth-N variant
    (Li et al., 2021); it ignores groups.  ``a(0) = b(0) = alpha``.

    Parameters
    ----------
    depth : int >= 2
    step : "auto" or float > 0.  "auto" is ``0.05 / a_max`` for depth 2 with
        ``a_max = ||X^T y / n||_inf``, and ``0.05 / (N^2/4 * a_max^((2N-2)/N))``
        for depth N (the same effective step on w near the solution).
        Note that for N > 2 growth from a tiny ``alpha`` is very slow; use a
        larger ``alpha`` (e.g. 1e-2).
    _stop : private, as in :func:`dglnn_path`
    Other parameters and the result as in :func:`dglnn_path`.
    """
    depth = check_scalar(depth, "depth", low=2, low_inclusive=True, integer=True)
    resolve_n_jobs(n_jobs)
    alpha, max_iter, record_every = _check_common(alpha, max_iter, record_every)
    gamma = _check_step(step, "step")
    prob = _Problem(X, y, X_val, y_val, fit_intercept)
    n, p = prob.design.shape
    dtype = prob.dtype
    if gamma is None:
        with compiled_threads(n_jobs):
            g0 = prob.correlation()
        a_max = float(np.max(np.abs(g0)))
        a_max = a_max if a_max > 0 else 1.0
        gamma = DEFAULT_KAPPA / ((depth**2 / 4.0) * a_max ** ((2.0 * depth - 2.0) / depth))
    _warn_if_badly_scaled(prob.design, prob.x_offset, "dlnn_path")
    a = np.full(p, alpha, dtype=dtype)
    b = np.full(p, alpha, dtype=dtype)
    k = _record_slots(max_iter, record_every)
    rec_iter = np.empty(k, dtype=np.int64)
    rec_w = np.empty((k, p), dtype=dtype)
    rec_train = np.empty(k, dtype=dtype)
    rec_val = np.empty(k, dtype=dtype)
    best_w = np.zeros(p, dtype=dtype)
    train_curve = np.full(max_iter + 1, np.nan, dtype=dtype)
    val_curve = np.full(max_iter + 1, np.nan, dtype=dtype)
    with compiled_threads(n_jobs):
        n_rec, code, status_iter, best_iter, _ = solvers.dlnn_solve(
            prob.design.arrays, prob.y, prob.work, prob.val_arrays, prob.y_val, a, b, depth,
            dtype.type(gamma), prob.x_offset, prob.center, max_iter, record_every,
            *_stop_rule(_stop, max_iter), rec_iter, rec_w, rec_train, rec_val, best_w, train_curve,
            val_curve,
        )  # fmt: skip
    coefs = rec_w[:n_rec]
    last_iter = int(rec_iter[n_rec - 1]) if n_rec else 0
    status = _status(code, status_iter, last_iter, gamma)
    _warn_if_diverged(status, "dlnn_path")
    has_best = prob.has_val and best_iter >= 0
    evaluated = (status_iter + 1) if code != STATUS_OK else last_iter + 1
    return DLNNPath(
        iterations=rec_iter[:n_rec].copy(),
        coefs=coefs.copy() if n_rec < k // 2 else coefs,
        train_loss=rec_train[:n_rec].copy(),
        val_loss=rec_val[:n_rec].copy() if prob.has_val else None,
        best_iter=int(best_iter) if has_best else None,
        best_coef=best_w if has_best else None,
        best_intercept=float(prob.intercepts(best_w[None, :])[0]) if has_best else None,
        intercepts=prob.intercepts(coefs),
        status=status,
        n_passes=int(evaluated + (0 if step != "auto" else 1)),
        train_curve=train_curve[: status.last_good + 1],
        val_curve=val_curve[: status.last_good + 1] if prob.has_val else None,
        depth=depth,
        step=float(gamma),
    )


def _fold_labels(folds, n: int, random_state) -> tuple[np.ndarray, int]:
    """Fold label of each row, int64 (n,), and the number of folds."""
    if isinstance(folds, (int, np.integer)) and not isinstance(folds, (bool, np.bool_)):
        K = int(folds)
        if K < 2:
            raise ValueError(f"cv must be at least 2 folds, got {K}.")
        if K > n:
            raise ValueError(f"cv={K} folds need at least {K} samples; got n_samples={n}.")
        rng = np.random.default_rng(random_state)
        fold = np.empty(n, dtype=np.int64)
        fold[rng.permutation(n)] = np.arange(n) % K
        return fold, K
    labels = np.asarray(folds)
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise ValueError(
            f"folds must be a number of folds or an int array of one fold label per sample "
            f"(shape ({n},)); got {labels.dtype} array of shape {labels.shape}."
        )
    uniq, fold = np.unique(labels, return_inverse=True)
    if uniq.size < 2:
        raise ValueError("folds: need at least 2 distinct fold labels.")
    return fold.astype(np.int64), int(uniq.size)


#: the M-model sweep over CSR gathers and scatters the models' weights and
#: gradients (2 M p values) at random columns: fastest while they stay in L2
CV_CSR_MAX_BYTES = 1 << 20


def _cv_sweep_storage(M: int, p: int, dtype) -> str:
    """Sparse storage of the M-model cross-validation sweep, by shape only (so
    results do not depend on the input format or thread count).

    CSR while the models' weights and gradients fit ``CV_CSR_MAX_BYTES``
    (and the row-chunked sweep can use threads); CSC beyond, where only its
    (n, M) residual rows are accessed at random: at 10000 x 200000, density
    1e-3, 23 ms per pass against 33 ms over CSR; at 100000 x 2000, density
    1e-2, 12.6 ms over CSR against 16.9 ms (bench/cv_and_threads.py).
    """
    return "csr" if 2 * M * p * np.dtype(dtype).itemsize <= CV_CSR_MAX_BYTES else "csc"


def dglnn_cv_path(
    X,
    y,
    groups=None,
    *,
    cv=5,
    random_state=None,
    algorithm="auto",
    update="simultaneous",
    alpha=1e-6,
    step_u="auto",
    step_v="auto",
    switch="auto",
    tau=DEFAULT_TAU,
    max_iter=None,
    fit_intercept=False,
    n_jobs=None,
    schedule="auto",
    kappa=None,
    skip_fraction=FAST_SKIP_FRACTION,
    step_cap=FAST_STEP_CAP,
    refit=True,
):
    """K-fold cross-validation curves of DGLNN, all folds in one sweep per iteration.

    Each fold's model is trained on the other folds' rows exactly as
    :func:`dglnn_path` would train it (own automatic step sizes, own centering)
    and validated on its own rows at every iteration.  All K models advance
    together: one pass over the rows of X per iteration serves every fold.
    Sparse X is swept as CSR or CSC by shape (:func:`_cv_sweep_storage`),
    converted once when it comes in the other storage (a copy of its nonzeros),
    and copied once with sorted indices when swept as CSC with unsorted ones.

    Parameters
    ----------
    cv : int (number of folds, rows assigned at random with ``random_state``)
        or an int array (n,) of fold labels
    refit : bool, default True
        Also advance a model trained on all rows in the same sweeps and keep
        its iterate at the CV-chosen iteration (``best_coef``, ``best_u``,
        ``best_intercept``): the refit of K-fold CV for one more model in the
        sweep, instead of a second run.
    Other parameters as in :func:`dglnn_path`.  With ``schedule="fast"``
    each fold skips its own linear start ``t0s[k]``; the curves are aligned by
    passes over X after the skip (index i is fold k's iteration
    ``t0s[k] + i``) and ``best_iter`` counts passes after the skip.

    Returns
    -------
    DGLNNCVPath
        ``val_curves`` (T+1, K), ``train_curves`` (T+1, K), ``cv_curve``
        (T+1,) the mean validation loss over folds, ``best_iter`` its argmin,
        ``fold`` (n,), ``switch_iters`` (K,), ``status``.
    """
    opts = _DGLNNOptions(algorithm, update, alpha, step_u, step_v, switch, tau, max_iter, 1,
                         schedule, kappa, skip_fraction, step_cap)  # fmt: skip
    resolve_n_jobs(n_jobs)
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be True or False, got {fit_intercept!r}.")
    design = check_design(X, "X")
    n, p = design.shape
    dtype = design.dtype
    y = check_target(y, n, dtype, "y")
    grp: Groups = make_groups(groups, p)
    fold, K = _fold_labels(cv, n, random_state)
    n_val = np.bincount(fold, minlength=K).astype(np.int64)
    n_train = n - n_val
    if np.any(n_val == 0) or np.any(n_train == 0):
        raise ValueError("cv: every fold needs at least one validation and one training sample.")
    if not isinstance(refit, (bool, np.bool_)):
        raise TypeError(f"refit must be True or False, got {refit!r}.")
    # models 0..K-1: the folds; model K (with refit): all rows, no validation rows
    M = K + int(refit)
    if design.kind != "dense":
        design = design.as_sparse_kind(_cv_sweep_storage(M, p, dtype))
        if design.kind == "csc":
            # the threaded CSC sweep splits each column by rows; sorted for any
            # n_jobs, since the order of a column's entries sets the bits
            design = design.with_sorted_indices()
    n_val = np.append(n_val, np.zeros(M - K, dtype=np.int64))
    n_train = np.append(n_train, np.full(M - K, n, dtype=np.int64))
    if fit_intercept:
        onehot = sp.csr_matrix((np.ones(n), (fold, np.arange(n))), shape=(K, n))
        col_fold = onehot @ _to_scipy(design)
        col_fold = np.asarray(col_fold.toarray() if sp.issparse(col_fold) else col_fold, dtype=np.float64)
        col_fold = np.vstack([col_fold, np.zeros((M - K, p))])  # the full model leaves out nothing
        col_all = col_fold[:K].sum(axis=0)
        x_offsets = ((col_all - col_fold) / n_train[:, None]).astype(dtype)
        y_fold = np.append(np.bincount(fold, weights=y.astype(np.float64), minlength=K), np.zeros(M - K))
        y_offsets = ((y_fold.sum() - y_fold) / n_train).astype(dtype)
    else:
        x_offsets = np.zeros((M, p), dtype=dtype)
        y_offsets = np.zeros(M, dtype=dtype)
    center = bool(fit_intercept)

    # every model's X_k^T y_k / n_k (one sweep at w = 0) for its automatic steps
    W0 = np.zeros((M, p), dtype=dtype)
    G0 = np.empty((M, p), dtype=dtype)
    work = [np.empty(M, dtype=dtype) for _ in range(6)]
    work_G, work_s = design.fold_workspace(M, resolve_n_jobs(n_jobs))  # scratch of the threaded sweep
    with compiled_threads(n_jobs):
        solvers._folds_gradients(design.arrays, y, fold, W0, x_offsets, y_offsets, center,
                                 n_train, n_val, work[0], G0, work[1], work[2], work[3],
                                 work[4], work[5], work_G, work_s)  # fmt: skip
    for k in range(M):
        # work[4], work[5]: the training and validation losses at w = 0
        _check_scale(G0[k], work[4][k] + work[5][k])
    # the column means of all rows, from the per-fold sums above (no second pass over X)
    full_offset = col_all / n if center else np.zeros(p)
    _warn_if_badly_scaled(design, full_offset, "dglnn_cv_path")
    L = grp.n_groups
    U = np.empty((M, L), dtype=dtype)
    V = np.empty((M, p), dtype=dtype)
    gammas = np.empty(M, dtype=dtype)
    t0s = np.zeros(M, dtype=np.int64)
    etas = np.empty(M, dtype=dtype)
    for k in range(M):
        gammas[k], etas[k], U[k], V[k], t0s[k] = opts.begin(G0[k], grp, dtype)
    T = opts.max_iter
    train_curves = np.full((T + 1, M), np.nan, dtype=dtype)
    val_curves = np.full((T + 1, M), np.nan, dtype=dtype)
    switch_iters = np.empty(M, dtype=np.int64)
    best_u = U[M - 1].copy()
    best_v = V[M - 1].copy()
    with compiled_threads(n_jobs):
        n_eval, code, status_iter, best_t = solvers.dglnn_cv_solve(
            design.arrays, y, fold, grp.group_ptr, grp.group_idx, U, V, x_offsets, y_offsets,
            center, n_train, n_val, opts.code, opts.sequential, gammas, etas, opts.step_cap,
            opts.switch_rule, opts.tau, opts.switch_at, T, train_curves, val_curves, switch_iters,
            work_G, work_s, K, best_u, best_v,
            True if resolve_n_jobs(n_jobs) > 1 and M * p >= solvers.MODELS_THREADED_MIN_SIZE else None,
        )  # fmt: skip
    status = _status(code, status_iter, max(n_eval - 1, 0), float(gammas.max()))
    _warn_if_diverged(status, "dglnn_cv_path")
    val_curves = val_curves[:n_eval, :K]
    cv_curve = val_curves.mean(axis=1)
    best_iter = int(np.argmin(cv_curve)) if n_eval else 0
    refit_fields = {}
    if refit:
        coef = (best_u[grp.feature_group] ** 2 * best_v).astype(dtype)
        intercept = 0.0
        if center:
            intercept = float(y_offsets[K] - coef.astype(np.float64) @ x_offsets[K].astype(np.float64))
        refit_fields = dict(best_coef=coef, best_u=best_u, best_intercept=intercept,
                            refit_t0=int(t0s[K]), refit_train_curve=train_curves[:n_eval, K])  # fmt: skip
    sequential = opts.sequential and opts.algorithm != "gd"
    return DGLNNCVPath(
        t0s=t0s[:K],
        iterations=np.arange(n_eval, dtype=np.int64),
        cv_curve=cv_curve,
        val_curves=val_curves,
        train_curves=train_curves[:n_eval, :K],
        best_iter=best_iter,
        fold=fold,
        switch_iters=np.where(switch_iters[:K] >= 0, switch_iters[:K] + t0s[:K], -1),
        status=status,
        groups=grp,
        step_u=gammas[:K].astype(np.float64),
        step_v=etas[:K].astype(np.float64),
        n_passes=int(1 + n_eval + (n_eval - 1 if sequential else 0)),
        **refit_fields,
    )

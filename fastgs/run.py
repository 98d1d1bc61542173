"""A DGLNN run: its checked options, its state between iterations, its result.

This module is the contract between the two drivers of a run: the path
functions (:mod:`fastgs.path`, one compiled :func:`fastgs.solvers.dglnn_solve`
call) and the distributed driver (:mod:`fastgs.dask`, the same compiled
per-iteration steps around sweeps on a cluster).  Both

* check their options once with :class:`DGLNNOptions` (defaults, schedules,
  step sizes, the start point and the early-end rule);
* start from ``DGLNNOptions.begin`` on the correlation ``D^-1 X_c^T y / n``;
* keep the run's record buffers and scalar state in a :class:`DGLNNRun`,
  whose ``records``, ``istate``, ``fstate``, ``stop`` and ``inv_scale`` are
  the arguments of the compiled steps (see :func:`fastgs.solvers.dglnn_solve`);
* and build the :class:`fastgs.DGLNNPath` with ``DGLNNRun.result``, which also
  warns about divergence and a binding ``max_iter``.

Nothing here touches X: the checks of data live in :mod:`fastgs._validation`.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import losses, solvers
from ._validation import check_scalar
from .groups import Groups
from .kernels import STATUS_OK, group_norms
from .results import ConvergenceWarning, DGLNNPath, DivergenceWarning, Status

#: the paper schedule's horizon (passes over X)
DEFAULT_MAX_ITER = 2000
#: gamma = KAPPA / a_max with a_max = max_l ||X_l^T y / n|| (docs/method.rst, 'Automatic step sizes')
DEFAULT_KAPPA = 0.05
#: Algorithm 2's constant direction step eta = ETA_FACTOR / a_max^2
DEFAULT_ETA_FACTOR = 0.5
#: tolerance of the switch rules (the paper's tau)
DEFAULT_TAU = 5e-3
#: the fast schedule (docs/method.rst, 'The fast schedule'): gamma = FAST_KAPPA / a_max, skip to
#: u_max^2 = FAST_SKIP_FRACTION * a_max, magnitude step capped at FAST_STEP_CAP / u_l^2
FAST_KAPPA = 0.2
# the fast schedule's kappa for the Poisson loss: its curvature grows with the
# fitted mean, and kappa = 0.2 overshoots once the large counts are fit
# (docs/method.rst, 'Losses beyond least squares')
POISSON_FAST_KAPPA = 0.05
FAST_SKIP_FRACTION = 1e-2
FAST_STEP_CAP = 0.25
#: the fast schedule's horizon: about a fifth of the paper schedule's
FAST_MAX_ITER = 400
#: the early end of runs with validation data: the run ends once its
#: validation curve has stayed more than DEFAULT_TOL (relative) above its
#: minimum for DEFAULT_N_ITER_NO_CHANGE consecutive passes, and at least
#: max(PATIENCE_MIN, PATIENCE_FRACTION * t_min) passes after the minimum at
#: t_min (docs/method.rst, 'Early stopping'; the choice: docs/performance.rst,
#: 'The early end')
DEFAULT_TOL = 2e-2
DEFAULT_N_ITER_NO_CHANGE = 30
PATIENCE_FRACTION = 1.0
PATIENCE_MIN = 75
#: with the early end the horizon is a cap, not the stopping rule: the default
#: caps of the fast and paper schedules then
FAST_MAX_ITER_CAP = 3000
PAPER_MAX_ITER_CAP = 10000

STOP_REASONS = {
    solvers.STOP_MAX_ITER: "max_iter",
    solvers.STOP_NO_IMPROVEMENT: "no_improvement",
    solvers.STOP_TRAIN_FLAT: "train_loss_flat",
}
#: the analytic skip is used for steps with gamma * a_max <= this (the default is 0.2)
MAX_SKIP_GROWTH = 1.0
#: a median column root-mean-square of X outside this range draws a ScaleWarning
STANDARD_COLUMN_RMS = (0.1, 10.0)

ALGORITHM_CODES = {"alg1": solvers.ALG1, "alg2": solvers.ALG2, "gd": solvers.GD}
SWITCH_RULES = {"auto": solvers.SWITCH_AUTO, "paper": solvers.SWITCH_PAPER}


def glm_setup(loss: int, fit_intercept: bool, weight_sum: float, target_sum: float,
              val_weight_sum: float = 0.0):  # fmt: skip
    """The solvers' sums of one model (``solvers.GLM_*``) and its starting intercept.

    For least squares the caller centers y (or passes its mean as the
    intercept): the intercept stays fixed.  For the other losses the fit
    starts at the model with only an intercept (its mean the weighted mean
    target), and with ``fit_intercept`` the intercept moves with the fit;
    the gradient is divided by the loss's curvature there
    (:func:`fastgs.losses.curvature_bound`).
    """
    sums = np.zeros(solvers.N_GLM_SUMS)
    sums[solvers.GLM_WEIGHT_SUM] = weight_sum
    sums[solvers.GLM_TARGET_SUM] = target_sum
    sums[solvers.GLM_VAL_WEIGHT_SUM] = val_weight_sum
    intercept = 0.0
    null_mean = 1.0 if loss == losses.POISSON else 0.5
    if loss != losses.SQUARED_ERROR and fit_intercept:
        null_mean = target_sum / weight_sum
        intercept = losses.null_intercept(loss, null_mean)
        sums[solvers.GLM_FIT_INTERCEPT] = 1.0
    sums[solvers.GLM_CURVATURE] = losses.curvature_bound(loss, null_mean)
    return sums, intercept


def make_end_rule(n_iter_no_change, tol, early_end: bool) -> np.ndarray:
    """The solvers' ``end_rule`` (tol, n_iter_no_change, patience fraction,
    least patience), float64 (4,); off (``n_iter_no_change = 0``) without
    validation data (``early_end`` False) or for ``n_iter_no_change=0``.

    ``n_iter_no_change`` None means the default.
    """
    tol = check_scalar(tol, "tol", low=0.0, low_inclusive=True, high=1.0)
    if n_iter_no_change is None:
        n_iter_no_change = DEFAULT_N_ITER_NO_CHANGE
    n_iter_no_change = check_scalar(n_iter_no_change, "n_iter_no_change", low=0, low_inclusive=True,
                                    integer=True)  # fmt: skip
    if not early_end:
        n_iter_no_change = 0
    return np.array([tol, float(n_iter_no_change), PATIENCE_FRACTION, float(PATIENCE_MIN)])


def default_max_iter(schedule: str, end_rule: np.ndarray) -> int:
    """max_iter=None: the schedule's horizon, or its cap when the early end decides."""
    if end_rule[1] > 0:
        return PAPER_MAX_ITER_CAP if schedule == "paper" else FAST_MAX_ITER_CAP
    return DEFAULT_MAX_ITER if schedule == "paper" else FAST_MAX_ITER


def stop_reason_name(code, status_ok: bool) -> str:
    return STOP_REASONS[int(code)] if status_ok else "diverged"


def warn_if_capped(stop_reason: str, end_rule, max_iter: int, best_iter, func: str,
                    stacklevel=3) -> None:  # fmt: skip
    """ConvergenceWarning when max_iter ended a run before its early end could
    decide (the chosen iterate may still change)."""
    if stop_reason != "max_iter" or best_iter is None:
        return
    if end_rule[1] <= 0:
        return
    warnings.warn(
        f"{func}: max_iter={max_iter} passes ended the run before the validation loss stopped "
        f"improving (best iterate: {best_iter}); the chosen iterate may change with a larger "
        "max_iter.",
        ConvergenceWarning, stacklevel=stacklevel,
    )  # fmt: skip


def check_bool(value, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")


def column_scales(mean_squares, means, center: bool) -> np.ndarray:
    """Root-mean-square of each column (centered by ``means`` when ``center``),
    the scales that standardize X; (p,) float64.

    Columns that are constant (their centered root-mean-square is at rounding
    level of their magnitude) keep scale 1: their centered values carry no
    signal, and dividing by a rounding residue would blow them up.
    """
    mean_squares = np.asarray(mean_squares, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    ms = mean_squares - means**2 if center else mean_squares
    scale = np.sqrt(np.maximum(ms, 0.0))
    constant = scale <= 1e-7 * np.sqrt(mean_squares)
    return np.where(constant | (scale == 0), 1.0, scale)


def record_slots(max_iter: int, record_every: int) -> int:
    # records at multiples of record_every, the last iteration, and one spare
    # slot for the last good iterate of a run that stops early
    return max_iter // record_every + 2


def check_step(value, name: str):
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(f"{name} must be 'auto' or a positive number, got {value!r}.")
        return None
    return check_scalar(value, name, low=0.0)


def check_common(alpha, max_iter, record_every):
    alpha = check_scalar(alpha, "alpha", low=0.0)
    max_iter = check_scalar(max_iter, "max_iter", low=1, low_inclusive=True, integer=True)
    record_every = check_scalar(record_every, "record_every", low=1, low_inclusive=True, integer=True)
    return alpha, max_iter, record_every


def status_of(code, status_iter, last_iter, step) -> Status:
    if code == STATUS_OK:
        return Status(code, -1, last_iter, step)
    return Status(code, status_iter, last_iter, step)


def group_norms64(g: np.ndarray, grp: Groups) -> np.ndarray:
    """Group norms of g computed in float64 (no overflow for float32 data)."""
    norms = np.empty(grp.n_groups, dtype=np.float64)
    group_norms(g.astype(np.float64), grp.group_ptr, grp.group_idx, norms)
    return norms


def check_scale(g0: np.ndarray, loss=0.0) -> None:
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


def warn_if_diverged(status: Status, func: str) -> None:
    if not status.ok:
        warnings.warn(f"{func}: {status.message}", DivergenceWarning, stacklevel=3)


class DGLNNOptions:
    """The checked options shared by :func:`dglnn_path` and :func:`dglnn_cv_path`."""

    def __init__(self, algorithm, update, alpha, step_u, step_v, switch, tau, max_iter,
                 record_every, schedule="auto", kappa=None, skip_fraction=FAST_SKIP_FRACTION,
                 step_cap=FAST_STEP_CAP, n_iter_no_change=None, tol=DEFAULT_TOL,
                 early_end=False, loss="squared_error"):  # fmt: skip
        if not isinstance(schedule, str) or schedule not in ("auto", "paper", "fast"):
            raise ValueError(f"schedule must be 'auto', 'fast' or 'paper', got {schedule!r}.")
        if algorithm == "auto":
            # Algorithm 2 with the automatic switch for both schedules: with the
            # fast schedule, Algorithm 1 also diverges late (after the useful
            # window) in noisy settings (bench/fast_schedule.py).  The logistic
            # losses take Algorithm 1: on (nearly) separable classes the
            # magnitudes grow without bound, and the constant direction step,
            # scaled by u^2, overshoots
            # (docs/method.rst, 'Losses beyond least squares')
            algorithm = "alg1" if loss == "log_loss" else "alg2"
        if not isinstance(algorithm, str) or algorithm not in ALGORITHM_CODES:
            raise ValueError(
                f"algorithm must be 'auto' or one of {sorted(ALGORITHM_CODES)}, got {algorithm!r}."
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
        self.code = ALGORITHM_CODES[algorithm]
        self.sequential = update == "sequential"
        self.end_rule = make_end_rule(n_iter_no_change, tol, early_end)
        if max_iter is None:
            max_iter = default_max_iter(schedule, self.end_rule)
        self.alpha, self.max_iter, self.record_every = check_common(alpha, max_iter, record_every)
        self.gamma = check_step(step_u, "step_u")
        self.eta = check_step(step_v, "step_v")
        self.tau = check_scalar(tau, "tau", low=0.0)
        if kappa is None:
            kappa = DEFAULT_KAPPA if schedule == "paper" else FAST_KAPPA
            if schedule == "fast" and losses.loss_code(loss) == losses.POISSON:
                kappa = POISSON_FAST_KAPPA
        self.kappa = check_scalar(kappa, "kappa", low=0.0)
        self.skip_fraction = check_scalar(skip_fraction, "skip_fraction", low=0.0)
        self.step_cap = check_scalar(step_cap, "step_cap", low=0.0) if schedule == "fast" else 0.0
        self.switch_at = -1
        if isinstance(switch, str):
            if switch not in SWITCH_RULES:
                raise ValueError(
                    f"switch must be 'auto', 'paper' or an iteration number, got {switch!r}."
                )
            self.switch_rule = SWITCH_RULES[switch]
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
        norms = group_norms64(g0, grp)
        gamma, eta = self.steps(float(norms.max()))
        u, v, t0 = self.start(g0, norms, grp, gamma, dtype, u0, v0)
        return gamma, eta, u, v, t0

    def start(self, g0, norms, grp: Groups, gamma: float, dtype, u0=None, v0=None):
        """(u, v, t0): the starting point, and the iterations it skips.

        The fast schedule skips the linear start analytically (docs/method.rst,
        'The fast schedule'): while w ~ 0 the residual is y, every direction is
        ``X_l^T y / ||X_l^T y||`` and ``u_l = alpha exp(2 gamma a_l t)``; it
        starts at the first integer t0 where the leading group's ``u^2``
        reaches ``skip_fraction * a_max``.  Not for warm starts, nor for a
        step with ``gamma * a_max > MAX_SKIP_GROWTH``.
        """
        if self.schedule != "fast" or u0 is not None or v0 is not None:
            u, v = initial_uv(u0, v0, self.alpha, grp, g0, norms, self.algorithm, dtype)
            return u, v, 0
        a_max = float(norms.max())
        u, v = initial_uv(None, None, self.alpha, grp, g0, norms, self.algorithm, dtype)
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


class DGLNNRun:
    """Record buffers and scalar state of one DGLNN run, and its result.

    Shared by :func:`dglnn_path` (one compiled :func:`fastgs.solvers.dglnn_solve`)
    and the distributed driver in :mod:`fastgs.dask` (the same compiled steps
    around sweeps on a cluster).
    """

    def __init__(self, opts: DGLNNOptions, p: int, L: int, dtype, u, v, stop=None, x_scale=None,
                 intercepts=(0.0,)):  # fmt: skip
        self.stop = stop_rule(stop, opts.max_iter)
        self.x_scale = x_scale
        # a multinomial run's weights are (K p,): each class's weights take the column scales
        self.inv_scale = self.inverse_scale(x_scale, dtype, n_classes=len(intercepts))
        k = record_slots(opts.max_iter, opts.record_every)
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
            np.zeros((k, len(intercepts))),  # the intercepts of the linear predictor
            np.tile(np.asarray(intercepts, dtype=np.float64), (3, 1)),  # now, previous, best
        )
        self.istate, self.fstate = solvers.new_run_state(opts.code, opts.switch_rule, opts.switch_at)

    @staticmethod
    def inverse_scale(x_scale, dtype, n_classes: int = 1) -> np.ndarray:
        """The solvers' column scaling argument: ``1 / x_scale`` in dtype, (p,)
        or repeated for the ``n_classes`` classes of a multinomial run, or (0,)
        for an unstandardized fit (``x_scale`` None)."""
        if x_scale is None:
            return np.empty(0, dtype=dtype)
        return np.tile(1.0 / x_scale, n_classes).astype(dtype)

    def result(self, opts, grp: Groups, t0: int, gamma, eta, v, has_val: bool, intercepts,
               func: str) -> DGLNNPath:  # fmt: skip
        """The DGLNNPath of the finished run; warns if it stopped early.

        intercepts : callable, ((k, p) coefficients, (k,) intercepts of the
            linear predictor as the solver holds them) -> (k,) intercepts
        """
        rec_iter, rec_w, rec_u, rec_train, rec_val, best_u, best_v, train_curve, val_curve, rec_b, b = (
            self.records)  # fmt: skip
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
        status = status_of(code, status_iter + t0 if code != STATUS_OK else -1, last_pass + t0, gamma)
        warn_if_diverged(status, func)
        stop_reason = stop_reason_name(ist[solvers.I_STOP], status.ok)
        if has_val:
            warn_if_capped(stop_reason, opts.end_rule, opts.max_iter,
                            best_iter + t0 if best_iter >= 0 else None, func, stacklevel=4)  # fmt: skip
        best_coef = best_intercept = None
        if has_val and best_iter >= 0:
            best_coef = (best_u[grp.feature_group] ** 2 * best_v).astype(dtype)
            if self.x_scale is not None:
                best_coef *= self.inv_scale
            best_intercept = intercepts(best_coef[None, :], b[solvers.B_BEST][None, :])[0]
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
            intercepts=intercepts(coefs, rec_b[:n_rec]),
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
            x_scale=self.x_scale,
            stop_reason=stop_reason,
        )


def stop_rule(stop, max_iter: int):
    """(min_iter, stop_rate) of the solvers' stop on a slowing training loss; off
    (run max_iter passes) for ``stop=None``.

    ``stop`` is the private ``_stop`` argument of the path functions, used by
    the estimators' refit: ``(min_iter, rate)`` ends the run at the first pass
    ``t >= min_iter`` whose training loss fell by at most ``rate * loss``.
    """
    return (max_iter + 1, -np.inf) if stop is None else (int(stop[0]), float(stop[1]))


def initial_uv(u0, v0, alpha, grp: Groups, g0, norms, algorithm, dtype):
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
        # balanced start (docs/method.rst, 'Plain gradient descent'): v_l ∝ X_l^T y / n, ||v_l||^2 = u_l^2 / 2
        per_group = np.where(norms > 0, (u / np.sqrt(2)) / np.where(norms > 0, norms, 1), 0)
        v = (g0 * per_group[grp.feature_group]).astype(dtype)
        return u, v
    v = (1.0 / np.sqrt(sizes))[grp.feature_group].astype(dtype)
    return u, v

"""The path API: :func:`dglnn_path` and :func:`dlnn_path`.

Validates inputs once, makes them canonical (see :mod:`fastgs._validation`),
chooses step sizes, allocates the record buffers and calls one compiled
solver (:mod:`fastgs.solvers`) for the whole run.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import solvers
from .solvers import multinomial_scratch
from ._validation import (
    Design,
    check_design,
    check_sample_weight,
    check_target_for_loss,
    one_hot_labels,
    check_scalar,
    check_target,
    empty_design_like,
    match_design,
)
from .groups import Groups, make_groups
from .losses import MULTINOMIAL, SQUARED_ERROR, loss_code
# the run's constants stay reachable from here, where they used to live
from .run import DEFAULT_ETA_FACTOR as DEFAULT_ETA_FACTOR
from .run import DEFAULT_N_ITER_NO_CHANGE as DEFAULT_N_ITER_NO_CHANGE
from .run import FAST_KAPPA as FAST_KAPPA
from .run import FAST_MAX_ITER as FAST_MAX_ITER
from .run import FAST_MAX_ITER_CAP as FAST_MAX_ITER_CAP
from .run import MAX_SKIP_GROWTH as MAX_SKIP_GROWTH
from .run import PAPER_MAX_ITER_CAP as PAPER_MAX_ITER_CAP
from .run import PATIENCE_FRACTION as PATIENCE_FRACTION
from .run import PATIENCE_MIN as PATIENCE_MIN
from .run import (
    check_bool,
    check_common,
    check_scale,
    check_step,
    column_scales,
    glm_setup,
    DEFAULT_KAPPA,
    DEFAULT_MAX_ITER,
    DEFAULT_TAU,
    DEFAULT_TOL,
    DGLNNOptions,
    DGLNNRun,
    FAST_SKIP_FRACTION,
    FAST_STEP_CAP,
    make_end_rule,
    record_slots,
    STANDARD_COLUMN_RMS,
    status_of,
    stop_reason_name,
    stop_rule,
    warn_if_capped,
    warn_if_diverged,
)
from ._threads import compiled_threads, resolve_n_jobs
from .kernels import STATUS_OK
from .results import (
    DGLNNCVPath,
    DGLNNPath,
    DLNNPath,
    ScaleWarning,
)

__all__ = ["dglnn_path", "dlnn_path", "dglnn_cv_path", "DEFAULT_MAX_ITER"]



def _class_groups(grp: Groups, n_classes: int) -> Groups:
    """The groups of the (K p,) class-major weights of the multinomial loss:
    group l holds its features' weights for every class, under one magnitude
    (docs/method.rst, 'Losses beyond least squares'); ``grp`` itself for K = 1."""
    if n_classes == 1:
        return grp
    p = grp.n_features
    return make_groups([np.concatenate([k * p + grp.indices(l) for k in range(n_classes)])
                        for l in range(grp.n_groups)], n_classes * p)  # fmt: skip


def _one_or_many(intercept):
    """A float for one linear predictor, the (K,) array of a multinomial model."""
    return float(intercept) if np.ndim(intercept) == 0 else intercept


class _Problem:
    """Canonical training (and validation) data shared by the path functions:
    the design, the targets, the rows' weights, centering and scaling, and
    the loss with its sums (``glm``, see :func:`fastgs.solvers.loss_and_gradient`)."""

    def __init__(self, X, y, X_val, y_val, fit_intercept, standardize=False, loss="squared_error",
                 sample_weight=None, sample_weight_val=None, n_jobs=None):  # fmt: skip
        if not isinstance(fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept must be True or False, got {fit_intercept!r}.")
        check_bool(standardize, "standardize")
        self.loss_code = loss_code(loss)
        design = check_design(X, "X")
        if design.kind == "csc":
            # one model's fused row sweep over CSR beats the two column sweeps
            # of CSC, and runs on threads: worth one copy of the nonzeros,
            # converted once (docs/performance.rst, 'Design measurements')
            design = design.as_sparse_kind("csr")
        self.design: Design = design
        self.work = self.design.workspace(resolve_n_jobs(n_jobs))
        n, p = self.design.shape
        dtype = self.design.dtype
        sw = check_sample_weight(sample_weight, n, dtype)
        self.n_classes = 1
        if loss == "log_loss" and np.ndim(y) == 2:
            # the grouped multinomial: one-hot targets, one row of weights per class
            y, frequencies = one_hot_labels(y, n, sw, "y")
            y = y.astype(dtype)
            self.n_classes = frequencies.shape[0]
            self.loss_code = MULTINOMIAL
            mean_y = 1.0
        else:
            y = check_target(y, n, dtype, "y")
            mean_y = check_target_for_loss(y, loss, sw)
        self.center = bool(fit_intercept)
        squared = self.loss_code == SQUARED_ERROR
        if self.center:
            self.x_offset = self.design.column_means(sw)
            # least squares is fit to centered y with a fixed intercept; the
            # other losses fit their intercept along (docs/method.rst,
            # 'Losses beyond least squares')
            self.y_offset = mean_y if squared else 0.0
            if squared:
                y = (y - dtype.type(self.y_offset)).astype(dtype)
        else:
            self.x_offset = np.zeros(p, dtype=dtype)
            self.y_offset = 0.0
        self.y = y
        self.standardize = bool(standardize)
        if self.standardize:
            self.x_scale = column_scales(self.design.column_mean_squares(sw), self.x_offset, self.center)
            self.inv_scale = np.tile(1.0 / self.x_scale, self.n_classes).astype(dtype)
        else:
            self.x_scale = None
            self.inv_scale = np.empty(0, dtype=dtype)
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together (or neither).")
        if sample_weight_val is not None and X_val is None:
            raise ValueError("sample_weight_val needs X_val and y_val.")
        sw_val = None
        if X_val is not None:
            val = match_design(X_val, self.design, "X_val")
            sw_val = check_sample_weight(sample_weight_val, val.shape[0], dtype, "sample_weight_val")
            if self.n_classes > 1:
                if np.ndim(y_val) != 2 or np.shape(y_val)[1] != self.n_classes:
                    raise ValueError(f"y_val must be one-hot with {self.n_classes} columns, as y.")
                yv = one_hot_labels(y_val, val.shape[0], None, "y_val", training=False)[0].astype(dtype)
            else:
                yv = check_target(y_val, val.shape[0], dtype, "y_val")
                check_target_for_loss(yv, loss, sw_val, "y_val", training=False)
            if self.center and squared:
                yv = (yv - dtype.type(self.y_offset)).astype(dtype)
            self.val_arrays = val.arrays
            self.y_val = yv
            self.has_val = True
        else:
            self.val_arrays = empty_design_like(self.design)
            self.y_val = np.empty(0, dtype=dtype)
            self.has_val = False
        weight_sum = float(n if sw is None else sw.sum(dtype=np.float64))
        target_sum = mean_y * weight_sum
        m = self.y_val.shape[0]
        val_weight_sum = float(m if sw_val is None else sw_val.sum(dtype=np.float64))
        sums, b0 = glm_setup(self.loss_code, self.center, weight_sum, target_sum, val_weight_sum)
        self.intercept0 = np.array([b0])
        classes = None
        if self.n_classes > 1:
            # the model with only intercepts (or none)
            self.intercept0 = np.log(frequencies) if self.center else np.zeros(self.n_classes)
            work_G, work_s = self.design.fold_workspace(self.n_classes, resolve_n_jobs(n_jobs))
            classes = multinomial_scratch(n, m, self.n_classes, p, dtype, work_G, work_s)
        empty = np.empty(0, dtype=dtype)
        self.glm = (np.int64(self.loss_code), empty if sw is None else sw,
                    empty if sw_val is None else sw_val, sums, classes)  # fmt: skip

    @property
    def dtype(self):
        return self.design.dtype

    def correlation(self) -> np.ndarray:
        """``D^-1 X_c^T r_0 / (n c)`` (p,) at w = 0, one compiled pass over X
        (``D``: the column scales when standardizing, else the identity;
        ``r_0`` the residual of the model with only the intercept, ``c`` the
        loss's curvature, see :func:`fastgs.solvers.loss_and_gradient`).

        Raises the rescaling error when the loss or the correlation at w = 0
        already overflows (nothing could be fit).
        """
        n, p = self.design.shape
        K = self.n_classes
        g = np.empty(K * p, dtype=self.dtype)
        r = np.empty(n, dtype=self.dtype)
        loss = solvers.loss_and_gradient(
            self.design.arrays, self.y, np.zeros(K * p, dtype=self.dtype), r, g, self.work,
            self.x_offset, self.center, self.inv_scale, self.glm, self.intercept0, np.empty(K),
        )  # fmt: skip
        check_scale(g, loss)
        return g

    def intercepts(self, coefs: np.ndarray, linear_intercepts: np.ndarray) -> np.ndarray:
        """The intercepts of the recorded models on the original columns:
        the solver's intercepts of the linear predictor (k, K), plus the
        centering; (k,) for one linear predictor, else (k, K)."""
        K = self.n_classes
        b = self.y_offset + np.asarray(linear_intercepts, dtype=np.float64).reshape(coefs.shape[0], K)
        if self.center:
            per_class = coefs.astype(np.float64).reshape(coefs.shape[0], K, -1)
            b = b - per_class @ self.x_offset.astype(np.float64)
        return (b[:, 0] if K == 1 else b).astype(self.dtype)

    def class_groups(self, grp: Groups) -> Groups:
        """The groups of the run's weights (see :func:`_class_groups`)."""
        return _class_groups(grp, self.n_classes)

    def as_classes(self, path, grp: Groups | None = None):
        """A multinomial run's path with the weights as (p, K) coefficients and
        the user's groups, if any (a no-op for one linear predictor)."""
        K = self.n_classes
        if K == 1:
            return path
        p = path.coefs.shape[-1] // K

        def per_class(w):
            return None if w is None else np.moveaxis(np.asarray(w).reshape(*w.shape[:-1], K, p), -2, -1)

        path.coefs = per_class(path.coefs)
        path.best_coef = per_class(path.best_coef)
        if grp is not None:
            path.groups = grp
        return path


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
    standardize=False,
    u0=None,
    v0=None,
    n_jobs=None,
    schedule="auto",
    kappa=None,
    skip_fraction=FAST_SKIP_FRACTION,
    step_cap=FAST_STEP_CAP,
    n_iter_no_change=None,
    tol=DEFAULT_TOL,
    loss="squared_error",
    sample_weight=None,
    sample_weight_val=None,
    _stop=None,
) -> DGLNNPath:
    """Gradient descent on the diagonally grouped linear network ``w_l = u_l^2 v_l``.

    Runs Algorithm 1, Algorithm 2 or plain gradient descent (docs/method.rst)
    from a tiny magnitude, records the path, and with a validation set keeps
    the iterate with the lowest validation loss.  The whole loop runs in one
    compiled call.  A diverging run stops, warns with
    :class:`fastgs.DivergenceWarning` and returns the last good iterate.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training data: a dense array (C or F order) or any ``scipy.sparse``
        matrix or array (never densified).  float32 input gives float32
        arithmetic and results; other numeric types are converted to float64.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Targets; one-hot rows for the multinomial loss (see ``loss``).
    groups : None, int, array-like or sequence of sequences, default=None
        The groups, in any form :func:`fastgs.make_groups` accepts; None means
        one group per feature.
    algorithm : {"auto", "alg1", "alg2", "gd"}, default="auto"
        "alg1": weight normalization with the direction step ``1/u^4``
        (docs/method.rst, 'Algorithm 1: weight normalization'); "alg2": the
        same until the switch, then the constant direction step ``step_v``
        (docs/method.rst, 'Algorithm 2: constant direction step'); "gd": plain
        gradient descent from a balanced start (docs/method.rst, 'Plain
        gradient descent').  "auto" is "alg2", and "alg1" for
        ``loss="log_loss"``.
    update : {"simultaneous", "sequential"}, default="simultaneous"
        "simultaneous" takes the magnitude step with the correlation of the
        direction step (one pass over X per iteration); "sequential"
        recomputes it after the direction step, as in the paper's box (two
        passes).
    alpha : float > 0, default=1e-6
        Initial magnitude ``u_l(0)`` of every group.
    step_u : "auto" or float > 0, default="auto"
        Magnitude step size gamma; "auto" is ``kappa / a_max`` with
        ``a_max = max_l ||X_l^T y / n||`` (docs/method.rst, 'Automatic step
        sizes').
    step_v : "auto" or float > 0, default="auto"
        Algorithm 2's constant direction step eta; "auto" is
        ``0.5 / a_max^2``.  For "gd", the direction step (default: ``step_u``).
    switch : "auto", "paper" or int >= 0, default="auto"
        Algorithm 2's switch rule (docs/method.rst, 'The switch rule'):
        "paper" fires when ``max_l |du_l| / u_l < tau`` over all groups;
        "auto" applies the same test to the groups that carry the model and
        also switches at the first rise of the training loss; an int switches
        at that iteration.
    tau : float > 0, default=5e-3
        Tolerance of the switch rules.
    max_iter : int >= 1 or None, default=None
        Passes over X after the start; None means 400 for the fast schedule
        and 2000 for the paper's, and with validation data (where the early
        end decides, see ``n_iter_no_change``) the caps 3000 and 10000.
    record_every : int >= 1, default=1
        Record every k-th iterate (and the last); memory is k x p.  The best
        iterate and the loss curves are tracked at every iteration anyway.
    X_val : {ndarray, sparse matrix} of shape (n_val, n_features) or None, default=None
        Validation data; its loss is evaluated at every iteration inside the
        compiled loop.
    y_val : array-like of shape (n_val,) or None, default=None
        Validation targets (with ``X_val``).
    fit_intercept : bool, default=False
        Fit an intercept by implicit centering (sparse X stays sparse).
    standardize : bool, default=False
        Fit in standardized coordinates: each column scaled to unit
        root-mean-square (after centering with ``fit_intercept``), the scales
        folded into the weights inside the compiled loop (X is never rescaled
        or copied).  ``coefs`` are reported on the original scale, so a change
        of a column's units changes only its coefficient; ``u``, ``v``,
        ``u0`` and ``v0`` are in the standardized coordinates and the result's
        ``x_scale`` holds the scales.  The estimators standardize by default.
        Without it, X far from standardized draws a :class:`fastgs.ScaleWarning`.
    u0 : array-like of shape (n_groups,) or None, default=None
        Warm start for the magnitudes (positive).
    v0 : array-like of shape (n_features,) or None, default=None
        Warm start for the directions; each group is normalized (for "gd" it
        is used as is).
    n_jobs : int or None, default=None
        Numba threads for the sweeps over X: None means 1, -1 all.  Results
        are bit-identical for every value.
    schedule : {"auto", "fast", "paper"}, default="auto"
        "fast" (docs/method.rst, 'The fast schedule'): the same estimate as
        "paper" in several times fewer passes over X, through a larger
        automatic step, an analytic skip of the linear start and a capped
        magnitude step in log space.  "paper": Algorithms 1 and 2 as
        published.  "auto": "fast", except "paper" for ``algorithm="gd"``.
        With "fast", ``iterations``, ``best_iter`` and ``switch_iter`` include
        the skipped iterations ``t0``, while ``max_iter`` and ``n_passes``
        count passes over X.
    kappa : float > 0 or None, default=None
        The automatic step is ``kappa / a_max``; None means 0.2 for the fast
        schedule (0.05 with ``loss="poisson"``) and 0.05 for the paper's.
    skip_fraction : float > 0, default=1e-2
        The fast schedule starts where the leading group's ``u^2`` reaches
        ``skip_fraction * a_max``.
    step_cap : float > 0, default=0.25
        The fast schedule's per-group cap on the magnitude step,
        ``gamma_l = min(gamma, step_cap / u_l^2)``.
    n_iter_no_change : int >= 0 or None, default=None
        The early end, with validation data: the run ends once the validation
        loss has stayed more than ``tol`` (relative) above its minimum so far
        for ``n_iter_no_change`` consecutive passes, at least 75 passes (or
        as many as it took to reach the minimum, if more) after the
        minimum (docs/method.rst, 'Early stopping'); None means 30.
        ``max_iter`` is then a cap, and reaching it draws a
        :class:`fastgs.ConvergenceWarning`.  0 switches the early end off (run
        ``max_iter`` passes).  The result's ``stop_reason`` says why the run
        ended.
    tol : float in [0, 1], default=2e-2
        How far (relative) above its minimum the validation loss must be for
        a pass to count toward the early end.
    loss : {"squared_error", "log_loss", "poisson"}, default="squared_error"
        The loss, a mean half deviance (docs/method.rst, 'Losses beyond least
        squares'): least squares; the logistic loss of a binary outcome
        (``y`` holds 0/1 labels or probabilities), or with a one-hot ``y`` of
        shape (n_samples, n_classes) the grouped multinomial (coefficients
        (p, n_classes), a group in or out for every class); the Poisson loss
        of counts or rates (``y >= 0``, log link).  The fitted model's linear
        predictor is ``X @ coef + intercept``; the validation loss is the
        same loss.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Weights of the training rows: the loss is the weighted mean, so
        integer weights give the fit on repeated rows.  Non-negative, finite,
        with a positive sum; None means all ones.  Centering and
        standardization use the weighted means.
    sample_weight_val : array-like of shape (n_val,) or None, default=None
        Weights of the validation rows (with ``X_val``).

    Returns
    -------
    DGLNNPath
        The recorded iterates (``iterations``, ``coefs``, ``u``), the losses,
        the best iterate on the validation set (``best_iter``, ``best_coef``,
        ``best_u``), the switch iteration, the steps used and the ``status``.

    Raises
    ------
    ValueError
        For invalid data, groups or options, naming the argument, before any
        work.

    See Also
    --------
    dglnn_cv_path : the stopping iteration by K-fold cross-validation.
    fastgs.DGLNNRegressor : the scikit-learn estimator around this function.

    Examples
    --------
    >>> import numpy as np
    >>> import fastgs
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, groups = make_group_sparse_regression(
    ...     100, 60, group_size=3, n_informative_groups=2, coef=2.0, random_state=0)
    >>> path = fastgs.dglnn_path(X[:80], y[:80], groups, X_val=X[80:], y_val=y[80:])
    >>> path.status.name, path.coefs.shape[1]
    ('max_iter', 60)
    >>> norms = np.linalg.norm(path.best_coef.reshape(20, 3), axis=1)
    >>> np.flatnonzero(norms > 0.1 * norms.max())  # the two groups on the support
    array([0, 1])
    """
    opts = DGLNNOptions(algorithm, update, alpha, step_u, step_v, switch, tau, max_iter,
                         record_every, schedule, kappa, skip_fraction, step_cap, n_iter_no_change,
                         tol, early_end=X_val is not None, loss=loss)  # fmt: skip
    resolve_n_jobs(n_jobs)
    prob = _Problem(X, y, X_val, y_val, fit_intercept, standardize, loss, sample_weight,
                    sample_weight_val, n_jobs)  # fmt: skip
    p = prob.design.shape[1]
    user_groups: Groups = make_groups(groups, p)
    grp = prob.class_groups(user_groups)
    if prob.n_classes > 1 and (u0 is not None or v0 is not None):
        raise ValueError("u0 and v0 are not supported with a multinomial target.")
    L = grp.n_groups
    dtype = prob.dtype

    with compiled_threads(n_jobs):
        g0 = prob.correlation()
    if not prob.standardize:
        _warn_if_badly_scaled(prob.design, prob.x_offset, "dglnn_path")
    gamma, eta, u, v, t0 = opts.begin(g0, grp, dtype, u0, v0)

    run = DGLNNRun(opts, grp.n_features, L, dtype, u, v, _stop, prob.x_scale,
                   intercepts=prob.intercept0)  # fmt: skip
    with compiled_threads(n_jobs):
        solvers.dglnn_solve(
            prob.design.arrays, prob.y, prob.work, prob.val_arrays, prob.y_val,
            grp.group_ptr, grp.kernel_index(), u, v, prob.x_offset, prob.center, run.inv_scale,
            prob.glm, opts.code, opts.sequential, dtype.type(gamma), dtype.type(eta), opts.step_cap,
            opts.switch_rule, opts.tau, opts.switch_at, opts.max_iter, opts.record_every,
            *run.stop, opts.end_rule, run.records, run.istate, run.fstate,
        )  # fmt: skip
    path = run.result(opts, grp, t0, gamma, eta, v, prob.has_val, prob.intercepts, "dglnn_path")
    return prob.as_classes(path, user_groups)








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
    standardize=False,
    n_jobs=None,
    n_iter_no_change=None,
    tol=DEFAULT_TOL,
    loss="squared_error",
    sample_weight=None,
    sample_weight_val=None,
    _stop=None,
) -> DLNNPath:
    """Gradient descent on the diagonal linear network ``w = a^N - b^N``.

    The ungrouped baseline of Vaskevicius et al. (2019) for ``depth=2`` and
    its depth-N variant (Li et al., 2021), from ``a(0) = b(0) = alpha``
    (docs/method.rst, 'The DLNN baseline').  It ignores groups.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training data, as in :func:`dglnn_path`.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Targets; one-hot rows for the multinomial loss (see ``loss``).
    depth : int >= 2, default=2
        The depth N.  For N > 2 growth from a tiny ``alpha`` is very slow; use
        a larger ``alpha`` (e.g. 1e-2).
    alpha : float > 0, default=1e-6
        Initial value of every entry of ``a`` and ``b``.
    step : "auto" or float > 0, default="auto"
        Step size; "auto" is ``0.05 / a_max`` for depth 2 with
        ``a_max = ||X^T y / n||_inf``, and
        ``0.05 / (N^2/4 * a_max^((2N-2)/N))`` for depth N (the same effective
        step on w near the solution).
    max_iter : int >= 1, default=2000
        Iterations (passes over X); with validation data, the cap of the
        early end.
    record_every : int >= 1, default=1
        Record every k-th iterate (and the last).
    X_val : {ndarray, sparse matrix} of shape (n_val, n_features) or None, default=None
        Validation data, evaluated at every iteration.
    y_val : array-like of shape (n_val,) or None, default=None
        Validation targets.
    fit_intercept : bool, default=False
        Fit an intercept by implicit centering.
    standardize : bool, default=False
        Fit in standardized coordinates, as in :func:`dglnn_path`.
    n_jobs : int or None, default=None
        Numba threads for the sweeps over X (None: 1, -1: all);
        bit-identical results for every value.
    n_iter_no_change : int >= 0 or None, default=None
        The early end with validation data, as in :func:`dglnn_path`.
    tol : float in [0, 1], default=2e-2
        The early end's margin above the minimum, as in :func:`dglnn_path`.

    loss : {"squared_error", "log_loss", "poisson"}, default="squared_error"
        The loss, a mean half deviance (docs/method.rst, 'Losses beyond least
        squares'): least squares; the logistic loss of a binary outcome
        (``y`` holds 0/1 labels or probabilities), or with a one-hot ``y`` of
        shape (n_samples, n_classes) the grouped multinomial (coefficients
        (p, n_classes), a group in or out for every class); the Poisson loss
        of counts or rates (``y >= 0``, log link).  The fitted model's linear
        predictor is ``X @ coef + intercept``; the validation loss is the
        same loss.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Weights of the training rows: the loss is the weighted mean, so
        integer weights give the fit on repeated rows.  Non-negative, finite,
        with a positive sum; None means all ones.  Centering and
        standardization use the weighted means.
    sample_weight_val : array-like of shape (n_val,) or None, default=None
        Weights of the validation rows (with ``X_val``).

    Returns
    -------
    DLNNPath
        The recorded iterates, losses, the best iterate on the validation set
        and the ``status``.

    See Also
    --------
    fastgs.DLNNRegressor : the scikit-learn estimator around this function.

    Examples
    --------
    >>> import fastgs
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, _ = make_group_sparse_regression(100, 60, group_size=3, random_state=0)
    >>> path = fastgs.dlnn_path(X[:80], y[:80], X_val=X[80:], y_val=y[80:], max_iter=500)
    >>> path.status.name, path.best_coef.shape
    ('max_iter', (60,))
    >>> bool(path.val_curve[path.best_iter] <= path.val_curve[-1])
    True
    """
    depth = check_scalar(depth, "depth", low=2, low_inclusive=True, integer=True)
    end_rule = make_end_rule(n_iter_no_change, tol, early_end=X_val is not None)
    resolve_n_jobs(n_jobs)
    alpha, max_iter, record_every = check_common(alpha, max_iter, record_every)
    gamma = check_step(step, "step")
    prob = _Problem(X, y, X_val, y_val, fit_intercept, standardize, loss, sample_weight,
                    sample_weight_val, n_jobs)  # fmt: skip
    n, p_features = prob.design.shape
    p = p_features * prob.n_classes  # the weights: one per feature and class
    dtype = prob.dtype
    if gamma is None:
        with compiled_threads(n_jobs):
            g0 = prob.correlation()
        a_max = float(np.max(np.abs(g0)))
        a_max = a_max if a_max > 0 else 1.0
        gamma = DEFAULT_KAPPA / ((depth**2 / 4.0) * a_max ** ((2.0 * depth - 2.0) / depth))
    if not prob.standardize:
        _warn_if_badly_scaled(prob.design, prob.x_offset, "dlnn_path")
    a = np.full(p, alpha, dtype=dtype)
    b = np.full(p, alpha, dtype=dtype)
    k = record_slots(max_iter, record_every)
    rec_iter = np.empty(k, dtype=np.int64)
    rec_w = np.empty((k, p), dtype=dtype)
    rec_train = np.empty(k, dtype=dtype)
    rec_val = np.empty(k, dtype=dtype)
    best_w = np.zeros(p, dtype=dtype)
    train_curve = np.full(max_iter + 1, np.nan, dtype=dtype)
    val_curve = np.full(max_iter + 1, np.nan, dtype=dtype)
    intercept_state = np.tile(prob.intercept0.astype(np.float64), (2, 1))
    rec_b = np.zeros((k, prob.n_classes))
    with compiled_threads(n_jobs):
        n_rec, code, status_iter, best_iter, _, stop = solvers.dlnn_solve(
            prob.design.arrays, prob.y, prob.work, prob.val_arrays, prob.y_val, a, b, depth,
            dtype.type(gamma), prob.x_offset, prob.center, prob.inv_scale, prob.glm, max_iter,
            record_every, *stop_rule(_stop, max_iter), end_rule, rec_iter, rec_w, rec_train, rec_val,
            best_w, train_curve, val_curve, intercept_state, rec_b,
        )  # fmt: skip
    coefs = rec_w[:n_rec]
    last_iter = int(rec_iter[n_rec - 1]) if n_rec else 0
    status = status_of(code, status_iter, last_iter, gamma)
    warn_if_diverged(status, "dlnn_path")
    has_best = prob.has_val and best_iter >= 0
    stop_reason = stop_reason_name(stop, status.ok)
    if has_best:
        warn_if_capped(stop_reason, end_rule, max_iter, int(best_iter), "dlnn_path")
    evaluated = (status_iter + 1) if code != STATUS_OK else last_iter + 1
    path = DLNNPath(
        iterations=rec_iter[:n_rec].copy(),
        coefs=coefs.copy() if n_rec < k // 2 else coefs,
        train_loss=rec_train[:n_rec].copy(),
        val_loss=rec_val[:n_rec].copy() if prob.has_val else None,
        best_iter=int(best_iter) if has_best else None,
        best_coef=best_w if has_best else None,
        best_intercept=_one_or_many(prob.intercepts(best_w[None, :], intercept_state[1:])[0])
        if has_best else None,
        intercepts=prob.intercepts(coefs, rec_b[:n_rec]),
        status=status,
        n_passes=int(evaluated + (0 if step != "auto" else 1)),
        train_curve=train_curve[: status.last_good + 1],
        val_curve=val_curve[: status.last_good + 1] if prob.has_val else None,
        depth=depth,
        step=float(gamma),
        x_scale=prob.x_scale,
        stop_reason=stop_reason,
    )
    return prob.as_classes(path)


def _fold_labels(folds, n: int, random_state) -> tuple[np.ndarray, int]:
    """Fold label of each row, int64 (n,), and the number of folds."""
    if isinstance(folds, (int, np.integer)) and not isinstance(folds, (bool, np.bool_)):
        K = int(folds)
        if K < 2:
            raise ValueError(f"cv must be at least 2 folds, got {K}.")
        if K > n:
            raise ValueError(f"cv={K} folds need at least {K} samples; got n_samples={n}.")
        # None draws the same folds in every run (the estimators' convention)
        rng = np.random.default_rng(0 if random_state is None else random_state)
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
    (n, M) residual rows are accessed at random (the measurements behind
    the threshold: docs/performance.rst, 'Design measurements').
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
    standardize=False,
    n_iter_no_change=None,
    tol=DEFAULT_TOL,
    loss="squared_error",
    sample_weight=None,
):
    """K-fold cross-validation curves of DGLNN, all folds in one sweep over X per iteration.

    Each fold's model is trained on the other folds' rows exactly as
    :func:`dglnn_path` would train it (its own automatic steps and centering)
    and validated on its own rows at every iteration.  All models advance
    together: one pass over the rows of X per iteration serves every fold,
    and with ``refit=True`` also a model trained on all rows, whose iterate
    at the minimum of the mean validation curve is kept (the refit, without
    a second run).  Sparse X is swept as CSR or CSC chosen by shape,
    converted once when it comes in the other storage.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Training data, as in :func:`dglnn_path`.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Targets; one-hot rows for the multinomial loss (see ``loss``).
    groups : None, int, array-like or sequence of sequences, default=None
        The groups, as in :func:`dglnn_path`.
    cv : int >= 2 or array-like of int of shape (n_samples,), default=5
        The number of folds (rows assigned to folds at random with
        ``random_state``), or the fold label of each row.
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the assignment of rows to folds when ``cv`` is an int; None
        gives the same folds in every run (seed 0).
    algorithm : {"auto", "alg1", "alg2", "gd"}, default="auto"
        As in :func:`dglnn_path`.
    update : {"simultaneous", "sequential"}, default="simultaneous"
        As in :func:`dglnn_path`.
    alpha : float > 0, default=1e-6
        Initial magnitude of every group.
    step_u : "auto" or float > 0, default="auto"
        Magnitude step; "auto" is computed per fold, as in :func:`dglnn_path`.
    step_v : "auto" or float > 0, default="auto"
        Algorithm 2's direction step; "auto" per fold.
    switch : "auto", "paper" or int >= 0, default="auto"
        Algorithm 2's switch rule, per fold.
    tau : float > 0, default=5e-3
        Tolerance of the switch rules.
    max_iter : int >= 1 or None, default=None
        The cap on the passes over X after the start (the early end decides
        before it, see ``n_iter_no_change``); None means 3000 for the fast
        schedule and 10000 for the paper's.
    fit_intercept : bool, default=False
        Fit an intercept by implicit centering, per fold.
    n_jobs : int or None, default=None
        Numba threads for the sweeps over X and the models' updates (None: 1,
        -1: all); bit-identical results for every value.
    schedule : {"auto", "fast", "paper"}, default="auto"
        As in :func:`dglnn_path`.  With the fast schedule each fold skips its
        own linear start ``t0s[k]``; the curves are aligned by passes over X
        after the skip, and ``best_iter`` counts passes after the skip.
    kappa : float > 0 or None, default=None
        As in :func:`dglnn_path`.
    skip_fraction : float > 0, default=1e-2
        As in :func:`dglnn_path`.
    step_cap : float > 0, default=0.25
        As in :func:`dglnn_path`.
    refit : bool, default=True
        Also advance a model trained on all rows and keep its iterate at the
        CV-chosen iteration (``best_coef``, ``best_u``, ``best_intercept``).
    standardize : bool, default=False
        As in :func:`dglnn_path`: each fold's model standardizes the columns
        by its own training rows' scales (as a separate fit on those rows
        would), the model on all rows by all rows'; X is never rescaled.
    n_iter_no_change : int >= 0 or None, default=None
        The early end on the mean validation curve ``cv_curve``, as in
        :func:`dglnn_path` (None means 30; 0: no early end).
    tol : float in [0, 1], default=2e-2
        The early end's margin above the minimum, as in :func:`dglnn_path`.

    loss : {"squared_error", "log_loss", "poisson"}, default="squared_error"
        The loss, a mean half deviance (docs/method.rst, 'Losses beyond least
        squares'): least squares; the logistic loss of a binary outcome
        (``y`` holds 0/1 labels or probabilities), or with a one-hot ``y`` of
        shape (n_samples, n_classes) the grouped multinomial (coefficients
        (p, n_classes), a group in or out for every class); the Poisson loss
        of counts or rates (``y >= 0``, log link).  The fitted model's linear
        predictor is ``X @ coef + intercept``; the validation loss is the
        same loss.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Weights of the training rows: the loss is the weighted mean, so
        integer weights give the fit on repeated rows.  Non-negative, finite,
        with a positive sum; None means all ones.  Centering and
        standardization use the weighted means; each fold's validation loss
        is its rows' weighted mean.

    Returns
    -------
    DGLNNCVPath
        Per-fold validation and training curves (``val_curves``,
        ``train_curves``, shape (T + 1, K)), their mean ``cv_curve``, its
        minimizer ``best_iter``, the fold of each row and, with ``refit``, the
        model on all rows at ``best_iter``.

    See Also
    --------
    fastgs.DGLNNRegressorCV : the scikit-learn estimator around this function.

    Examples
    --------
    >>> import numpy as np
    >>> import fastgs
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, groups = make_group_sparse_regression(
    ...     100, 60, group_size=3, n_informative_groups=2, coef=2.0, random_state=0)
    >>> cv = fastgs.dglnn_cv_path(X, y, groups, cv=5, random_state=0)
    >>> cv.val_curves.shape[1], int(cv.best_iter) == int(np.argmin(cv.cv_curve))
    (5, True)
    >>> norms = np.linalg.norm(cv.best_coef.reshape(20, 3), axis=1)
    >>> np.flatnonzero(norms > 0.1 * norms.max())
    array([0, 1])
    """
    opts = DGLNNOptions(algorithm, update, alpha, step_u, step_v, switch, tau, max_iter, 1,
                         schedule, kappa, skip_fraction, step_cap, n_iter_no_change, tol,
                         early_end=True, loss=loss)  # fmt: skip
    resolve_n_jobs(n_jobs)
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be True or False, got {fit_intercept!r}.")
    code = loss_code(loss)
    design = check_design(X, "X")
    n, p = design.shape
    dtype = design.dtype
    sw = check_sample_weight(sample_weight, n, dtype)
    C = 1  # linear predictors per model: the classes of a multinomial target
    if loss == "log_loss" and np.ndim(y) == 2:
        C = int(np.shape(y)[1])
        y = one_hot_labels(y, n, sw, "y")[0].astype(dtype)
        code = MULTINOMIAL
    else:
        y = check_target(y, n, dtype, "y")
        check_target_for_loss(y, loss, sw)
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
        design = design.as_sparse_kind(_cv_sweep_storage(M * C, p, dtype))
        if design.kind == "csc":
            # the threaded CSC sweep splits each column by rows; sorted for any
            # n_jobs, since the order of a column's entries sets the bits
            design = design.with_sorted_indices()
    # every model's weight sums: model k's training rows are all rows but fold k's
    w_fold = np.bincount(fold, weights=None if sw is None else sw.astype(np.float64), minlength=K)
    val_weight = np.append(w_fold, np.zeros(M - K))
    train_weight = w_fold.sum() - val_weight
    if np.any(val_weight[:K] <= 0) or np.any(train_weight <= 0):
        raise ValueError("sample_weight: every fold needs a positive weight in its validation and "
                         "training rows.")  # fmt: skip
    y_fold = np.append(np.bincount(fold, weights=y.astype(np.float64) * (1.0 if sw is None else sw),
                                   minlength=K), np.zeros(M - K))  # fmt: skip
    target_sums = y_fold[:K].sum() - y_fold
    class_weights = np.zeros((M, C))
    for k in range(M):
        rows = fold != k
        name = f"y (the training rows of fold {k})" if k < K else "y"
        if C > 1:
            counts = np.bincount(y[rows].astype(np.int64), minlength=C,
                                 weights=None if sw is None else sw[rows])  # fmt: skip
            if np.any(counts <= 0):
                raise ValueError(f"{name}: class(es) {list(np.flatnonzero(counts <= 0))} have no "
                                 "rows; use stratified folds (e.g. StratifiedKFold).")  # fmt: skip
            class_weights[k] = counts
        else:
            check_target_for_loss(y[rows], loss, None if sw is None else sw[rows], name)
    check_bool(standardize, "standardize")
    if fit_intercept or standardize:
        # per-fold column sums: model k's training rows are all rows but fold k's
        col_fold = design.fold_column_sums(fold, K, sample_weight=sw)
        col_fold = np.vstack([col_fold, np.zeros((M - K, p))])  # the full model leaves out nothing
        col_all = col_fold[:K].sum(axis=0)
        means = (col_all - col_fold) / train_weight[:, None]
    if standardize:
        sq_fold = design.fold_column_sums(fold, K, squared=True, sample_weight=sw)
        sq_fold = np.vstack([sq_fold, np.zeros((M - K, p))])
        mean_squares = (sq_fold[:K].sum(axis=0) - sq_fold) / train_weight[:, None]
        x_scales = np.vstack([column_scales(mean_squares[k], means[k], fit_intercept) for k in range(M)])
        # one scale per column, for each class's weights of a multinomial model
        inv_scales = np.tile(1.0 / x_scales, (1, C)).astype(dtype)
        total_weight = w_fold.sum()
        full_scale = column_scales(sq_fold[:K].sum(axis=0) / total_weight, col_all / total_weight,
                                   fit_intercept)  # fmt: skip
    else:
        inv_scales = np.empty((M, 0), dtype=dtype)
    center = bool(fit_intercept)
    x_offsets = means.astype(dtype) if center else np.zeros((M, p), dtype=dtype)
    model_sums = np.empty((M, solvers.N_GLM_SUMS))
    intercepts = np.zeros(M)
    intercepts = np.zeros(M * C)
    for k in range(M):
        model_sums[k], intercepts[k * C] = glm_setup(code, center, train_weight[k], target_sums[k],
                                                     val_weight[k])  # fmt: skip
        if center and C > 1:
            # the model with only intercepts: the log class shares
            intercepts[k * C : (k + 1) * C] = np.log(class_weights[k] / class_weights[k].sum())
    if center and code == SQUARED_ERROR:
        # least squares: each model's intercept is its training rows' mean target
        intercepts = (target_sums / train_weight).astype(dtype).astype(np.float64)
    user_groups, grp = grp, _class_groups(grp, C)

    # every model's X_k^T y_k / n_k (one sweep at w = 0) for its automatic steps
    W0 = np.zeros((M, C * p), dtype=dtype)
    G0 = np.empty((M, C * p), dtype=dtype)
    work = [np.empty(M * C, dtype=dtype) for _ in range(4)] + [np.empty(M, dtype=dtype) for _ in range(2)]
    sw_arg = np.empty(0, dtype=dtype) if sw is None else sw
    # scratch of the threaded sweep
    work_G, work_s = design.fold_workspace(M * C, resolve_n_jobs(n_jobs))
    with compiled_threads(n_jobs):
        solvers._folds_gradients(design.arrays, y, fold, W0, x_offsets, intercepts, inv_scales,
                                 center, np.int64(code), np.int64(C), sw_arg, model_sums,
                                 np.empty(M * C), G0, work[1], work[2], work[3], work[4], work[5],
                                 work_G, work_s)  # fmt: skip
    for k in range(M):
        # work[4], work[5]: the training and validation losses at w = 0
        check_scale(G0[k], work[4][k] + work[5][k])
    # the column means of all rows, from the per-fold sums above (no second pass over X)
    if not standardize:
        full_offset = col_all / n if center else np.zeros(p)
        _warn_if_badly_scaled(design, full_offset, "dglnn_cv_path")
    L = grp.n_groups
    U = np.empty((M, L), dtype=dtype)
    V = np.empty((M, C * p), dtype=dtype)
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
    best_b = intercepts[(M - 1) * C :].copy()
    with compiled_threads(n_jobs):
        n_eval, code, status_iter, best_t, stop = solvers.dglnn_cv_solve(
            design.arrays, y, fold, grp.group_ptr, grp.kernel_index(), U, V, x_offsets, intercepts,
            inv_scales, center, np.int64(code), np.int64(C), sw_arg, model_sums, opts.code,
            opts.sequential, gammas,
            etas, opts.step_cap, opts.switch_rule, opts.tau, opts.switch_at, T, train_curves, val_curves,
            switch_iters, work_G, work_s, K, best_u, best_v, best_b, opts.end_rule,
            True if resolve_n_jobs(n_jobs) > 1 and M * C * p >= solvers.MODELS_THREADED_MIN_SIZE else None,
        )  # fmt: skip
    status = status_of(code, status_iter, max(n_eval - 1, 0), float(gammas.max()))
    warn_if_diverged(status, "dglnn_cv_path")
    val_curves = val_curves[:n_eval, :K]
    cv_curve = val_curves.mean(axis=1)
    best_iter = int(np.argmin(cv_curve)) if n_eval else 0
    stop_reason = stop_reason_name(stop, status.ok)
    warn_if_capped(stop_reason, opts.end_rule, opts.max_iter, best_iter, "dglnn_cv_path")
    refit_fields = {}
    if refit:
        coef = (best_u[grp.feature_group] ** 2 * best_v).astype(dtype)
        if standardize:
            coef *= inv_scales[K]
        intercept = best_b.copy()
        if center:
            intercept -= coef.astype(np.float64).reshape(C, p) @ x_offsets[K].astype(np.float64)
        if C == 1:
            intercept = float(intercept[0])
        else:
            coef = np.ascontiguousarray(coef.reshape(C, p).T)
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
        groups=user_groups,
        step_u=gammas[:K].astype(np.float64),
        step_v=etas[:K].astype(np.float64),
        n_passes=int(1 + n_eval + (n_eval - 1 if sequential else 0)),
        x_scale=full_scale if standardize else None,
        stop_reason=stop_reason,
        **refit_fields,
    )

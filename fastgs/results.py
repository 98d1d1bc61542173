"""Result objects of the path functions, and how a run ended."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernels import STATUS_NONFINITE, STATUS_OK, STATUS_U_NONPOSITIVE

__all__ = ["Status", "ConvergenceWarning", "DivergenceWarning", "ScaleWarning", "DGLNNPath", "DLNNPath", "DGLNNCVPath"]


class ScaleWarning(UserWarning):
    """The columns of X are far from standardized.

    DGLNN's automatic steps and its implicit regularization assume columns of
    root-mean-square about 1 (docs/method.rst, 'Automatic step sizes').  The
    path functions and estimators issue it when the median root-mean-square
    of the (centered, with an intercept) columns is outside [0.1, 10].
    Standardize X first, e.g. with ``sklearn.preprocessing.StandardScaler``.
    """


class ConvergenceWarning(UserWarning):
    """A run with validation data reached ``max_iter`` before its early end
    could tell that the validation curve had stopped improving: the chosen
    iterate may still change with a larger ``max_iter``.  (The estimators
    raise :class:`sklearn.exceptions.ConvergenceWarning` for the same event.)"""


class DivergenceWarning(RuntimeWarning):
    """A run stopped early because it diverged; the last good iterate was kept.

    The message gives the iteration, the step size and a hint; the result's
    ``status`` (a :class:`Status`) holds the same information.
    """


@dataclass(frozen=True)
class Status:
    """How a run ended.

    Every path result carries one as ``status``; the estimators keep the final
    fit's as ``status_``.

    Attributes
    ----------
    code : int
        ``fastgs.kernels.STATUS_OK`` (0): ran to ``max_iter``;
        ``STATUS_NONFINITE`` (1): non-finite values appeared;
        ``STATUS_U_NONPOSITIVE`` (2): a magnitude (``u``, or ``a``/``b`` for
        DLNN) would have reached or crossed zero.
    iteration : int
        The iteration at which the problem appeared (-1 if none).
    last_good : int
        The iteration of the iterate that was kept and returned.
    step : float
        The magnitude step size of the run (for the hint of the message).

    Examples
    --------
    >>> from fastgs import Status
    >>> status = Status(code=1, iteration=57, last_good=56, step=0.5)
    >>> status.ok, status.name
    (False, 'nonfinite')
    >>> print(status.message.split(";")[0])
    diverged: non-finite values appeared at iteration 57
    """

    code: int
    iteration: int
    last_good: int
    step: float

    @property
    def ok(self) -> bool:
        """bool: True if the run ended normally (ran to ``max_iter`` or was stopped)."""
        return self.code == STATUS_OK

    @property
    def name(self) -> str:
        """str: ``"max_iter"``, ``"nonfinite"`` or ``"u_crossed_zero"``."""
        return {STATUS_OK: "max_iter", STATUS_NONFINITE: "nonfinite", STATUS_U_NONPOSITIVE: "u_crossed_zero"}[
            self.code
        ]

    @property
    def message(self) -> str:
        """str: what happened, and for a divergence a hint on what to change."""
        if self.code == STATUS_OK:
            return f"ran to max_iter ({self.last_good} iterations)"
        if self.code == STATUS_NONFINITE:
            what = f"non-finite values appeared at iteration {self.iteration}"
        else:
            what = (
                f"a magnitude would have crossed zero at iteration {self.iteration} "
                "(1 + 2*step*<v, g> <= 0)"
            )
        return (
            f"diverged: {what}; returned the last good iterate (iteration {self.last_good}). "
            f"Hint: lower the step size (it was {self.step:.3g}; try 'auto' or a value "
            "10x smaller) or rescale X and y (e.g. standardize them)."
        )

    def __str__(self) -> str:
        return self.message


class _PathBase:
    """Shared fields and helpers of :class:`DGLNNPath` and :class:`DLNNPath`."""

    def __init__(self, iterations, coefs, train_loss, val_loss, best_iter, status,
                 intercepts, best_coef, best_intercept, n_passes, train_curve, val_curve,
                 x_scale=None, stop_reason="max_iter"):  # fmt: skip
        self.x_scale = x_scale
        self.stop_reason = stop_reason
        self.iterations = iterations
        self.coefs = coefs
        self.train_loss = train_loss
        self.val_loss = val_loss
        self.best_iter = best_iter
        self.status = status
        self.intercepts = intercepts
        self.best_coef = best_coef
        self.best_intercept = best_intercept
        self.n_passes = n_passes
        self.train_curve = train_curve
        self.val_curve = val_curve

    @property
    def coef(self) -> np.ndarray:
        """ndarray of shape (p,) or (p, n_classes): the last (good) recorded
        iterate's coefficients."""
        return self.coefs[-1]

    @property
    def intercept(self):
        """float (ndarray of shape (n_classes,) for a multinomial target): the
        intercept of the last recorded iterate (0.0 without one)."""
        last = self.intercepts[-1]
        return float(last) if np.ndim(last) == 0 else last

    def __len__(self) -> int:
        return self.iterations.shape[0]

    def _summary(self) -> str:
        best = "" if self.best_iter is None else f", best_iter={self.best_iter}"
        return (
            f"n_records={len(self)}, last_iter={int(self.iterations[-1])}{best}, "
            f"status={self.status.name!r}"
        )


class DGLNNPath(_PathBase):
    """The iterates of a DGLNN run, as returned by :func:`fastgs.dglnn_path`.

    Not meant to be constructed directly.  ``k`` below is the number of
    recorded iterates, ``p`` the number of features, ``L`` the number of
    groups.

    Attributes
    ----------
    iterations : ndarray of shape (k,), int64
        Recorded iteration numbers (0 is the start; with the fast schedule
        they include the skipped start ``t0``).
    coefs : ndarray of shape (k, p) or (k, p, n_classes)
        Coefficients ``w = u^2 v`` at the recorded iterations, in X's dtype
        (one column per class for a multinomial target).
    u : ndarray of shape (k, L)
        Group magnitudes at the recorded iterations.
    train_loss : ndarray of shape (k,)
        Training loss at the recorded iterations: the (weighted) mean half
        deviance of the run's loss, ``1/(2n) ||y - X w - b||^2`` for least
        squares (docs/method.rst, 'Losses beyond least squares').
    val_loss : ndarray of shape (k,) or None
        Validation loss (the same loss on the validation rows) at the
        recorded iterations; None without a validation set.
    best_iter : int or None
        The iteration with the lowest validation loss, tracked at every
        iteration (recorded or not); None without a validation set.
    best_coef : ndarray of shape (p,) or (p, n_classes), or None
        The coefficients at ``best_iter``.
    best_intercept : float, ndarray of shape (n_classes,), or None
        The intercept(s) at ``best_iter``.
    best_u : ndarray of shape (L,) or None
        The group magnitudes at ``best_iter``.
    train_curve : ndarray of shape (t,)
        The training loss at every evaluated iteration; entry ``i`` belongs
        to iteration ``t0 + i``.
    val_curve : ndarray of shape (t,) or None
        The validation loss at every evaluated iteration.
    intercepts : ndarray of shape (k,) or (k, n_classes)
        The intercepts of the linear predictor ``X @ w + b`` at the recorded
        iterations, for the original columns (for least squares
        ``mean(y) - mean(X) @ w``; zeros without an intercept).
    switch_iter : int or None
        The iteration at which Algorithm 2 switched to the constant direction
        step; None if it did not.
    status : Status
        How the run ended.
    groups : Groups
        The groups of the run.
    step_u : float
        The magnitude step size used.
    step_v : float
        Algorithm 2's direction step used (plain gradient descent: its
        direction step).
    v : ndarray of shape (p,)
        The final directions (for a warm start with ``v0``).
    n_passes : int
        Passes over the training X.
    t0 : int
        Iterations skipped analytically by the fast schedule (0 otherwise).
    stop_reason : str
        Why the run ended: "max_iter" (the cap), "no_improvement" (the early
        end: the validation curve stopped improving, see ``n_iter_no_change``
        of :func:`fastgs.dglnn_path`), "train_loss_flat" (the estimators'
        refit rule) or "diverged" (see ``status``).
    x_scale : ndarray of shape (p,) or None
        The column scales of a standardized fit (``standardize=True``), else
        None.  ``u`` and ``v`` live in the standardized coordinates and
        ``coefs`` on the original scale: ``coefs = u^2 v / x_scale``.

    See Also
    --------
    DGLNNCVPath : the cross-validation result.

    Examples
    --------
    >>> import fastgs
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, groups = make_group_sparse_regression(80, 40, group_size=4, random_state=0)
    >>> path = fastgs.dglnn_path(X[:60], y[:60], groups, X_val=X[60:], y_val=y[60:],
    ...                          max_iter=50, record_every=10, n_iter_no_change=0)
    >>> path.coefs.shape, path.u.shape
    ((6, 40), (6, 10))
    >>> path.best_coef.shape, path.status.name
    ((40,), 'max_iter')
    """

    def __init__(self, *, u, switch_iter, groups, step_u, step_v, v, best_u=None, t0=0, **kw):
        super().__init__(**kw)
        self.t0 = t0
        self.u = u
        self.best_u = best_u
        self.switch_iter = switch_iter
        self.groups = groups
        self.step_u = step_u
        self.step_v = step_v
        self.v = v

    def __repr__(self) -> str:
        sw = "" if self.switch_iter is None else f", switch_iter={self.switch_iter}"
        return f"DGLNNPath({self._summary()}{sw})"


class DLNNPath(_PathBase):
    """The iterates of a diagonal-linear-network run, as returned by :func:`fastgs.dlnn_path`.

    Not meant to be constructed directly.

    Attributes
    ----------
    iterations : ndarray of shape (k,), int64
        Recorded iteration numbers (0 is the start).
    coefs : ndarray of shape (k, p) or (k, p, n_classes)
        Coefficients ``w = a^N - b^N`` at the recorded iterations, in X's
        dtype.
    train_loss : ndarray of shape (k,)
        Training loss at the recorded iterations.
    val_loss : ndarray of shape (k,) or None
        Validation loss at the recorded iterations; None without a validation
        set.
    best_iter : int or None
        The iteration with the lowest validation loss, tracked at every
        iteration.
    best_coef : ndarray of shape (p,) or (p, n_classes), or None
        The coefficients at ``best_iter``.
    best_intercept : float, ndarray of shape (n_classes,), or None
        The intercept at ``best_iter``.
    train_curve : ndarray of shape (t,)
        The training loss at every evaluated iteration.
    val_curve : ndarray of shape (t,) or None
        The validation loss at every evaluated iteration.
    intercepts : ndarray of shape (k,) or (k, n_classes)
        The intercepts at the recorded iterations (zeros without one).
    status : Status
        How the run ended.
    n_passes : int
        Passes over the training X.
    depth : int
        The depth N of the network.
    step : float
        The step size used.
    stop_reason : str
        Why the run ended, as in :class:`DGLNNPath`.
    x_scale : ndarray of shape (p,) or None
        The column scales of a standardized fit, else None; ``coefs`` are on
        the original scale.

    Examples
    --------
    >>> import fastgs
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, _ = make_group_sparse_regression(80, 40, group_size=4, random_state=0)
    >>> path = fastgs.dlnn_path(X, y, max_iter=100, record_every=50)
    >>> path.iterations
    array([  0,  50, 100])
    >>> path.depth, path.coef.shape
    (2, (40,))
    """

    def __init__(self, *, depth, step, **kw):
        super().__init__(**kw)
        self.depth = depth
        self.step = step

    def __repr__(self) -> str:
        return f"DLNNPath(depth={self.depth}, {self._summary()})"


class DGLNNCVPath:
    """Cross-validation curves of DGLNN, as returned by :func:`fastgs.dglnn_cv_path`.

    Not meant to be constructed directly.  ``T`` below is the number of
    passes over X, ``K`` the number of folds.

    Attributes
    ----------
    iterations : ndarray of shape (T + 1,), int64
        Passes over X after each fold's start (``0, 1, ..., T``).
    cv_curve : ndarray of shape (T + 1,)
        Mean validation loss over the folds.
    val_curves : ndarray of shape (T + 1, K)
        Each fold model's loss on its own validation rows.
    train_curves : ndarray of shape (T + 1, K)
        Each fold model's training loss.
    best_iter : int
        The minimizer of ``cv_curve``, in passes after the start.
    fold : ndarray of shape (n,), int64
        The fold label of each row.
    switch_iters : ndarray of shape (K,), int64
        Each fold's Algorithm 2 switch iteration (-1: no switch).
    step_u : ndarray of shape (K,)
        Each fold's magnitude step size.
    step_v : ndarray of shape (K,)
        Each fold's direction step size.
    status : Status
        How the run ended (the first fold that diverged, if any).
    groups : Groups
        The groups of the run.
    n_passes : int
        Passes over X; each serves every fold (and the refit).
    t0s : ndarray of shape (K,), int64
        Iterations each fold skipped analytically (fast schedule; zeros
        otherwise).
    best_coef : ndarray of shape (p,) or (p, n_classes), or None
        The model trained on all rows in the same sweeps, at ``best_iter``
        (None with ``refit=False``).
    best_u : ndarray of shape (L,) or None
        Its group magnitudes.
    best_intercept : float, ndarray of shape (n_classes,), or None
        Its intercept(s).
    refit_t0 : int
        The start the model on all rows skipped.
    refit_train_curve : ndarray or None
        Its training loss at every evaluated pass.
    stop_reason : str
        Why the sweep ended: "max_iter", "no_improvement" (the early end on
        ``cv_curve``) or "diverged".
    x_scale : ndarray of shape (p,) or None
        With ``standardize=True``, the column scales of all rows (each fold's
        model used its own training rows' scales); else None.

    Examples
    --------
    >>> import fastgs
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, groups = make_group_sparse_regression(80, 40, group_size=4, random_state=0)
    >>> cv = fastgs.dglnn_cv_path(X, y, groups, cv=4, random_state=0, max_iter=60,
    ...                           n_iter_no_change=0)
    >>> cv.n_folds, cv.val_curves.shape, cv.cv_curve.shape
    (4, (61, 4), (61,))
    >>> int(cv.best_iter) == int(cv.cv_curve.argmin())
    True
    """

    def __init__(self, *, iterations, cv_curve, val_curves, train_curves, best_iter, fold,
                 switch_iters, status, groups, step_u, step_v, n_passes, t0s=None,
                 best_coef=None, best_u=None, best_intercept=None, refit_t0=0,
                 refit_train_curve=None, x_scale=None, stop_reason="max_iter"):  # fmt: skip
        self.x_scale = x_scale
        self.stop_reason = stop_reason
        self.t0s = t0s
        self.best_coef = best_coef
        self.best_u = best_u
        self.best_intercept = best_intercept
        self.refit_t0 = refit_t0
        self.refit_train_curve = refit_train_curve
        self.iterations = iterations
        self.cv_curve = cv_curve
        self.val_curves = val_curves
        self.train_curves = train_curves
        self.best_iter = best_iter
        self.fold = fold
        self.switch_iters = switch_iters
        self.status = status
        self.groups = groups
        self.step_u = step_u
        self.step_v = step_v
        self.n_passes = n_passes

    @property
    def n_folds(self) -> int:
        """int: the number of folds K."""
        return self.val_curves.shape[1]

    def __repr__(self) -> str:
        return (
            f"DGLNNCVPath(n_folds={self.n_folds}, n_iter={len(self.iterations) - 1}, "
            f"best_iter={self.best_iter}, status={self.status.name!r})"
        )

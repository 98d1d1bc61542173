"""Result objects of the path functions, and how a run ended."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernels import STATUS_NONFINITE, STATUS_OK, STATUS_U_NONPOSITIVE

__all__ = ["Status", "ConvergenceWarning", "DivergenceWarning", "ScaleWarning", "DGLNNPath", "DLNNPath", "DGLNNCVPath"]


class ScaleWarning(UserWarning):
    """The columns of X are far from standardized: DGLNN's automatic steps and
    implicit regularization assume columns of root-mean-square about 1."""


class ConvergenceWarning(UserWarning):
    """A run with validation data reached ``max_iter`` before its early end
    could tell that the validation curve had stopped improving: the chosen
    iterate may still change with a larger ``max_iter``.  (The estimators
    raise :class:`sklearn.exceptions.ConvergenceWarning` for the same event.)"""


class DivergenceWarning(RuntimeWarning):
    """A run stopped early because it diverged; the last good iterate was kept."""


@dataclass(frozen=True)
class Status:
    """How a run ended.

    code : 0 ran to ``max_iter``; 1 non-finite values; 2 a magnitude (``u``,
        or ``a``/``b`` for DLNN) would have reached or crossed zero.
    iteration : the iteration at which the problem appeared (-1 if none).
    last_good : the iteration of the iterate that was kept and returned.
    """

    code: int
    iteration: int
    last_good: int
    step: float

    @property
    def ok(self) -> bool:
        return self.code == STATUS_OK

    @property
    def name(self) -> str:
        return {STATUS_OK: "max_iter", STATUS_NONFINITE: "nonfinite", STATUS_U_NONPOSITIVE: "u_crossed_zero"}[
            self.code
        ]

    @property
    def message(self) -> str:
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
        """The last (good) iterate's coefficients, (p,)."""
        return self.coefs[-1]

    @property
    def intercept(self) -> float:
        return float(self.intercepts[-1])

    def __len__(self) -> int:
        return self.iterations.shape[0]

    def _summary(self) -> str:
        best = "" if self.best_iter is None else f", best_iter={self.best_iter}"
        return (
            f"n_records={len(self)}, last_iter={int(self.iterations[-1])}{best}, "
            f"status={self.status.name!r}"
        )


class DGLNNPath(_PathBase):
    """The iterates of a DGLNN run (:func:`fastgs.dglnn_path`).

    Attributes
    ----------
    iterations : int64 (k,) recorded iteration numbers (0 = the start)
    coefs : (k, p) coefficients ``w = u^2 v`` in X's dtype
    u : (k, L) group magnitudes
    train_loss : (k,) ``1/(2n) ||y - X w - b||^2``
    val_loss : (k,) validation loss, or None without a validation set
    best_iter : int or None, the iteration with the lowest validation loss
        (tracked at every iteration, not only the recorded ones)
    best_coef, best_intercept, best_u : the coefficients, intercept and group
        magnitudes at ``best_iter`` (None without a validation set)
    train_curve, val_curve : (t,) the losses at every evaluated iteration
        0, 1, ..., whatever ``record_every`` (val_curve None without
        validation data); ``train_loss``/``val_loss`` are their recorded entries
    intercepts : (k,) ``mean(y) - mean(X) @ w`` (zeros without intercept)
    switch_iter : int or None, Algorithm 2's switch iteration
    status : :class:`Status`
    groups : :class:`fastgs.Groups`
    step_u, step_v : the step sizes used
    v : (p,) the final directions (for warm starts)
    n_passes : number of passes over the training X
    t0 : iterations skipped analytically by the fast schedule (0 otherwise);
        ``iterations``, ``best_iter`` and ``switch_iter`` include them
    stop_reason : str, why the run ended: "max_iter" (the cap),
        "no_improvement" (the early end: the validation curve stopped
        improving, see ``n_iter_no_change``), "train_loss_flat" (the
        estimators' refit rule) or "diverged" (see ``status``)
    x_scale : (p,) float64 column scales of the standardized fit
        (``standardize=True``), or None.  ``u`` and ``v`` live in the
        standardized coordinates; ``coefs`` are on the original scale:
        ``coefs = u^2 v / x_scale``.
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
    """The iterates of a diagonal-linear-network run (:func:`fastgs.dlnn_path`).

    Same fields as :class:`DGLNNPath` without ``u``/``groups``/``switch_iter``;
    ``depth`` and ``step`` record the settings used.
    """

    def __init__(self, *, depth, step, **kw):
        super().__init__(**kw)
        self.depth = depth
        self.step = step

    def __repr__(self) -> str:
        return f"DLNNPath(depth={self.depth}, {self._summary()})"


class DGLNNCVPath:
    """Cross-validation curves of DGLNN (:func:`fastgs.dglnn_cv_path`).

    Attributes
    ----------
    iterations : int64 (T+1,)
    cv_curve : (T+1,) mean validation loss over folds
    val_curves, train_curves : (T+1, K) per-fold losses
    best_iter : int, argmin of ``cv_curve``
    fold : int64 (n,), fold label of each row
    switch_iters : int64 (K,), Algorithm 2's switch per fold (-1: none)
    step_u, step_v : (K,) step sizes per fold
    status : :class:`Status` ; groups : :class:`fastgs.Groups`
    n_passes : passes over X (each serves all folds)
    t0s : (K,) iterations each fold skipped (fast schedule; zeros otherwise);
        ``iterations`` and ``best_iter`` count passes after the skip
    best_coef, best_u, best_intercept : the model trained on all rows in the
        same sweeps, at ``best_iter`` (None with ``refit=False``)
    refit_t0, refit_train_curve : its skipped start and training loss curve
    stop_reason : str, why the sweep ended: "max_iter", "no_improvement"
        (the early end on ``cv_curve``) or "diverged"
    x_scale : (p,) float64 column scales of the all-rows model when
        ``standardize=True`` (each fold used its own training rows' scales), or None
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
        return self.val_curves.shape[1]

    def __repr__(self) -> str:
        return (
            f"DGLNNCVPath(n_folds={self.n_folds}, n_iter={len(self.iterations) - 1}, "
            f"best_iter={self.best_iter}, status={self.status.name!r})"
        )

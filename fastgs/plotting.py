"""Plots of paths and validation/CV curves.

Needs matplotlib (``pip install fastgs[plot]``); it is imported only when a
function here is called, so ``import fastgs.plotting`` always works.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PLOT_HINT", "plot_cv_curve", "plot_path"]

PLOT_HINT = "plotting needs matplotlib: pip install fastgs[plot]"

#: colours of the support entries / groups (off-support ones are grey)
_OFF_COLOR = "0.7"


def _pyplot():
    """``matplotlib.pyplot``, or an ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(PLOT_HINT) from exc
    return plt


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots()
    return ax


def _val_x(obj, curve):
    """Iteration numbers of a per-iteration curve (the fast schedule's skipped start included)."""
    return getattr(obj, "t0", 0) + np.arange(len(curve))


def plot_path(path, w_star=None, ax=None, *, kind="coefs", max_lines=60, mark_best=True):
    """Plot a DGLNN or DLNN path over the iterations.

    Parameters
    ----------
    path : fastgs.DGLNNPath or fastgs.DLNNPath
    w_star : None or (p,) array, the true coefficients (simulations): the
        support entries are coloured, the others grey, and ``kind="error"``
        becomes available
    ax : matplotlib Axes or None (a new figure)
    kind : {"coefs", "u", "error", "loss"}
        "coefs": the coefficients; "u": the group magnitudes (DGLNN only);
        "error": ``||w_t - w*||^2`` on a log scale (needs ``w_star``);
        "loss": the training (and validation) loss
    max_lines : int, at most this many coefficient or group lines (the
        largest at the end of the path)
    mark_best : bool, draw a vertical line at ``path.best_iter``

    Returns
    -------
    matplotlib Axes
    """
    if not hasattr(path, "coefs") or not hasattr(path, "iterations"):
        raise TypeError(f"path must be a DGLNNPath or DLNNPath, got {type(path).__name__}.")
    if kind not in ("coefs", "u", "error", "loss"):
        raise ValueError(f"kind must be 'coefs', 'u', 'error' or 'loss', got {kind!r}.")
    if w_star is not None:
        w_star = np.asarray(w_star, dtype=np.float64)
        if w_star.shape != (path.coefs.shape[1],):
            raise ValueError(
                f"w_star must have shape ({path.coefs.shape[1]},), got {w_star.shape}."
            )
    if kind == "error" and w_star is None:
        raise ValueError("kind='error' needs w_star.")
    if kind == "u" and not hasattr(path, "u"):
        raise ValueError("kind='u' needs a DGLNNPath (a DLNNPath has no group magnitudes).")
    max_lines = int(max_lines)
    if max_lines < 1:
        raise ValueError(f"max_lines must be a positive integer, got {max_lines}.")
    ax = _axes(ax)
    it = path.iterations
    if kind == "coefs":
        coefs = np.asarray(path.coefs, dtype=np.float64)
        support = np.zeros(coefs.shape[1], bool) if w_star is None else w_star != 0
        order = np.argsort(-np.abs(coefs[-1]))
        shown = np.concatenate([np.flatnonzero(support), order[~support[order]]])[:max_lines]
        for j in shown:
            if support[j]:
                ax.plot(it, coefs[:, j], lw=1.2)
            else:
                ax.plot(it, coefs[:, j], color=_OFF_COLOR if w_star is not None else None, lw=0.8)
        if w_star is not None:
            for value in np.unique(w_star[support]):
                ax.axhline(value, color="k", ls=":", lw=0.6)
        ax.set_ylabel("coefficient $w_i$")
    elif kind == "u":
        u = np.asarray(path.u, dtype=np.float64)
        groups = path.groups
        if w_star is not None:
            on = np.array([np.any(w_star[groups.indices(l)] != 0) for l in range(groups.n_groups)])
        else:
            on = np.zeros(groups.n_groups, bool)
        order = np.argsort(-u[-1])
        shown = np.concatenate([np.flatnonzero(on), order[~on[order]]])[:max_lines]
        for l in shown:
            ax.plot(
                it,
                u[:, l],
                lw=1.2 if on[l] else 0.8,
                color=None if on[l] or w_star is None else _OFF_COLOR,
                label=f"group {l}" if on[l] else None,
            )
        ax.set_ylabel("group magnitude $u_l$")
        if on.any():
            ax.legend(fontsize="small")
    elif kind == "error":
        err = ((np.asarray(path.coefs, dtype=np.float64) - w_star) ** 2).sum(axis=1)
        ax.semilogy(it, err, label="$\\|w_t - w^*\\|^2$")
        ax.set_ylabel("squared error")
    else:
        ax.plot(_val_x(path, path.train_curve), path.train_curve, label="training loss")
        if path.val_curve is not None:
            ax.plot(_val_x(path, path.val_curve), path.val_curve, label="validation loss")
        ax.set_yscale("log")
        ax.set_ylabel("loss $\\frac{1}{2n}\\|y - Xw\\|^2$")
        ax.legend(fontsize="small")
    if mark_best and path.best_iter is not None:
        ax.axvline(path.best_iter, color="k", ls="--", lw=0.8, label=None)
    ax.set_xlabel("iteration")
    return ax


def plot_cv_curve(obj, ax=None):
    """Plot the validation or cross-validation loss over the iterations.

    Parameters
    ----------
    obj : a fastgs.DGLNNCVPath (mean CV curve and the per-fold curves), a
        fitted DGLNNRegressorCV (``cv_curve_``), a fitted DGLNNRegressor or
        DLNNRegressor (``validation_loss_``), or a path with a validation set
    ax : matplotlib Axes or None (a new figure)

    Returns
    -------
    matplotlib Axes
    """
    if hasattr(obj, "cv_path_"):  # a fitted DGLNNRegressorCV
        obj = obj.cv_path_
    if hasattr(obj, "cv_curve") and hasattr(obj, "val_curves"):
        curve, folds, best = obj.cv_curve, obj.val_curves, obj.best_iter
        x = np.asarray(obj.iterations)
        xlabel = "iteration (passes over X)"
        label = f"mean over {folds.shape[1]} folds"
    elif hasattr(obj, "validation_loss_") or hasattr(obj, "val_curve"):
        fitted = hasattr(obj, "validation_loss_")
        curve = obj.validation_loss_ if fitted else obj.val_curve
        if curve is None:
            raise ValueError(
                "no validation curve to plot: fit with early_stopping=True (or pass "
                "X_val/y_val to the path function)."
            )
        folds, label = None, "validation loss"
        if fitted:
            # estimators count the stopping point in passes over X:
            # validation_loss_[best_iter_] is the chosen one
            best, x = obj.best_iter_, np.arange(len(curve))
            xlabel = "passes over X"
        else:
            # paths count iterations from 0, the fast schedule's skipped start included
            best, x = obj.best_iter, _val_x(obj, curve)
            xlabel = "iteration"
    else:
        raise TypeError(
            "plot_cv_curve needs a DGLNNCVPath, a fitted DGLNNRegressorCV, DGLNNRegressor or "
            f"DLNNRegressor, or a path with a validation set; got {type(obj).__name__}."
        )
    ax = _axes(ax)
    if folds is not None:
        ax.plot(x, folds, color=_OFF_COLOR, lw=0.7)
    ax.plot(x, curve, color="C0", lw=1.5, label=label)
    if best is not None:
        ax.axvline(best, color="k", ls="--", lw=0.8, label=f"chosen iteration {best}")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("validation loss")
    ax.legend(fontsize="small")
    return ax


# the paper's figures moved to fastgs.paper.figures; the old name still works
_MOVED_TO_PAPER = ("plot_experiment",)


def __getattr__(name):
    if name in _MOVED_TO_PAPER:
        import warnings

        from .paper import figures

        warnings.warn(
            f"fastgs.plotting.{name} moved to fastgs.paper.figures.{name}; "
            "the old name will be removed in a future release.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(figures, name)
    raise AttributeError(f"module 'fastgs.plotting' has no attribute {name!r}")

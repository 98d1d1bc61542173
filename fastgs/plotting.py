"""Plots of paths, validation/CV curves and the paper's experiments.

Needs matplotlib (``pip install fastgs[plot]``); it is imported only when a
function here is called, so ``import fastgs.plotting`` always works.
"""

from __future__ import annotations

import textwrap

import numpy as np

__all__ = ["PLOT_HINT", "plot_cv_curve", "plot_experiment", "plot_path"]

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


# --------------------------------------------------------------------------
# the figures of `fastgs reproduce`


def plot_experiment(result):
    """The figure of one experiment of :mod:`fastgs.experiments`.

    Parameters
    ----------
    result : fastgs.experiments.ExperimentResult

    Returns
    -------
    matplotlib Figure
    """
    draw = _EXPERIMENT_FIGURES.get(getattr(result, "name", None))
    if draw is None:
        raise TypeError(f"result must be an ExperimentResult, got {type(result).__name__}.")
    plt = _pyplot()
    fig = draw(plt, result)
    # wrap the title to the figure's width (about 13 characters per inch)
    width = int(fig.get_figwidth() * 13)
    fig.suptitle(textwrap.fill(result.title, width), fontsize="medium")
    fig.tight_layout()
    return fig


def _plot_groups(ax, iterations, u, support_groups, max_off=30):
    on = np.zeros(u.shape[1], bool)
    on[np.asarray(support_groups, dtype=int)] = True
    off = np.flatnonzero(~on)
    off = off[np.argsort(-u[-1, off])[:max_off]]
    for l in off:
        ax.plot(iterations, u[:, l], color=_OFF_COLOR, lw=0.6)
    for l in np.flatnonzero(on):
        ax.plot(iterations, u[:, l], lw=1.4, label=f"group {l}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("group magnitude $u_l$")
    ax.legend(fontsize="small")


def _stop_line(ax, it, label="validation-chosen"):
    if it is not None:
        ax.axvline(it, color="k", ls="--", lw=0.8, label=label)


def _plot_entries(ax, iterations, entries, target, val_iter=None):
    for j in range(entries.shape[1]):
        on = target[j] != 0
        ax.plot(iterations, entries[:, j], lw=1.1 if on else 0.7, color=None if on else _OFF_COLOR)
    for value in np.unique(target[target != 0]):
        ax.axhline(value, color="k", ls=":", lw=0.6)
    _stop_line(ax, val_iter)
    ax.set_xlabel("iteration")
    ax.set_ylabel("recovered entries $w_i$")


def _figure_error_curves(plt, result):
    """Fig. 2: error vs iteration per seed with the chosen stopping points; group magnitudes."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for i, (run, row) in enumerate(zip(result.curves["runs"], result.rows)):
        (line,) = ax1.semilogy(run["iterations"], run["error"], lw=0.9)
        if row["val_iter"] is not None:
            k = int(np.searchsorted(run["iterations"], row["val_iter"]))
            ax1.plot(
                row["val_iter"],
                run["error"][min(k, len(run["error"]) - 1)],
                "o",
                color=line.get_color(),
                ms=4,
                label="validation-chosen" if i == 0 else None,
            )
    ax1.set_xlabel("iteration")
    ax1.set_ylabel("$\\|w_t - w^*\\|^2$")
    ax1.set_title(f"recovery error ({len(result.rows)} seeds)", fontsize="small")
    ax1.legend(fontsize="small")
    tr = result.curves["trace"]
    _plot_groups(ax2, tr["iterations"], tr["u"], tr["support_groups"])
    _stop_line(ax2, tr["val_iter"])
    ax2.set_title(f"group magnitudes (seed {result.rows[0]['seed']})", fontsize="small")
    return fig


def _figure_fig3(plt, result):
    """Fig. 3: recovered entries, group magnitudes and directions over iterations."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    tr = result.curves["trace"]
    it = tr["iterations"]
    _plot_entries(axes[0], it, tr["entries"], tr["entry_target"], tr["val_iter"])
    axes[0].set_title("recovered entries (grey: largest off-support)", fontsize="small")
    _plot_groups(axes[1], it, tr["u"], tr["support_groups"])
    axes[1].set_title("group magnitudes", fontsize="small")
    for k, l in enumerate(tr["support_groups"]):
        cols = np.flatnonzero(tr["direction_group"] == l)
        for j, c in enumerate(cols):
            axes[2].plot(
                it,
                tr["directions"][:, c],
                color=f"C{k}",
                lw=1.1,
                label=f"group {l}" if j == 0 else None,
            )
            axes[2].axhline(tr["direction_target"][c], color=f"C{k}", ls=":", lw=0.7)
    axes[2].set_xlabel("iteration")
    axes[2].set_ylabel("direction entries $v_i$")
    axes[2].set_title("directions $v_l$ (dotted: $w^*_l / \\|w^*_l\\|$)", fontsize="small")
    for ax in axes:
        if tr["switch_iter"] is not None:
            ax.axvline(tr["switch_iter"], color="C3", ls="-.", lw=0.8, label="switch")
    axes[2].legend(fontsize="small")
    return fig


def _figure_fig4(plt, result):
    """Fig. 4: DGLNN vs the diagonal linear network (entries and errors)."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    tr = result.curves["trace"]
    _plot_entries(
        axes[0],
        tr["dglnn_iterations"],
        tr["dglnn_entries"],
        tr["entry_target"],
        tr["dglnn_val_iter"],
    )
    axes[0].set_title("DGLNN (groups of 4): support entries", fontsize="small")
    _plot_entries(
        axes[1],
        tr["dlnn_iterations"],
        tr["dlnn_entries"],
        tr["dlnn_entry_target"],
        tr["dlnn_val_iter"],
    )
    axes[1].set_title("$a\\circ a - b\\circ b$: support (+ largest off-support)", fontsize="small")
    hi = max(np.abs(tr["dglnn_entries"]).max(), np.abs(tr["dlnn_entries"]).max()) * 1.1
    for ax in axes[:2]:
        ax.set_ylim(-hi, hi)
    for key, name in (("dglnn", "DGLNN"), ("dlnn", "$a\\circ a - b\\circ b$")):
        errs = np.array([run[f"{key}_error"] for run in result.curves["runs"]])
        it = result.curves["runs"][0][f"{key}_iterations"]
        med = np.median(errs, axis=0)
        (line,) = axes[2].semilogy(it, med, label=f"{name} (median)")
        axes[2].fill_between(
            it, errs.min(axis=0), errs.max(axis=0), color=line.get_color(), alpha=0.2
        )
    axes[2].set_xlabel("iteration")
    axes[2].set_ylabel("$\\|w_t - w^*\\|^2$")
    axes[2].set_title(f"error over {len(result.rows)} seeds (band: min–max)", fontsize="small")
    axes[2].legend(fontsize="small")
    return fig


def _figure_fig5(plt, result):
    """Fig. 5: entries of one run; median log2 error with the 25th-75th percentile band."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    tr = result.curves["trace"]
    _plot_entries(ax1, tr["iterations"], tr["entries"], tr["entry_target"], tr["val_iter"])
    ax1.set_title("recovered entries (grey: largest off-support)", fontsize="small")
    c = result.curves
    ax2.plot(c["iterations"], c["median_log2_error"], color="C0", label="median")
    ax2.fill_between(
        c["iterations"],
        c["q25_log2_error"],
        c["q75_log2_error"],
        color="C0",
        alpha=0.25,
        label="25th–75th percentile",
    )
    ax2.set_xlabel("iteration")
    ax2.set_ylabel("$\\log_2 \\|w_t - w^*\\|^2$")
    ax2.set_title(f"log2 error over {len(result.rows)} seeds", fontsize="small")
    ax2.legend(fontsize="small")
    return fig


def _figure_snr(plt, result):
    """SNR comparison: log2 error vs SNR, median and 25th-75th percentile band per method."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    per_snr = result.curves["per_snr"]
    snr = np.array([e["snr"] for e in per_snr])
    for key, name, marker in (
        ("dglnn", "DGLNN (val-stopped)", "o"),
        ("group_lasso", "group lasso (val-tuned, skglm)", "s"),
        ("dlnn", "$a\\circ a - b\\circ b$ (val-stopped)", "^"),
    ):
        med = np.array([e[key] for e in per_snr])
        (line,) = ax.plot(snr, med, marker=marker, label=name)
        ax.fill_between(
            snr,
            [e[f"{key}_q25"] for e in per_snr],
            [e[f"{key}_q75"] for e in per_snr],
            color=line.get_color(),
            alpha=0.2,
        )
    ax.set_xscale("log")
    ax.set_xticks(snr, [f"{s:g}" for s in snr])
    ax.set_xlabel("SNR $\\|w^*\\|^2 / \\sigma^2$")
    ax.set_ylabel("$\\log_2 \\|\\hat w - w^*\\|^2$")
    ax.legend(
        fontsize="small",
        title=f"median, band 25–75% ({per_snr[0]['n']} seeds)",
        title_fontsize="small",
    )
    return fig


_EXPERIMENT_FIGURES = {
    "fig2": _figure_error_curves,
    "fig3": _figure_fig3,
    "fig4": _figure_fig4,
    "fig5": _figure_fig5,
    "snr": _figure_snr,
}

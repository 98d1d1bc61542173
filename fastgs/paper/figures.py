"""The figures of the paper's experiments (what ``fastgs reproduce`` draws).

Needs matplotlib (``pip install fastgs[plot]``), imported only when a figure is drawn.
"""

from __future__ import annotations

import textwrap

import numpy as np

from ..plotting import _OFF_COLOR, _pyplot

__all__ = ["plot_experiment"]


def plot_experiment(result):
    """The figure of one experiment of :mod:`fastgs.paper.experiments`.

    Parameters
    ----------
    result : fastgs.paper.experiments.ExperimentResult

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

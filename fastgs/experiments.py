"""Experiments of the paper, as functions that return plain results.

For now: the Figure-4 comparison (DGLNN vs the diagonal linear network
``w = a∘a - b∘b``), which is the package's default job (``python -m fastgs``).
"""

from __future__ import annotations

import time

import numpy as np

from .datasets import paper_setting
from .path import dglnn_path, dlnn_path

__all__ = ["figure4"]


def _sq_error(coefs, w_star):
    return ((np.atleast_2d(coefs) - w_star) ** 2).sum(axis=1)


def figure4(seeds=(0, 1, 2, 3, 4), max_iter=500, n_validation=100):
    """Figure 4 of the paper: n=100, p=500, 4 groups of 4 with entries 1.

    For each seed, fits DGLNN (Algorithm 2, automatic steps) and the
    ``a∘a - b∘b`` baseline for ``max_iter`` iterations on the same data and
    reports squared errors ``||w - w*||^2``: at the validation-chosen
    iterate, the oracle minimum along the path, and at the last iteration.

    Returns a list of dicts, one per seed.
    """
    rows = []
    for seed in seeds:
        X, y, X_val, y_val, w_star, groups = paper_setting("fig4", seed, n_validation)
        t0 = time.perf_counter()
        dg = dglnn_path(X, y, groups, schedule="paper", algorithm="alg2", max_iter=max_iter,
                        X_val=X_val, y_val=y_val)  # fmt: skip
        t_dg = time.perf_counter() - t0
        t0 = time.perf_counter()
        dl = dlnn_path(X, y, max_iter=max_iter, X_val=X_val, y_val=y_val)
        t_dl = time.perf_counter() - t0
        err_dg = _sq_error(dg.coefs, w_star)
        err_dl = _sq_error(dl.coefs, w_star)
        support = set(np.flatnonzero(np.abs(w_star) > 0) // 4)
        chosen = set(np.argsort(dg.u[dg.iterations.searchsorted(dg.best_iter)])[-len(support):])
        rows.append(
            dict(
                seed=seed,
                dglnn_val=float(_sq_error(dg.best_coef, w_star)[0]),
                dglnn_oracle=float(err_dg.min()),
                dglnn_last=float(err_dg[-1]),
                dglnn_best_iter=dg.best_iter,
                dglnn_groups_found=support == chosen,
                dlnn_val=float(_sq_error(dl.best_coef, w_star)[0]),
                dlnn_oracle=float(err_dl.min()),
                dlnn_last=float(err_dl[-1]),
                seconds_dglnn=t_dg,
                seconds_dlnn=t_dl,
            )
        )
    return rows


def format_figure4(rows) -> str:
    """A Markdown table of :func:`figure4`'s results, with medians."""
    head = (
        "| seed | DGLNN val-stopped | DGLNN oracle | DGLNN @last | groups found "
        "| DLNN val-stopped | DLNN oracle | DLNN @last |\n|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['seed']} | {r['dglnn_val']:.4f} | {r['dglnn_oracle']:.4f} | {r['dglnn_last']:.4f} "
            f"| {'yes' if r['dglnn_groups_found'] else 'no'} | {r['dlnn_val']:.3f} "
            f"| {r['dlnn_oracle']:.3f} | {r['dlnn_last']:.3f} |"
        )
    med = {k: float(np.median([r[k] for r in rows])) for k in rows[0] if k not in ("seed", "dglnn_groups_found", "dglnn_best_iter")}
    lines.append(
        f"| median | {med['dglnn_val']:.4f} | {med['dglnn_oracle']:.4f} | {med['dglnn_last']:.4f} "
        f"| {sum(r['dglnn_groups_found'] for r in rows)}/{len(rows)} | {med['dlnn_val']:.3f} "
        f"| {med['dlnn_oracle']:.3f} | {med['dlnn_last']:.3f} |"
    )
    return "\n".join(lines)

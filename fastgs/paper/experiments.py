"""The paper's Section 5 experiments and the appendix's SNR comparison.

Each experiment is a list of independent runs (:class:`Run`: a top-level
function and its keyword arguments, one per seed or setting), executed by a
*runner* -- any callable ``runner(func, items) -> list`` that returns
``[func(item) for item in items]`` in order (the default runs them one after
the other; ``fastgs.dask.map_on_cluster`` runs them on a cluster) -- and an
aggregation step that turns the run results into an :class:`ExperimentResult`
(a per-run table, medians, the comparison with the expected numbers of
docs/method.rst, 'Reference results', and the
curves the figures need)::

    from fastgs.paper.experiments import reproduce
    result = reproduce("fig2", seeds=3)
    print(result.table())

Every DGLNN fit here pins ``schedule="paper"``: these are reproductions of
the published algorithms, whatever the package default.
"""

from __future__ import annotations

import inspect
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._progress import sequential_map
from .. import path as _path
from ..results import DivergenceWarning
from .settings import paper_setting


def dglnn_path(*args, **kwargs):
    """:func:`fastgs.dglnn_path` over a fixed horizon: the paper's experiments
    report whole paths and errors at fixed iterations, so no early end."""
    return _path.dglnn_path(*args, n_iter_no_change=0, **kwargs)


def dlnn_path(*args, **kwargs):
    """:func:`fastgs.dlnn_path` over a fixed horizon (see :func:`dglnn_path`)."""
    return _path.dlnn_path(*args, n_iter_no_change=0, **kwargs)

__all__ = [
    "EXPERIMENTS",
    "ExperimentResult",
    "Run",
    "aggregate",
    "execute",
    "fig2_run",
    "fig3_run",
    "fig4_run",
    "fig5_run",
    "figure4",
    "format_figure4",
    "make_runs",
    "reproduce",
    "snr_run",
]

#: experiment names, in the order ``reproduce all`` runs them
EXPERIMENTS = ("fig2", "fig3", "fig4", "fig5", "snr")

ALPHA = 1e-6  # the paper's initialization
N_VALIDATION = 100  # held-out samples used to choose the stopping iteration
SNR_FULL = (1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0)
SNR_QUICK = (1.0, 2.0, 5.0, 10.0, 30.0)
#: number of seeds of the full and the quick run
SEEDS = {
    "fig2": (10, 3),
    "fig3": (10, 3),
    "fig4": (10, 3),
    "fig5": (30, 8),
    "snr": (10, 3),
}
BASELINES_HINT = "the SNR comparison needs skglm for the group lasso: pip install fastgs[baselines]"


# --------------------------------------------------------------------------
# runs and runners


@dataclass(frozen=True, eq=False)
class Run:
    """One independent unit of work: ``func(**kwargs)`` (picklable when
    ``func`` is a module-level function)."""

    func: Callable
    kwargs: dict

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"Run({self.func.__name__}({args}))"


def execute(run: Run):
    """Execute one :class:`Run` (the function runners map over the runs)."""
    return run.func(**run.kwargs)


def _default_runner(func, items):
    return sequential_map(func, items)


# --------------------------------------------------------------------------
# helpers shared by the runs


def _squared_errors(coefs, w_star) -> np.ndarray:
    """``||w_t - w*||^2`` of every row of ``coefs``."""
    diff = np.atleast_2d(np.asarray(coefs, dtype=np.float64)) - w_star
    return np.einsum("ij,ij->i", diff, diff)


def _error(coef, w_star) -> float:
    return float(_squared_errors(coef, w_star)[0])


def _first_within(errors, factor) -> int:
    """Index of the first entry within ``factor`` of the minimum."""
    return int(np.argmax(errors <= factor * errors.min()))


def _least_squares_on_support(X, y, w_star) -> float:
    """Error of least squares restricted to the true support (the oracle estimator)."""
    support = w_star != 0
    coef, *_ = np.linalg.lstsq(X[:, support], y, rcond=None)
    return float(np.sum((coef - w_star[support]) ** 2))


def _quiet(func, *args, **kwargs):
    """Call a path function with divergence warnings silenced: a run that
    diverges is reported through its status in the results."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        return func(*args, **kwargs)


def _support_groups(groups, w_star) -> np.ndarray:
    norms = np.array([np.linalg.norm(w_star[groups.indices(l)]) for l in range(groups.n_groups)])
    return np.flatnonzero(norms > 0)


def _directions(coefs, w_star, groups, group_ids):
    """Directions ``v_l = w_l / ||w_l||`` of the listed groups over the iterates,
    (k, m) with m the total size of the groups, and the target directions
    ``w*_l / ||w*_l||`` (m,) and group of each column (m,)."""
    cols, targets, owner = [], [], []
    for l in group_ids:
        idx = groups.indices(l)
        cols.append(idx)
        targets.append(w_star[idx] / np.linalg.norm(w_star[idx]))
        owner.append(np.full(idx.size, l))
    out = []
    for idx in cols:
        block = np.asarray(coefs[:, idx], dtype=np.float64)
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        out.append(block / np.where(norms > 0, norms, 1.0))
    return np.hstack(out), np.concatenate(targets), np.concatenate(owner)


def _trace_entries(coefs, w_star, n_off=6):
    """The support entries and the ``n_off`` off-support entries largest at the end."""
    support = np.flatnonzero(w_star != 0)
    off = np.flatnonzero(w_star == 0)
    off = off[np.argsort(-np.abs(coefs[-1, off]))[:n_off]]
    cols = np.concatenate([support, off])
    return {
        "entry_index": cols,
        "entries": np.asarray(coefs[:, cols], dtype=np.float64),
        "entry_target": w_star[cols],
    }


def _status(path) -> str:
    return path.status.name if path.status.ok else f"{path.status.name}@{path.status.iteration}"


# --------------------------------------------------------------------------
# the runs (one per seed or setting)


def fig2_run(seed, max_iter=2000, step_u=2e-3, n_validation=N_VALIDATION, trace=False):
    """Figure 2: Algorithm 1, n=150, p=300, 3 groups of 3 with entries 10, gamma=2e-3.

    Returns ``{"row": scalars, "curves": {"error": (max_iter+1,)}, "trace": ...}``;
    the trace (recorded magnitudes ``u``) only with ``trace=True``.
    """
    X, y, X_val, y_val, w_star, groups = paper_setting("fig2", seed, n_validation)
    path = _quiet(
        dglnn_path,
        X,
        y,
        groups,
        schedule="paper",
        algorithm="alg1",
        alpha=ALPHA,
        step_u=step_u,
        max_iter=max_iter,
        X_val=X_val,
        y_val=y_val,
    )
    err = _squared_errors(path.coefs, w_star)
    best = int(np.argmin(err))
    row = {
        "seed": seed,
        "min_error": float(err[best]),
        "min_iter": int(path.iterations[best]),
        "reached_iter": int(path.iterations[_first_within(err, 1.05)]),
        "val_iter": path.best_iter,
        "val_error": _error(path.best_coef, w_star),
        "last_error": float(err[-1]),
        "ls_support_error": _least_squares_on_support(X, y, w_star),
        "off_support_max": float(np.abs(path.coefs[best][w_star == 0]).max()),
        "status": _status(path),
    }
    out = {"row": row, "curves": {"iterations": path.iterations, "error": err}}
    if trace:
        out["trace"] = {
            "iterations": path.iterations,
            "u": path.u,
            "support_groups": _support_groups(groups, w_star),
            "val_iter": path.best_iter,
        }
    return out


def fig3_run(
    seed,
    max_iter=2000,
    step_u=2e-3,
    step_v=1e-3,
    switch="paper",
    n_validation=N_VALIDATION,
    trace=False,
):
    """Figure 3: Algorithm 2 (the paper's switch rule), entries 5..13.

    The row reports the switch iteration, the errors and the iterations at
    which each support group enters (``u_l^2`` reaches half of ``||w*_l||``).
    """
    X, y, X_val, y_val, w_star, groups = paper_setting("fig3", seed, n_validation)
    path = _quiet(
        dglnn_path,
        X,
        y,
        groups,
        schedule="paper",
        algorithm="alg2",
        switch=switch,
        alpha=ALPHA,
        step_u=step_u,
        step_v=step_v,
        max_iter=max_iter,
        X_val=X_val,
        y_val=y_val,
    )
    err = _squared_errors(path.coefs, w_star)
    best = int(np.argmin(err))
    support_groups = _support_groups(groups, w_star)
    target = np.array([np.linalg.norm(w_star[groups.indices(l)]) for l in support_groups])
    reached = path.u[:, support_groups] ** 2 >= 0.5 * target
    enter = [int(path.iterations[np.argmax(col)]) if col.any() else -1 for col in reached.T]
    row = {
        "seed": seed,
        "switch_iter": -1 if path.switch_iter is None else int(path.switch_iter),
        "min_error": float(err[best]),
        "min_iter": int(path.iterations[best]),
        "val_iter": path.best_iter,
        "val_error": _error(path.best_coef, w_star),
        "last_error": float(err[-1]),
        "ls_support_error": _least_squares_on_support(X, y, w_star),
        # the order in which the groups enter; "incremental": largest first, as
        # the paper describes
        "enter_order": " ".join(str(int(support_groups[j])) for j in np.argsort(enter))
        if min(enter) >= 0
        else "",
        "incremental": bool(
            min(enter) >= 0 and np.all(np.diff(np.array(enter)[np.argsort(-target)]) > 0)
        ),
        "status": _status(path),
    }
    out = {"row": row, "curves": {"iterations": path.iterations, "error": err}}
    if trace:
        directions, direction_target, direction_group = _directions(
            path.coefs, w_star, groups, support_groups
        )
        out["trace"] = dict(
            iterations=path.iterations,
            u=path.u,
            support_groups=support_groups,
            directions=directions,
            direction_target=direction_target,
            direction_group=direction_group,
            switch_iter=path.switch_iter,
            val_iter=path.best_iter,
            **_trace_entries(path.coefs, w_star),
        )
    return out


def fig4_run(seed, max_iter=500, n_validation=N_VALIDATION, trace=False):
    """Figure 4: DGLNN (Algorithm 2) vs the diagonal linear network ``a∘a - b∘b``,
    n=100, p=500, 4 groups of 4 with entries 1, both for ``max_iter`` iterations."""
    X, y, X_val, y_val, w_star, groups = paper_setting("fig4", seed, n_validation)
    t0 = time.perf_counter()
    dg = _quiet(
        dglnn_path,
        X,
        y,
        groups,
        schedule="paper",
        algorithm="alg2",
        alpha=ALPHA,
        max_iter=max_iter,
        X_val=X_val,
        y_val=y_val,
    )
    t_dg = time.perf_counter() - t0
    t0 = time.perf_counter()
    dl = _quiet(dlnn_path, X, y, alpha=ALPHA, max_iter=max_iter, X_val=X_val, y_val=y_val)
    t_dl = time.perf_counter() - t0
    err_dg = _squared_errors(dg.coefs, w_star)
    err_dl = _squared_errors(dl.coefs, w_star)
    support = set(_support_groups(groups, w_star).tolist())
    chosen = set(np.argsort(dg.best_u)[-len(support) :].tolist())
    row = {
        "seed": seed,
        "dglnn_val": _error(dg.best_coef, w_star),
        "dglnn_oracle": float(err_dg.min()),
        "dglnn_last": float(err_dg[-1]),
        "dglnn_best_iter": dg.best_iter,
        "dglnn_groups_found": support == chosen,
        "dlnn_val": _error(dl.best_coef, w_star),
        "dlnn_oracle": float(err_dl.min()),
        "dlnn_last": float(err_dl[-1]),
        "seconds_dglnn": t_dg,
        "seconds_dlnn": t_dl,
        "status": f"{_status(dg)}/{_status(dl)}",
    }
    out = {
        "row": row,
        "curves": {
            "dglnn_iterations": dg.iterations,
            "dglnn_error": err_dg,
            "dlnn_iterations": dl.iterations,
            "dlnn_error": err_dl,
        },
    }
    if trace:
        dg_entries = _trace_entries(dg.coefs, w_star, n_off=0)
        dl_entries = _trace_entries(dl.coefs, w_star, n_off=4)
        out["trace"] = {
            "dglnn_iterations": dg.iterations,
            "dglnn_entries": dg_entries["entries"],
            "dglnn_val_iter": dg.best_iter,
            "dlnn_iterations": dl.iterations,
            "dlnn_entries": dl_entries["entries"],
            "dlnn_entry_target": dl_entries["entry_target"],
            "dlnn_val_iter": dl.best_iter,
            "entry_target": dg_entries["entry_target"],
        }
    return out


def fig5_run(seed, max_iter=600, step_u=0.1, n_validation=N_VALIDATION, trace=False):
    """Figure 5: group size 1 (the degenerate case), n=80, p=200,
    support ``[1, -1, 1, -1, 1]``; the log2 error at every iteration.

    ``step_u=0.1`` puts the minimum where the paper's figure has it (iteration
    ~140); the automatic step (~0.04 here) reaches the same minimum at ~270.
    """
    X, y, X_val, y_val, w_star, groups = paper_setting("fig5", seed, n_validation)
    path = _quiet(
        dglnn_path,
        X,
        y,
        groups,
        schedule="paper",
        algorithm="alg2",
        alpha=ALPHA,
        step_u=step_u,
        max_iter=max_iter,
        X_val=X_val,
        y_val=y_val,
    )
    log_err = np.log2(_squared_errors(path.coefs, w_star))
    best = int(np.argmin(log_err))
    support = w_star != 0
    row = {
        "seed": seed,
        "min_log2_error": float(log_err[best]),
        "min_iter": int(path.iterations[best]),
        "val_log2_error": float(np.log2(_error(path.best_coef, w_star))),
        "val_iter": path.best_iter,
        "signs_right": bool(
            np.array_equal(np.sign(path.coefs[best][support]), np.sign(w_star[support]))
        ),
        "status": _status(path),
    }
    out = {"row": row, "curves": {"iterations": path.iterations, "log2_error": log_err}}
    if trace:
        out["trace"] = dict(
            iterations=path.iterations,
            val_iter=path.best_iter,
            **_trace_entries(path.coefs, w_star),
        )
    return out


def _group_lasso_validation(X, y, X_val, y_val, group_size, n_lambdas, lambda_ratio):
    """Group lasso (skglm) over a geometric lambda grid from lambda_max down
    to ``lambda_ratio * lambda_max`` with warm starts; the fit with the lowest
    validation loss.  Returns ``(coef, lambda / lambda_max)``."""
    try:
        from skglm import GroupLasso
    except ImportError as exc:
        raise ImportError(BASELINES_HINT) from exc
    n = X.shape[0]
    # lambda_max: the smallest penalty with an all-zero solution (unit group weights)
    lam_max = float(np.linalg.norm((X.T @ y / n).reshape(-1, group_size), axis=1).max())
    model = GroupLasso(
        groups=group_size, alpha=lam_max, fit_intercept=False, warm_start=True, tol=1e-6
    )
    best = (np.inf, np.zeros(X.shape[1]), 1.0)
    for ratio in np.geomspace(1.0, lambda_ratio, n_lambdas):
        model.alpha = lam_max * ratio
        model.fit(X, y)
        val = float(np.mean((y_val - X_val @ model.coef_) ** 2))
        if val < best[0]:
            best = (val, model.coef_.copy(), float(ratio))
    return best[1], best[2]


def snr_run(
    seed,
    snr,
    max_iter=2000,
    dlnn_max_iter=10000,
    n_validation=N_VALIDATION,
    n_lambdas=40,
    lambda_ratio=1e-3,
    n_samples=150,
):
    """The SNR comparison: Gaussian X, n=150, p=300, 3 groups of 4 with entries 10,
    ``sigma^2 = ||w*||^2 / snr``.  Validation-stopped DGLNN (Algorithm 2, automatic
    switch) vs the group lasso tuned on the same validation set (skglm) vs the
    validation-stopped diagonal linear network; log2 squared errors."""
    X, y, X_val, y_val, w_star, groups = paper_setting(
        "snr", seed, n_validation, snr=float(snr), n_samples=n_samples
    )
    dg = _quiet(
        dglnn_path,
        X,
        y,
        groups,
        schedule="paper",
        algorithm="alg2",
        switch="auto",
        alpha=ALPHA,
        max_iter=max_iter,
        record_every=max_iter,
        X_val=X_val,
        y_val=y_val,
    )
    dl = _quiet(
        dlnn_path,
        X,
        y,
        alpha=ALPHA,
        max_iter=dlnn_max_iter,
        record_every=dlnn_max_iter,
        X_val=X_val,
        y_val=y_val,
    )
    size = int(groups.sizes[0])
    gl_coef, gl_ratio = _group_lasso_validation(X, y, X_val, y_val, size, n_lambdas, lambda_ratio)
    row = {
        "seed": seed,
        "snr": float(snr),
        "dglnn_log2_error": float(np.log2(_error(dg.best_coef, w_star))),
        "group_lasso_log2_error": float(np.log2(_error(gl_coef, w_star))),
        "dlnn_log2_error": float(np.log2(_error(dl.best_coef, w_star))),
        "dglnn_val_iter": dg.best_iter,
        "dlnn_val_iter": dl.best_iter,
        "group_lasso_lambda_ratio": gl_ratio,
        "status": f"{_status(dg)}/{_status(dl)}",
    }
    return {"row": row, "curves": {}}


_RUN_FUNCS = {
    "fig2": fig2_run,
    "fig3": fig3_run,
    "fig4": fig4_run,
    "fig5": fig5_run,
    "snr": snr_run,
}


# --------------------------------------------------------------------------
# results


@dataclass
class ExperimentResult:
    """What one experiment produced.

    Attributes
    ----------
    name, title : str
    params : dict, the settings of the runs (seeds, iterations, ...)
    rows : list of dicts, one per run (the CSV)
    summary : dict of aggregate numbers (medians, counts)
    comparison : list of dicts ``{quantity, measured, paper, consistent}``:
        the measured numbers next to the expected ones (docs/method.rst,
        'Reference results')
    curves : dict of arrays for the figures (``trace``: the first run's
        recorded iterates)
    columns : list of ``(key, header, format)`` of the printed table
    seconds : wall time of the runs
    table_rows : the printed rows when they are not ``rows`` (SNR: one per SNR)
    """

    name: str
    title: str
    params: dict
    rows: list
    summary: dict
    comparison: list
    curves: dict = field(default_factory=dict)
    columns: list = field(default_factory=list)
    seconds: float = 0.0
    table_rows: list | None = None

    def table(self) -> str:
        """A Markdown table of the runs, then the comparison with docs/method.rst, 'Reference results'."""
        rows = self.rows if self.table_rows is None else self.table_rows
        cols = self.columns or [(k, k, "{}") for k in rows[0]]
        lines = ["| " + " | ".join(h for _, h, _ in cols) + " |", "|" + "---|" * len(cols)]
        for row in rows + ([self.summary["table_row"]] if "table_row" in self.summary else []):
            lines.append("| " + " | ".join(_fmt(row.get(k), f) for k, _, f in cols) + " |")
        lines += [
            "",
            "| quantity | measured | expected (docs/method.rst) | consistent |",
            "|---|---|---|---|",
        ]
        for c in self.comparison:
            lines.append(
                f"| {c['quantity']} | {c['measured']} | {c['paper']} | "
                f"{'yes' if c['consistent'] else 'NO'} |"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready: everything but the curves."""
        return _jsonable(
            {
                "name": self.name,
                "title": self.title,
                "params": self.params,
                "seconds": self.seconds,
                "summary": self.summary,
                "comparison": self.comparison,
                "rows": self.rows,
            }
        )


def _fmt(value, fmt) -> str:
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if np.isfinite(obj) else None
    return obj


def _median(rows, key) -> float:
    return float(np.median([r[key] for r in rows]))


def _range(rows, key, fmt="{:.3g}") -> str:
    vals = [r[key] for r in rows]
    return f"{fmt.format(min(vals))}–{fmt.format(max(vals))}"


# --------------------------------------------------------------------------
# building the runs and aggregating them


def _seeds(seeds, name, quick) -> list:
    if seeds is None:
        seeds = SEEDS[name][1 if quick else 0]
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be a positive integer, got {seeds}.")
        return list(range(int(seeds)))
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty.")
    return seeds


def make_runs(name, seeds=None, *, quick=False, **params) -> list:
    """The independent runs of experiment ``name``.

    Parameters
    ----------
    name : one of :data:`EXPERIMENTS`
    seeds : None (the default count: :data:`SEEDS`), an int (seeds 0..n-1) or
        a list of seeds
    quick : bool, fewer seeds (and for "snr" fewer SNR values)
    params : passed to every run (e.g. ``max_iter``); for "snr" also
        ``snrs``, the SNR values

    The first run records a trace of its iterates for the figures.
    """
    if name not in _RUN_FUNCS:
        raise ValueError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}.")
    func = _RUN_FUNCS[name]
    seeds = _seeds(seeds, name, quick)
    if name == "snr":
        snrs = params.pop("snrs", SNR_QUICK if quick else SNR_FULL)
        return [Run(func, dict(seed=s, snr=float(v), **params)) for v in snrs for s in seeds]
    return [Run(func, dict(seed=s, trace=(i == 0), **params)) for i, s in enumerate(seeds)]


def aggregate(name, runs, results, seconds=0.0) -> ExperimentResult:
    """Turn the run results of experiment ``name`` into an :class:`ExperimentResult`."""
    rows = [r["row"] for r in results]
    # the settings of the runs: the run function's defaults, then what was passed
    defaults = {
        k: p.default
        for k, p in inspect.signature(runs[0].func).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    params = {
        k: v for k, v in {**defaults, **runs[0].kwargs}.items() if k not in ("seed", "trace", "snr")
    }
    params["seeds"] = sorted({r.kwargs["seed"] for r in runs})
    trace = next((r["trace"] for r in results if "trace" in r), None)
    curves = {"trace": trace, "runs": [r["curves"] for r in results]}
    result = _AGGREGATORS[name](rows, params, curves)
    result.seconds = seconds
    return result


def reproduce(name, seeds=None, *, quick=False, runner=None, **params) -> ExperimentResult:
    """Run experiment ``name`` and aggregate it.

    Parameters
    ----------
    name : "fig2", "fig3", "fig4", "fig5" or "snr"
    seeds : None, int or list of ints (see :func:`make_runs`)
    quick : bool, fewer seeds
    runner : None (sequential, with a progress bar on a terminal) or a callable
        ``runner(func, items) -> list`` returning the results in order
    params : passed to every run (e.g. ``max_iter=300`` for a short test)
    """
    runs = make_runs(name, seeds, quick=quick, **params)
    runner = _default_runner if runner is None else runner
    t0 = time.perf_counter()
    results = list(runner(execute, runs))
    if len(results) != len(runs):
        raise RuntimeError(f"the runner returned {len(results)} results for {len(runs)} runs.")
    return aggregate(name, runs, results, time.perf_counter() - t0)


def _aggregate_fig2(rows, params, curves) -> ExperimentResult:
    ls_ratio = [r["last_error"] / r["ls_support_error"] for r in rows]
    summary = {
        "median_min_error": _median(rows, "min_error"),
        "median_reached_iter": _median(rows, "reached_iter"),
        "median_val_error": _median(rows, "val_error"),
        "max_off_support": max(r["off_support_max"] for r in rows),
        "max_last_over_ls": float(max(ls_ratio)),
        "n_ok": sum(r["status"] == "max_iter" for r in rows),
    }
    summary["table_row"] = dict(
        seed="median",
        **{
            k: _median(rows, k)
            for k in (
                "min_error",
                "min_iter",
                "reached_iter",
                "val_iter",
                "val_error",
                "last_error",
                "ls_support_error",
                "off_support_max",
            )
        },
        status=f"{summary['n_ok']}/{len(rows)} ok",
    )
    comparison = [
        {
            "quantity": "min error (range over seeds)",
            "measured": _range(rows, "min_error"),
            "paper": "≈ 0.009–0.026 by seed",
            "consistent": all(0.003 <= r["min_error"] <= 0.05 for r in rows),
        },
        {
            "quantity": "first within 5% of the min (median iteration)",
            "measured": f"{summary['median_reached_iter']:.0f}",
            "paper": "~ 300",
            "consistent": 150 <= summary["median_reached_iter"] <= 700,
        },
        {
            "quantity": "off-support max |w| at the min",
            "measured": f"{summary['max_off_support']:.2g}",
            "paper": "~ 1e-4",
            "consistent": summary["max_off_support"] < 1e-2,
        },
        {
            "quantity": f"error at iteration {params['max_iter']} / least squares on support (max)",
            "measured": f"{summary['max_last_over_ls']:.2f}",
            "paper": "≈ 1 (stable)",
            "consistent": summary["max_last_over_ls"] <= 2.0 and summary["n_ok"] == len(rows),
        },
    ]
    cols = [
        ("seed", "seed", "{}"),
        ("min_error", "min error", "{:.4f}"),
        ("min_iter", "at iter", "{:.0f}"),
        ("reached_iter", "within 5% at", "{:.0f}"),
        ("val_error", "val-stopped error", "{:.4f}"),
        ("val_iter", "val iter", "{:.0f}"),
        ("last_error", "error @last", "{:.4f}"),
        ("ls_support_error", "LS on support", "{:.4f}"),
        ("off_support_max", "off-support max", "{:.1e}"),
        ("status", "status", "{}"),
    ]
    return ExperimentResult(
        "fig2",
        "Figure 2: Algorithm 1, n=150, p=300, 3 groups of 3, entries 10, gamma=2e-3",
        params,
        rows,
        summary,
        comparison,
        curves,
        cols,
    )


def _aggregate_fig3(rows, params, curves) -> ExperimentResult:
    fired = [r["switch_iter"] for r in rows if r["switch_iter"] >= 0]
    summary = {
        "n_switched": len(fired),
        "median_switch_iter": float(np.median(fired)) if fired else None,
        "median_min_error": _median(rows, "min_error"),
        "median_val_error": _median(rows, "val_error"),
        "n_incremental": sum(r["incremental"] for r in rows),
    }
    summary["table_row"] = dict(
        seed="median",
        switch_iter=summary["median_switch_iter"],
        **{
            k: _median(rows, k)
            for k in (
                "min_error",
                "min_iter",
                "val_error",
                "val_iter",
                "last_error",
                "ls_support_error",
            )
        },
        incremental=f"{summary['n_incremental']}/{len(rows)}",
    )
    comparison = [
        {
            "quantity": "switch iteration (range)",
            "measured": f"{min(fired)}–{max(fired)} ({len(fired)}/{len(rows)} fired)"
            if fired
            else "never",
            "paper": "~ 300–490",
            "consistent": len(fired) == len(rows) and all(200 <= s <= 700 for s in fired),
        },
        {
            "quantity": "min error (range over seeds)",
            "measured": _range(rows, "min_error"),
            "paper": "≈ 0.01–0.024",
            "consistent": all(0.003 <= r["min_error"] <= 0.05 for r in rows),
        },
        {
            "quantity": "groups enter largest first",
            "measured": f"{summary['n_incremental']}/{len(rows)}",
            "paper": "incremental learning (Section 5)",
            "consistent": summary["n_incremental"] == len(rows),
        },
    ]
    cols = [
        ("seed", "seed", "{}"),
        ("switch_iter", "switch", "{:.0f}"),
        ("min_error", "min error", "{:.4f}"),
        ("min_iter", "at iter", "{:.0f}"),
        ("val_error", "val-stopped error", "{:.4f}"),
        ("val_iter", "val iter", "{:.0f}"),
        ("last_error", "error @last", "{:.4f}"),
        ("ls_support_error", "LS on support", "{:.4f}"),
        ("incremental", "largest group first", "{}"),
        ("status", "status", "{}"),
    ]
    return ExperimentResult(
        "fig3",
        "Figure 3: Algorithm 2 (paper's switch rule, eta=1e-3), entries 5..13",
        params,
        rows,
        summary,
        comparison,
        curves,
        cols,
    )


def _aggregate_fig4(rows, params, curves) -> ExperimentResult:
    keys = ("dglnn_val", "dglnn_oracle", "dglnn_last", "dlnn_val", "dlnn_oracle", "dlnn_last")
    summary = {f"median_{k}": _median(rows, k) for k in keys}
    summary["n_groups_found"] = sum(r["dglnn_groups_found"] for r in rows)
    ratio = [r["dlnn_last"] / r["dglnn_oracle"] for r in rows]
    summary["min_dlnn_over_dglnn"] = float(min(ratio))
    summary["table_row"] = dict(
        seed="median",
        **{k: _median(rows, k) for k in keys},
        dglnn_groups_found=f"{summary['n_groups_found']}/{len(rows)}",
    )
    it = params["max_iter"]
    comparison = [
        {
            "quantity": "DGLNN error, median (val-stopped / oracle)",
            "measured": f"{summary['median_dglnn_val']:.3f} / {summary['median_dglnn_oracle']:.3f}",
            "paper": "≈ 0.05",
            "consistent": summary["median_dglnn_val"] < 0.2,
        },
        {
            "quantity": "all 4 groups found",
            "measured": f"{summary['n_groups_found']}/{len(rows)}",
            "paper": "all",
            "consistent": summary["n_groups_found"] == len(rows),
        },
        {
            "quantity": f"a∘a−b∘b error at {it} iterations, median (range)",
            "measured": f"{summary['median_dlnn_last']:.2f} ({_range(rows, 'dlnn_last', '{:.2f}')})",
            "paper": "≥ 3",
            "consistent": summary["median_dlnn_last"] >= 3.0,
        },
        {
            "quantity": "a∘a−b∘b / DGLNN error (worst seed)",
            "measured": f"{summary['min_dlnn_over_dglnn']:.0f}×",
            "paper": "several times",
            "consistent": summary["min_dlnn_over_dglnn"] >= 5.0,
        },
    ]
    cols = [
        ("seed", "seed", "{}"),
        ("dglnn_val", "DGLNN val-stopped", "{:.4f}"),
        ("dglnn_oracle", "DGLNN oracle", "{:.4f}"),
        ("dglnn_last", "DGLNN @last", "{:.4f}"),
        ("dglnn_groups_found", "groups found", "{}"),
        ("dlnn_val", "DLNN val-stopped", "{:.3f}"),
        ("dlnn_oracle", "DLNN oracle", "{:.3f}"),
        ("dlnn_last", "DLNN @last", "{:.3f}"),
    ]
    return ExperimentResult(
        "fig4",
        f"Figure 4: DGLNN vs a∘a−b∘b, n=100, p=500, 4 groups of 4, entries 1, {it} iterations",
        params,
        rows,
        summary,
        comparison,
        curves,
        cols,
    )


def _aggregate_fig5(rows, params, curves) -> ExperimentResult:
    log_err = np.array([c["log2_error"] for c in curves["runs"]])
    iterations = curves["runs"][0]["iterations"]
    median_curve = np.median(log_err, axis=0)
    at = int(np.argmin(median_curve))
    curves["median_log2_error"] = median_curve
    curves["q25_log2_error"], curves["q75_log2_error"] = np.percentile(log_err, [25, 75], axis=0)
    curves["iterations"] = iterations
    summary = {
        "median_curve_min": float(median_curve[at]),
        "median_curve_argmin": int(iterations[at]),
        "median_min_log2_error": _median(rows, "min_log2_error"),
        "median_val_log2_error": _median(rows, "val_log2_error"),
        "n_signs_right": sum(r["signs_right"] for r in rows),
    }
    summary["table_row"] = dict(
        seed="median",
        **{
            k: _median(rows, k)
            for k in ("min_log2_error", "min_iter", "val_log2_error", "val_iter")
        },
        signs_right=f"{summary['n_signs_right']}/{len(rows)}",
    )
    comparison = [
        {
            "quantity": "median log2 error curve: minimum (at iteration)",
            "measured": f"{summary['median_curve_min']:.2f} (at {summary['median_curve_argmin']})",
            "paper": "≈ −5.8 near 120–150",
            "consistent": summary["median_curve_min"] <= -4.0
            and 60 <= summary["median_curve_argmin"] <= 400,
        },
        {
            "quantity": "signs right on the support",
            "measured": f"{summary['n_signs_right']}/{len(rows)}",
            "paper": "all",
            "consistent": summary["n_signs_right"] == len(rows),
        },
    ]
    cols = [
        ("seed", "seed", "{}"),
        ("min_log2_error", "min log2 error", "{:.2f}"),
        ("min_iter", "at iter", "{:.0f}"),
        ("val_log2_error", "val-stopped log2 error", "{:.2f}"),
        ("val_iter", "val iter", "{:.0f}"),
        ("signs_right", "signs right", "{}"),
        ("status", "status", "{}"),
    ]
    return ExperimentResult(
        "fig5",
        "Figure 5: group size 1, n=80, p=200, support [1,-1,1,-1,1]",
        params,
        rows,
        summary,
        comparison,
        curves,
        cols,
    )


def _aggregate_snr(rows, params, curves) -> ExperimentResult:
    methods = ("dglnn", "group_lasso", "dlnn")
    snrs = sorted({r["snr"] for r in rows})
    per_snr = []
    for s in snrs:
        sel = [r for r in rows if r["snr"] == s]
        entry = {"snr": s, "n": len(sel)}
        for m in methods:
            vals = np.array([r[f"{m}_log2_error"] for r in sel])
            entry[m] = float(np.median(vals))
            entry[f"{m}_q25"], entry[f"{m}_q75"] = (float(q) for q in np.percentile(vals, [25, 75]))
        entry["gap_group_lasso"] = entry["group_lasso"] - entry["dglnn"]
        entry["gap_dlnn"] = entry["dlnn"] - entry["dglnn"]
        per_snr.append(entry)
    curves["per_snr"] = per_snr
    high = [e["gap_group_lasso"] for e in per_snr if e["snr"] >= 5]
    summary = {
        "per_snr": per_snr,
        "n_dglnn_beats_group_lasso": sum(e["gap_group_lasso"] > 0 for e in per_snr),
        "gap_group_lasso_snr_ge_5": [min(high), max(high)] if high else None,
    }
    params["snrs"] = snrs
    comparison = [
        {
            "quantity": "DGLNN beats val-tuned group lasso (median, per SNR)",
            "measured": f"{summary['n_dglnn_beats_group_lasso']}/{len(per_snr)} SNR values",
            "paper": "at every SNR",
            "consistent": summary["n_dglnn_beats_group_lasso"] == len(per_snr),
        },
    ]
    if high:
        comparison.append(
            {
                "quantity": "log2 gap group lasso − DGLNN at SNR ≥ 5 (range of medians)",
                "measured": f"{min(high):.2f}–{max(high):.2f}",
                "paper": "~ 1.6–2.0",
                "consistent": min(high) >= 0.8 and max(high) <= 3.5,
            }
        )
    comparison.append(
        {
            "quantity": "DGLNN beats val-stopped a∘a−b∘b (median, per SNR)",
            "measured": f"{sum(e['gap_dlnn'] > 0 for e in per_snr)}/{len(per_snr)} SNR values",
            "paper": "(not in §8)",
            "consistent": True,
        }
    )
    # the printed table: one line per SNR (medians over seeds)
    table_rows = [
        {
            "snr": e["snr"],
            "n": e["n"],
            "dglnn": e["dglnn"],
            "group_lasso": e["group_lasso"],
            "dlnn": e["dlnn"],
            "gap_group_lasso": e["gap_group_lasso"],
            "gap_dlnn": e["gap_dlnn"],
        }
        for e in per_snr
    ]
    cols = [
        ("snr", "SNR", "{:g}"),
        ("n", "seeds", "{}"),
        ("dglnn", "DGLNN log2 err", "{:.2f}"),
        ("group_lasso", "group lasso log2 err", "{:.2f}"),
        ("dlnn", "DLNN log2 err", "{:.2f}"),
        ("gap_group_lasso", "GL − DGLNN", "{:+.2f}"),
        ("gap_dlnn", "DLNN − DGLNN", "{:+.2f}"),
    ]
    result = ExperimentResult(
        "snr",
        "SNR comparison: Gaussian X, n=150, p=300, 3 groups of 4, "
        "entries 10 (medians over seeds, log2 ||w − w*||²)",
        params,
        rows,
        summary,
        comparison,
        curves,
        cols,
        table_rows=table_rows,
    )
    return result


_AGGREGATORS = {
    "fig2": _aggregate_fig2,
    "fig3": _aggregate_fig3,
    "fig4": _aggregate_fig4,
    "fig5": _aggregate_fig5,
    "snr": _aggregate_snr,
}


# --------------------------------------------------------------------------
# the former default job, kept for its callers


def figure4(seeds=(0, 1, 2, 3, 4), max_iter=500, n_validation=N_VALIDATION, runner=None):
    """Figure 4 of the paper: n=100, p=500, 4 groups of 4 with entries 1.

    For each seed, fits DGLNN (Algorithm 2, automatic steps, paper schedule)
    and the ``a∘a - b∘b`` baseline for ``max_iter`` iterations on the same
    data and reports squared errors ``||w - w*||^2``: at the
    validation-chosen iterate, the oracle minimum along the path, and at the
    last iteration.  Returns a list of dicts, one per seed.
    """
    result = reproduce(
        "fig4", list(seeds), runner=runner, max_iter=max_iter, n_validation=n_validation
    )
    return result.rows


def format_figure4(rows) -> str:
    """A Markdown table of :func:`figure4`'s results, with medians."""
    result = _aggregate_fig4(rows, {"max_iter": 0}, {})
    return result.table().split("\n\n")[0]

"""fastgs next to group-lasso and best-subset solvers: wall time and estimation error.

Usage (from the repository root, dev virtualenv)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE NUMBA_CACHE_DIR=numba-cache \\
        python bench/compare.py [--cases a,b,c] [--repeats 3] [--seeds N] [--quick]

Cases (``--quick`` shrinks b and c and runs fewer seeds, a smoke run):

a. the paper's Figure-2 setting: n=150, p=300, Rademacher X, groups of 3,
   3 informative groups with entries 10, noise sigma 0.5 (10 data seeds);
b. dense Gaussian X 2000x20000, groups of 10, 10 informative groups whose
   entries have random signs and magnitudes uniform in [0.5, 2], noise
   sigma = ||w*|| / sqrt(5) (SNR ||w*||^2 / sigma^2 = 5);
c. sparse CSC X 10000x200000 at density 1e-3 (``scipy.sparse.random``,
   standard normal nonzeros), groups of 10, w* as in b, noise sigma 0.5.

Methods, all with intercept and the same 5 folds (KFold, shuffled, seeded)
wherever they cross-validate:

- fastgs ``DGLNNRegressorCV`` (default settings, both schedules explicitly);
- group lasso by K-fold CV over 50 lambdas from lambda_max down to
  1e-3 lambda_max with warm starts, then refit on all data down to the chosen
  lambda: skglm ``GroupLasso`` and celer ``GroupLasso`` as the solvers
  (celer 0.7.4's own ``GroupLassoCV`` fails on scikit-learn 1.9: its
  ``__init__`` passes ``n_alphas``, which ``LinearModelCV`` no longer takes);
- adelie ``cv_grpnet`` (its own folds, same K, same lambda range; install it
  by hand, ``pip install adelie``: it is not in the bench extra because it
  pins numpy below 2);
- relaxed group lasso: least squares on the groups of skglm's CV-chosen lambda
  (its time is the CV time plus the least squares);
- abess ``LinearRegression(group=...)`` with ``cv=5`` on the same folds
  (its default range of support sizes);
- fastgs ``DLNNRegressor`` (ignores groups; one validation split);
- oracle least squares on the true groups (the error floor, not a method).

Each method runs in a child process forked from the one that made the data
(methods of a case run back-to-back; the parent never fits anything).  In the
child: a warm-up (import + one fit of a 60x120 problem of the same storage,
so it includes Numba compilation: fastgs loads its compiled code from the
disk cache, skglm compiles its jitclasses in every new process), then
``--repeats`` timed fits on the real data, of which the minimum is reported
(fastgs's first fit on a large problem also compiles its multi-chunk sweep,
which the tiny warm-up does not need: keep ``--repeats`` at 2 or more for a
warm time).
A fit that takes longer than ``--budget`` seconds is killed and reported as
"> budget"; the child's address space is capped (``--mem-gb``) so a library
that densifies a sparse X fails with a MemoryError instead of swapping.
BLAS and every solver run on one thread.

Groups are "selected" when their coefficients are nonzero, for the methods
that give exact zeros (group lasso, abess, least squares); DGLNN reports its
own ``selected_groups_`` and DLNN its ``support_`` (gradient descent never
gives exact zeros: see ``fastgs.select_groups``), a group counting as
selected by DLNN when any of its features is.

Prints one Markdown table per case and writes them to
``bench/results/compare.md`` (the sections of cases not run are kept).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import KFold

import _isolation
from _isolation import cap_address_space, one_line, reset_peak, rss_mb

RESULTS = Path(__file__).resolve().parent / "results" / "compare.md"
K_FOLDS = 5
N_LAMBDAS = 50
LAMBDA_MIN_RATIO = 1e-3
LONG_FIT = 30.0  # seconds: fits longer than this are not repeated


# --------------------------------------------------------------------------- data


@dataclass
class Data:
    """One problem: X, y, the true w*, the group size, the CV folds."""

    X: object
    y: np.ndarray
    w_star: np.ndarray
    group_size: int
    seed: int
    kfold: KFold = field(init=False)
    fold_ids: np.ndarray = field(init=False)

    def __post_init__(self):
        self.kfold = KFold(K_FOLDS, shuffle=True, random_state=self.seed)
        self.fold_ids = np.empty(self.X.shape[0], dtype=np.int64)
        for k, (_, test) in enumerate(self.kfold.split(self.X)):
            self.fold_ids[test] = k

    @property
    def n_groups(self) -> int:
        return self.X.shape[1] // self.group_size

    def true_groups(self) -> set:
        return set(np.flatnonzero(group_norms(self.w_star, self.group_size) > 0))


def random_group_sparse_w(p, group_size, n_informative, rng):
    """w* on ``n_informative`` random groups: random signs, magnitudes U[0.5, 2]."""
    w = np.zeros(p)
    for l in rng.choice(p // group_size, n_informative, replace=False):
        idx = slice(l * group_size, (l + 1) * group_size)
        w[idx] = rng.choice([-1.0, 1.0], group_size) * rng.uniform(0.5, 2.0, group_size)
    return w


def make_case_a(seed, quick):
    """The paper's Figure-2 setting (fastgs.paper.settings.paper_setting('fig2'))."""
    from fastgs.paper.settings import paper_setting

    X, y, w_star, _ = paper_setting("fig2", random_state=seed)
    return Data(X, y, w_star, 3, seed)


def make_case_b(seed, quick):
    """Dense Gaussian X, groups of 10, 10 informative groups, SNR 5."""
    n, p = (500, 2000) if quick else (2000, 20000)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = random_group_sparse_w(p, 10, 10, rng)
    sigma = np.sqrt(w @ w / 5.0)
    return Data(X, X @ w + sigma * rng.standard_normal(n), w, 10, seed)


def make_case_c(seed, quick):
    """Sparse CSC X at density 1e-3 (scipy.sparse.random, columns scaled to unit RMS),
    groups of 10, noise 0.5."""
    # quick: density 1e-2 keeps ~20 nonzeros per column (at 1e-3, 2000 rows give ~2)
    n, p, density = (2000, 20000, 1e-2) if quick else (10000, 200000, 1e-3)
    rng = np.random.default_rng(seed)
    # a Generator (not an int seed, which means RandomState) samples the k
    # positions in O(k) memory; RandomState would permute all n * p of them
    X = sp.random(n, p, density=density, format="csc", random_state=rng,
                  data_rvs=rng.standard_normal)  # fmt: skip
    w = random_group_sparse_w(p, 10, 10, rng)
    y = X @ w + 0.5 * rng.standard_normal(n)
    # every method fits the columns scaled to unit root-mean-square, as a user
    # would prepare them (raw, their RMS is ~0.03: DGLNN then stalls or diverges
    # and says so with a fastgs.ScaleWarning; see the README); in the scaled
    # coordinates the true coefficients are rms * w (errors are in those units)
    rms = np.sqrt(np.asarray(X.multiply(X).mean(axis=0)).ravel())
    scale = np.where(rms > 0, rms, 1.0)
    return Data((X @ sp.diags(1.0 / scale)).tocsc(), y, w * scale, 10, seed)


CASES = {
    "a": {"make": make_case_a, "seeds": 10, "quick_seeds": 2,
          "title": "(a) paper's Figure-2 setting: n=150, p=300, Rademacher X, groups of 3, "
                   "3 informative groups (entries 10), noise 0.5"},
    "b": {"make": make_case_b, "seeds": 1, "quick_seeds": 1,
          "title": "(b) dense Gaussian X 2000x20000, groups of 10, 10 informative groups "
                   "(entries ±U[0.5, 2]), noise σ = ‖w*‖/√5"},
    "c": {"make": make_case_c, "seeds": 1, "quick_seeds": 1,
          "title": "(c) sparse CSC X 10000x200000, density 1e-3, columns scaled to unit RMS, groups of 10, "
                   "10 informative groups (entries ±U[0.5, 2]), noise 0.5"},
}  # fmt: skip


def tiny_like(data: Data) -> Data:
    """A 60x120 problem with X stored like ``data.X``, for the warm-up fit."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 120))
    w = random_group_sparse_w(120, data.group_size, 2, rng)
    if sp.issparse(data.X):
        X = sp.random(60, 120, density=0.2, format=data.X.format, random_state=0,
                      data_rvs=rng.standard_normal)  # fmt: skip
    return Data(X, X @ w + 0.1 * rng.standard_normal(60), w, data.group_size, 0)


# ---------------------------------------------------------------------- helpers


def group_norms(w, group_size):
    """Euclidean norm of each contiguous group of ``group_size`` entries."""
    return np.linalg.norm(np.asarray(w).reshape(-1, group_size), axis=1)


def selected_groups(w, group_size) -> set:
    """Groups with nonzero coefficients."""
    return set(np.flatnonzero(group_norms(w, group_size) > 0))


def least_squares_on_groups(data: Data, groups) -> np.ndarray:
    """Least squares with intercept on the columns of ``groups`` (min-norm if p > n)."""
    w = np.zeros(data.X.shape[1])
    cols = np.concatenate([np.arange(l * data.group_size, (l + 1) * data.group_size)
                           for l in sorted(groups)]) if groups else np.empty(0, int)  # fmt: skip
    if cols.size == 0:
        return w
    Xs = data.X[:, cols]
    Xs = Xs.toarray() if sp.issparse(Xs) else np.array(Xs)
    Xs -= Xs.mean(axis=0)
    w[cols] = np.linalg.lstsq(Xs, data.y - data.y.mean(), rcond=None)[0]
    return w


def lambda_grid(data: Data) -> np.ndarray:
    """50 lambdas from lambda_max (all groups zero, intercept fitted) to 1e-3 of it."""
    g = np.asarray(data.X.T @ (data.y - data.y.mean())).ravel() / data.X.shape[0]
    lam_max = group_norms(g, data.group_size).max()
    return lam_max * np.geomspace(1.0, LAMBDA_MIN_RATIO, N_LAMBDAS)


@dataclass
class Fit:
    """What a method returns: coefficients, a note, optional derived fits."""

    coef: np.ndarray
    note: str = ""
    chosen: set | None = None  # the method's selected groups (None: the nonzero ones)
    derived: dict = field(default_factory=dict)  # name -> (coef, extra seconds, note)


# ---------------------------------------------------------------------- methods


def fit_dglnn_cv(data: Data, schedule: str) -> Fit:
    """fastgs DGLNNRegressorCV, default settings, the given schedule."""
    import fastgs

    est = fastgs.DGLNNRegressorCV(groups=data.group_size, cv=data.kfold, schedule=schedule)
    est.fit(data.X, data.y)
    horizon = len(est.cv_curve_) - 1
    return Fit(est.coef_, f"t*={est.best_iter_} of {horizon} passes",
               chosen=set(est.selected_groups_.tolist()))


def fit_dlnn(data: Data) -> Fit:
    """fastgs DLNNRegressor (a∘a − b∘b), one 20% validation split, refit."""
    import fastgs

    est = fastgs.DLNNRegressor(random_state=data.seed).fit(data.X, data.y)
    return Fit(est.coef_, f"t*={est.best_iter_}",
               chosen=set(np.flatnonzero(est.support_) // data.group_size))


def group_lasso_cv(data: Data, make_model):
    """K-fold CV over ``lambda_grid`` with warm starts, then the refit on all data.

    ``make_model()`` returns a fresh warm-startable estimator with an
    ``alpha`` parameter.  Returns (model refit at the chosen lambda, index
    of the chosen lambda, grid).
    """
    lambdas = lambda_grid(data)
    mse = np.zeros((K_FOLDS, lambdas.size))
    for k, (train, test) in enumerate(data.kfold.split(data.X)):
        X_tr, y_tr, X_te, y_te = data.X[train], data.y[train], data.X[test], data.y[test]
        model = make_model()
        for j, lam in enumerate(lambdas):
            model.set_params(alpha=lam).fit(X_tr, y_tr)
            mse[k, j] = np.mean((y_te - model.predict(X_te)) ** 2)
    best = int(np.argmin(mse.mean(axis=0)))
    model = make_model()
    for lam in lambdas[: best + 1]:
        model.set_params(alpha=lam).fit(data.X, data.y)
    return model, best, lambdas


def _gl_note(best, lambdas, coef, group_size):
    n_sel = len(selected_groups(coef, group_size))
    edge = " (grid edge!)" if best == lambdas.size - 1 else ""
    return f"λ*/λmax={lambdas[best] / lambdas[0]:.2g}{edge}, {n_sel} groups"


def fit_skglm(data: Data) -> Fit:
    """skglm GroupLasso in our K-fold CV loop; also the relaxed (LS-refit) version."""
    from skglm import GroupLasso

    model, best, lambdas = group_lasso_cv(
        data, lambda: GroupLasso(groups=data.group_size, warm_start=True, fit_intercept=True))
    coef = np.asarray(model.coef_).ravel()
    t = time.perf_counter()
    relaxed = least_squares_on_groups(data, selected_groups(coef, data.group_size))
    t_ls = time.perf_counter() - t
    return Fit(coef, _gl_note(best, lambdas, coef, data.group_size),
               derived={"relaxed group lasso (skglm CV support + LS)": (relaxed, t_ls, "")})  # fmt: skip


def fit_celer(data: Data) -> Fit:
    """celer GroupLasso in our K-fold CV loop (celer.GroupLassoCV fails on sklearn 1.9)."""
    from celer import GroupLasso

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at the smallest lambdas
        model, best, lambdas = group_lasso_cv(
            data, lambda: GroupLasso(groups=data.group_size, warm_start=True, fit_intercept=True))
    coef = np.asarray(model.coef_).ravel()
    return Fit(coef, _gl_note(best, lambdas, coef, data.group_size))


def fit_adelie(data: Data) -> Fit:
    """adelie cv_grpnet (own folds, same K and lambda range), refit to the chosen lambda."""
    import adelie as ad

    p = data.X.shape[1]
    if sp.issparse(data.X):
        Xm = ad.matrix.sparse(data.X, method="naive")
    else:
        Xm = ad.matrix.dense(data.X, method="naive")
    starts = np.arange(0, p, data.group_size)
    glm = ad.glm.gaussian(y=data.y)
    cv = ad.cv_grpnet(X=Xm, glm=glm, groups=starts, n_folds=K_FOLDS, seed=data.seed,
                      min_ratio=LAMBDA_MIN_RATIO, lmda_path_size=N_LAMBDAS,
                      progress_bar=False)  # fmt: skip
    state = cv.fit(X=Xm, glm=glm, groups=starts, progress_bar=False)
    coef = state.betas[-1].toarray().ravel()
    n_sel = len(selected_groups(coef, data.group_size))
    return Fit(coef, f"λ index {cv.best_idx} of {len(cv.lmdas)}, {n_sel} groups")


def fit_abess(data: Data) -> Fit:
    """abess group best-subset selection, cv=5 on the same folds, default size range."""
    import abess

    group = np.arange(data.X.shape[1]) // data.group_size
    model = abess.LinearRegression(group=group, cv=K_FOLDS, thread=1)
    model.fit(data.X, data.y, cv_fold_id=data.fold_ids)
    coef = np.asarray(model.coef_).ravel()
    return Fit(coef, f"{len(selected_groups(coef, data.group_size))} groups")


def fit_oracle(data: Data) -> Fit:
    """Least squares on the true groups: the error floor, not a method."""
    return Fit(least_squares_on_groups(data, data.true_groups()), "knows the true groups")


def _default_schedule() -> str:
    import inspect

    import fastgs

    default = inspect.signature(fastgs.DGLNNRegressorCV).parameters["schedule"].default
    return "fast" if default == "auto" else default  # "auto": fast (paper only for gd)


def methods():
    """(name, fit function) in table order; the default schedule is marked."""
    default = _default_schedule()
    mark = {s: " (default)" if s == default else "" for s in ("fast", "paper")}
    return [
        (f"fastgs DGLNNRegressorCV schedule=fast{mark['fast']}", lambda d: fit_dglnn_cv(d, "fast")),
        (f"fastgs DGLNNRegressorCV schedule=paper{mark['paper']}",
         lambda d: fit_dglnn_cv(d, "paper")),
        ("group lasso CV, skglm", fit_skglm),
        ("group lasso CV, celer", fit_celer),
        ("group lasso CV, adelie cv_grpnet", fit_adelie),
        ("group best subset, abess (cv=5)", fit_abess),
        ("fastgs DLNNRegressor (no groups)", fit_dlnn),
        ("oracle LS on true groups", fit_oracle),
    ]  # fmt: skip


# ------------------------------------------------------------ isolated timing


def _child(conn, fit, data, repeats, budget, mem_gb):
    """Warm up, then time ``repeats`` fits; send messages to the parent."""
    try:
        cap_address_space(mem_gb)
        t = time.perf_counter()
        fit(tiny_like(data))
        conn.send(("warm", time.perf_counter() - t))
        reset_peak()
        rss0 = rss_mb()
        times, out = [], None
        for _ in range(repeats):
            t = time.perf_counter()
            out = fit(data)
            times.append(time.perf_counter() - t)
            conn.send(("fit", times[-1]))
            if times[-1] > LONG_FIT or sum(times) > budget:
                break  # a long fit is timed once: its noise is small relative to it
        conn.send(("done", {"times": times, "fit": out, "extra_mb": rss_mb("VmHWM") - rss0}))
    except MemoryError as e:
        conn.send(("error", f"MemoryError above {mem_gb} GiB extra address space ({e})"))
    except Exception as e:  # noqa: BLE001 (reported in the table, not raised)
        conn.send(("error", f"{type(e).__name__}: {one_line(str(e))}"))
    finally:
        conn.close()
        os._exit(0)


def run_isolated(fit, data, repeats, budget, mem_gb) -> dict:
    """Run one method in a forked child; kill it if a step exceeds ``budget`` s."""
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fit, data, repeats, budget, mem_gb))
    proc.start()
    send.close()
    result = {"warm": float("nan")}
    try:
        while True:
            if not recv.poll(budget):
                result["error"] = f"> budget ({budget:.0f} s per fit)"
                break
            try:
                kind, value = recv.recv()
            except EOFError:
                proc.join()
                result["error"] = f"crashed (exit code {proc.exitcode})"
                break
            if kind == "warm":
                result["warm"] = value
            elif kind == "done":
                result.update(value)
                break
            elif kind == "error":
                result["error"] = value
                break
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()
    return result


# --------------------------------------------------------------------- tables


def score(coef, data: Data, chosen=None):
    """(squared error, true groups found, false groups, exact support?)."""
    chosen = selected_groups(coef, data.group_size) if chosen is None else chosen
    truth = data.true_groups()
    err = float(np.sum((np.asarray(coef, dtype=np.float64) - data.w_star) ** 2))
    return err, len(chosen & truth), len(chosen - truth), chosen == truth


def run_case(name, seeds, repeats, budget, mem_gb, quick, only=None):
    """All methods (or those matching ``only``) on all seeds of one case.

    Returns per-method lists of per-seed records, and the number of true groups.
    """
    spec = CASES[name]
    records: dict[str, list] = {}
    n_true = 0
    for seed in seeds:
        t = time.perf_counter()
        data = spec["make"](seed, quick)
        print(f"# case {name}, seed {seed}: data in {time.perf_counter() - t:.1f} s", flush=True)
        n_true = len(data.true_groups())
        for method, fit in methods():
            if only and not any(key.lower() in method.lower() for key in only):
                continue
            res = run_isolated(fit, data, repeats, budget, mem_gb)
            rows = _records(method, res, data)
            for row in rows:
                records.setdefault(row["method"], []).append(row)
                print(f"  {row['method']}: {_short(row)}", flush=True)
    return records, n_true


def _records(method, res, data):
    """Per-seed records of one method's result (plus derived methods)."""
    if "error" in res or not res.get("times"):
        return [{"method": method, "warm": res["warm"], "error": res.get("error", "no fit")}]
    fit, t = res["fit"], min(res["times"])
    base = {"warm": res["warm"], "extra_mb": res["extra_mb"], "n_times": len(res["times"])}
    err, tp, fp, exact = score(fit.coef, data, fit.chosen)
    rows = [dict(method=method, time=t, err=err, tp=tp, fp=fp, exact=exact, note=fit.note,
                 **base)]  # fmt: skip
    for dname, (coef, extra, note) in fit.derived.items():
        err, tp, fp, exact = score(coef, data, None)
        rows.append(dict(method=dname, time=t + extra, err=err, tp=tp, fp=fp, exact=exact,
                         note=note or f"LS {extra:.2g} s", **base))  # fmt: skip
    return rows


def _short(row):
    if "error" in row:
        return row["error"]
    return f"{row['time']:.3g} s, err {row['err']:.4g}, groups {row['tp']}/{row['fp']}"


def _fmt(x):
    return "–" if x is None or not np.isfinite(x) else f"{x:.3g}" if x < 1000 else f"{x:.0f}"


def format_table(name, records, n_true, seeds, repeats):
    """A Markdown table of one case (medians over seeds when several)."""
    multi = len(seeds) > 1
    med = "median " if multi else ""
    lines = [
        (f"**{CASES[name]['title']}** — {len(seeds)} data seed(s) {list(seeds)}, "
         f"fit time = min of {repeats} run(s){', median over seeds' if multi else ''}; "
         f"{n_true} true groups."),
        "",
        (f"| method | warm-up s | {med}fit s | {med}‖w−w*‖² "
         f"{'[min, max] ' if multi else ''}| {med}true groups found "
         f"| {'mean false groups [max]' if multi else 'false groups'} "
         f"| exact support | extra peak MB | notes |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for method, rows in records.items():
        ok = [r for r in rows if "error" not in r]
        warm = _fmt(np.median([r["warm"] for r in rows]))
        if not ok:
            lines.append(f"| {method} | {warm} | – | – | – | – | – | – | {rows[0]['error']} |")
            continue
        err = np.array([r["err"] for r in ok])
        err_s = _fmt(np.median(err)) + (f" [{_fmt(err.min())}, {_fmt(err.max())}]" if multi else "")
        failed = [r["error"] for r in rows if "error" in r]
        note = "; ".join(dict.fromkeys(r["note"] for r in ok if r["note"]))
        if multi:
            note = ok[0]["note"].split(",")[0] + " (seed 0)" if ok[0]["note"] else ""
        if failed:
            note += f"; failed on {len(failed)} seed(s): {failed[0]}"
        if any(r["n_times"] < repeats for r in ok):
            note += f"; timed once (fit > {LONG_FIT:.0f} s)"
        lines.append(
            f"| {method} | {warm} | {_fmt(np.median([r['time'] for r in ok]))} | {err_s} "
            f"| {np.median([r['tp'] for r in ok]):g} | {_false_groups(ok, multi)} "
            f"| {sum(r['exact'] for r in ok)}/{len(ok)} "
            f"| {_fmt(np.median([r['extra_mb'] for r in ok]))} | {note} |"
        )
    return "\n".join(lines)


def _false_groups(rows, multi):
    """False groups: the count, or over several seeds the mean and the max."""
    false = [r["fp"] for r in rows]
    return f"{np.mean(false):.3g} [{max(false)}]" if multi else f"{false[0]}"


def _merge_section(old: str, new: str) -> str:
    """``new`` with the table rows of ``old`` for methods that ``new`` lacks.

    Lets ``--methods`` re-run some methods of a case without losing the others.
    """
    def split(text):
        commands = [line for line in text.splitlines() if line.startswith("`python")]
        rows = {line.split("|")[1].strip(): line for line in text.splitlines()
                if line.startswith("| ") and not line.startswith("| method |")}
        return commands, rows

    old_cmds, old_rows = split(old)
    new_cmds, new_rows = split(new)
    merged = [new_rows.get(m, line) for m, line in old_rows.items()]
    merged += [line for m, line in new_rows.items() if m not in old_rows]
    body = [line for line in new.splitlines()
            if not line.startswith("`python") and not (line.startswith("| ")
            and not line.startswith("| method |"))]  # fmt: skip
    cmds = list(dict.fromkeys(old_cmds + new_cmds))
    return "\n".join(cmds + body + merged)


def write_results(path: Path, sections: dict, header: str, partial: bool):
    """Write the cases' sections to ``path``, keeping the sections of cases not
    run (and, with ``partial``, the rows of methods not run)."""
    old = path.read_text() if path.exists() else ""
    out = {}
    for name in "abc":
        m = re.search(rf"<!-- case {name} -->\n(.*?)\n<!-- end case {name} -->", old, re.DOTALL)
        text = sections.get(name)
        if text is not None and partial and m:
            text = _merge_section(m.group(1), text)
        if text is None and m:
            text = m.group(1)
        if text is not None:
            out[name] = f"<!-- case {name} -->\n{text}\n<!-- end case {name} -->"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n\n" + "\n\n".join(out.values()) + "\n")


def environment_line() -> str:
    """Library versions, for the results file."""
    return _isolation.environment_line(
        ("fastgs", "numpy", "scipy", "scikit-learn", "numba", "skglm", "celer", "adelie", "abess"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="a,b,c", help="comma-separated subset of a,b,c")
    ap.add_argument("--repeats", type=int, default=3, help="timed fits per method (min reported)")
    ap.add_argument("--seeds", type=int, default=None, help="data seeds per case (default: a 10, b/c 1)")
    ap.add_argument("--budget", type=float, default=900.0, help="seconds per fit before a kill")
    ap.add_argument("--mem-gb", type=float, default=8.0, help="extra address space per child, GiB")
    ap.add_argument("--methods", default=None,
                    help="comma-separated name fragments (e.g. DLNN,oracle): run only these; "
                         "the other rows of the results file are kept")
    ap.add_argument("--quick", action="store_true", help="small sizes, few seeds, 1 repeat")
    ap.add_argument("--output", default=None, help=f"results file (default {RESULTS}; none with --quick)")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # BLAS on one thread, like every solver here (inherited by the children)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if any(c not in CASES for c in cases):
        ap.error(f"--cases: choose from {','.join(CASES)}")
    repeats = 1 if args.quick else args.repeats
    budget = min(args.budget, 120.0) if args.quick else args.budget
    only = [m.strip() for m in args.methods.split(",")] if args.methods else None
    sections = {}
    for name in cases:
        n_seeds = args.seeds or CASES[name]["quick_seeds" if args.quick else "seeds"]
        seeds = list(range(n_seeds))
        records, n_true = run_case(name, seeds, repeats, budget, args.mem_gb, args.quick, only)
        command = " ".join(["python", "bench/compare.py"] + (argv or sys.argv[1:]))
        sections[name] = f"`{command}`\n\n" + format_table(name, records, n_true, seeds, repeats)
        print("\n" + sections[name] + "\n", flush=True)
    output = args.output or (None if args.quick else RESULTS)
    if output:
        header = (
            "# fastgs vs group-lasso and best-subset solvers (bench/compare.py)\n\n"
            f"{environment_line()}; one thread everywhere."
        )
        write_results(Path(output), sections, header, partial=only is not None)
        print(f"written to {output}")


if __name__ == "__main__":
    main()

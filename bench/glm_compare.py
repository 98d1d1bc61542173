"""fastgs's logistic and Poisson fits next to group-sparse GLM solvers: test
deviance, accuracy and AUC, support recovery and wall time including CV.

Usage (from the repository root, dev virtualenv; adelie installed by hand,
see below)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE NUMBA_CACHE_DIR=numba-cache \\
        python bench/glm_compare.py [--cases a,b,c,d] [--repeats 2] [--seeds N] [--quick]

Cases (the simulated ones from ``fastgs.datasets``; ``--quick`` shrinks a-c
and runs fewer seeds and splits, a smoke run):

a. binary logistic, dense Gaussian X, p >> n: 400 training rows, p=2000,
   groups of 4, 5 informative groups (``make_group_sparse_classification``
   with its default scale: the linear predictor has standard deviation 4,
   Bayes accuracy ~0.87), 2000 test rows, 3 data seeds;
b. binary logistic, sparse CSR X: 2000 training rows, p=20000, density
   1e-2, groups of 10, 10 informative groups, 2000 test rows; the columns are
   scaled to unit root-mean-square for every method, as a user would prepare
   them (``w*`` and the coefficient errors are in those units); with a sparse
   X only the rows that touch an informative group carry signal;
c. Poisson, dense Gaussian X, p >> n: 400 training rows, p=2000, groups of 4,
   5 informative groups (``make_group_sparse_poisson``, predictor standard
   deviation 1, intercept 0), 2000 test rows, 3 data seeds;
d. scikit-learn's breast cancer data (569 tumours, 30 features: 10
   measurements x their mean, standard error and worst value, so 10 natural
   groups of 3), 5 random stratified 70/30 train/test splits, standardized
   with the training rows' statistics. The truth is unknown: no coefficient
   error, no support columns.

Methods, all with an intercept and, wherever they take folds, the same 5
folds (KFold, shuffled, seeded by the data seed):

- fastgs ``DGLNNClassifierCV`` (logistic) or ``DGLNNRegressorCV(loss="poisson")``
  at their default settings, given the folds;
- group lasso by K-fold CV in this script: skglm's
  ``GeneralizedLinearEstimator`` with the ``LogisticGroup`` or
  ``PoissonGroup`` datafit and the ``WeightedGroupL2`` penalty (unit
  weights: the groups of a case have equal sizes), solved by
  ``GroupProxNewton`` (dense X) or ``GroupBCD`` (sparse X), over 50 lambdas
  from lambda_max down to 1e-2 lambda_max when p > n, 1e-4 lambda_max when
  n > p (glmnet's defaults), with warm starts, the lambda of least mean
  validation deviance chosen, then refit on all training rows down that
  path;
- adelie ``cv_grpnet`` with ``glm.binomial`` or ``glm.poisson`` (its own
  random folds: it takes a seed, not folds; same K, same lambda range, then
  its refit). adelie pins numpy below 2, so it is not in the bench extra:
  ``pip install adelie`` in the dev virtualenv (it downgrades numpy to 1.26;
  reinstall ``pandas<3`` if pandas then fails to import);
- abess ``LogisticRegression(group=...)`` / ``PoissonRegression(group=...)``
  (group best-subset selection) with ``cv=5`` on the same folds, the CV
  criterion set to the test loss (``cv_score="test_loss"``), its default
  range of support sizes capped at the number of groups;
- scikit-learn ``LogisticRegressionCV`` (L2, 10 C values, the same folds,
  scored by log-loss) or ``PoissonRegressor`` (L2) tuned by ``GridSearchCV``
  over 6 alphas (1e-3 to 1e2) on the same folds: a dense reference that
  selects nothing;
- "Bayes (true w*, b)": the test deviance of the true model, where known
  (not a method: the floor of the deviance columns).

Each method runs in one child process forked from the one that made the data
(the parent never fits anything). The child warms up once per kind of
problem (loss and storage of X: import plus one fit of a 60x120 problem, so
it includes Numba compilation, which skglm repeats in every process), then
fits every problem of the cases run, each ``--repeats`` times, and reports
the minimum time (a fit longer than 10 s is timed once, except the first
full-size fit of a kind, which may still compile code the tiny warm-up did
not need). A fit that takes
longer than ``--budget`` seconds is killed and reported as "> budget" (the
method resumes on the next problem in a new child); the child's address
space is capped (``--mem-gb``) so a library that densifies a sparse X fails
with a MemoryError. BLAS and every solver run on one thread.

Metrics, on the held-out rows: mean log-loss (or mean Poisson deviance), the
excess over the Bayes deviance where the truth is known (the median over
seeds of the per-seed difference), accuracy and ROC AUC (classification);
on the coefficients: ``||w - w*||_2``, the true groups found and the false
groups chosen. Groups are "chosen" when their coefficients are nonzero,
except for fastgs, whose fits are never exactly sparse and which reports
its own ``selected_groups_``. Every figure is a median over seeds (splits).

Prints one Markdown table per case and writes them to
``bench/results/glm_compare.md`` (the sections of cases not run are kept).
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
from sklearn.metrics import mean_poisson_deviance, roc_auc_score
from sklearn.model_selection import KFold, StratifiedShuffleSplit

import _isolation
from _isolation import cap_address_space, one_line, reset_peak, rss_mb

RESULTS = Path(__file__).resolve().parent / "results" / "glm_compare.md"
K_FOLDS = 5
N_LAMBDAS = 50
# the smallest lambda / lambda_max, glmnet's defaults: 1e-2 when p > n (further
# down, logistic fits separate the data), 1e-4 otherwise
LAMBDA_MIN_RATIO = {True: 1e-2, False: 1e-4}
LONG_FIT = 10.0  # seconds: fits longer than this are not repeated
WARMUP_BUDGET = 600.0  # seconds for a warm-up (skglm compiles for a minute on a busy machine)
PACKAGES = ("fastgs", "numpy", "scipy", "scikit-learn", "numba", "skglm", "adelie", "abess")


# --------------------------------------------------------------------------- data


@dataclass
class Problem:
    """One train/test problem of a case, with its CV folds and (if known) the truth."""

    case: str
    seed: int
    loss: str  # "log_loss" or "poisson"
    X: object  # training rows
    y: np.ndarray
    X_test: object
    y_test: np.ndarray
    group_size: int
    w_star: np.ndarray | None = None
    b_star: float = 0.0
    kfold: KFold = field(init=False)
    fold_ids: np.ndarray = field(init=False)

    def __post_init__(self):
        self.kfold = KFold(K_FOLDS, shuffle=True, random_state=self.seed)
        self.fold_ids = np.empty(self.X.shape[0], dtype=np.int64)
        for k, (_, test) in enumerate(self.kfold.split(self.X)):
            self.fold_ids[test] = k

    @property
    def kind(self) -> str:
        """The loss and the storage of X: one warm-up per kind."""
        return f"{self.loss}, {'sparse' if sp.issparse(self.X) else 'dense'}"

    @property
    def n_groups(self) -> int:
        return self.X.shape[1] // self.group_size

    def true_groups(self) -> set | None:
        if self.w_star is None:
            return None
        return set(np.flatnonzero(group_norms(self.w_star, self.group_size) > 0))


def group_norms(w, group_size):
    """Euclidean norm of each contiguous group of ``group_size`` entries."""
    return np.linalg.norm(np.asarray(w, dtype=np.float64).reshape(-1, group_size), axis=1)


def split_simulated(case, seed, loss, X, y, w, n_train, group_size, b=0.0):
    """The first ``n_train`` rows for training, the rest for testing."""
    return Problem(case, seed, loss, X[:n_train], y[:n_train], X[n_train:], y[n_train:],
                   group_size, w, b)  # fmt: skip


N_TEST = 2000


def dense_case(case, loss, seed, quick):
    """Cases a and c: a dense Gaussian X, p >> n, groups of 4, 5 informative groups,
    drawn by the fastgs generator of ``loss`` at its default scale."""
    from fastgs.datasets import make_group_sparse_classification, make_group_sparse_poisson

    make = make_group_sparse_classification if loss == "log_loss" else make_group_sparse_poisson
    n, p = (200, 400) if quick else (400, 2000)
    X, y, w, _ = make(n + N_TEST, p, group_size=4, n_informative_groups=5, random_state=seed)
    return [split_simulated(case, seed, loss, X, y, w, n, 4)]


def make_case_a(seed, quick):
    """Binary logistic, dense Gaussian X, p >> n."""
    return dense_case("a", "log_loss", seed, quick)


def unit_rms_columns(X, w):
    """X with columns scaled to unit root-mean-square, and w* in those units."""
    rms = np.sqrt(np.asarray(X.multiply(X).mean(axis=0)).ravel())
    scale = np.where(rms > 0, rms, 1.0)
    return (X @ sp.diags(1.0 / scale)).tocsr(), w * scale


def make_case_b(seed, quick):
    """Binary logistic, sparse CSR X, p >> n, columns scaled to unit RMS."""
    from fastgs.datasets import make_group_sparse_classification

    n, p, density = (300, 1000, 5e-2) if quick else (2000, 20000, 1e-2)
    X, y, w, _ = make_group_sparse_classification(
        n + N_TEST, p, group_size=10, n_informative_groups=10, density=density,
        random_state=seed)  # fmt: skip
    X, w = unit_rms_columns(X, w)
    return [split_simulated("b", seed, "log_loss", X, y, w, n, 10)]


def make_case_c(seed, quick):
    """Poisson, dense Gaussian X, p >> n."""
    return dense_case("c", "poisson", seed, quick)


def make_case_d(seed, quick):
    """Breast cancer, one stratified 70/30 split; columns ordered by measurement
    (groups of 3 contiguous: mean, standard error, worst), standardized on the
    training rows."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    # feature j is measurement j % 10: sort the columns so each group is contiguous
    X = X[:, np.argsort(np.arange(X.shape[1]) % 10, kind="stable")]
    split = StratifiedShuffleSplit(1, test_size=0.3, random_state=seed)
    train, test = next(split.split(X, y))
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    Xs = (X - mean) / std
    return [Problem("d", seed, "log_loss", Xs[train], y[train], Xs[test], y[test], 3)]


CASES = {
    "a": {"make": make_case_a, "seeds": 3, "quick_seeds": 1, "loss": "log_loss",
          "title": "(a) binary logistic, dense Gaussian X, n=400 (+2000 test), p=2000, groups of 4, "
                   "5 informative groups (predictor std 4)"},
    "b": {"make": make_case_b, "seeds": 1, "quick_seeds": 1, "loss": "log_loss",
          "title": "(b) binary logistic, sparse CSR X, n=2000 (+2000 test), p=20000, density 1e-2, "
                   "columns scaled to unit RMS, groups of 10, 10 informative groups"},
    "c": {"make": make_case_c, "seeds": 3, "quick_seeds": 1, "loss": "poisson",
          "title": "(c) Poisson, dense Gaussian X, n=400 (+2000 test), p=2000, groups of 4, "
                   "5 informative groups (predictor std 1, intercept 0)"},
    "d": {"make": make_case_d, "seeds": 5, "quick_seeds": 2, "loss": "log_loss",
          "title": "(d) breast cancer (scikit-learn), 569 x 30, 10 groups of 3 (mean, se, worst of "
                   "each measurement), stratified 70/30 splits, standardized"},
}  # fmt: skip

QUICK_TITLES = {"a": "n=200, p=400", "b": "n=300, p=1000, density 5e-2", "c": "n=200, p=400"}


def tiny_like(problem: Problem) -> Problem:
    """A 60x120 problem of the same loss, storage and group size, for the warm-up fit."""
    from fastgs.datasets import make_group_sparse_classification, make_group_sparse_poisson

    make = make_group_sparse_poisson if problem.loss == "poisson" else make_group_sparse_classification
    density = 0.2 if sp.issparse(problem.X) else None
    # 120 features: a multiple of every case's group size (3, 4, 10)
    X, y, w, _ = make(120, 120, group_size=problem.group_size, n_informative_groups=2,
                      density=density, random_state=0)  # fmt: skip
    return split_simulated(problem.case, 0, problem.loss, X, y, w, 60, problem.group_size)


# ---------------------------------------------------------------------- methods


@dataclass
class Fit:
    """What a method returns: coefficients, intercept, its chosen groups, a note."""

    coef: np.ndarray
    intercept: float
    note: str = ""
    chosen: set | None = None  # the method's selected groups (None: the nonzero ones)


def fit_fastgs(problem: Problem) -> Fit:
    """fastgs DGLNNClassifierCV / DGLNNRegressorCV(loss="poisson"), defaults, our folds."""
    import fastgs

    if problem.loss == "log_loss":
        est = fastgs.DGLNNClassifierCV(groups=problem.group_size, cv=problem.kfold,
                                       random_state=problem.seed)  # fmt: skip
    else:
        est = fastgs.DGLNNRegressorCV(groups=problem.group_size, loss="poisson", cv=problem.kfold,
                                      random_state=problem.seed)  # fmt: skip
    est.fit(problem.X, problem.y)
    note = f"t*={est.best_iter_}" if hasattr(est, "best_iter_") else ""
    return Fit(np.ravel(est.coef_), float(np.ravel(est.intercept_)[0]), note,
               chosen=set(np.asarray(est.selected_groups_).tolist()))  # fmt: skip


def deviance(loss, y, eta):
    """Mean test deviance: log-loss, or the mean Poisson deviance, from the linear predictor."""
    if loss == "log_loss":
        # log(1 + exp(-s eta)) with s = +-1, stable for large |eta|
        sign = np.where(np.asarray(y) == 1, 1.0, -1.0)
        return float(np.mean(np.logaddexp(0.0, -sign * eta)))
    with np.errstate(over="ignore"):
        mu = np.exp(eta)
    if not np.all(np.isfinite(mu)):
        return float("inf")
    return float(mean_poisson_deviance(y, np.maximum(mu, 1e-300)))


def lambda_max(problem: Problem) -> float:
    """The smallest group-lasso lambda with every group zero (intercept fitted):
    ``max_g ||X_g^T (y - mean y)|| / n`` for both the mean logistic loss and the
    mean Poisson negative log-likelihood."""
    residual = problem.y - problem.y.mean()
    g = np.asarray(problem.X.T @ residual).ravel() / problem.X.shape[0]
    return float(group_norms(g, problem.group_size).max())


def min_ratio(problem: Problem) -> float:
    """The smallest lambda of the grid over lambda_max."""
    n, p = problem.X.shape
    return LAMBDA_MIN_RATIO[p > n]


def skglm_model(problem: Problem):
    """A warm-startable skglm group-lasso GLM for ``problem``'s loss and storage."""
    from skglm import GeneralizedLinearEstimator
    from skglm.datafits import LogisticGroup, PoissonGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupBCD, GroupProxNewton

    from fastgs import make_groups

    groups = make_groups(problem.group_size, problem.X.shape[1])
    ptr, idx = groups.group_ptr.astype(np.int32), groups.group_idx.astype(np.int32)
    datafit = (LogisticGroup if problem.loss == "log_loss" else PoissonGroup)(ptr, idx)
    penalty = WeightedGroupL2(1.0, np.ones(groups.n_groups), ptr, idx)
    if sp.issparse(problem.X):  # GroupProxNewton refuses sparse X
        solver = GroupBCD(fit_intercept=True, warm_start=True)
    else:
        solver = GroupProxNewton(fit_intercept=True, warm_start=True)
    return GeneralizedLinearEstimator(datafit, penalty, solver)


def skglm_linear_predictor(model, X):
    return np.asarray(X @ np.ravel(model.coef_)).ravel() + float(np.ravel(model.intercept_)[0])


def fit_skglm(problem: Problem) -> Fit:
    """Group lasso GLM in skglm: K-fold CV over the lambda grid with warm starts,
    then the refit on all training rows down to the chosen lambda."""
    lambdas = lambda_max(problem) * np.geomspace(1.0, min_ratio(problem), N_LAMBDAS)
    dev = np.zeros((K_FOLDS, lambdas.size))
    X = problem.X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skglm's NumbaPerformanceWarning, ConvergenceWarning
        for k, (train, val) in enumerate(problem.kfold.split(X)):
            model = skglm_model(problem)
            for j, lam in enumerate(lambdas):
                model.penalty.alpha = lam
                model.fit(X[train], problem.y[train])
                eta = skglm_linear_predictor(model, X[val])
                dev[k, j] = deviance(problem.loss, problem.y[val], eta)
        best = int(np.argmin(dev.mean(axis=0)))
        model = skglm_model(problem)
        for lam in lambdas[: best + 1]:
            model.penalty.alpha = lam
            model.fit(X, problem.y)
    coef = np.ravel(model.coef_).copy()
    n_sel = int(np.sum(group_norms(coef, problem.group_size) > 0))
    edge = " (grid edge!)" if best == lambdas.size - 1 else ""
    return Fit(coef, float(np.ravel(model.intercept_)[0]),
               f"λ*/λmax={lambdas[best] / lambdas[0]:.2g}{edge}, {n_sel} groups")  # fmt: skip


def fit_adelie(problem: Problem) -> Fit:
    """adelie cv_grpnet (own folds, same K and lambda range), refit to the chosen lambda."""
    import adelie as ad

    if sp.issparse(problem.X):
        Xm = ad.matrix.sparse(problem.X.tocsc(), method="naive")
    else:
        Xm = ad.matrix.dense(np.asfortranarray(problem.X), method="naive")
    y = problem.y.astype(np.float64)
    glm = ad.glm.binomial(y=y) if problem.loss == "log_loss" else ad.glm.poisson(y=y)
    starts = np.arange(0, problem.X.shape[1], problem.group_size)
    cv = ad.cv_grpnet(X=Xm, glm=glm, groups=starts, n_folds=K_FOLDS, seed=problem.seed,
                      min_ratio=min_ratio(problem), lmda_path_size=N_LAMBDAS,
                      progress_bar=False)  # fmt: skip
    state = cv.fit(X=Xm, glm=glm, groups=starts, progress_bar=False)
    coef = state.betas[-1].toarray().ravel()
    n_sel = int(np.sum(group_norms(coef, problem.group_size) > 0))
    return Fit(coef, float(state.intercepts[-1]),
               f"λ index {cv.best_idx} of {len(cv.lmdas)}, {n_sel} groups")  # fmt: skip


def fit_abess(problem: Problem) -> Fit:
    """abess group best-subset logistic / Poisson regression, cv=5 on the same folds."""
    import abess

    n, p = problem.X.shape
    group = np.arange(p) // problem.group_size
    # abess's default range of support sizes, 0 .. n / (log log n log p), counts
    # features even when they are grouped; above the number of groups abess
    # aborts (std::bad_alloc, as on the breast cancer data), so it is capped there
    largest = max(min(problem.n_groups, int(n / (np.log(np.log(n)) * np.log(p)))), 1)
    cls = abess.LogisticRegression if problem.loss == "log_loss" else abess.PoissonRegression
    model = cls(group=group, cv=K_FOLDS, cv_score="test_loss", thread=1,
                support_size=range(0, largest))  # fmt: skip
    model.fit(problem.X, problem.y, cv_fold_id=problem.fold_ids)
    coef = np.asarray(model.coef_, dtype=np.float64).ravel()
    n_sel = int(np.sum(group_norms(coef, problem.group_size) > 0))
    return Fit(coef, float(np.ravel(model.intercept_)[0]), f"{n_sel} groups")


def fit_sklearn_l2(problem: Problem) -> Fit:
    """scikit-learn's L2 GLM tuned on the same folds: a dense reference."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegressionCV, PoissonRegressor
    from sklearn.model_selection import GridSearchCV

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)  # scikit-learn 1.9's notices about 1.10
        if problem.loss == "log_loss":
            model = LogisticRegressionCV(Cs=10, cv=problem.kfold, scoring="neg_log_loss",
                                         max_iter=1000).fit(problem.X, problem.y)  # fmt: skip
            return Fit(model.coef_.ravel(), float(model.intercept_[0]), f"C={model.C_[0]:.3g}")
        search = GridSearchCV(PoissonRegressor(max_iter=1000), {"alpha": np.logspace(-3, 2, 6)},
                              cv=problem.kfold, scoring="neg_mean_poisson_deviance")  # fmt: skip
        search.fit(problem.X, problem.y)
        model = search.best_estimator_
    return Fit(model.coef_.ravel(), float(model.intercept_), f"alpha={model.alpha:.3g}")


def methods(loss):
    """(name, fit function) in table order for a loss."""
    logistic = loss == "log_loss"
    return [
        ("fastgs DGLNNClassifierCV" if logistic else 'fastgs DGLNNRegressorCV(loss="poisson")',
         fit_fastgs),
        (f"group lasso {'logistic' if logistic else 'Poisson'} CV, skglm", fit_skglm),
        (f"group lasso CV, adelie cv_grpnet {'binomial' if logistic else 'poisson'}", fit_adelie),
        (f"group best subset, abess {'Logistic' if logistic else 'Poisson'}Regression (cv=5)",
         fit_abess),
        ("scikit-learn LogisticRegressionCV (L2)" if logistic
         else "scikit-learn PoissonRegressor (L2), GridSearchCV", fit_sklearn_l2),
    ]  # fmt: skip


# ------------------------------------------------------------ isolated timing


def _child(conn, fit, problems, repeats, budget, mem_gb):
    """Warm up once per kind of problem, then time each problem's fits; report
    to the parent as it goes. A failed warm-up fails the problems of its kind."""
    try:
        cap_address_space(mem_gb)
        warm = {}  # kind -> warm-up seconds, or the error of the warm-up
        fitted = set()  # kinds fitted at full size
        for i, problem in enumerate(problems):
            if problem.kind not in warm:
                conn.send(("warming", i, None))
                t = time.perf_counter()
                try:
                    fit(tiny_like(problem))
                    warm[problem.kind] = time.perf_counter() - t
                except Exception as e:  # noqa: BLE001 (reported in the table, not raised)
                    warm[problem.kind] = f"warm-up: {type(e).__name__}: {one_line(str(e))}"
            if isinstance(warm[problem.kind], str):
                conn.send(("error", i, warm[problem.kind]))
                continue
            conn.send(("warm", i, warm[problem.kind]))
            # the first full-size fit of a kind may still compile (fastgs compiles its
            # multi-chunk sweeps when the data first need them): it is always repeated
            first_of_kind = problem.kind not in fitted
            fitted.add(problem.kind)
            reset_peak()
            rss0 = rss_mb()
            times, out = [], None
            try:
                for _ in range(repeats):
                    t = time.perf_counter()
                    out = fit(problem)
                    times.append(time.perf_counter() - t)
                    conn.send(("repeat", i, times[-1]))
                    if (times[-1] > LONG_FIT and not first_of_kind) or sum(times) > budget:
                        break  # a long fit is timed once: its noise is small relative to it
            except MemoryError as e:
                conn.send(("error", i, f"MemoryError above {mem_gb} GiB extra address space ({e})"))
                continue
            except Exception as e:  # noqa: BLE001 (reported in the table, not raised)
                conn.send(("error", i, f"{type(e).__name__}: {one_line(str(e))}"))
                continue
            conn.send(("fit", i, {"times": times, "fit": out, "extra_mb": rss_mb("VmHWM") - rss0}))
    finally:
        conn.close()
        os._exit(0)


def run_isolated(fit, problems, repeats, budget, mem_gb) -> list[dict]:
    """Run one method on ``problems`` in forked children; a step that exceeds
    ``budget`` seconds kills the child, and a new one goes on with the next
    problem. Returns one result dict per problem."""
    results = [{"warm": float("nan")} for _ in problems]
    start = 0
    ctx = mp.get_context("fork")
    while start < len(problems):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child,
                           args=(send, fit, problems[start:], repeats, budget, mem_gb))  # fmt: skip
        proc.start()
        send.close()
        current = start  # the problem the child works on
        fitting = False  # warmed up and fitting ``current`` (else warming up or between problems)
        try:
            while current < len(problems):
                if not recv.poll(budget if fitting else WARMUP_BUDGET):
                    results[current]["error"] = (f"> budget ({budget:.0f} s per fit)" if fitting
                                                 else f"warm-up > {WARMUP_BUDGET:.0f} s")  # fmt: skip
                    current += 1
                    break
                try:
                    kind, i, value = recv.recv()
                except EOFError:
                    proc.join()
                    results[current]["error"] = f"crashed (exit code {proc.exitcode})"
                    current += 1
                    break
                fitting = kind in ("warm", "repeat")
                if kind == "warm":
                    results[start + i]["warm"] = value
                elif kind in ("fit", "error"):
                    results[start + i].update(value if kind == "fit" else {"error": value})
                    current = start + i + 1
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join()
            recv.close()
        start = current
    return results


# --------------------------------------------------------------------- tables


def evaluate(problem: Problem, fit: Fit) -> dict:
    """Test metrics of one fit (and coefficient metrics where the truth is known)."""
    eta = np.asarray(problem.X_test @ fit.coef).ravel() + fit.intercept
    row = {"dev": deviance(problem.loss, problem.y_test, eta)}
    if problem.w_star is not None:
        bayes = np.asarray(problem.X_test @ problem.w_star).ravel() + problem.b_star
        row["excess"] = row["dev"] - deviance(problem.loss, problem.y_test, bayes)
        row["coef_err"] = float(np.linalg.norm(fit.coef - problem.w_star))
        chosen = fit.chosen
        if chosen is None:
            chosen = set(np.flatnonzero(group_norms(fit.coef, problem.group_size) > 0))
        truth = problem.true_groups()
        row["tp"], row["fp"] = len(chosen & truth), len(chosen - truth)
    if problem.loss == "log_loss":
        row["acc"] = float(np.mean((eta > 0) == (problem.y_test == 1)))
        row["auc"] = float(roc_auc_score(problem.y_test, eta))
    return row


def bayes_rows(problems):
    """The true model's test metrics (a reference row, not a method)."""
    rows = []
    for problem in problems:
        if problem.w_star is None:
            continue
        fit = Fit(problem.w_star, problem.b_star)
        row = evaluate(problem, fit)
        rows.append(dict(row, time=float("nan"), warm=float("nan"), extra_mb=float("nan"),
                         n_times=0, note="knows w* and b"))  # fmt: skip
    return rows


def _fmt(x):
    if x is None or not np.isfinite(x):
        return "–"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def _median(rows, key):
    return float(np.median([r[key] for r in rows]))


def format_table(name, records, seeds, repeats, quick, n_true):
    """A Markdown table of one case: medians over seeds (splits); ``n_true``
    true groups (None: the truth is unknown)."""
    spec = CASES[name]
    logistic = spec["loss"] == "log_loss"
    truth_known = n_true is not None
    title = spec["title"]
    if quick and name in QUICK_TITLES:
        title += f" — QUICK sizes: {QUICK_TITLES[name]}"
    loss_name = "log-loss" if logistic else "Poisson deviance"
    head = ["method", "warm-up s", "fit s", f"test {loss_name}"]
    if truth_known:
        head.append(f"excess {loss_name} over Bayes")
    if logistic:
        head += ["accuracy", "AUC"]
    if truth_known:
        head += ["‖w−w*‖", "true groups found", "false groups, mean [max]"]
    head += ["extra peak MB", "notes"]
    lines = [
        (f"**{title}** — {len(seeds)} {'split' if name == 'd' else 'data seed'}(s) {list(seeds)}; "
         f"fit time = min of {repeats} run(s) (includes CV and the refit); medians over "
         f"{'splits' if name == 'd' else 'seeds'}"
         f"{f'; {n_true} true groups' if truth_known else ''}."),
        "",
        "| " + " | ".join(head) + " |",
        "|---|" + "---:|" * (len(head) - 2) + "---|",
    ]
    for method, rows in records.items():
        ok = [r for r in rows if "error" not in r]
        warm = _fmt(np.nanmedian([r["warm"] for r in rows])) if any(
            np.isfinite(r["warm"]) for r in rows) else "–"
        if not ok:
            cells = [method, warm] + ["–"] * (len(head) - 3) + [rows[0]["error"]]
            lines.append("| " + " | ".join(cells) + " |")
            continue
        cells = [method, warm, _fmt(_median(ok, "time")), _fmt(_median(ok, "dev"))]
        if truth_known:
            cells.append(_fmt(_median(ok, "excess")))
        if logistic:
            cells += [_fmt(_median(ok, "acc")), _fmt(_median(ok, "auc"))]
        if truth_known:
            false = [r["fp"] for r in ok]
            cells += [_fmt(_median(ok, "coef_err")), f"{_median(ok, 'tp'):g}",
                      f"{np.mean(false):.3g} [{max(false)}]"]  # fmt: skip
        cells.append(_fmt(_median(ok, "extra_mb")))
        note = ok[0]["note"] + (" (seed 0)" if len(ok) > 1 and ok[0]["note"] else "")
        failed = [r["error"] for r in rows if "error" in r]
        if failed:
            note += f"; failed on {len(failed)} of {len(rows)}: {failed[0]}"
        if any(0 < r["n_times"] < repeats for r in ok):
            note += f"; timed once (fit > {LONG_FIT:.0f} s)"
        cells.append(note.lstrip("; "))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_all(case_names, seeds_of, repeats, budget, mem_gb, quick, only=None):
    """Every method on every problem of the cases; returns per-case records."""
    problems = []
    for name in case_names:
        for seed in seeds_of[name]:
            t = time.perf_counter()
            problems += CASES[name]["make"](seed, quick)
            print(f"# case {name}, seed {seed}: data in {time.perf_counter() - t:.1f} s", flush=True)
    records = {name: {} for name in case_names}
    n_true = {name: None for name in case_names}
    for problem in problems:
        if problem.w_star is not None:
            n_true[problem.case] = len(problem.true_groups())
    for name in case_names:
        rows = bayes_rows([p for p in problems if p.case == name])
        if rows:
            records[name]["Bayes (true w*, b): reference, not a method"] = rows
    for loss in ("log_loss", "poisson"):
        mine = [p for p in problems if p.loss == loss]
        if not mine:
            continue
        for method, fit in methods(loss):
            if only and not any(key.lower() in method.lower() for key in only):
                continue
            t = time.perf_counter()
            results = run_isolated(fit, mine, repeats, budget, mem_gb)
            print(f"{method}: {time.perf_counter() - t:.0f} s in all", flush=True)
            for problem, res in zip(mine, results):
                row = _record(problem, res)
                records[problem.case].setdefault(method, []).append(row)
                print(f"  case {problem.case} seed {problem.seed}: {_short(row)}", flush=True)
    return records, n_true


def _record(problem, res):
    if "error" in res or not res.get("times"):
        return {"warm": res["warm"], "error": res.get("error", "no fit")}
    fit = res["fit"]
    return dict(evaluate(problem, fit), time=min(res["times"]), warm=res["warm"],
                extra_mb=res["extra_mb"], n_times=len(res["times"]), note=fit.note)  # fmt: skip


def _short(row):
    if "error" in row:
        return row["error"]
    extra = f", excess {row['excess']:.3g}, groups {row['tp']}/{row['fp']}" if "excess" in row else ""
    return f"{row['time']:.3g} s, deviance {row['dev']:.4g}{extra}"


def write_results(path: Path, sections: dict, header: str):
    """Write the cases' sections to ``path``, keeping the sections of cases not
    run and the reading of the results written by hand (between ``<!-- notes -->``
    and ``<!-- end notes -->``)."""
    old = path.read_text() if path.exists() else ""
    notes = re.search(r"<!-- notes -->\n.*?<!-- end notes -->", old, re.DOTALL)
    if notes:
        header += "\n\n" + notes.group(0)
    out = {}
    for name in CASES:
        m = re.search(rf"<!-- case {name} -->\n(.*?)\n<!-- end case {name} -->", old, re.DOTALL)
        text = sections.get(name, m.group(1) if m else None)
        if text is not None:
            out[name] = f"<!-- case {name} -->\n{text}\n<!-- end case {name} -->"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n\n" + "\n\n".join(out.values()) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="a,b,c,d", help="comma-separated subset of a,b,c,d")
    ap.add_argument("--repeats", type=int, default=2, help="timed fits per problem (min reported)")
    ap.add_argument("--seeds", type=int, default=None,
                    help="data seeds (splits) per case (default: a 3, b 1, c 3, d 5)")
    ap.add_argument("--budget", type=float, default=120.0, help="seconds per fit before a kill")
    ap.add_argument("--mem-gb", type=float, default=8.0, help="extra address space per child, GiB")
    ap.add_argument("--methods", default=None,
                    help="comma-separated name fragments (e.g. fastgs,skglm): run only these")
    ap.add_argument("--quick", action="store_true", help="small sizes, few seeds, 1 repeat")
    ap.add_argument("--output", default=None, help=f"results file (default {RESULTS}; none with --quick)")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # BLAS on one thread, like every solver here (inherited by the children)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if any(c not in CASES for c in cases):
        ap.error(f"--cases: choose from {','.join(CASES)}")
    repeats = 1 if args.quick else args.repeats
    budget = min(args.budget, 60.0) if args.quick else args.budget
    only = [m.strip() for m in args.methods.split(",")] if args.methods else None
    seeds_of = {c: list(range(args.seeds or CASES[c]["quick_seeds" if args.quick else "seeds"]))
                for c in cases}  # fmt: skip
    t0 = time.perf_counter()
    records, n_true = run_all(cases, seeds_of, repeats, budget, args.mem_gb, args.quick, only)
    command = " ".join(["python", "bench/glm_compare.py"] + (argv or sys.argv[1:]))
    sections = {}
    for name in cases:
        sections[name] = f"`{command}`\n\n" + format_table(name, records[name], seeds_of[name],
                                                           repeats, args.quick, n_true[name])  # fmt: skip
        print("\n" + sections[name] + "\n", flush=True)
    print(f"whole run: {time.perf_counter() - t0:.0f} s", flush=True)
    output = args.output or (None if args.quick else RESULTS)
    if output:
        header = (
            "# fastgs's GLMs vs group-sparse GLM solvers (bench/glm_compare.py)\n\n"
            f"{_isolation.environment_line(PACKAGES)}; one thread everywhere."
        )
        write_results(Path(output), sections, header)
        print(f"written to {output}")


if __name__ == "__main__":
    main()

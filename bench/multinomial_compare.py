"""fastgs's grouped multinomial next to the group-lasso multinomial: test log-loss and time.

Usage (from the repository root, dev virtualenv)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/multinomial_compare.py \\
        [--seeds 3] [--n 400] [--p 2000] [--classes 4] [--quick]

Data: ``fastgs.datasets.make_group_sparse_classification`` with ``n_classes``
classes (the grouped multinomial: a group's features act on every class),
dense Gaussian X, groups of 4, 5 informative groups, 2000 test rows.

Methods, one thread each, intercepts, 5 folds:

- fastgs ``DGLNNClassifierCV`` at its defaults (stratified folds drawn with the seed);
- adelie ``cv_grpnet`` with ``glm.multinomial`` over 50 lambdas down to
  1e-2 lambda_max (its own folds), refit to the chosen lambda (skipped when
  adelie is not installed: it pins numpy below 2, so it is not in the bench
  extra);
- scikit-learn ``LogisticRegressionCV`` (L2, multinomial), a dense reference.

Reported per method: median over seeds of the test log-loss, its excess over
the true model's, accuracy, ``||W - W*||_F``, true and false groups (fastgs's
``selected_groups_``, the others' nonzero groups), and the fit time (minimum
of 2 runs after a warm-up fit, CV and refit included).  Prints a Markdown
table and writes it to ``bench/results/multinomial_compare.md`` with the CPU.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

RESULTS = Path(__file__).resolve().parent / "results" / "multinomial_compare.md"
GROUP = 4
N_TEST = 2000


def log_loss(labels, eta):
    """Mean multinomial log-loss from the linear predictors (n, K)."""
    return float(np.mean(logsumexp(eta, axis=1) - eta[np.arange(labels.shape[0]), labels]))


def fit_fastgs(X, y, seed):
    import fastgs

    model = fastgs.DGLNNClassifierCV(groups=GROUP, random_state=seed).fit(X, y)
    return model.coef_.T, model.intercept_, set(np.asarray(model.selected_groups_).tolist())


def fit_adelie(X, y, seed):
    import adelie as ad

    K = int(y.max()) + 1
    Xm = ad.matrix.dense(np.asfortranarray(X), method="naive")
    glm = ad.glm.multinomial(y=np.eye(K)[y])
    starts = np.arange(0, X.shape[1], GROUP)
    cv = ad.cv_grpnet(X=Xm, glm=glm, groups=starts, n_folds=5, seed=seed, min_ratio=1e-2,
                      lmda_path_size=50, progress_bar=False)  # fmt: skip
    state = cv.fit(X=Xm, glm=glm, groups=starts, progress_bar=False)
    W = state.betas[-1].toarray().ravel().reshape(X.shape[1], K)
    return W, np.asarray(state.intercepts[-1]).ravel(), None


def fit_sklearn(X, y, seed):
    from sklearn.linear_model import LogisticRegressionCV

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegressionCV(Cs=10, cv=5, max_iter=500).fit(X, y)
    return model.coef_.T, model.intercept_, None


METHODS = {"fastgs DGLNNClassifierCV": fit_fastgs, "group lasso CV, adelie cv_grpnet multinomial": fit_adelie,
           "scikit-learn LogisticRegressionCV (L2)": fit_sklearn}  # fmt: skip


def groups_of(W):
    norms = np.linalg.norm(np.asarray(W).reshape(-1, GROUP, W.shape[1]), axis=(1, 2))
    return set(np.flatnonzero(norms > 0).tolist())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--p", type=int, default=2000)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="n=200, p=400, 1 seed; no results file")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.p, args.seeds = 200, 400, 1
    from fastgs._machine import cpu_model
    from fastgs.datasets import make_group_sparse_classification

    rows = {name: [] for name in METHODS}
    bayes = []
    for seed in range(args.seeds):
        X, y, W_star, _ = make_group_sparse_classification(
            args.n + N_TEST, args.p, group_size=GROUP, n_informative_groups=5,
            n_classes=args.classes, design="gaussian", random_state=seed)  # fmt: skip
        X_tr, y_tr, X_te, y_te = X[: args.n], y[: args.n], X[args.n :], y[args.n :]
        best = log_loss(y_te, X_te @ W_star)
        bayes.append(best)
        true = groups_of(W_star)
        for name, fit in METHODS.items():
            try:
                with threadpool_limits(1):
                    fit(X_tr[:60], y_tr[:60], seed)  # warm-up: imports, compilation
                    times = []
                    for _ in range(2):
                        t = time.perf_counter()
                        W, b, chosen = fit(X_tr, y_tr, seed)
                        times.append(time.perf_counter() - t)
            except ImportError as err:
                rows[name].append({"note": f"not installed ({err.name})"})
                continue
            eta = X_te @ W + b
            chosen = groups_of(W) if chosen is None else chosen
            rows[name].append(dict(
                loss=log_loss(y_te, eta), excess=log_loss(y_te, eta) - best,
                accuracy=float(np.mean(np.argmax(eta, axis=1) == y_te)),
                error=float(np.linalg.norm(W - W_star)), found=len(chosen & true),
                false=len(chosen - true), seconds=min(times)))  # fmt: skip
            print(f"seed {seed} {name}: {rows[name][-1]}", flush=True)
    command = "python bench/multinomial_compare.py" + (" --quick" if args.quick else "")
    lines = [
        f"**Grouped multinomial, dense Gaussian X, n={args.n} (+{N_TEST} test), p={args.p}, "
        f"{args.classes} classes, groups of {GROUP}, 5 informative groups** - medians over "
        f"{args.seeds} seed(s); CPU: {cpu_model()}; one thread; command `{command}`.",
        "",
        "| method | test log-loss | excess over the true model | accuracy | ‖W−W*‖ | true groups | "
        "false groups | fit s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| true model (reference) | {np.median(bayes):.4g} | 0 | – | 0 | 5 | 0 | – |",
    ]
    for name, results in rows.items():
        ok = [r for r in results if "loss" in r]
        if not ok:
            lines.append(f"| {name} | {results[0]['note']} | | | | | | |")
            continue
        med = {k: float(np.median([r[k] for r in ok])) for k in ok[0]}
        lines.append(f"| {name} | {med['loss']:.4g} | {med['excess']:.4g} | {med['accuracy']:.3f} | "
                     f"{med['error']:.3g} | {med['found']:g} | {med['false']:g} | {med['seconds']:.3g} |")  # fmt: skip
    table = "\n".join(lines)
    print(table)
    if not args.quick:
        RESULTS.write_text("# fastgs's grouped multinomial vs the group-lasso multinomial "
                           "(bench/multinomial_compare.py)\n\n" + table + "\n")  # fmt: skip
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

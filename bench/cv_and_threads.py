"""Cost of cross-validated stopping, and thread scaling of the sweeps.

    python bench/cv_and_threads.py [--quick]

1. CV cost: ``dglnn_cv_path`` (5 folds, T iterations, all folds and the
   model on all data in one sweep over X per iteration: the refit comes out
   of the same sweeps) against one ``dglnn_path`` fit of the same length T;
   and, for comparison, CV without the in-sweep refit plus a separate refit.
2. Threads: time per iteration of ``dglnn_path`` with n_jobs=1 and 2, and
   whether the coefficients are bit-identical.

Times are min over repeats in this process.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp

import fastgs
from fastgs.datasets import make_group_sparse_regression


def _best(f, repeats):
    t_best = float("inf")
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def cv_rows(quick):
    cases = [(150, 300, 3, 1000), (1000, 10000, 10, 200)]
    if not quick:
        cases += [(2000, 20000, 10, 60), (20000, 2000, 10, 60)]
    print("| n × p | T | one fit s | 5-fold CV + refit in one sweep s | ratio | "
          "CV without refit + separate refit(T) s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for n, p, gs, T in cases:
        X, y, _, groups = make_group_sparse_regression(
            n, p, group_size=gs, n_informative_groups=5, coef=1.0, design="gaussian", random_state=0
        )
        fastgs.dglnn_path(X[:40], y[:40], groups, max_iter=2)
        fastgs.dglnn_cv_path(X[:40], y[:40], groups, cv=5, max_iter=2)
        fastgs.dglnn_cv_path(X[:40], y[:40], groups, cv=5, max_iter=2, refit=False)
        reps = 3 if n * p < 10**7 else 1
        one = lambda: fastgs.dglnn_path(X, y, groups, max_iter=T, record_every=T)  # noqa: E731
        t_one, _ = _best(one, reps)
        t_cv, _ = _best(lambda: fastgs.dglnn_cv_path(X, y, groups, cv=5, max_iter=T, random_state=0), reps)
        t_cv0, _ = _best(lambda: fastgs.dglnn_cv_path(X, y, groups, cv=5, max_iter=T, random_state=0,
                                                      refit=False), reps)  # fmt: skip
        print(f"| {n} × {p} | {T} | {t_one:.3f} | {t_cv:.3f} | {t_cv / t_one:.2f} | "
              f"{t_cv0 + t_one:.3f} | {(t_cv0 + t_one) / t_one:.2f} |")


def thread_rows(quick):
    shapes = [(1000, 10000)] if quick else [(2000, 20000), (20000, 2000)]
    print("\n| X | n_jobs=1 ms/iter | n_jobs=2 ms/iter | speed-up | bit-identical |")
    print("|---|---:|---:|---:|---|")
    for n, p in shapes:
        X, y, _, groups = make_group_sparse_regression(n, p, group_size=10, n_informative_groups=5,
                                                       coef=1.0, design="gaussian", random_state=0)  # fmt: skip
        cases = [("dense", X)]
        if not quick:
            cases.append(("CSR 1e-3", sp.random(n * 5, p * 5, density=1e-3, format="csr", random_state=0)))
        for name, M in cases:
            yy = y if M is X else np.random.default_rng(0).standard_normal(M.shape[0])
            T = 30
            res = {}
            for nj in (1, 2):
                fastgs.dglnn_path(M, yy, 10, max_iter=2, n_jobs=nj)
                t, path = _best(lambda: fastgs.dglnn_path(M, yy, 10, max_iter=T, record_every=T, n_jobs=nj), 3)
                res[nj] = (t / (T + 2) * 1e3, path.coefs[-1])
            same = np.array_equal(res[1][1], res[2][1])
            print(f"| {name} {M.shape[0]}×{M.shape[1]} | {res[1][0]:.2f} | {res[2][0]:.2f} | "
                  f"{res[1][0] / res[2][0]:.2f} | {'yes' if same else 'NO'} |")
            if M is X:  # the 5-fold cross-validation sweep on the same data
                for nj in (1, 2):
                    fastgs.dglnn_cv_path(M[:100], yy[:100], 10, cv=5, max_iter=2, n_jobs=nj)
                    t, cvp = _best(lambda: fastgs.dglnn_cv_path(M, yy, 10, cv=5, max_iter=T, n_jobs=nj, random_state=0), 2)
                    res[nj] = (t / (T + 2) * 1e3, cvp.val_curves)
                same = np.array_equal(res[1][1], res[2][1])
                print(f"| 5-fold CV, {name} {M.shape[0]}×{M.shape[1]} | {res[1][0]:.2f} | "
                      f"{res[2][0]:.2f} | {res[1][0] / res[2][0]:.2f} | {'yes' if same else 'NO'} |")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", fastgs.DivergenceWarning)
    cv_rows(args.quick)
    thread_rows(args.quick)


if __name__ == "__main__":
    main()

"""Cost of cross-validated stopping, and thread scaling of the sweeps.

    python bench/cv_and_threads.py [--quick]

1. CV cost: ``dglnn_cv_path`` (5 folds, T iterations, all folds and the
   model on all data in one sweep over X per iteration: the refit comes out
   of the same sweeps) against one ``dglnn_path`` fit of the same length T;
   and, for comparison, CV without the in-sweep refit plus a separate refit;
   dense X, and sparse X in CSC and CSR format.
   Then, for the small in-cache case, where the time of a CV pass goes: the
   sweep over X, the rest (the models' group updates), and the floor that a
   BLAS matrix product sets for the sweep's arithmetic.
2. Threads: time per iteration of ``dglnn_path`` and of 5-fold
   ``dglnn_cv_path`` with n_jobs=1 and 2, and whether the results are
   bit-identical.
3. Arithmetic rate: GFLOP/s of one pass of the one-model sweep and of the
   5-fold sweep (6 models), against a single-threaded BLAS matrix product,
   the machine's practical peak: where the CV sweep runs near that peak it is
   compute-bound, and its cost over one fit cannot fall below its share of
   multiply-adds (22 n p flops per pass against 4 n p).

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

# the K-model sweep's loss arguments: least squares, no sample weights
SQUARED = np.int64(0)
NO_WEIGHTS = np.empty(0)


def _best(f, repeats):
    t_best = float("inf")
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def _sparse_case(n, p, density, fmt):
    rng = np.random.default_rng(0)
    X = sp.random(n, p, density=density, format=fmt, random_state=rng, data_rvs=rng.standard_normal)
    # columns scaled to unit root-mean-square, as fastgs asks of its users
    rms = np.sqrt(np.asarray(X.multiply(X).mean(axis=0)).ravel())
    X = (X @ sp.diags(1.0 / np.where(rms > 0, rms, 1.0))).asformat(fmt)
    w = np.zeros(p)
    w[:50] = 1.0
    return X, X @ w + 0.5 * rng.standard_normal(n), 10


def _dense_case(n, p, gs):
    X, y, _, groups = make_group_sparse_regression(
        n, p, group_size=gs, n_informative_groups=5, coef=1.0, design="gaussian", random_state=0
    )
    return X, y, groups


def cv_rows(quick):
    cases = [("dense", 150, 300, lambda: _dense_case(150, 300, 3), 1000),
             ("dense", 1000, 10000, lambda: _dense_case(1000, 10000, 10), 200)]  # fmt: skip
    if not quick:
        cases += [("dense", 2000, 20000, lambda: _dense_case(2000, 20000, 10), 60),
                  ("dense", 20000, 2000, lambda: _dense_case(20000, 2000, 10), 60)]  # fmt: skip
        for fmt in ("csc", "csr"):
            cases += [(f"{fmt.upper()} 1e-3", 10000, 200000, lambda f=fmt: _sparse_case(10000, 200000, 1e-3, f), 50),
                      (f"{fmt.upper()} 1e-2", 100000, 2000, lambda f=fmt: _sparse_case(100000, 2000, 1e-2, f), 50)]  # fmt: skip
    print("| X | n × p | T | one fit s | 5-fold CV + refit in one sweep s | ratio | "
          "CV without refit + separate refit(T) s | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for kind, n, p, make, T in cases:
        X, y, groups = make()
        fastgs.dglnn_path(X[:40], y[:40], groups, max_iter=2)
        fastgs.dglnn_cv_path(X[:40], y[:40], groups, cv=5, max_iter=2)
        fastgs.dglnn_cv_path(X[:40], y[:40], groups, cv=5, max_iter=2, refit=False)
        reps = 3 if n * p <= 10**7 else 1
        one = lambda: fastgs.dglnn_path(X, y, groups, max_iter=T, record_every=T)  # noqa: E731
        t_one, _ = _best(one, reps)
        t_cv, _ = _best(lambda: fastgs.dglnn_cv_path(X, y, groups, cv=5, max_iter=T, random_state=0), reps)
        t_cv0, _ = _best(lambda: fastgs.dglnn_cv_path(X, y, groups, cv=5, max_iter=T, random_state=0,
                                                      refit=False), reps)  # fmt: skip
        print(f"| {kind} | {n} × {p} | {T} | {t_one:.3f} | {t_cv:.3f} | {t_cv / t_one:.2f} | "
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
            M = sp.random(n * 5, p * 5, density=1e-3, format="csr", random_state=0)
            # CSC: a single fit sweeps it as CSR (converted once), so it uses threads too
            cases += [("CSR 1e-3", M), ("CSC 1e-3", M.tocsc())]
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
            # 5-fold cross-validation with the refit (6 models) on the same data
            for nj in (1, 2):
                fastgs.dglnn_cv_path(M[:100], yy[:100], 10, cv=5, max_iter=2, n_jobs=nj)
                t, cvp = _best(lambda: fastgs.dglnn_cv_path(M, yy, 10, cv=5, max_iter=T, n_jobs=nj, random_state=0), 2)
                res[nj] = (t / (T + 2) * 1e3, cvp.val_curves)
            same = np.array_equal(res[1][1], res[2][1])
            print(f"| 5-fold CV, {name} {M.shape[0]}×{M.shape[1]} | {res[1][0]:.2f} | "
                  f"{res[2][0]:.2f} | {res[1][0] / res[2][0]:.2f} | {'yes' if same else 'NO'} |")


def flop_rows(quick):
    from threadpoolctl import threadpool_limits

    from fastgs import kernels

    with threadpool_limits(1):
        A = np.random.default_rng(0).standard_normal((1500, 1500))
        t_mm, _ = _best(lambda: A @ A, 5)
    peak = 2 * 1500**3 / t_mm / 1e9
    print(f"\nsingle-thread BLAS matrix product (the practical peak): {peak:.1f} GFLOP/s\n")
    print("| n × p | one-model pass ms | GFLOP/s | 5-fold pass (6 models) ms | GFLOP/s | "
          "share of peak | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    shapes = [(150, 300), (1000, 10000)] + ([] if quick else [(2000, 20000), (20000, 2000)])
    for n, p in shapes:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, p))
        y = rng.standard_normal(n)
        K, M = 5, 6
        fold = (np.arange(n) % K).astype(np.int64)
        W = rng.standard_normal((M, p)) * 1e-3
        w = W[0].copy()
        r, g = np.empty(n), np.empty(p)
        G, offset = np.empty((M, p)), np.zeros(M)
        sums = [np.empty(M) for _ in range(3)]
        reps = 200 if n * p < 10**6 else 10
        one = lambda: kernels.residual_gradient_dense(X, y, w, r, g)  # noqa: E731
        folds = lambda: kernels.residual_gradient_folds_dense(  # noqa: E731
            X, y, fold, W, offset, G, *sums, SQUARED, NO_WEIGHTS)
        one(), folds()
        t1, _ = _best(one, reps)
        tk, _ = _best(folds, reps)
        # one model: residual and gradient, 2 n p each; six models: six residuals,
        # five gradients per row (the row's own fold model only validates)
        f1, fk = 4 * n * p / t1 / 1e9, 22 * n * p / tk / 1e9
        print(f"| {n} × {p} | {t1 * 1e3:.3f} | {f1:.1f} | {tk * 1e3:.3f} | {fk:.1f} | "
              f"{fk / peak:.0%} | {tk / t1:.2f} |")


def small_case_anatomy():
    """Per-pass cost of one fit and of 5-fold CV at 150 x 300 (in cache), taken apart.

    In cache the sweep is compute-bound, so the CV pass cannot be cheaper than
    its arithmetic: the two products of the six models (X W^T and R^T X) by a
    single-threaded BLAS matrix product is that floor.  The rest of a pass
    (each model's group updates: direction, inner products, magnitude,
    expansion, checks) is the same code for one model and for six.
    """
    import numba
    from threadpoolctl import threadpool_limits

    from fastgs import kernels

    @numba.njit
    def two_products(X, Wt, P, RT, G, reps):
        for _ in range(reps):
            np.dot(X, Wt, P)
            np.dot(RT, X, G)

    n, p, T0, T1 = 150, 300, 10, 1010
    X, y, groups = _dense_case(n, p, 3)
    M = 6
    fold = (np.arange(n) % 5).astype(np.int64)
    W = np.random.default_rng(0).standard_normal((M, p)) * 1e-3
    r, g, G, offset = np.empty(n), np.empty(p), np.empty((M, p)), np.zeros(M)
    sums = [np.empty(M) for _ in range(3)]

    def per_pass(run):
        t0, _ = _best(lambda: run(T0), 5)
        t1, _ = _best(lambda: run(T1), 5)
        return (t1 - t0) / (T1 - T0)

    one = per_pass(lambda T: fastgs.dglnn_path(X, y, groups, max_iter=T, record_every=T))
    cv = per_pass(lambda T: fastgs.dglnn_cv_path(X, y, groups, cv=5, max_iter=T, random_state=0))
    reps = 2000
    k1, _ = _best(lambda: [kernels.residual_gradient_dense(X, y, W[0], r, g) for _ in range(reps)], 5)
    k6, _ = _best(lambda: [kernels.residual_gradient_folds_dense(X, y, fold, W, offset, G, *sums,
                                                                 SQUARED, NO_WEIGHTS)
                           for _ in range(reps)], 5)  # fmt: skip
    k1, k6 = k1 / reps, k6 / reps
    Wt, P, RT = np.ascontiguousarray(W.T), np.empty((n, M)), np.ascontiguousarray(G[:, :n].copy())
    with threadpool_limits(1):
        two_products(X, Wt, P, RT, G, 1)
        blas, _ = _best(lambda: two_products(X, Wt, P, RT, G, reps), 5)
    blas /= reps
    us = 1e6
    print(f"\nper pass at {n} × {p} (µs): | | sweep over X | the rest | total |")
    print("|---|---:|---:|---:|")
    print(f"| one fit | {k1 * us:.1f} | {(one - k1) * us:.1f} | {one * us:.1f} |")
    print(f"| 5-fold CV + refit (6 models) | {k6 * us:.1f} | {(cv - k6) * us:.1f} | {cv * us:.1f} |")
    print(f"| six models' products by single-thread BLAS (X W^T, R^T X) | {blas * us:.1f} | | |")
    print(f"\nCV / one fit: {cv / one:.2f}; with the sweep at BLAS speed and the same rest: "
          f"{(blas + cv - k6) / one:.2f}; with the sweep at BLAS speed and no rest at all: {blas / one:.2f}")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", fastgs.DivergenceWarning)
    warnings.simplefilter("ignore", fastgs.ScaleWarning)  # timing only: the thread rows use raw sparse columns
    cv_rows(args.quick)
    small_case_anatomy()
    thread_rows(args.quick)
    flop_rows(args.quick)


if __name__ == "__main__":
    main()

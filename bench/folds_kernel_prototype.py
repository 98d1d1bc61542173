"""Prototype of the dense K-model CV sweep, six rows by three models per block.

A generated-code version of the sweep in
``fastgs.kernels.residual_gradient_folds_dense`` (without the fold
bookkeeping: every row trains every model).  It is kept because it measured
about 1.3x faster than the package kernel at n x p = 1000 x 10000 (4.2 ms
against 5.4 ms per pass for six models) with the same blocking, and the cause
of the difference was not found yet.  It is the next step for the CV cost of
small problems (README, Performance).

    python bench/folds_kernel_prototype.py
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from fastgs import kernels

ROWS = 6
FASTMATH = {"nsz", "arcp", "contract", "reassoc"}


def _lines_dots():
    """Source of ``dots6(X, i, W, dots, c0, c1)``: dots[r, k] += X[i + r] . W[k] on a chunk."""
    out = ["def dots6(X, i, W, dots, c0, c1):"]
    out += [f"    x{r} = X[i + {r}, c0:c1]" for r in range(ROWS)]
    out += ["    K = W.shape[0]", "    k = 0", "    while k + 3 <= K:"]
    out += [f"        w{m} = W[k + {i}, c0:c1]" for i, m in enumerate("abc")]
    out += [f"        {m}{r} = 0.0" for m in "abc" for r in range(ROWS)]
    out += ["        for j in range(wa.shape[0]):"]
    out += [f"            e{r} = x{r}[j]" for r in range(ROWS)]
    out += [f"            v{m} = w{m}[j]" for m in "abc"]
    out += [f"            {m}{r} += e{r} * v{m}" for m in "abc" for r in range(ROWS)]
    out += [f"        dots[{r}, k + {i}] += {m}{r}" for i, m in enumerate("abc") for r in range(ROWS)]
    out += ["        k += 3"]
    return out


def _lines_grad():
    """Source of ``grad6(X, i, G, rk, c0, c1)``: G[k] += sum_r rk[r, k] X[i + r] on a chunk."""
    out = ["def grad6(X, i, G, rk, c0, c1):"]
    out += [f"    x{r} = X[i + {r}, c0:c1]" for r in range(ROWS)]
    out += ["    K = G.shape[0]", "    k = 0", "    while k + 3 <= K:"]
    out += [f"        g{m} = G[k + {i}, c0:c1]" for i, m in enumerate("abc")]
    out += [f"        r{m}{r} = rk[{r}, k + {i}]" for i, m in enumerate("abc") for r in range(ROWS)]
    out += ["        for j in range(ga.shape[0]):"]
    out += [f"            e{r} = x{r}[j]" for r in range(ROWS)]
    out += [f"            g{m}[j] += " + " + ".join(f"r{m}{r} * e{r}" for r in range(ROWS)) for m in "abc"]
    out += ["        k += 3"]
    return out


_namespace: dict = {}
exec("\n".join(_lines_dots() + _lines_grad()), _namespace)  # noqa: S102 (our own generated code)
dots6 = njit(fastmath=FASTMATH)(_namespace["dots6"])
grad6 = njit(fastmath=FASTMATH)(_namespace["grad6"])


@njit(fastmath=FASTMATH)
def sweep6(X, y, W, G, dots, rk):
    """Residuals and gradients of the K models W (K, p) on the first n - n % 6 rows."""
    n, p = X.shape
    G[:, :] = 0
    i = 0
    while i + ROWS <= n:
        dots[:, :] = 0
        for c0 in range(0, p, 1024):
            dots6(X, i, W, dots, c0, min(c0 + 1024, p))
        for r in range(ROWS):
            for k in range(W.shape[0]):
                rk[r, k] = y[i + r] - dots[r, k]
        for c0 in range(0, p, 1024):
            grad6(X, i, G, rk, c0, min(c0 + 1024, p))
        i += ROWS


def _best_time(f, repeats):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    rng = np.random.default_rng(0)
    K = 6
    print("| n × p | package kernel ms | prototype ms | speed-up |\n|---|---:|---:|---:|")
    for n, p in ((1000, 10000), (150, 300), (20000, 2000)):
        X = rng.standard_normal((n, p))
        y = rng.standard_normal(n)
        W = rng.standard_normal((K, p)) * 1e-3
        G = np.empty((K, p))
        fold = (np.arange(n) % (K - 1)).astype(np.int64)
        sums = [np.empty(K) for _ in range(3)]
        dots, rk = np.zeros((ROWS, K)), np.zeros((ROWS, K))
        repeats = 200 if n * p < 10**6 else 15
        package = lambda: kernels.residual_gradient_folds_dense(X, y, fold, W, np.zeros(K), G, *sums)  # noqa: E731
        prototype = lambda: sweep6(X, y, W, G, dots, rk)  # noqa: E731
        package(), prototype()
        t_pkg, t_proto = _best_time(package, repeats), _best_time(prototype, repeats)
        print(f"| {n} × {p} | {t_pkg * 1e3:.3f} | {t_proto * 1e3:.3f} | {t_pkg / t_proto:.2f} |")


if __name__ == "__main__":
    main()

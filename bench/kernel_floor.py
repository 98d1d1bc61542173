"""Cost of one pass over X inside a fit, against the plain NumPy/SciPy pass.

Usage (from the repository root)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/kernel_floor.py [--quick]

What a pass costs is measured *through* :func:`fastgs.dglnn_path`, at the
estimators' settings (``fit_intercept=True, standardize=True``): the time of
a fit of ``n2`` passes minus that of ``n1`` passes, divided by ``n2 - n1``, so
set-up and compilation drop out and the group updates, centering and scaling
of every pass stay in.  The baseline is the textbook pass a user would write,
``X.T @ (y - X @ w)`` (NumPy's BLAS on one thread for dense X, SciPy's two
sparse products on the same storage for sparse X).  The bare fused kernel of
:mod:`fastgs.kernels` is timed too: the gap between the two fastgs columns is
the per-pass work outside the sweep over X.

The last row is 5-fold cross-validation with the refit (six models in one
sweep, :func:`fastgs.dglnn_cv_path`) per pass, against one fit per pass at the
same size.

Every timing is the minimum over interleaved rounds in this one process (the
machine is shared, see bench/README.md); the CPU model heads the table.
Targets are those of the project's speed issue: dense <= 0.65, sparse <= 1.0,
in-cache <= 0.5, cross-validation <= 2.5 (ratios, lower is better).
Writes ``bench/results/kernel_floor.md``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numba
import numpy as np
import scipy
import scipy.sparse as sp
from threadpoolctl import threadpool_info, threadpool_limits

import fastgs
from fastgs import kernels
from fastgs._machine import cpu_model

HERE = Path(__file__).resolve().parent
FIT = dict(fit_intercept=True, standardize=True)
GROUP_SIZE = 10


def _best(fns: dict, rounds: int) -> dict:
    """Seconds per call of each callable: the minimum over ``rounds``
    interleaved rounds (each callable runs once before timing)."""
    for f in fns.values():
        f()
    best = dict.fromkeys(fns, np.inf)
    for _ in range(rounds):
        for name, f in fns.items():
            t = time.perf_counter()
            f()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def _data(kind: str, n: int, p: int, density: float, rng):
    """X (dense, or sparse ``kind`` with unit-RMS columns) and y = X w* + noise."""
    if kind == "dense":
        X = rng.standard_normal((n, p))
    else:
        X = sp.random(n, p, density=density, format="csc", random_state=rng,
                      data_rvs=rng.standard_normal)  # fmt: skip
        rms = np.sqrt(np.asarray(X.multiply(X).mean(axis=0)).ravel())
        X = (X @ sp.diags(1.0 / np.where(rms > 0, rms, 1.0))).asformat(kind)
    w = np.zeros(p)
    w[: 5 * GROUP_SIZE] = rng.choice([-1.0, 1.0], 5 * GROUP_SIZE)
    y = X @ w + 0.5 * rng.standard_normal(n)
    return X, y


def _bare_kernel(X, y):
    """The fused sweep alone, for X's storage (CSC X: its two column sweeps)."""
    n, p = X.shape
    w = np.full(p, 1e-3)
    r, g = np.empty(n), np.empty(p)
    if isinstance(X, np.ndarray):
        return lambda: kernels.residual_gradient_dense(X, y, w, r, g)
    if X.format == "csr":
        return lambda: kernels.residual_gradient_csr(X.data, X.indices, X.indptr, y, w, r, g)
    return lambda: kernels.residual_gradient_csc(X.data, X.indices, X.indptr, y, w, r, g)


def pass_row(label, X, y, passes, rounds, target):
    """One table row: per-pass ms through dglnn_path, bare kernel, baseline."""
    n1, n2 = passes
    w = np.full(X.shape[1], 1e-3)

    def fit(m):
        return lambda: fastgs.dglnn_path(X, y, GROUP_SIZE, max_iter=m, record_every=m, **FIT)

    t = _best({"n1": fit(n1), "n2": fit(n2), "kernel": _bare_kernel(X, y),
               "baseline": lambda: X.T @ (y - X @ w)}, rounds)  # fmt: skip
    per_pass = (t["n2"] - t["n1"]) / (n2 - n1)
    return [label, per_pass * 1e3, t["kernel"] * 1e3, t["baseline"] * 1e3,
            per_pass / t["baseline"], t["kernel"] / t["baseline"], target]  # fmt: skip


def cv_row(label, X, y, passes, rounds, target):
    """5-fold CV with the refit, per pass, against one fit per pass."""
    n1, n2 = passes
    folds = np.arange(X.shape[0]) % 5

    def fit(m):
        return lambda: fastgs.dglnn_path(X, y, GROUP_SIZE, max_iter=m, record_every=m, **FIT)

    def cv(m):
        return lambda: fastgs.dglnn_cv_path(X, y, GROUP_SIZE, cv=folds, max_iter=m,
                                            n_iter_no_change=10**9, **FIT)  # fmt: skip

    t = _best({"f1": fit(n1), "f2": fit(n2), "c1": cv(n1), "c2": cv(n2)}, rounds)
    one = (t["f2"] - t["f1"]) / (n2 - n1)
    five = (t["c2"] - t["c1"]) / (n2 - n1)
    return [label, five * 1e3, None, one * 1e3, five / one, None, target]


def _fmt(x, digits=3):
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    return f"{x:.{digits}g}" if x < 100 else f"{x:.0f}"


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller shapes, fewer rounds (a smoke run)")
    ap.add_argument("--out", default=str(HERE / "results" / "kernel_floor.md"))
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", fastgs.ConvergenceWarning)
    q = args.quick
    rng = np.random.default_rng(0)
    threadpool_limits(1)
    rows = []
    big = (5, 25) if not q else (3, 8)
    wide, tall = ((2000, 40000), (40000, 2000)) if q else ((10000, 200000), (200000, 10000))
    cases = [
        ("dense", (400, 4000) if q else (2000, 20000), 1.0, big, 0.65),
        ("dense", (4000, 400) if q else (20000, 2000), 1.0, big, 0.65),
        ("dense", (150, 300), 1.0, (20, 420), 0.5),
        ("csr", wide, 1e-3, big, 1.0),
        ("csc", wide, 1e-3, big, 1.0),
        ("csr", tall, 1e-3, big, 1.0),
        ("csc", tall, 1e-3, big, 1.0),
    ]
    for kind, (n, p), density, passes, target in cases:
        label = f"{kind.upper() if kind != 'dense' else kind} {n} × {p}"
        label += ", density 1e-3" if kind != "dense" else (" (in cache)" if n * p < 10**5 else "")
        X, y = _data(kind, n, p, density, rng)
        rounds = 5 if q else (30 if n * p < 10**6 else 7)
        rows.append(pass_row(label, X, y, passes, rounds, target))
        print(" | ".join(_fmt(x) for x in rows[-1]), flush=True)
        del X, y
    n, p = wide
    X, y = _data("csc", n, p, 1e-3, rng)
    rows.append(cv_row(f"5-fold CV with refit vs one fit, CSC {n} × {p}", X, y, big, 3 if q else 5, 2.5))
    print(" | ".join(_fmt(x) for x in rows[-1]), flush=True)

    blas = "; ".join(f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')})"
                     for i in threadpool_info() if i.get("user_api") == "blas")  # fmt: skip
    header = [
        "# One pass over X inside a fit (bench/kernel_floor.py)",
        "",
        f"CPU: {cpu_model()}; one thread (BLAS: {blas or 'none found'}); fastgs commit {_commit()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}, numba {numba.__version__}.",
        "",
        f"`{' '.join(['python', 'bench/kernel_floor.py'] + (['--quick'] if q else []))}`; ms per pass, "
        "minimum over interleaved rounds; through `dglnn_path` with `fit_intercept=True, "
        "standardize=True` (fit of n2 passes minus fit of n1, over n2 - n1).",
        "",
        "| case | fastgs ms/pass (fit) | bare kernel ms | baseline ms | ratio (fit) | ratio (kernel) | target |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines = header + ["| " + " | ".join(_fmt(x) for x in row) + " |" for row in rows]
    lines += ["", "Baselines: NumPy `X.T @ (y - X @ w)` (dense), SciPy's two products on the same "
              "storage (sparse); last row: the baseline is one fit per pass, the ratio the cost of "
              "the six-model sweep in passes of one fit."]  # fmt: skip
    text = "\n".join(lines) + "\n"
    print(text)
    if not q:
        Path(args.out).write_text(text)
        print(f"written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

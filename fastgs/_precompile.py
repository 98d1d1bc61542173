"""Compile the kernels of the common first fits ahead of time, into Numba's on-disk cache.

``fastgs compile`` runs this from the command line, and the wheel build runs
it too (``setup.py``), so that an installed fastgs carries the compiled code
for the machine it was built on (docs/performance.rst, 'Compile time' →
'Compiled at install').
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

__all__ = ["STORAGES", "DTYPES", "precompile"]

STORAGES = ("dense", "csr")
DTYPES = ("float64", "float32")


def _tiny_problem(storage: str, dtype: str):
    """A 60 × 40 problem in 10 groups of 4: one row chunk, so the fits below
    compile what a small or medium first fit needs."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 40)).astype(dtype)
    y = (X[:, :4].sum(axis=1) + 0.1 * rng.standard_normal(60)).astype(dtype)
    if storage == "csr":
        X = sp.csr_matrix(X)
    return X, y


def precompile(storages=("dense", "csr"), dtypes=("float64",), *, log=None) -> dict:
    """Fit each estimator once on a tiny problem, so that Numba compiles and caches its kernels.

    The later first fits of the same storage and dtype load the compiled code
    from the cache instead of compiling it: in the package's ``__pycache__``
    (the wheel ships it), or under ``NUMBA_CACHE_DIR`` when that is set.  The
    losses share one compiled solver, so the regressors' fits compile the
    classifiers' code too.  CSC input is fitted as CSR.

    Parameters
    ----------
    storages : sequence of {"dense", "csr"}, default ("dense", "csr")
        Storage of X.
    dtypes : sequence of {"float64", "float32"}, default ("float64",)
        Floating-point type of X and y.
    log : callable or None, default None
        Called with one line of text after each storage and dtype.

    Returns
    -------
    dict
        Seconds spent on each ``(storage, dtype)``, keyed by ``"storage/dtype"``.
    """
    for name, values, allowed in (("storages", storages, STORAGES), ("dtypes", dtypes, DTYPES)):
        bad = [v for v in values if v not in allowed]
        if bad or not values:
            raise ValueError(f"{name} must be a non-empty subset of {allowed}, got {list(values)}")
    from .estimators import DGLNNClassifier, DGLNNRegressor, DGLNNRegressorCV, DLNNRegressor

    seconds = {}
    for storage in storages:
        for dtype in dtypes:
            X, y = _tiny_problem(storage, dtype)
            start = time.perf_counter()
            DGLNNRegressor(groups=4).fit(X, y)
            DGLNNRegressorCV(groups=4).fit(X, y)
            DGLNNClassifier(groups=4).fit(X, y > 0)
            DLNNRegressor().fit(X, y)
            seconds[f"{storage}/{dtype}"] = time.perf_counter() - start
            if log is not None:
                log(f"{storage} {dtype}: {seconds[f'{storage}/{dtype}']:.1f} s")
    return seconds

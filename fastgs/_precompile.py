"""Compile the kernels of the common first fits ahead of time, into Numba's on-disk cache.

``fastgs compile`` runs this from the command line, and the wheel build runs
it too (``setup.py``), so that an installed fastgs carries the compiled code
for the machine it was built on (docs/performance.rst, 'Compile time' →
'Compiled at install').
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sp

__all__ = ["STORAGES", "DTYPES", "precompile"]

STORAGES = ("dense", "csr")
DTYPES = ("float64", "float32")


def _wide_sparse_columns(dtype: str) -> int:
    """Columns from which 5-fold cross-validation sweeps sparse X as CSC
    (``_cv_sweep_storage`` in ``fastgs/path.py``), rounded up to a power of two."""
    from .path import CV_CSR_MAX_BYTES

    models = 6  # 5 folds and the refit
    return 1 << int(CV_CSR_MAX_BYTES // (2 * models * np.dtype(dtype).itemsize)).bit_length()


def _problems(storage: str, dtype: str):
    """Small problems in groups of 4: one of a single row chunk, and one
    large enough for several (``Design.n_row_chunks`` in
    ``fastgs/_validation.py``), whose one-thread fits run the serial build
    of the chunked sweeps and so compile the solvers for a second scratch
    type.  CSR adds a wide one, whose cross-validation sweeps the CSC
    storage."""
    rng = np.random.default_rng(0)
    # several chunks: dense from 2**21 entries, CSR from 2**17 stored entries (32 per column)
    shapes = ((60, 40), (64, 2**15)) if storage == "dense" else ((60, 40), (2**11, 64))
    for n, p in shapes:
        X = rng.standard_normal((n, p)).astype(dtype)
        y = (X[:, :4].sum(axis=1) + 0.1 * rng.standard_normal(n)).astype(dtype)
        yield (sp.csr_matrix(X) if storage == "csr" else X), y
    if storage == "csr":
        X = sp.random(64, _wide_sparse_columns(dtype), density=0.02, format="csr", dtype=dtype,
                      random_state=rng, data_rvs=rng.standard_normal)  # fmt: skip
        y = (np.asarray(X[:, :4].sum(axis=1)).ravel() + 0.1 * rng.standard_normal(64)).astype(dtype)
        yield X, y


def precompile(storages=("dense", "csr"), dtypes=("float64",), *, log=None) -> dict:
    """Fit each estimator on small problems, so that Numba compiles and caches its kernels.

    The later one-thread first fits of the same storage and dtype, on data of
    any size, load the compiled code from the cache instead of compiling it:
    in the package's ``__pycache__`` (the wheel ships it), or under
    ``NUMBA_CACHE_DIR`` when that is set.  The losses share one compiled
    solver, so these fits compile the other losses' code too.  CSC input is
    fitted as CSR.  Fits on several threads (``n_jobs``) compile their
    parallel builds at first use.

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
            start = time.perf_counter()
            for X, y in _problems(storage, dtype):
                with warnings.catch_warnings():
                    # a few passes compile as much as a full run; their cap warns
                    warnings.simplefilter("ignore")
                    DGLNNRegressor(groups=4, max_iter=5).fit(X, y)
                    DGLNNRegressorCV(groups=4, max_iter=5).fit(X, y)
                    DGLNNClassifier(groups=4, max_iter=5).fit(X, y > 0)
                    DLNNRegressor(max_iter=5).fit(X, y)
            seconds[f"{storage}/{dtype}"] = time.perf_counter() - start
            if log is not None:
                log(f"{storage} {dtype}: {seconds[f'{storage}/{dtype}']:.1f} s")
    return seconds

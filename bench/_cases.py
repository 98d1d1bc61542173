"""Benchmark cases shared by ``bench/test_speed.py`` and ``bench/report.py``.

Everything here builds data or calls one side of a comparison; timing is
done by the callers.  Data generation is never part of a timed region.

Environment note: the benchmark environment may set ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE``, which force a slower OpenBLAS kernel and so make the
NumPy/SciPy baselines look slower than they are.  Run the comparisons with
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE``; :func:`blas_description`
reports what actually ran, and :func:`openblas_env_warning` says whether the
variables were set.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from numpy_dglnn import contiguous_groups, dglnn_numpy  # noqa: E402

import fastgs  # noqa: E402
from fastgs.kernels import residual_gradient_csr, residual_gradient_dense  # noqa: E402

#: speed targets (fastgs time / baseline time); the fit target is a speed-up
DENSE_TARGET = 0.65
CSR_TARGET = 1.0
FIT_SPEEDUP_TARGET = 50.0

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# ----------------------------------------------------------------------------
# environment
# ----------------------------------------------------------------------------


def openblas_env_warning() -> str | None:
    """A warning if the OpenBLAS tuning variables that slow NumPy are set."""
    found = {k: os.environ[k] for k in OPENBLAS_VARS if k in os.environ}
    if not found:
        return None
    items = ", ".join(f"{k}={v}" for k, v in found.items())
    return (
        f"WARNING: {items} set: NumPy/SciPy baselines run a forced OpenBLAS kernel and "
        "are slower than normal; rerun with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`."
    )


def blas_description() -> str:
    """Which BLAS library, kernel (architecture) and thread count are active."""
    from threadpoolctl import threadpool_info

    parts = []
    for info in threadpool_info():
        if info.get("user_api") != "blas":
            continue
        parts.append(
            f"{info.get('internal_api')} {info.get('version')} "
            f"kernel={info.get('architecture', '?')} threads={info.get('num_threads')} "
            f"({Path(info.get('filepath', '?')).name})"
        )
    return "; ".join(parts) or "no BLAS found by threadpoolctl"


# ----------------------------------------------------------------------------
# (a) dense X-pass: fused kernel vs X.T @ (y - X @ w)
# ----------------------------------------------------------------------------


@dataclass
class PassCase:
    """Arrays of one X-pass comparison (dense or CSR)."""

    name: str
    X: object  # ndarray (C order) or scipy.sparse.csr_matrix
    y: np.ndarray
    w: np.ndarray
    r: np.ndarray
    g: np.ndarray

    def fastgs(self):
        X = self.X
        if sp.issparse(X):
            residual_gradient_csr(X.data, X.indices, X.indptr, self.y, self.w, self.r, self.g)
        else:
            residual_gradient_dense(X, self.y, self.w, self.r, self.g)
        return self.g

    def baseline(self):
        return self.X.T @ (self.y - self.X @ self.w)

    def check(self, rtol=None):
        """The two sides agree (max error on g relative to max |g|)."""
        if rtol is None:
            rtol = 1e-3 if self.y.dtype == np.float32 else 1e-9
        g = self.fastgs().astype(np.float64)
        ref = np.asarray(self.baseline(), dtype=np.float64)
        err = np.max(np.abs(g - ref)) / np.max(np.abs(ref))
        assert err < rtol, f"{self.name}: fastgs and baseline differ by {err:.2e} (relative)"


def dense_case(n, p, dtype, seed=0) -> PassCase:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p), dtype=dtype)
    y = rng.standard_normal(n).astype(dtype)
    w = (0.01 * rng.standard_normal(p)).astype(dtype)
    name = f"dense {n}x{p} {np.dtype(dtype).name}"
    return PassCase(name, X, y, w, np.empty(n, dtype), np.empty(p, dtype))


def csr_case(n, p, density, dtype=np.float64, seed=0) -> PassCase:
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", dtype=dtype, random_state=rng,
                  data_rvs=rng.standard_normal)  # fmt: skip
    X.sort_indices()
    y = rng.standard_normal(n).astype(dtype)
    w = (0.01 * rng.standard_normal(p)).astype(dtype)
    name = f"CSR {n}x{p} density {density:g} {np.dtype(dtype).name}"
    return PassCase(name, X, y, w, np.empty(n, dtype), np.empty(p, dtype))


def dense_shapes(quick: bool):
    if quick:
        return [(1000, 10000), (10000, 1000)]
    return [(2000, 20000), (20000, 2000)]


def csr_shapes(quick: bool):
    if quick:
        return [(10000, 10000, 1e-3), (10000, 10000, 1e-2)]
    return [(20000, 20000, 1e-3), (20000, 20000, 1e-2)]


# ----------------------------------------------------------------------------
# (c) the Figure-2-size full fit
# ----------------------------------------------------------------------------


@dataclass
class FitCase:
    """Figure-2 setting (docs/method.rst, 'Reference results'): Alg. 1, simultaneous, gamma = 2e-3."""

    X: np.ndarray
    y: np.ndarray
    w_star: np.ndarray
    group_size: int
    gamma: float
    max_iter: int

    @property
    def name(self):
        n, p = self.X.shape
        return f"fit n={n} p={p} groups of {self.group_size}, {self.max_iter} iter"

    def fastgs(self):
        return fastgs.dglnn_path(
            self.X, self.y, self.group_size, schedule="paper", algorithm="alg1", update="simultaneous",
            step_u=self.gamma, max_iter=self.max_iter, record_every=1,
        )  # fmt: skip

    def baseline(self):
        groups = contiguous_groups(self.X.shape[1], self.group_size)
        return dglnn_numpy(self.X, self.y, groups, self.gamma, max_iter=self.max_iter)

    def check(self, rtol=1e-8):
        """Both implementations end at the same w (relative 2-norm error)."""
        w_fast = self.fastgs().coefs[-1]
        w_ref = self.baseline()[0][-1]
        err = np.linalg.norm(w_fast - w_ref) / np.linalg.norm(w_ref)
        assert err < rtol, f"final w differs by {err:.2e} (relative), tolerance {rtol:g}"
        return err


def fit_case(quick: bool = False, seed=0) -> FitCase:
    n, p, size, k = 150, 300, 3, 9
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(n, p))
    w_star = np.zeros(p)
    w_star[:k] = 10.0
    y = X @ w_star + 0.5 * rng.standard_normal(n)
    return FitCase(X, y, w_star, size, 2e-3, 500 if quick else 2000)

"""asv benchmarks of fastgs.

Layout follows the usual asv conventions (scikit-learn's ``asv_benchmarks/``
is the model): every class builds its data in ``setup`` and first calls the
compiled code once on tiny data of the same types, so that Numba compilation
(or loading from the on-disk cache) is never part of a measurement.

- ``KernelPass.time_residual_gradient``: one fused pass ``r = y - X w``,
  ``g = X^T r`` (dense C-ordered, CSR, CSC; float32 and float64).
- ``Fit.time_dglnn_path`` / ``time_dlnn_path``: the Figure-2-size fit
  (n=150, p=300, groups of 3, 2000 iterations), dense and sparse storage.
- ``PeakMemory.peakmem_dglnn_path``: a fit on a medium dense X, C- and
  F-ordered (an F-ordered X is copied once to C order; a C-ordered one never).
- ``Recovery.track_*``: estimation error and group-support recovery on the
  Figure-4 setting (n=100, p=500, groups of 4, 16 nonzeros of value 1,
  Algorithm 2, 500 iterations), over 5 seeds.
- ``ImportAndFirstFit.timeraw_import_and_first_fit``: ``import fastgs`` and a
  first small fit in a fresh process, with the on-disk Numba cache as it is
  ("warm") or empty ("cold", i.e. including compilation).

Run: ``asv run --python=same --quick --show-stderr`` from the repository root.
"""

import numpy as np
import scipy.sparse as sp

import fastgs
from fastgs import kernels

STORAGES = ["dense", "csr", "csc"]


def _as_storage(X, storage):
    if storage == "dense":
        return np.ascontiguousarray(X)
    return sp.csr_matrix(X) if storage == "csr" else sp.csc_matrix(X)


def _pass_function(X, y, w, r, g):
    """A zero-argument call of the storage's fused kernel on these arrays."""
    if not sp.issparse(X):
        return lambda: kernels.residual_gradient_dense(X, y, w, r, g)
    kernel = kernels.residual_gradient_csr if X.format == "csr" else kernels.residual_gradient_csc
    data, indices, indptr = X.data, X.indices, X.indptr
    return lambda: kernel(data, indices, indptr, y, w, r, g)


def _pass_arrays(X, dtype, seed):
    rng = np.random.default_rng(seed)
    n, p = X.shape
    y = rng.standard_normal(n).astype(dtype)
    w = (0.01 * rng.standard_normal(p)).astype(dtype)
    return X, y, w, np.empty(n, dtype), np.empty(p, dtype)


def _pass_case(storage, dtype, n, p, density, seed=0):
    rng = np.random.default_rng(seed)
    if storage == "dense":
        X = rng.standard_normal((n, p), dtype=dtype)
    else:
        X = sp.random(n, p, density=density, format=storage, dtype=dtype, random_state=rng,
                      data_rvs=rng.standard_normal)  # fmt: skip
    return _pass_function(*_pass_arrays(X, dtype, seed))


def _fig2_data(seed=0):
    """Figure 2: Rademacher X 150x300, w* = 10 on the first 9 features, noise 0.5."""
    n, p = 150, 300
    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=(n, p))
    w_star = np.zeros(p)
    w_star[:9] = 10.0
    return X, X @ w_star + 0.5 * rng.standard_normal(n)


class KernelPass:
    """One fused X-pass ``r = y - X w``, ``g = X^T r`` (fastgs.kernels)."""

    params = (STORAGES, ["float32", "float64"])
    param_names = ["storage", "dtype"]

    # dense 1000 x 4000 (32 MB in float64); sparse 20000 x 5000 at density 1e-2
    dense_shape = (1000, 4000)
    sparse_shape = (20000, 5000)
    density = 1e-2

    def setup(self, storage, dtype):
        dtype = np.dtype(dtype)
        # warm up: compile (or load) this storage/dtype specialization
        _pass_case(storage, dtype, 8, 6, 0.5)()
        n, p = self.dense_shape if storage == "dense" else self.sparse_shape
        self.run = _pass_case(storage, dtype, n, p, self.density)

    def time_residual_gradient(self, storage, dtype):
        self.run()


class Fit:
    """The Figure-2-size fit, 2000 iterations, every iterate recorded."""

    params = (STORAGES,)
    param_names = ["storage"]

    def setup(self, storage):
        X, y = _fig2_data()
        tiny = _as_storage(X[:12, :6], storage)
        fastgs.dglnn_path(tiny, y[:12], 3, schedule="paper", algorithm="alg1", max_iter=2)
        fastgs.dlnn_path(tiny, y[:12], max_iter=2)
        self.X = _as_storage(X, storage)
        self.y = y

    def time_dglnn_path(self, storage):
        fastgs.dglnn_path(self.X, self.y, 3, schedule="paper", algorithm="alg1", update="simultaneous",
                          step_u=2e-3, max_iter=2000)  # fmt: skip

    def time_dlnn_path(self, storage):
        fastgs.dlnn_path(self.X, self.y, step=2e-3, max_iter=2000)


class PeakMemory:
    """Peak memory of a 20-iteration fit on a dense 2000 x 5000 float64 X (76 MiB).

    The process holds X (76 MiB) plus the interpreter and Numba; an F-ordered
    X adds one C-ordered copy (another 76 MiB), a C-ordered X none.
    """

    params = (["C", "F"],)
    param_names = ["order"]

    def setup(self, order):
        rng = np.random.default_rng(0)
        Xs = rng.standard_normal((12, 8))
        fastgs.dglnn_path(Xs, Xs[:, 0], 4, max_iter=2)
        n, p = 2000, 5000
        X = np.empty((n, p), order=order)
        rng.standard_normal(out=X if order == "C" else X.T)  # no temporary copy
        w_star = np.zeros(p)
        w_star[:8] = 1.0
        self.X = X
        self.y = X @ w_star + 0.5 * rng.standard_normal(n)

    def peakmem_dglnn_path(self, order):
        fastgs.dglnn_path(self.X, self.y, 4, max_iter=20, record_every=20)


class Recovery:
    """Estimation quality on the Figure-4 setting (docs/method.rst, 'Reference results').

    Rademacher X 100x500, 125 groups of 4, 4 random groups with all entries 1
    (16 nonzeros), noise 0.5, Algorithm 2 with default steps, 500 iterations.
    The estimate is the oracle iterate (min ``||w_t - w*||^2`` along the
    path); its group support is the groups whose norm is at least 10% of the
    largest group norm.  Expected: median error about 0.05, all groups found.
    """

    seeds = range(5)
    n, p, group_size, n_groups_on = 100, 500, 4, 4
    max_iter = 500

    def setup(self):
        errors, exact, found = [], [], []
        for seed in self.seeds:
            rng = np.random.default_rng(seed)
            X = rng.choice([-1.0, 1.0], size=(self.n, self.p))
            L = self.p // self.group_size
            on = np.sort(rng.choice(L, size=self.n_groups_on, replace=False))
            w_star = np.zeros(self.p)
            for l in on:
                w_star[l * self.group_size : (l + 1) * self.group_size] = 1.0
            y = X @ w_star + 0.5 * rng.standard_normal(self.n)
            path = fastgs.dglnn_path(X, y, self.group_size, schedule="paper", algorithm="alg2",
                                     max_iter=self.max_iter)  # fmt: skip
            err = ((path.coefs - w_star) ** 2).sum(axis=1)
            best = int(np.argmin(err))
            norms = np.linalg.norm(path.coefs[best].reshape(L, self.group_size), axis=1)
            support = np.flatnonzero(norms >= 0.1 * norms.max())
            errors.append(err[best])
            exact.append(np.array_equal(support, on))
            found.append(np.isin(on, support).mean())
        self.errors = np.array(errors)
        self.exact = np.array(exact, dtype=float)
        self.found = np.array(found)

    def track_estimation_error(self):
        """Median over seeds of the oracle ``||w - w*||_2^2``."""
        return float(np.median(self.errors))

    track_estimation_error.unit = "squared l2 error"

    def track_support_recovery(self):
        """Fraction of seeds whose estimated group support is exactly the true one."""
        return float(self.exact.mean())

    track_support_recovery.unit = "fraction of seeds"

    def track_true_groups_found(self):
        """Fraction of the true groups inside the estimated support (mean over seeds)."""
        return float(self.found.mean())

    track_true_groups_found.unit = "fraction of groups"


_FIRST_FIT = """
import numpy as np
import fastgs

rng = np.random.default_rng(0)
X = rng.choice([-1.0, 1.0], size=(60, 30))
y = X[:, :3].sum(axis=1) + 0.1 * rng.standard_normal(60)
fastgs.dglnn_path(X, y, 3, max_iter=50)
"""

_EMPTY_CACHE = """
import os, tempfile
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="fastgs-asv-numba-")
"""

_REMOVE_CACHE = """
import os, shutil
shutil.rmtree(os.environ["NUMBA_CACHE_DIR"], ignore_errors=True)
"""


class ImportAndFirstFit:
    """``import fastgs`` + a first dense float64 fit (60x30, 50 iterations), fresh process.

    "warm": the on-disk Numba cache as left by earlier runs (load, no compile);
    "cold": an empty ``NUMBA_CACHE_DIR`` (every kernel compiled).  The cold
    case includes the removal of its temporary cache directory (milliseconds).
    """

    params = (["warm", "cold"],)
    param_names = ["numba_cache"]
    number = 1
    repeat = (1, 3, 60.0)
    timeout = 300

    def timeraw_import_and_first_fit(self, numba_cache):
        if numba_cache == "cold":
            return _EMPTY_CACHE + _FIRST_FIT + _REMOVE_CACHE
        return _FIRST_FIT

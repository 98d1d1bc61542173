"""Side-by-side speed comparisons of fastgs against its baselines (pytest-benchmark).

Run (from the repository root; see bench/README.md)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        python -m pytest bench/test_speed.py --benchmark-only

The environment of this project sets ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE``; they force a slower OpenBLAS kernel, so the NumPy
baselines below are only fair with both unset (the ``env -u`` above).  BLAS
runs single-threaded (``bench/conftest.py``); the BLAS kernel that ran is
printed in the summary and stored in the ``--benchmark-json`` machine info.

Comparisons (each is one pytest-benchmark group with a "baseline" and a
"fastgs" row; the ratio fastgs/baseline of the min times is printed at the
end and stored in the fastgs row's ``extra_info``):

(a) one dense X-pass, ``residual_gradient_dense`` vs NumPy
    ``X.T @ (y - X @ w)``: 2000x20000 and 20000x2000, float64 and float32.
    Target: ratio <= 0.65.
(b) one CSR X-pass, ``residual_gradient_csr`` vs SciPy
    ``X.T @ (y - X @ w)``: 20000x20000 random CSR at density 1e-3 and 1e-2.
    Target: ratio <= 1.0.
(c) the Figure-2-size fit (n=150, p=300, groups of 3, Rademacher X, w* = 10
    on 9 features, noise 0.5, gamma=2e-3, 2000 iterations, Alg. 1,
    simultaneous), ``fastgs.dglnn_path`` vs the plain NumPy loop of
    ``bench/numpy_dglnn.py``; both record every iterate.  Target: >= 50x.

Data are built (and both sides checked to agree, which also compiles the
Numba kernels) before any timing; nothing about time is asserted.
"""

from __future__ import annotations

import numpy as np
import pytest

import _cases
from _ratios import record

IMPLS = ["baseline", "fastgs"]  # the first varies fastest: both share one data set
DTYPES = [np.float64, np.float32]

_cache: dict = {}


def _case(key, factory):
    """Build (and check) a case once; keep only the latest one to bound memory."""
    if key not in _cache:
        _cache.clear()
        case = factory()
        case.check()
        _cache[key] = case
    return _cache[key]


def _shape_id(shape):
    return "x".join(str(s) for s in shape)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", _cases.dense_shapes(False), ids=_shape_id)
def test_dense_pass(benchmark, shape, dtype, impl):
    case = _case(("dense", shape, dtype), lambda: _cases.dense_case(*shape, dtype))
    benchmark.group = case.name
    benchmark.pedantic(getattr(case, impl), rounds=15, iterations=1, warmup_rounds=1)
    record(benchmark, case.name, impl, "ratio", _cases.DENSE_TARGET)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("shape", _cases.csr_shapes(False), ids=_shape_id)
def test_csr_pass(benchmark, shape, impl):
    case = _case(("csr", shape), lambda: _cases.csr_case(*shape))
    benchmark.group = case.name
    benchmark.pedantic(getattr(case, impl), rounds=15, iterations=1, warmup_rounds=1)
    record(benchmark, case.name, impl, "ratio", _cases.CSR_TARGET)


@pytest.mark.parametrize("impl", IMPLS)
def test_fig2_fit(benchmark, impl):
    case = _case("fit", _cases.fit_case)  # checks: final w agree to 1e-8 (relative)
    benchmark.group = case.name
    rounds = 3 if impl == "baseline" else 10
    benchmark.pedantic(getattr(case, impl), rounds=rounds, iterations=1, warmup_rounds=1)
    record(benchmark, case.name, impl, "speedup", _cases.FIT_SPEEDUP_TARGET)

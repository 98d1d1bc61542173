"""Numba kernels: the numerical core of fastgs, usable from your own ``@njit`` code.

Everything here is a plain ``numba.njit`` function on tidy arrays (no SciPy
objects, no scikit-learn).  Kernels do **no bounds or shape checks**: the
caller guarantees shapes, C-contiguity and index ranges.  ``fastgs`` itself
validates everything once at the Python boundary (``fastgs.groups``,
``fastgs.path``) before calling in.

Kernels are dtype-generic: float32 in gives float32 arithmetic and results,
float64 gives float64.  Arrays written in place are listed as *out*.

Kernels that touch X
--------------------
``residual_gradient_dense(X, y, w, r, g)``
    r = y - X w and g = X^T r (unscaled), one sweep over the rows of a
    C-ordered X.
``residual_gradient_csr(data, indices, indptr, y, w, r, g)``
    the same for a CSR matrix (one sweep over the rows).
``residual_gradient_csc(data, indices, indptr, y, w, r, g)``
    the same for a CSC matrix (two sweeps: scatter r, then gather g).
``residual_dense / residual_csr / residual_csc``
    r = y - X w only (validation loss).
``residual_gradient_dense_chunked / residual_gradient_csr_chunked``
    multi-threaded versions over a fixed number of row chunks (a (chunks, p)
    workspace), bit-identical for any thread count.
``residual_gradient(design, y, w, r, g[, work])`` and ``residual(design, y, w, r)``
    storage-generic versions: ``design`` is a 2-D C-ordered array (dense), a
    3-tuple ``(data, indices, indptr)`` (CSR) or a 4-tuple
    ``(data, indices, indptr, n_rows)`` (CSC).  The choice is made at compile
    time from the types, so solvers are written once for every storage.

The cross-validation sweeps (K models in one sweep over X) are internal to
the solver and live in :mod:`fastgs.cv_kernels`.

Kernels over groups (CSR-encoded ``group_ptr`` (L+1,), ``group_idx`` (p,))
--------------------------------------------------------------------------
``group_norms``, ``group_inner``, ``normalize_groups``,
``expand_group_weights``, ``weight_normalized_direction_step``,
``constant_direction_step``, ``magnitude_step``.

Example (inside your own njit code)::

    from fastgs.kernels import residual_gradient_dense

    @numba.njit
    def my_loss_and_grad(X, y, w, r, g):
        residual_gradient_dense(X, y, w, r, g)
        return 0.5 * (r @ r) / X.shape[0]
"""

from __future__ import annotations

import numpy as np
from numba import prange, types
from numba.extending import overload

from ._jit import jit

__all__ = [
    "residual_gradient_dense",
    "residual_gradient_csr",
    "residual_gradient_csc",
    "residual_gradient_dense_chunked",
    "residual_gradient_csr_chunked",
    "residual_dense",
    "residual_csr",
    "residual_csc",
    "residual_gradient",
    "residual",
    "group_norms",
    "group_inner",
    "normalize_groups",
    "expand_group_weights",
    "weight_normalized_direction_step",
    "constant_direction_step",
    "magnitude_step",
    "capped_log_magnitude_step",
    "STATUS_OK",
    "STATUS_NONFINITE",
    "STATUS_U_NONPOSITIVE",
]

#: Status codes returned by kernels and solvers.
STATUS_OK = 0
STATUS_NONFINITE = 1
STATUS_U_NONPOSITIVE = 2

# Rows handled per block in the dense sweep: each block's rows are read once
# for the dot products with w and again (from cache) for the update of g, so
# X streams from memory once per iteration.
_ROW_BLOCK = 4


# --------------------------------------------------------------------------
# Kernels that touch X
# --------------------------------------------------------------------------


@jit
def residual_gradient_dense(X, y, w, r, g):
    """Fused ``r = y - X @ w`` and ``g = X.T @ r`` for dense C-ordered X.

    Parameters
    ----------
    X : (n, p) float32/float64, C-contiguous
    y : (n,) same dtype
    w : (p,) same dtype
    r : (n,) out, residual
    g : (p,) out, unscaled correlation ``X.T @ r``

    One pass over X: rows are processed four at a time (four dot products
    with ``w``, then one update of ``g`` from the same rows while they are in
    cache).
    """
    n, p = X.shape
    for j in range(p):
        g[j] = 0
    zero = X.dtype.type(0)
    i = 0
    while i + _ROW_BLOCK <= n:
        x0 = X[i]
        x1 = X[i + 1]
        x2 = X[i + 2]
        x3 = X[i + 3]
        s0 = zero
        s1 = zero
        s2 = zero
        s3 = zero
        for j in range(p):
            wj = w[j]
            s0 += x0[j] * wj
            s1 += x1[j] * wj
            s2 += x2[j] * wj
            s3 += x3[j] * wj
        r0 = y[i] - s0
        r1 = y[i + 1] - s1
        r2 = y[i + 2] - s2
        r3 = y[i + 3] - s3
        r[i] = r0
        r[i + 1] = r1
        r[i + 2] = r2
        r[i + 3] = r3
        for j in range(p):
            g[j] += r0 * x0[j] + r1 * x1[j] + r2 * x2[j] + r3 * x3[j]
        i += _ROW_BLOCK
    while i < n:
        xi = X[i]
        s = zero
        for j in range(p):
            s += xi[j] * w[j]
        ri = y[i] - s
        r[i] = ri
        for j in range(p):
            g[j] += ri * xi[j]
        i += 1


@jit
def residual_gradient_csr(data, indices, indptr, y, w, r, g):
    """Fused ``r = y - X @ w`` and ``g = X.T @ r`` for CSR X, one row sweep.

    Parameters
    ----------
    data : (nnz,) float32/float64
    indices : (nnz,) int32/int64, column indices, each in [0, p)
    indptr : (n + 1,) int32/int64
    y : (n,) ; w : (p,) ; r : (n,) out ; g : (p,) out (unscaled).

    Duplicate entries are summed (as SciPy does); unsorted indices are fine.
    """
    n = indptr.shape[0] - 1
    for j in range(g.shape[0]):
        g[j] = 0
    zero = data.dtype.type(0)
    for i in range(n):
        # Row slices give LLVM a known trip count and base pointers (faster
        # than indexing data/indices by k), and the unsigned index drops
        # numba's negative-index wraparound branch.
        d = data[indptr[i] : indptr[i + 1]]
        ix = indices[indptr[i] : indptr[i + 1]]
        s = zero
        for t in range(d.shape[0]):
            s += d[t] * w[np.uint64(ix[t])]
        ri = y[i] - s
        r[i] = ri
        for t in range(d.shape[0]):
            g[np.uint64(ix[t])] += d[t] * ri


@jit
def residual_gradient_csc(data, indices, indptr, y, w, r, g):
    """``r = y - X @ w`` and ``g = X.T @ r`` for CSC X (two column sweeps).

    Parameters
    ----------
    data : (nnz,) float32/float64
    indices : (nnz,) int32/int64, row indices, each in [0, n)
    indptr : (p + 1,) int32/int64
    y : (n,) ; w : (p,) ; r : (n,) out ; g : (p,) out (unscaled).
    """
    residual_csc(data, indices, indptr, y, w, r)
    p = indptr.shape[0] - 1
    zero = data.dtype.type(0)
    for j in range(p):
        d = data[indptr[j] : indptr[j + 1]]
        ix = indices[indptr[j] : indptr[j + 1]]
        s = zero
        for t in range(d.shape[0]):
            s += d[t] * r[np.uint64(ix[t])]
        g[j] = s


@jit
def residual_dense(X, y, w, r):
    """``r = y - X @ w`` for dense C-ordered X (n, p); r (n,) out."""
    n, p = X.shape
    zero = X.dtype.type(0)
    for i in range(n):
        xi = X[i]
        s = zero
        for j in range(p):
            s += xi[j] * w[j]
        r[i] = y[i] - s


@jit
def residual_csr(data, indices, indptr, y, w, r):
    """``r = y - X @ w`` for CSR X; r (n,) out."""
    n = indptr.shape[0] - 1
    zero = data.dtype.type(0)
    for i in range(n):
        d = data[indptr[i] : indptr[i + 1]]
        ix = indices[indptr[i] : indptr[i + 1]]
        s = zero
        for t in range(d.shape[0]):
            s += d[t] * w[np.uint64(ix[t])]
        r[i] = y[i] - s


@jit
def residual_csc(data, indices, indptr, y, w, r):
    """``r = y - X @ w`` for CSC X (a scatter over columns); r (n,) out."""
    for i in range(r.shape[0]):
        r[i] = y[i]
    p = indptr.shape[0] - 1
    for j in range(p):
        wj = w[j]
        if wj != 0:
            d = data[indptr[j] : indptr[j + 1]]
            ix = indices[indptr[j] : indptr[j + 1]]
            for t in range(d.shape[0]):
                r[np.uint64(ix[t])] -= d[t] * wj


# --------------------------------------------------------------------------
# Multi-threaded sweeps, bit-identical for any thread count
# --------------------------------------------------------------------------
# Rows are cut into a number of chunks that depends only on the data's shape
# (fastgs._validation.Design.n_row_chunks); each chunk's partial gradient goes
# to its own row of ``work`` and the rows are summed in a fixed order, so the
# result does not depend on how many threads ran the chunks (or on which).


@jit
def _chunk_bounds(c, n_chunks, n):
    return (c * n) // n_chunks, ((c + 1) * n) // n_chunks


@jit(parallel=True)
def _sum_chunks(work, g):
    """``g = work[0] + work[1] + ...`` in that order, threads over column blocks."""
    n_chunks, p = work.shape
    n_blocks = (p + _COL_CHUNK - 1) // _COL_CHUNK
    for blk in prange(n_blocks):
        j0 = blk * _COL_CHUNK
        j1 = min(j0 + _COL_CHUNK, p)
        gb = g[j0:j1]
        gb[:] = work[0, j0:j1]
        for c in range(1, n_chunks):
            wc = work[c, j0:j1]
            for j in range(gb.shape[0]):
                gb[j] += wc[j]


@jit(parallel=True)
def residual_gradient_dense_chunked(X, y, w, r, g, work):
    """:func:`residual_gradient_dense` over ``work.shape[0]`` row chunks, multi-threaded.

    work : (n_chunks, p) scratch.  With one chunk this is exactly the serial
    kernel; with more, chunks run on Numba's threads and their partial
    gradients are summed in a fixed order (same bits for any thread count).
    """
    n = X.shape[0]
    n_chunks = work.shape[0]
    if n_chunks <= 1:
        residual_gradient_dense(X, y, w, r, g)
        return
    for c in prange(n_chunks):
        a, b = _chunk_bounds(c, n_chunks, n)
        residual_gradient_dense(X[a:b], y[a:b], w, r[a:b], work[c])
    _sum_chunks(work, g)


@jit(parallel=True)
def residual_gradient_csr_chunked(data, indices, indptr, y, w, r, g, work):
    """:func:`residual_gradient_csr` over ``work.shape[0]`` row chunks, multi-threaded.

    Same contract as :func:`residual_gradient_dense_chunked`.
    """
    n = indptr.shape[0] - 1
    n_chunks = work.shape[0]
    if n_chunks <= 1:
        residual_gradient_csr(data, indices, indptr, y, w, r, g)
        return
    for c in prange(n_chunks):
        a, b = _chunk_bounds(c, n_chunks, n)
        residual_gradient_csr(data, indices, indptr[a : b + 1], y[a:b], w, r[a:b], work[c])
    _sum_chunks(work, g)


def residual_gradient(design, y, w, r, g, work=None):  # pragma: no cover - compiled code only
    """Storage-generic fused residual and gradient (compiled code only).

    ``work``: optional (n_chunks, p) buffer of per-row-chunk partial
    gradients for the multi-threaded sweep (see
    :func:`residual_gradient_dense_chunked`); without it, or for CSC, the
    serial kernel runs.
    """
    raise NotImplementedError("residual_gradient is only callable from compiled (njit) code")


def residual(design, y, w, r):  # pragma: no cover - replaced in compiled code
    """Storage-generic residual (compiled code only)."""
    raise NotImplementedError("residual is only callable from compiled (njit) code")


def _design_kind(design):
    if isinstance(design, types.Array) and design.ndim == 2:
        return "dense"
    if isinstance(design, types.BaseTuple) and len(design) == 3:
        return "csr"
    if isinstance(design, types.BaseTuple) and len(design) == 4:
        return "csc"
    return None


@overload(residual_gradient)
def _residual_gradient_overload(design, y, w, r, g, work=None):
    kind = _design_kind(design)
    serial = work is None or isinstance(work, (types.NoneType, types.Omitted))
    if kind == "dense" and serial:
        return lambda design, y, w, r, g, work=None: residual_gradient_dense(design, y, w, r, g)
    if kind == "dense":
        return lambda design, y, w, r, g, work=None: residual_gradient_dense_chunked(
            design, y, w, r, g, work
        )
    if kind == "csr" and serial:
        return lambda design, y, w, r, g, work=None: residual_gradient_csr(
            design[0], design[1], design[2], y, w, r, g
        )
    if kind == "csr":
        return lambda design, y, w, r, g, work=None: residual_gradient_csr_chunked(
            design[0], design[1], design[2], y, w, r, g, work
        )
    if kind == "csc":
        return lambda design, y, w, r, g, work=None: residual_gradient_csc(
            design[0], design[1], design[2], y, w, r, g
        )
    return None


@overload(residual)
def _residual_overload(design, y, w, r):
    kind = _design_kind(design)
    if kind == "dense":
        return lambda design, y, w, r: residual_dense(design, y, w, r)
    if kind == "csr":
        return lambda design, y, w, r: residual_csr(design[0], design[1], design[2], y, w, r)
    if kind == "csc":
        return lambda design, y, w, r: residual_csc(design[0], design[1], design[2], y, w, r)
    return None


# --------------------------------------------------------------------------
# Kernels over groups
# --------------------------------------------------------------------------


@jit
def _group_span(group_ptr, l):
    """Positions ``[start, stop)`` of group l in group_idx, as unsigned ints.

    An unsigned position drops Numba's negative-index wraparound, which
    otherwise makes LLVM load group_idx with a gather (the speed-up is on
    docs/performance.rst, 'Design measurements').
    """
    return np.uint64(group_ptr[l]), np.uint64(group_ptr[l + 1])


@jit
def group_norms(v, group_ptr, group_idx, out):
    """``out[l] = ||v[G_l]||_2`` for each group; v (p,), out (L,) out."""
    L = group_ptr.shape[0] - 1
    zero = v.dtype.type(0)
    for l in range(L):
        s = zero
        start, stop = _group_span(group_ptr, l)
        for k in range(start, stop):
            x = v[np.uint64(group_idx[k])]
            s += x * x
        out[l] = np.sqrt(s)


@jit
def group_inner(v, g, group_ptr, group_idx, out):
    """``out[l] = <v[G_l], g[G_l]>`` for each group; v, g (p,), out (L,) out."""
    L = group_ptr.shape[0] - 1
    zero = v.dtype.type(0)
    for l in range(L):
        s = zero
        start, stop = _group_span(group_ptr, l)
        for k in range(start, stop):
            j = np.uint64(group_idx[k])
            s += v[j] * g[j]
        out[l] = s


@jit
def normalize_groups(z, group_ptr, group_idx):
    """Scale each group of ``z`` (p,) to unit norm, in place.

    A group with zero norm is left unchanged.  Returns nothing.
    """
    L = group_ptr.shape[0] - 1
    zero = z.dtype.type(0)
    for l in range(L):
        start, stop = _group_span(group_ptr, l)
        s = zero
        for k in range(start, stop):
            x = z[np.uint64(group_idx[k])]
            s += x * x
        if s > 0:
            inv = 1 / np.sqrt(s)
            for k in range(start, stop):
                z[np.uint64(group_idx[k])] *= inv


@jit
def expand_group_weights(u, v, group_ptr, group_idx, w):
    """``w[G_l] = u[l]**2 * v[G_l]``; u (L,), v (p,), w (p,) out."""
    L = group_ptr.shape[0] - 1
    for l in range(L):
        u2 = u[l] * u[l]
        start, stop = _group_span(group_ptr, l)
        for k in range(start, stop):
            j = np.uint64(group_idx[k])
            w[j] = u2 * v[j]


@jit
def weight_normalized_direction_step(u, v, g, group_ptr, group_idx):
    """Algorithm 1 direction step (docs/method.rst, 'Algorithm 1: weight normalization'), in place on v.

    With step ``eta_l = 1/u_l**4`` the new direction is ``z_l / ||z_l||`` with
    ``z_l = u_l**2 v_l + g_l`` (the same direction as ``v_l - eta_l grad_v``,
    without the overflow of ``1/u_l**4``).  A group with ``||z_l|| = 0``
    keeps its direction.  u (L,), v (p,) in/out, g (p,) = X^T r / n.
    """
    L = group_ptr.shape[0] - 1
    zero = v.dtype.type(0)
    for l in range(L):
        start, stop = _group_span(group_ptr, l)
        u2 = u[l] * u[l]
        s = zero
        for k in range(start, stop):
            j = np.uint64(group_idx[k])
            z = u2 * v[j] + g[j]
            s += z * z
        if s > 0:
            inv = 1 / np.sqrt(s)
            for k in range(start, stop):
                j = np.uint64(group_idx[k])
                v[j] = (u2 * v[j] + g[j]) * inv


@jit
def constant_direction_step(u, v, g, eta, group_ptr, group_idx):
    """Algorithm 2 direction step, in place on v (docs/method.rst, 'Algorithm 2: constant direction step').

    ``z_l = v_l + eta * u_l**2 * g_l``, ``v_l = z_l / ||z_l||`` (kept when
    ``||z_l|| = 0``).  u (L,), v (p,) in/out, g (p,) = X^T r / n, eta scalar.
    """
    L = group_ptr.shape[0] - 1
    zero = v.dtype.type(0)
    for l in range(L):
        start, stop = _group_span(group_ptr, l)
        c = eta * u[l] * u[l]
        s = zero
        for k in range(start, stop):
            j = np.uint64(group_idx[k])
            z = v[j] + c * g[j]
            s += z * z
        if s > 0:
            inv = 1 / np.sqrt(s)
            for k in range(start, stop):
                j = np.uint64(group_idx[k])
                v[j] = (v[j] + c * g[j]) * inv


@jit
def magnitude_step(u, vg, gamma):
    """Magnitude step ``u_l <- u_l * (1 + 2 gamma vg_l)``, in place on u.

    u (L,) in/out; vg (L,) the inner products ``<v_l, g_l>`` (see
    :func:`group_inner`) with g = X^T r / n; gamma scalar.  Returns
    ``STATUS_OK``, or ``STATUS_U_NONPOSITIVE`` if some ``u_l`` would reach or
    cross zero, in which case u is left unchanged.
    """
    L = u.shape[0]
    two_gamma = 2 * gamma
    for l in range(L):
        if not (1 + two_gamma * vg[l] > 0):
            return STATUS_U_NONPOSITIVE
    for l in range(L):
        u[l] = u[l] * (1 + two_gamma * vg[l])
    return STATUS_OK



@jit
def capped_log_magnitude_step(u, vg, gamma, cap):
    """Fast-schedule magnitude step (docs/method.rst, 'The fast schedule'), in place on u.

    ``u_l <- u_l * exp(2 gamma_l vg_l)`` with ``gamma_l = min(gamma, cap / u_l**2)``:
    the step of ``log u_l`` is ``gamma``'s until the group's ``u_l**2`` reaches
    ``cap / gamma``, then shrinks so that ``u_l**2`` moves by a bounded
    factor.  u stays positive.  u (L,) in/out; vg (L,) the inner products
    ``<v_l, g_l>``.  Returns ``STATUS_OK``, or ``STATUS_NONFINITE`` if some
    ``u_l`` overflowed (u is then partly updated: the caller restores it).
    """
    L = u.shape[0]
    for l in range(L):
        ul = u[l]
        step = min(gamma, cap / (ul * ul))
        ul = ul * np.exp(2 * step * vg[l])
        if not np.isfinite(ul):
            return STATUS_NONFINITE
        u[l] = ul
    return STATUS_OK


# Columns per block in the fixed-order chunk sum (and in the K-model dense sweep
# of fastgs.cv_kernels): a block of every chunk's row stays in L1 while it is summed.
_COL_CHUNK = 1024


# The cross-validation sweeps (K models in one sweep over X) live in
# fastgs.cv_kernels; their names stay reachable from here for existing code
# (resolved on first access: fastgs.cv_kernels itself imports this module).
_CV_KERNELS = (
    "residual_gradient_folds",
    "residual_gradient_folds_csc",
    "residual_gradient_folds_csc_chunked",
    "residual_gradient_folds_csr",
    "residual_gradient_folds_csr_chunked",
    "residual_gradient_folds_dense",
    "residual_gradient_folds_dense_chunked",
)


def __getattr__(name):
    if name in _CV_KERNELS:
        from . import cv_kernels

        return getattr(cv_kernels, name)
    raise AttributeError(f"module 'fastgs.kernels' has no attribute {name!r}")

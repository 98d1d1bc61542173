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
    workspace), bit-identical for any thread count; the workspace wrapped in
    ``SerialChunks`` runs the same chunks on the calling thread.
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

from typing import NamedTuple

import numpy as np
from numba import prange, types
from numba.extending import overload

from ._jit import jit, serial_build
from .losses import SQUARED_ERROR, row_residual_loss

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
    "residual_gradient_loss_dense",
    "residual_gradient_loss_csr",
    "residual_gradient_loss_csc",
    "residual_gradient_loss_dense_chunked",
    "residual_gradient_loss_csr_chunked",
    "residual_loss_dense",
    "residual_loss_csr",
    "residual_loss_csc",
    "residual_gradient_loss",
    "residual_loss",
    "SerialChunks",
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
# the dense sweep overlaps two row blocks where their rows exceed this (see
# residual_gradient_loss_dense)
_PIPELINE_MIN_BYTES = 1 << 16


# --------------------------------------------------------------------------
# Kernels that touch X
# --------------------------------------------------------------------------


@jit
def residual_gradient_dense(X, y, w, r, g):
    """Fused residual and correlation ``r = y - X @ w``, ``g = X.T @ r`` for dense X.

    Writes ``r`` and ``g`` in place in one pass over the rows of X: rows are
    taken four at a time (four dot products with ``w``, then one update of
    ``g`` from the same rows while they are in cache), so X is read once.

    Parameters
    ----------
    X : ndarray of shape (n, p), float32 or float64, C-contiguous
        The design matrix.
    y : ndarray of shape (n,), X's dtype
        The targets.
    w : ndarray of shape (p,), X's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the residual ``y - X @ w``.
    g : ndarray of shape (p,), X's dtype
        Output: the unscaled correlation ``X.T @ r`` (divide by n for the
        gradient of the loss of docs/method.rst, 'Loss scaling').

    See Also
    --------
    residual_gradient_dense_chunked : the multi-threaded version.
    residual_gradient_csr, residual_gradient_csc : sparse X.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> w = np.array([1.0, 0.5])
    >>> r, g = np.empty(3), np.empty(2)
    >>> residual_gradient_dense(X, y, w, r, g)
    >>> r, g
    (array([-1. ,  1.5,  0. ]), array([-1. , -0.5]))
    >>> np.allclose(g, X.T @ (y - X @ w))
    True
    """
    residual_gradient_loss_dense(X, y, w, r, g, np.int64(SQUARED_ERROR), 0.0, np.empty(0, X.dtype))


@jit
def residual_gradient_loss_dense(X, y, w, r, g, loss, offset, sample_weight):
    """Fused residual, correlation and loss of any loss, for dense X.

    One pass over the rows of X, as :func:`residual_gradient_dense`, with
    the loss's mean function applied to each row's linear predictor
    ``eta_i = x_i . w + offset`` inside the sweep (:mod:`fastgs.losses`).

    Parameters
    ----------
    X : ndarray of shape (n, p), float32 or float64, C-contiguous
        The design matrix.
    y : ndarray of shape (n,), X's dtype
        The targets.
    w : ndarray of shape (p,), X's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the weighted residual ``s_i (y_i - mu(eta_i))``.
    g : ndarray of shape (p,), X's dtype
        Output: the unscaled correlation ``X.T @ r``.
    loss : int
        ``fastgs.losses.SQUARED_ERROR``, ``LOG_LOSS`` or ``POISSON``.
    offset : float
        Added to every row's ``x_i . w`` (intercept and centering).
    sample_weight : ndarray of shape (n,) or (0,), X's dtype
        The rows' weights ``s_i``; empty for all ones.

    Returns
    -------
    float
        The weighted sum of the rows' half deviances, ``sum_i s_i l_i``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs.losses import LOG_LOSS
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 0.0, 1.0])
    >>> w = np.array([0.5, -0.5])
    >>> r, g = np.empty(3), np.empty(2)
    >>> total = residual_gradient_loss_dense(X, y, w, r, g, LOG_LOSS, 0.0, np.empty(0))
    >>> mu = 1 / (1 + np.exp(-(X @ w)))
    >>> np.allclose(r, y - mu), np.allclose(g, X.T @ (y - mu))
    (True, True)
    >>> bool(np.isclose(total, -np.sum(y * np.log(mu) + (1 - y) * np.log(1 - mu))))
    True
    """
    n, p = X.shape
    for j in range(p):
        g[j] = 0
    c = X.dtype.type(offset)
    weighted = sample_weight.shape[0] > 0
    total = _dense_blocks(X, y, w, r, g, loss, c, weighted, sample_weight)
    zero = X.dtype.type(0)
    for i in range(n - n % _ROW_BLOCK, n):
        xi = X[i]
        s = zero
        for j in range(p):
            s += xi[j] * w[j]
        res, dev = _row(loss, y, i, s, c, weighted, sample_weight)
        a = zero + res
        r[i] = a
        total += dev
        for j in range(p):
            g[j] += a * xi[j]
    return total


@jit
def _dense_blocks(X, y, w, r, g, loss, c, weighted, sample_weight):
    """The rows of whole blocks of :func:`residual_gradient_loss_dense`;
    returns their loss sum.

    Where the rows stream from memory the loop is software-pipelined: the
    next block's dot products share the loop over the columns with this
    block's update of g, which keeps more independent loads in flight.  Rows
    that stay in L1 run faster in two plain loops (docs/performance.rst,
    'Design measurements')."""
    p = X.shape[1]
    zero = X.dtype.type(0)
    total = 0.0
    n_blocks = X.shape[0] // _ROW_BLOCK
    pipelined = _ROW_BLOCK * 2 * p * X.itemsize > _PIPELINE_MIN_BYTES
    # the next block's dot products, carried over by the pipelined loop
    t0 = zero
    t1 = zero
    t2 = zero
    t3 = zero
    for b in range(n_blocks):
        i = b * _ROW_BLOCK
        x0 = X[i]
        x1 = X[i + 1]
        x2 = X[i + 2]
        x3 = X[i + 3]
        if pipelined and b > 0:
            s0 = t0
            s1 = t1
            s2 = t2
            s3 = t3
        else:
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
        a0, a1, a2, a3, total = _finish_block(loss, y, i, s0, s1, s2, s3, c, weighted, sample_weight, r,
                                               total)  # fmt: skip
        if pipelined and b + 1 < n_blocks:
            z0 = X[i + 4]
            z1 = X[i + 5]
            z2 = X[i + 6]
            z3 = X[i + 7]
            t0 = zero
            t1 = zero
            t2 = zero
            t3 = zero
            for j in range(p):
                wj = w[j]
                t0 += z0[j] * wj
                t1 += z1[j] * wj
                t2 += z2[j] * wj
                t3 += z3[j] * wj
                g[j] += a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j]
        else:
            for j in range(p):
                g[j] += a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j]
    return total


@jit(inline=True)
def _finish_block(loss, y, i, s0, s1, s2, s3, c, weighted, sample_weight, r, total):
    """Rows i..i+3 from their dot products: their residuals (stored in r and
    returned, in X's dtype) and the running loss sum ``total`` with theirs added.

    Inlined at one place only (called, it makes rows in cache slower;
    inlined twice, it doubles the sweep's compile time)."""
    zero = r.dtype.type(0)
    res0, dev0 = _row(loss, y, i, s0, c, weighted, sample_weight)
    res1, dev1 = _row(loss, y, i + 1, s1, c, weighted, sample_weight)
    res2, dev2 = _row(loss, y, i + 2, s2, c, weighted, sample_weight)
    res3, dev3 = _row(loss, y, i + 3, s3, c, weighted, sample_weight)
    a0 = zero + res0
    a1 = zero + res1
    a2 = zero + res2
    a3 = zero + res3
    r[i] = a0
    r[i + 1] = a1
    r[i + 2] = a2
    r[i + 3] = a3
    total += dev0
    total += dev1
    total += dev2
    total += dev3
    return a0, a1, a2, a3, total




@jit(inline=True)
def _row(loss, y, i, s, offset, weighted, sample_weight):
    """Row i's weighted residual and weighted loss, from its dot product s.

    The caller stores the residual: written here, the store keeps LLVM from
    optimizing the caller's loops over the row (measured on the CSR sweep)."""
    return _weighted_row(loss, y[i], s, offset, weighted, sample_weight[i] if weighted else 1.0)


@jit(inline=True)
def _weighted_row(loss, yi, s, offset, weighted, weight):
    res, dev = row_residual_loss(loss, yi, s, offset)
    if weighted:
        res *= weight
        dev *= weight
    return res, dev


@jit
def residual_gradient_csr(data, indices, indptr, y, w, r, g):
    """Fused residual and correlation ``r = y - X @ w``, ``g = X.T @ r`` for CSR X.

    Writes ``r`` and ``g`` in place in one sweep over the rows of X.

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSR matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their column indices, each in ``[0, p)``; unsorted indices and
        duplicates are fine (duplicates are summed, as in SciPy).
    indptr : ndarray of shape (n + 1,), int32 or int64
        Row ``i`` holds entries ``indptr[i]:indptr[i + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the residual ``y - X @ w``.
    g : ndarray of shape (p,), X's dtype
        Output: the unscaled correlation ``X.T @ r`` (divide by n for the
        gradient of the loss of docs/method.rst, 'Loss scaling').

    See Also
    --------
    residual_gradient_csr_chunked : the multi-threaded version.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> w = np.array([1.0, 0.5])
    >>> import scipy.sparse as sp
    >>> A = sp.csr_matrix(X)
    >>> r, g = np.empty(3), np.empty(2)
    >>> residual_gradient_csr(A.data, A.indices, A.indptr, y, w, r, g)
    >>> np.allclose(r, y - X @ w), np.allclose(g, X.T @ r)
    (True, True)
    """
    residual_gradient_loss_csr(data, indices, indptr, y, w, r, g, np.int64(SQUARED_ERROR), 0.0,
                               np.empty(0, data.dtype))  # fmt: skip


@jit
def residual_gradient_loss_csr(data, indices, indptr, y, w, r, g, loss, offset, sample_weight):
    """:func:`residual_gradient_loss_dense` for CSR X (one sweep over the rows).

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSR matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their column indices, each in ``[0, p)``.
    indptr : ndarray of shape (n + 1,), int32 or int64
        Row ``i`` holds entries ``indptr[i]:indptr[i + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), data's dtype
        Output: the weighted residual ``s_i (y_i - mu(eta_i))``.
    g : ndarray of shape (p,), data's dtype
        Output: the unscaled correlation ``X.T @ r``.
    loss : int
        ``fastgs.losses.SQUARED_ERROR``, ``LOG_LOSS`` or ``POISSON``.
    offset : float
        Added to every row's ``x_i . w`` (intercept and centering).
    sample_weight : ndarray of shape (n,) or (0,), data's dtype
        The rows' weights ``s_i``; empty for all ones.

    Returns
    -------
    float
        The weighted sum of the rows' half deviances, ``sum_i s_i l_i``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from fastgs.losses import POISSON
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 0.0, 4.0])
    >>> w = np.array([0.5, -0.5])
    >>> mu = np.exp(X @ w + 0.1)
    >>> A = sp.csr_matrix(X)
    >>> r, g = np.empty(3), np.empty(2)
    >>> _ = residual_gradient_loss_csr(A.data, A.indices, A.indptr, y, w, r, g, POISSON, 0.1, np.empty(0))
    >>> np.allclose(r, y - mu), np.allclose(g, X.T @ (y - mu))
    (True, True)
    """
    n = indptr.shape[0] - 1
    for j in range(g.shape[0]):
        g[j] = 0
    zero = data.dtype.type(0)
    c = data.dtype.type(offset)
    weighted = sample_weight.shape[0] > 0
    total = 0.0
    for i in range(n):
        # Row slices give LLVM a known trip count and base pointers (faster
        # than indexing data/indices by k), and the unsigned index drops
        # numba's negative-index wraparound branch.
        d = data[indptr[i] : indptr[i + 1]]
        ix = indices[indptr[i] : indptr[i + 1]]
        s = zero
        for t in range(d.shape[0]):
            s += d[t] * w[np.uint64(ix[t])]
        res, dev = _row(loss, y, i, s, c, weighted, sample_weight)
        a = zero + res
        r[i] = a
        total += dev
        for t in range(d.shape[0]):
            g[np.uint64(ix[t])] += d[t] * a
    return total


@jit
def residual_gradient_csc(data, indices, indptr, y, w, r, g):
    """Residual and correlation ``r = y - X @ w``, ``g = X.T @ r`` for CSC X.

    Writes ``r`` and ``g`` in place in two sweeps over the columns: the
    first scatters ``r``, the second gathers ``g``.  A single fit converts
    CSC to CSR instead (one fused sweep); this kernel is for your own code.

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSC matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their row indices, each in ``[0, n)``.
    indptr : ndarray of shape (p + 1,), int32 or int64
        Column ``j`` holds entries ``indptr[j]:indptr[j + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the residual ``y - X @ w``.
    g : ndarray of shape (p,), X's dtype
        Output: the unscaled correlation ``X.T @ r`` (divide by n for the
        gradient of the loss of docs/method.rst, 'Loss scaling').

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> w = np.array([1.0, 0.5])
    >>> import scipy.sparse as sp
    >>> A = sp.csc_matrix(X)
    >>> r, g = np.empty(3), np.empty(2)
    >>> residual_gradient_csc(A.data, A.indices, A.indptr, y, w, r, g)
    >>> np.allclose(r, y - X @ w), np.allclose(g, X.T @ r)
    (True, True)
    """
    residual_csc(data, indices, indptr, y, w, r)
    _gather_csc(data, indices, indptr, r, g)


@jit
def _gather_csc(data, indices, indptr, r, g):
    """``g = X^T r`` for CSC X, one sweep over the columns."""
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
def residual_gradient_loss_csc(data, indices, indptr, y, w, r, g, loss, offset, sample_weight):
    """:func:`residual_gradient_loss_dense` for CSC X: the rows' dot products
    by a scatter over the columns, the loss row by row, then a gather of g.

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSC matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their row indices, each in ``[0, n)``.
    indptr : ndarray of shape (p + 1,), int32 or int64
        Column ``j`` holds entries ``indptr[j]:indptr[j + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), data's dtype
        Output: the weighted residual ``s_i (y_i - mu(eta_i))``.
    g : ndarray of shape (p,), data's dtype
        Output: the unscaled correlation ``X.T @ r``.
    loss : int
        ``fastgs.losses.SQUARED_ERROR``, ``LOG_LOSS`` or ``POISSON``.
    offset : float
        Added to every row's ``x_i . w`` (intercept and centering).
    sample_weight : ndarray of shape (n,) or (0,), data's dtype
        The rows' weights ``s_i``; empty for all ones.

    Returns
    -------
    float
        The weighted sum of the rows' half deviances, ``sum_i s_i l_i``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from fastgs.losses import POISSON
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 0.0, 4.0])
    >>> w = np.array([0.5, -0.5])
    >>> mu = np.exp(X @ w + 0.1)
    >>> A = sp.csc_matrix(X)
    >>> r, g = np.empty(3), np.empty(2)
    >>> _ = residual_gradient_loss_csc(A.data, A.indices, A.indptr, y, w, r, g, POISSON, 0.1, np.empty(0))
    >>> np.allclose(r, y - mu), np.allclose(g, X.T @ (y - mu))
    (True, True)
    """
    total = residual_loss_csc(data, indices, indptr, y, w, r, loss, offset, sample_weight)
    _gather_csc(data, indices, indptr, r, g)
    return total


@jit
def residual_dense(X, y, w, r):
    """Residual ``r = y - X @ w`` for dense X, in place on ``r``.

    Parameters
    ----------
    X : ndarray of shape (n, p), float32 or float64, C-contiguous
        The design matrix.
    y : ndarray of shape (n,), X's dtype
        The targets.
    w : ndarray of shape (p,), X's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the residual ``y - X @ w``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> w = np.array([1.0, 0.5])
    >>> r = np.empty(3)
    >>> residual_dense(X, y, w, r)
    >>> r
    array([-1. ,  1.5,  0. ])
    """
    residual_loss_dense(X, y, w, r, np.int64(SQUARED_ERROR), 0.0, np.empty(0, X.dtype))


@jit
def residual_loss_dense(X, y, w, r, loss, offset, sample_weight):
    """Residual and loss of any loss for dense X, without the gradient (the
    validation loss).

    Parameters
    ----------
    X : ndarray of shape (n, p), float32 or float64, C-contiguous
        The design matrix.
    y : ndarray of shape (n,), X's dtype
        The targets.
    w : ndarray of shape (p,), X's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the weighted residual ``s_i (y_i - mu(eta_i))``.
    loss : int
        ``fastgs.losses.SQUARED_ERROR``, ``LOG_LOSS`` or ``POISSON``.
    offset : float
        Added to every row's ``x_i . w`` (intercept and centering).
    sample_weight : ndarray of shape (n,) or (0,), X's dtype
        The rows' weights ``s_i``; empty for all ones.

    Returns
    -------
    float
        The weighted sum of the rows' half deviances, ``sum_i s_i l_i``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from fastgs.losses import POISSON
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 0.0, 4.0])
    >>> w = np.array([0.5, -0.5])
    >>> mu = np.exp(X @ w + 0.1)
    >>> r = np.empty(3)
    >>> _ = residual_loss_dense(X, y, w, r, POISSON, 0.1, np.empty(0))
    >>> bool(np.allclose(r, y - mu))
    True
    """
    n, p = X.shape
    zero = X.dtype.type(0)
    c = X.dtype.type(offset)
    weighted = sample_weight.shape[0] > 0
    total = 0.0
    for i in range(n):
        xi = X[i]
        s = zero
        for j in range(p):
            s += xi[j] * w[j]
        res, dev = _row(loss, y, i, s, c, weighted, sample_weight)
        r[i] = res
        total += dev
    return total


@jit
def residual_csr(data, indices, indptr, y, w, r):
    """Residual ``r = y - X @ w`` for CSR X, in place on ``r``.

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSR matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their column indices, each in ``[0, p)``; unsorted indices and
        duplicates are fine (duplicates are summed, as in SciPy).
    indptr : ndarray of shape (n + 1,), int32 or int64
        Row ``i`` holds entries ``indptr[i]:indptr[i + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the residual ``y - X @ w``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> w = np.array([1.0, 0.5])
    >>> import scipy.sparse as sp
    >>> A = sp.csr_matrix(X)
    >>> r = np.empty(3)
    >>> residual_csr(A.data, A.indices, A.indptr, y, w, r)
    >>> r
    array([-1. ,  1.5,  0. ])
    """
    residual_loss_csr(data, indices, indptr, y, w, r, np.int64(SQUARED_ERROR), 0.0,
                      np.empty(0, data.dtype))  # fmt: skip


@jit
def residual_loss_csr(data, indices, indptr, y, w, r, loss, offset, sample_weight):
    """:func:`residual_loss_dense` for CSR X.

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSR matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their column indices, each in ``[0, p)``.
    indptr : ndarray of shape (n + 1,), int32 or int64
        Row ``i`` holds entries ``indptr[i]:indptr[i + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), data's dtype
        Output: the weighted residual ``s_i (y_i - mu(eta_i))``.
    loss : int
        ``fastgs.losses.SQUARED_ERROR``, ``LOG_LOSS`` or ``POISSON``.
    offset : float
        Added to every row's ``x_i . w`` (intercept and centering).
    sample_weight : ndarray of shape (n,) or (0,), data's dtype
        The rows' weights ``s_i``; empty for all ones.

    Returns
    -------
    float
        The weighted sum of the rows' half deviances, ``sum_i s_i l_i``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from fastgs.losses import POISSON
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 0.0, 4.0])
    >>> w = np.array([0.5, -0.5])
    >>> mu = np.exp(X @ w + 0.1)
    >>> A = sp.csr_matrix(X)
    >>> r = np.empty(3)
    >>> _ = residual_loss_csr(A.data, A.indices, A.indptr, y, w, r, POISSON, 0.1, np.empty(0))
    >>> bool(np.allclose(r, y - mu))
    True
    """
    n = indptr.shape[0] - 1
    zero = data.dtype.type(0)
    c = data.dtype.type(offset)
    weighted = sample_weight.shape[0] > 0
    total = 0.0
    for i in range(n):
        d = data[indptr[i] : indptr[i + 1]]
        ix = indices[indptr[i] : indptr[i + 1]]
        s = zero
        for t in range(d.shape[0]):
            s += d[t] * w[np.uint64(ix[t])]
        res, dev = _row(loss, y, i, s, c, weighted, sample_weight)
        r[i] = res
        total += dev
    return total


@jit
def residual_csc(data, indices, indptr, y, w, r):
    """Residual ``r = y - X @ w`` for CSC X (a scatter over columns), in place on ``r``.

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSC matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their row indices, each in ``[0, n)``.
    indptr : ndarray of shape (p + 1,), int32 or int64
        Column ``j`` holds entries ``indptr[j]:indptr[j + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the residual ``y - X @ w``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> w = np.array([1.0, 0.5])
    >>> import scipy.sparse as sp
    >>> A = sp.csc_matrix(X)
    >>> r = np.empty(3)
    >>> residual_csc(A.data, A.indices, A.indptr, y, w, r)
    >>> r
    array([-1. ,  1.5,  0. ])
    """
    for i in range(r.shape[0]):
        r[i] = y[i]
    p = indptr.shape[0] - 1
    for j in range(p):
        # no branch to skip zero weights: it slows the whole column loop
        # (docs/performance.rst, 'Design measurements')
        wj = w[j]
        d = data[indptr[j] : indptr[j + 1]]
        ix = indices[indptr[j] : indptr[j + 1]]
        for t in range(d.shape[0]):
            r[np.uint64(ix[t])] -= d[t] * wj


@jit
def residual_loss_csc(data, indices, indptr, y, w, r, loss, offset, sample_weight):
    """:func:`residual_loss_dense` for CSC X: the rows' dot products by a
    scatter over the columns (into ``r``), then the loss row by row.

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSC matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their row indices, each in ``[0, n)``.
    indptr : ndarray of shape (p + 1,), int32 or int64
        Column ``j`` holds entries ``indptr[j]:indptr[j + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), data's dtype
        Output: the weighted residual ``s_i (y_i - mu(eta_i))``.
    loss : int
        ``fastgs.losses.SQUARED_ERROR``, ``LOG_LOSS`` or ``POISSON``.
    offset : float
        Added to every row's ``x_i . w`` (intercept and centering).
    sample_weight : ndarray of shape (n,) or (0,), data's dtype
        The rows' weights ``s_i``; empty for all ones.

    Returns
    -------
    float
        The weighted sum of the rows' half deviances, ``sum_i s_i l_i``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from fastgs.losses import POISSON
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 0.0, 4.0])
    >>> w = np.array([0.5, -0.5])
    >>> mu = np.exp(X @ w + 0.1)
    >>> A = sp.csc_matrix(X)
    >>> r = np.empty(3)
    >>> _ = residual_loss_csc(A.data, A.indices, A.indptr, y, w, r, POISSON, 0.1, np.empty(0))
    >>> bool(np.allclose(r, y - mu))
    True
    """
    for i in range(r.shape[0]):
        r[i] = 0
    p = indptr.shape[0] - 1
    for j in range(p):
        # no branch to skip zero weights: it slows the whole column loop
        # (docs/performance.rst, 'Design measurements')
        wj = w[j]
        d = data[indptr[j] : indptr[j + 1]]
        ix = indices[indptr[j] : indptr[j + 1]]
        for t in range(d.shape[0]):
            r[np.uint64(ix[t])] += d[t] * wj
    c = data.dtype.type(offset)
    weighted = sample_weight.shape[0] > 0
    total = 0.0
    for i in range(r.shape[0]):
        res, dev = _row(loss, y, i, r[i], c, weighted, sample_weight)
        r[i] = res
        total += dev
    return total


# --------------------------------------------------------------------------
# Multi-threaded sweeps, bit-identical for any thread count
# --------------------------------------------------------------------------
# Rows are cut into a number of chunks that depends only on the data's shape
# (fastgs._validation.Design.n_row_chunks); each chunk's partial gradient goes
# to its own row of ``work`` and the rows are summed in a fixed order, so the
# result does not depend on how many threads ran the chunks (or on which).


@jit
def _copy(src, dst):
    """``dst[:] = src`` for 1-D arrays of equal length, as a loop: a slice
    assignment would compile Numba's formatted shape-mismatch error (string
    code that costs more to compile than the rest of a small kernel)."""
    for i in range(src.shape[0]):
        dst[i] = src[i]


@jit
def _chunk_bounds(c, n_chunks, n):
    return (c * n) // n_chunks, ((c + 1) * n) // n_chunks


@jit
def _col_blocks(p):
    """Column blocks of the fixed-order chunk sum (:func:`_sum_chunks_block`)."""
    return (p + _COL_CHUNK - 1) // _COL_CHUNK


@jit
def _sum_chunks_block(work, g, blk):
    """``g = work[0] + work[1] + ...`` in that order, on column block ``blk``
    (the callers' ``prange`` over blocks puts the blocks on threads)."""
    n_chunks, p = work.shape
    j0 = blk * _COL_CHUNK
    j1 = min(j0 + _COL_CHUNK, p)
    gb = g[j0:j1]
    _copy(work[0, j0:j1], gb)
    for c in range(1, n_chunks):
        wc = work[c, j0:j1]
        for j in range(gb.shape[0]):
            gb[j] += wc[j]


@jit(parallel=True)
def residual_gradient_dense_chunked(X, y, w, r, g, work):
    """:func:`residual_gradient_dense` over row chunks, multi-threaded.

    The rows are cut into ``work.shape[0]`` chunks (chosen from the data's
    shape, never from the thread count); each chunk's partial ``g`` goes to
    its own row of ``work`` on Numba's threads, and the rows are summed in a
    fixed order, so the result has the same bits for any thread count.  With
    one chunk this is exactly the serial kernel.  Writes ``r``, ``g`` and
    ``work`` in place.

    Parameters
    ----------
    X : ndarray of shape (n, p), float32 or float64, C-contiguous
        The design matrix.
    y : ndarray of shape (n,), X's dtype
        The targets.
    w : ndarray of shape (p,), X's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the residual ``y - X @ w``.
    g : ndarray of shape (p,), X's dtype
        Output: the unscaled correlation ``X.T @ r`` (divide by n for the
        gradient of the loss of docs/method.rst, 'Loss scaling').
    work : ndarray of shape (n_chunks, p), X's dtype
        Scratch: the chunks' partial correlations.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> w = np.array([1.0, 0.5])
    >>> r, g, work = np.empty(3), np.empty(2), np.empty((2, 2))
    >>> residual_gradient_dense_chunked(X, y, w, r, g, work)
    >>> np.allclose(g, X.T @ (y - X @ w))
    True
    """
    residual_gradient_loss_dense_chunked(X, y, w, r, g, work, np.int64(SQUARED_ERROR), 0.0,
                                         np.empty(0, X.dtype))  # fmt: skip


@jit(parallel=True)
def residual_gradient_loss_dense_chunked(X, y, w, r, g, work, loss, offset, sample_weight):
    """:func:`residual_gradient_loss_dense` over row chunks, multi-threaded.

    As :func:`residual_gradient_dense_chunked`; the chunks' losses are summed
    in a fixed order too, so the result has the same bits for any thread
    count.

    Parameters
    ----------
    X : ndarray of shape (n, p), float32 or float64, C-contiguous
        The design matrix.
    y : ndarray of shape (n,), X's dtype
        The targets.
    w : ndarray of shape (p,), X's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the weighted residual ``s_i (y_i - mu(eta_i))``.
    g : ndarray of shape (p,), X's dtype
        Output: the unscaled correlation ``X.T @ r``.
    work : ndarray of shape (n_chunks, p), X's dtype
        Scratch: the row chunks' partial correlations.
    loss : int
        ``fastgs.losses.SQUARED_ERROR``, ``LOG_LOSS`` or ``POISSON``.
    offset : float
        Added to every row's ``x_i . w`` (intercept and centering).
    sample_weight : ndarray of shape (n,) or (0,), X's dtype
        The rows' weights ``s_i``; empty for all ones.

    Returns
    -------
    float
        The weighted sum of the rows' half deviances, ``sum_i s_i l_i``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from fastgs.losses import POISSON
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 0.0, 4.0])
    >>> w = np.array([0.5, -0.5])
    >>> mu = np.exp(X @ w + 0.1)
    >>> r, g, work = np.empty(3), np.empty(2), np.empty((2, 2))
    >>> _ = residual_gradient_loss_dense_chunked(X, y, w, r, g, work, POISSON, 0.1, np.empty(0))
    >>> np.allclose(r, y - mu), np.allclose(g, X.T @ (y - mu))
    (True, True)
    """
    n = X.shape[0]
    n_chunks = work.shape[0]
    if n_chunks <= 1:
        return residual_gradient_loss_dense(X, y, w, r, g, loss, offset, sample_weight)
    weighted = sample_weight.shape[0] > 0
    parts = np.empty(n_chunks)
    for c in prange(n_chunks):
        a, b = _chunk_bounds(c, n_chunks, n)
        parts[c] = residual_gradient_loss_dense(
            X[a:b], y[a:b], w, r[a:b], work[c], loss, offset,
            sample_weight[a:b] if weighted else sample_weight,
        )  # fmt: skip
    for blk in prange(_col_blocks(g.shape[0])):
        _sum_chunks_block(work, g, blk)
    return _sum_in_order(parts)


@jit
def _sum_in_order(parts):
    total = 0.0
    for c in range(parts.shape[0]):
        total += parts[c]
    return total


@jit(parallel=True)
def residual_gradient_csr_chunked(data, indices, indptr, y, w, r, g, work):
    """:func:`residual_gradient_csr` over row chunks, multi-threaded.

    The rows are cut into ``work.shape[0]`` chunks (chosen from the data's
    shape, never from the thread count); each chunk's partial ``g`` goes to
    its own row of ``work`` on Numba's threads, and the rows are summed in a
    fixed order, so the result has the same bits for any thread count.  With
    one chunk this is exactly the serial kernel.  Writes ``r``, ``g`` and
    ``work`` in place.

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSR matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their column indices, each in ``[0, p)``; unsorted indices and
        duplicates are fine (duplicates are summed, as in SciPy).
    indptr : ndarray of shape (n + 1,), int32 or int64
        Row ``i`` holds entries ``indptr[i]:indptr[i + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), X's dtype
        Output: the residual ``y - X @ w``.
    g : ndarray of shape (p,), X's dtype
        Output: the unscaled correlation ``X.T @ r`` (divide by n for the
        gradient of the loss of docs/method.rst, 'Loss scaling').
    work : ndarray of shape (n_chunks, p), data's dtype
        Scratch: the chunks' partial correlations.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> w = np.array([1.0, 0.5])
    >>> import scipy.sparse as sp
    >>> A = sp.csr_matrix(X)
    >>> r, g, work = np.empty(3), np.empty(2), np.empty((2, 2))
    >>> residual_gradient_csr_chunked(A.data, A.indices, A.indptr, y, w, r, g, work)
    >>> np.allclose(g, X.T @ (y - X @ w))
    True
    """
    residual_gradient_loss_csr_chunked(data, indices, indptr, y, w, r, g, work,
                                       np.int64(SQUARED_ERROR), 0.0, np.empty(0, data.dtype))  # fmt: skip


@jit(parallel=True)
def residual_gradient_loss_csr_chunked(data, indices, indptr, y, w, r, g, work, loss, offset,
                                       sample_weight):  # fmt: skip
    """:func:`residual_gradient_loss_csr` over row chunks, multi-threaded
    (see :func:`residual_gradient_loss_dense_chunked`).

    Parameters
    ----------
    data : ndarray of shape (nnz,), float32 or float64
        The stored entries of a CSR matrix X of shape (n, p).
    indices : ndarray of shape (nnz,), int32 or int64
        Their column indices, each in ``[0, p)``.
    indptr : ndarray of shape (n + 1,), int32 or int64
        Row ``i`` holds entries ``indptr[i]:indptr[i + 1]``.
    y : ndarray of shape (n,), data's dtype
        The targets.
    w : ndarray of shape (p,), data's dtype
        The coefficients.
    r : ndarray of shape (n,), data's dtype
        Output: the weighted residual ``s_i (y_i - mu(eta_i))``.
    g : ndarray of shape (p,), data's dtype
        Output: the unscaled correlation ``X.T @ r``.
    work : ndarray of shape (n_chunks, p), data's dtype
        Scratch: the row chunks' partial correlations.
    loss : int
        ``fastgs.losses.SQUARED_ERROR``, ``LOG_LOSS`` or ``POISSON``.
    offset : float
        Added to every row's ``x_i . w`` (intercept and centering).
    sample_weight : ndarray of shape (n,) or (0,), data's dtype
        The rows' weights ``s_i``; empty for all ones.

    Returns
    -------
    float
        The weighted sum of the rows' half deviances, ``sum_i s_i l_i``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from fastgs.losses import POISSON
    >>> X = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]])
    >>> y = np.array([1.0, 0.0, 4.0])
    >>> w = np.array([0.5, -0.5])
    >>> mu = np.exp(X @ w + 0.1)
    >>> A = sp.csr_matrix(X)
    >>> r, g, work = np.empty(3), np.empty(2), np.empty((2, 2))
    >>> _ = residual_gradient_loss_csr_chunked(A.data, A.indices, A.indptr, y, w, r, g, work, POISSON,
    ...                                        0.1, np.empty(0))
    >>> np.allclose(r, y - mu), np.allclose(g, X.T @ (y - mu))
    (True, True)
    """
    n = indptr.shape[0] - 1
    n_chunks = work.shape[0]
    if n_chunks <= 1:
        return residual_gradient_loss_csr(data, indices, indptr, y, w, r, g, loss, offset, sample_weight)
    weighted = sample_weight.shape[0] > 0
    parts = np.empty(n_chunks)
    for c in prange(n_chunks):
        a, b = _chunk_bounds(c, n_chunks, n)
        parts[c] = residual_gradient_loss_csr(
            data, indices, indptr[a : b + 1], y[a:b], w, r[a:b], work[c], loss, offset,
            sample_weight[a:b] if weighted else sample_weight,
        )  # fmt: skip
    for blk in prange(_col_blocks(g.shape[0])):
        _sum_chunks_block(work, g, blk)
    return _sum_in_order(parts)


# The one-thread builds of the threaded sweeps (fastgs._jit.serial_build): a
# fit on one thread over data of several row chunks runs these, for the same
# bits as on threads without compiling parallel code.
_residual_gradient_loss_dense_chunked_serial = serial_build(residual_gradient_loss_dense_chunked)
_residual_gradient_loss_csr_chunked_serial = serial_build(residual_gradient_loss_csr_chunked)


class SerialChunks(NamedTuple):
    """Row-chunk scratch of the multi-threaded sweeps, for a run on one thread.

    Passed as ``work`` to :func:`residual_gradient_loss` or
    :func:`residual_gradient` (and as ``work_G`` to
    :func:`fastgs.cv_kernels.residual_gradient_folds`), it runs the row
    chunks one after another on the calling thread, from the serial build of
    the threaded sweep: the result has the bits of the threaded sweep (which
    the chunks fix, not the threads), and no parallel code is compiled.  The
    choice is made at compile time, from the type.

    Parameters
    ----------
    work : ndarray
        The threaded sweep's scratch, e.g. of shape ``(n_chunks, p)`` for
        :func:`residual_gradient_loss_dense_chunked` (the ``work`` attribute).

    Examples
    --------
    >>> import numba
    >>> import numpy as np
    >>> from fastgs.kernels import SerialChunks, residual_gradient
    >>> @numba.njit
    ... def sweep(X, y, w, r, g, work):
    ...     residual_gradient(X, y, w, r, g, work)
    >>> X = np.arange(12.0).reshape(4, 3)
    >>> y, w = np.ones(4), np.full(3, 0.1)
    >>> r, g = np.empty(4), np.empty(3)
    >>> sweep(X, y, w, r, g, SerialChunks(np.empty((2, 3))))
    >>> np.allclose(g, X.T @ (y - X @ w))
    True
    """

    work: np.ndarray


def _is_serial_chunks(work):
    """Whether the type ``work`` is a :class:`SerialChunks`."""
    return isinstance(work, types.BaseNamedTuple) and work.instance_class is SerialChunks


def residual_gradient(design, y, w, r, g, work=None):  # pragma: no cover - compiled code only
    """Storage-generic fused residual and gradient (compiled code only).

    ``work``: optional (n_chunks, p) buffer of per-row-chunk partial
    gradients for the multi-threaded sweep (see
    :func:`residual_gradient_dense_chunked`), or that buffer in a
    :class:`SerialChunks` (the same chunks, on the calling thread); without
    it, or for CSC, the serial kernel runs.
    """
    raise NotImplementedError("residual_gradient is only callable from compiled (njit) code")


def residual(design, y, w, r):  # pragma: no cover - replaced in compiled code
    """Storage-generic residual (compiled code only)."""
    raise NotImplementedError("residual is only callable from compiled (njit) code")


def residual_gradient_loss(design, y, w, r, g, work, loss, offset, sample_weight):  # pragma: no cover
    """Storage-generic :func:`residual_gradient_loss_dense` (compiled code only).

    ``work``: None (the serial sweep; no parallel code is compiled), the
    (n_chunks, p) buffer of the multi-threaded dense and CSR sweeps, or that
    buffer in a :class:`SerialChunks` (the same chunks and bits on the
    calling thread; no parallel code is compiled).
    """
    raise NotImplementedError("residual_gradient_loss is only callable from compiled (njit) code")


def residual_loss(design, y, w, r, loss, offset, sample_weight):  # pragma: no cover
    """Storage-generic :func:`residual_loss_dense` (compiled code only)."""
    raise NotImplementedError("residual_loss is only callable from compiled (njit) code")


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
    if kind in ("dense", "csr") and _is_serial_chunks(work):
        return lambda design, y, w, r, g, work=None: residual_gradient_loss(
            design, y, w, r, g, work, np.int64(SQUARED_ERROR), 0.0, np.empty(0, y.dtype))
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


@overload(residual_gradient_loss)
def _residual_gradient_loss_overload(design, y, w, r, g, work, loss, offset, sample_weight):
    kind = _design_kind(design)
    serial = isinstance(work, (types.NoneType, types.Omitted))
    if kind == "dense" and serial:
        return lambda design, y, w, r, g, work, loss, offset, sample_weight: (
            residual_gradient_loss_dense(design, y, w, r, g, loss, offset, sample_weight))
    if kind == "dense" and _is_serial_chunks(work):
        return lambda design, y, w, r, g, work, loss, offset, sample_weight: (
            _residual_gradient_loss_dense_chunked_serial(design, y, w, r, g, work.work, loss, offset,
                                                         sample_weight))  # fmt: skip
    if kind == "csr" and _is_serial_chunks(work):
        return lambda design, y, w, r, g, work, loss, offset, sample_weight: (
            _residual_gradient_loss_csr_chunked_serial(design[0], design[1], design[2], y, w, r, g,
                                                       work.work, loss, offset, sample_weight))  # fmt: skip
    if kind == "dense":
        return lambda design, y, w, r, g, work, loss, offset, sample_weight: (
            residual_gradient_loss_dense_chunked(design, y, w, r, g, work, loss, offset, sample_weight))
    if kind == "csr" and serial:
        return lambda design, y, w, r, g, work, loss, offset, sample_weight: (
            residual_gradient_loss_csr(design[0], design[1], design[2], y, w, r, g, loss, offset,
                                       sample_weight))  # fmt: skip
    if kind == "csr":
        return lambda design, y, w, r, g, work, loss, offset, sample_weight: (
            residual_gradient_loss_csr_chunked(design[0], design[1], design[2], y, w, r, g, work,
                                               loss, offset, sample_weight))  # fmt: skip
    if kind == "csc":
        return lambda design, y, w, r, g, work, loss, offset, sample_weight: (
            residual_gradient_loss_csc(design[0], design[1], design[2], y, w, r, g, loss, offset,
                                       sample_weight))  # fmt: skip
    return None


@overload(residual_loss)
def _residual_loss_overload(design, y, w, r, loss, offset, sample_weight):
    kind = _design_kind(design)
    if kind == "dense":
        return lambda design, y, w, r, loss, offset, sample_weight: residual_loss_dense(
            design, y, w, r, loss, offset, sample_weight)
    if kind == "csr":
        return lambda design, y, w, r, loss, offset, sample_weight: residual_loss_csr(
            design[0], design[1], design[2], y, w, r, loss, offset, sample_weight)
    if kind == "csc":
        return lambda design, y, w, r, loss, offset, sample_weight: residual_loss_csc(
            design[0], design[1], design[2], y, w, r, loss, offset, sample_weight)
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


@jit(inline=True)
def _feature(group_idx, k):
    """Feature at position k of the group encoding: ``group_idx[k]``, or k itself
    when ``group_idx`` is empty (contiguous groups, see :func:`group_norms`).

    The test is the same for every k, so LLVM compiles the loops over a group
    twice and picks one per call: direct, vectorizable access for contiguous
    groups (docs/performance.rst, 'Design measurements')."""
    return k if group_idx.shape[0] == 0 else np.uint64(group_idx[k])


@jit
def group_norms(v, group_ptr, group_idx, out):
    """Euclidean norm of each group, ``out[l] = ||v[G_l]||_2``, in place on ``out``.

    Parameters
    ----------
    v : ndarray of shape (p,), float32 or float64
        The vector whose groups are measured.
    group_ptr : ndarray of shape (L + 1,), int64
        Group boundaries in ``group_idx`` (from :func:`fastgs.make_groups`).
    group_idx : ndarray of shape (p,) or (0,), int64
        The features of each group, ``group_idx[group_ptr[l]:group_ptr[l + 1]]``.
        Empty for contiguous groups: group l is then the features
        ``group_ptr[l]:group_ptr[l + 1]`` (faster;
        :meth:`fastgs.Groups.kernel_index` gives the right one).
    out : ndarray of shape (L,), v's dtype
        Output: the group norms.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs import make_groups
    >>> groups = make_groups([0, 0, 1], 3)  # features 0, 1 in group 0; feature 2 in group 1
    >>> out = np.empty(2)
    >>> group_norms(np.array([3.0, 4.0, -2.0]), groups.group_ptr, groups.group_idx, out)
    >>> out
    array([5., 2.])
    """
    L = group_ptr.shape[0] - 1
    zero = v.dtype.type(0)
    for l in range(L):
        s = zero
        start, stop = _group_span(group_ptr, l)
        for k in range(start, stop):
            x = v[_feature(group_idx, k)]
            s += x * x
        out[l] = np.sqrt(s)


@jit
def group_inner(v, g, group_ptr, group_idx, out):
    """Inner product of two vectors within each group, ``out[l] = <v[G_l], g[G_l]>``, in place on ``out``.

    Parameters
    ----------
    v : ndarray of shape (p,), float32 or float64
        The first vector (the directions, in the magnitude step).
    g : ndarray of shape (p,), v's dtype
        The second vector (the correlation ``X.T @ r / n``).
    group_ptr : ndarray of shape (L + 1,), int64
        Group boundaries in ``group_idx`` (from :func:`fastgs.make_groups`).
    group_idx : ndarray of shape (p,) or (0,), int64
        The features of each group, ``group_idx[group_ptr[l]:group_ptr[l + 1]]``;
        empty for contiguous groups (see :func:`group_norms`).
    out : ndarray of shape (L,), v's dtype
        Output: the inner products.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs import make_groups
    >>> groups = make_groups([0, 0, 1], 3)  # features 0, 1 in group 0; feature 2 in group 1
    >>> out = np.empty(2)
    >>> group_inner(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0]),
    ...             groups.group_ptr, groups.group_idx, out)
    >>> out
    array([3., 6.])
    """
    L = group_ptr.shape[0] - 1
    zero = v.dtype.type(0)
    for l in range(L):
        s = zero
        start, stop = _group_span(group_ptr, l)
        for k in range(start, stop):
            j = _feature(group_idx, k)
            s += v[j] * g[j]
        out[l] = s


@jit
def normalize_groups(z, group_ptr, group_idx):
    """Scale each group of ``z`` to unit Euclidean norm, in place.

    A group whose norm is zero is left unchanged.

    Parameters
    ----------
    z : ndarray of shape (p,), float32 or float64
        Input and output: the vector to normalize group by group.
    group_ptr : ndarray of shape (L + 1,), int64
        Group boundaries in ``group_idx`` (from :func:`fastgs.make_groups`).
    group_idx : ndarray of shape (p,) or (0,), int64
        The features of each group, ``group_idx[group_ptr[l]:group_ptr[l + 1]]``;
        empty for contiguous groups (see :func:`group_norms`).

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs import make_groups
    >>> groups = make_groups([0, 0, 1], 3)  # features 0, 1 in group 0; feature 2 in group 1
    >>> z = np.array([3.0, 4.0, 0.0])
    >>> normalize_groups(z, groups.group_ptr, groups.group_idx)
    >>> z
    array([0.6, 0.8, 0. ])
    """
    L = group_ptr.shape[0] - 1
    zero = z.dtype.type(0)
    for l in range(L):
        start, stop = _group_span(group_ptr, l)
        s = zero
        for k in range(start, stop):
            x = z[_feature(group_idx, k)]
            s += x * x
        if s > 0:
            inv = 1 / np.sqrt(s)
            for k in range(start, stop):
                z[_feature(group_idx, k)] *= inv


@jit
def expand_group_weights(u, v, group_ptr, group_idx, w):
    """Coefficients from magnitudes and directions, ``w[G_l] = u[l]**2 * v[G_l]``, in place on ``w``.

    Parameters
    ----------
    u : ndarray of shape (L,), float32 or float64
        The group magnitudes.
    v : ndarray of shape (p,), u's dtype
        The directions.
    group_ptr : ndarray of shape (L + 1,), int64
        Group boundaries in ``group_idx`` (from :func:`fastgs.make_groups`).
    group_idx : ndarray of shape (p,) or (0,), int64
        The features of each group, ``group_idx[group_ptr[l]:group_ptr[l + 1]]``;
        empty for contiguous groups (see :func:`group_norms`).
    w : ndarray of shape (p,), u's dtype
        Output: the coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs import make_groups
    >>> groups = make_groups([0, 0, 1], 3)  # features 0, 1 in group 0; feature 2 in group 1
    >>> w = np.empty(3)
    >>> expand_group_weights(np.array([2.0, 3.0]), np.array([0.6, 0.8, -1.0]),
    ...                      groups.group_ptr, groups.group_idx, w)
    >>> w
    array([ 2.4,  3.2, -9. ])
    """
    L = group_ptr.shape[0] - 1
    for l in range(L):
        u2 = u[l] * u[l]
        start, stop = _group_span(group_ptr, l)
        for k in range(start, stop):
            j = _feature(group_idx, k)
            w[j] = u2 * v[j]


@jit
def weight_normalized_direction_step(u, v, g, group_ptr, group_idx):
    """Algorithm 1's direction step, in place on ``v``.

    With the step size ``eta_l = 1 / u_l**4`` the new direction of group
    ``l`` is ``z_l / ||z_l||`` with ``z_l = u_l**2 v_l + g_l``: the same
    direction as the gradient step ``v_l + eta_l u_l**2 g_l``, computed
    without the overflow of ``1 / u_l**4`` (docs/method.rst, 'Algorithm 1:
    weight normalization').  A group with ``z_l = 0`` keeps its direction.

    Parameters
    ----------
    u : ndarray of shape (L,), float32 or float64
        The group magnitudes.
    v : ndarray of shape (p,), u's dtype
        Input and output: the directions (unit norm per group).
    g : ndarray of shape (p,), u's dtype
        The correlation ``X.T @ r / n``.
    group_ptr : ndarray of shape (L + 1,), int64
        Group boundaries in ``group_idx`` (from :func:`fastgs.make_groups`).
    group_idx : ndarray of shape (p,) or (0,), int64
        The features of each group, ``group_idx[group_ptr[l]:group_ptr[l + 1]]``;
        empty for contiguous groups (see :func:`group_norms`).

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs import make_groups
    >>> groups = make_groups([0, 0, 1], 3)  # features 0, 1 in group 0; feature 2 in group 1
    >>> v = np.array([1.0, 0.0, 1.0])
    >>> weight_normalized_direction_step(np.array([1e-3, 1e-3]), v, np.array([0.0, 2.0, -1.0]),
    ...                                  groups.group_ptr, groups.group_idx)
    >>> np.round(v, 6)  # while u is tiny, v turns to the direction of g
    array([ 0.,  1., -1.])
    """
    L = group_ptr.shape[0] - 1
    zero = v.dtype.type(0)
    for l in range(L):
        start, stop = _group_span(group_ptr, l)
        u2 = u[l] * u[l]
        s = zero
        for k in range(start, stop):
            j = _feature(group_idx, k)
            z = u2 * v[j] + g[j]
            s += z * z
        if s > 0:
            inv = 1 / np.sqrt(s)
            for k in range(start, stop):
                j = _feature(group_idx, k)
                v[j] = (u2 * v[j] + g[j]) * inv


@jit
def constant_direction_step(u, v, g, eta, group_ptr, group_idx):
    """Algorithm 2's direction step after the switch, in place on ``v``.

    ``z_l = v_l + eta * u_l**2 * g_l`` and ``v_l = z_l / ||z_l||``; a group
    with ``z_l = 0`` keeps its direction (docs/method.rst, 'Algorithm 2:
    constant direction step').

    Parameters
    ----------
    u : ndarray of shape (L,), float32 or float64
        The group magnitudes.
    v : ndarray of shape (p,), u's dtype
        Input and output: the directions (unit norm per group).
    g : ndarray of shape (p,), u's dtype
        The correlation ``X.T @ r / n``.
    eta : float
        The constant direction step.
    group_ptr : ndarray of shape (L + 1,), int64
        Group boundaries in ``group_idx`` (from :func:`fastgs.make_groups`).
    group_idx : ndarray of shape (p,) or (0,), int64
        The features of each group, ``group_idx[group_ptr[l]:group_ptr[l + 1]]``;
        empty for contiguous groups (see :func:`group_norms`).

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs import make_groups
    >>> groups = make_groups([0, 0, 1], 3)  # features 0, 1 in group 0; feature 2 in group 1
    >>> v = np.array([1.0, 0.0, 1.0])
    >>> constant_direction_step(np.array([1.0, 1.0]), v, np.array([0.0, 1.0, 0.0]), 1.0,
    ...                         groups.group_ptr, groups.group_idx)
    >>> np.round(v, 4)
    array([0.7071, 0.7071, 1.    ])
    """
    L = group_ptr.shape[0] - 1
    zero = v.dtype.type(0)
    for l in range(L):
        start, stop = _group_span(group_ptr, l)
        c = eta * u[l] * u[l]
        s = zero
        for k in range(start, stop):
            j = _feature(group_idx, k)
            z = v[j] + c * g[j]
            s += z * z
        if s > 0:
            inv = 1 / np.sqrt(s)
            for k in range(start, stop):
                j = _feature(group_idx, k)
                v[j] = (v[j] + c * g[j]) * inv


@jit
def magnitude_step(u, vg, gamma):
    """The magnitude step of Algorithms 1 and 2, ``u_l <- u_l (1 + 2 gamma vg_l)``, in place on ``u``.

    Parameters
    ----------
    u : ndarray of shape (L,), float32 or float64
        Input and output: the group magnitudes.
    vg : ndarray of shape (L,), u's dtype
        The inner products ``<v_l, g_l>`` (:func:`group_inner`) with the
        correlation ``g = X.T @ r / n``.
    gamma : float
        The magnitude step size.

    Returns
    -------
    int
        ``STATUS_OK``, or ``STATUS_U_NONPOSITIVE`` if some ``u_l`` would reach
        or cross zero; ``u`` is then left unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> u = np.array([1.0, 2.0])
    >>> magnitude_step(u, np.array([0.5, -0.25]), 0.1) == STATUS_OK
    True
    >>> u
    array([1.1, 1.9])
    >>> magnitude_step(u, np.array([-10.0, 0.0]), 0.1) == STATUS_U_NONPOSITIVE
    True
    >>> u  # unchanged
    array([1.1, 1.9])
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
    """The fast schedule's magnitude step, in log space and capped per group, in place on ``u``.

    ``u_l <- u_l exp(2 gamma_l vg_l)`` with ``gamma_l = min(gamma, cap / u_l**2)``:
    the step of ``log u_l`` is ``gamma`` until the group's ``u_l**2`` reaches
    ``cap / gamma``, then shrinks so that ``u_l**2`` moves by a bounded
    factor per iteration; ``u`` stays positive (docs/method.rst, 'The fast
    schedule').

    Parameters
    ----------
    u : ndarray of shape (L,), float32 or float64
        Input and output: the group magnitudes (positive).
    vg : ndarray of shape (L,), u's dtype
        The inner products ``<v_l, g_l>`` (:func:`group_inner`).
    gamma : float
        The magnitude step size.
    cap : float
        The per-group cap (the path functions' ``step_cap``).

    Returns
    -------
    int
        ``STATUS_OK``, or ``STATUS_NONFINITE`` if some ``u_l`` overflowed;
        ``u`` is then partly updated and the caller restores it.

    Examples
    --------
    >>> import numpy as np
    >>> u = np.array([0.1, 10.0])
    >>> capped_log_magnitude_step(u, np.array([1.0, 1.0]), 0.5, 0.25) == STATUS_OK
    True
    >>> np.round(u, 4)  # the large group's step is capped at 0.25 / 100
    array([ 0.2718, 10.0501])
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
def __getattr__(name):
    from . import cv_kernels

    if name in cv_kernels.__all__:
        return getattr(cv_kernels, name)
    raise AttributeError(f"module 'fastgs.kernels' has no attribute {name!r}")

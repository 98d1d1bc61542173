"""Numba kernels of the cross-validation sweep: K models in one sweep over X.

``dglnn_cv_path`` advances the K fold models (and the model on all the data)
together: row i validates model ``fold[i]`` and trains every other model, so
one sweep over X serves them all.  These kernels share the conventions of
:mod:`fastgs.kernels` (no bounds checks, dtype-generic, C-ordered arrays)
but are internal to the solver: their workspaces are laid out by
:meth:`fastgs._validation.Design.fold_workspace`.

``residual_gradient_folds_dense / _csr / _csc`` (and ``_chunked`` versions)
    one sweep (CSC: two column sweeps) computing, for every model k,
    ``G[k] = X_k^T r_k`` over its training rows and the training and
    validation sums of squared residuals.
``residual_gradient_folds(design, ...)``
    the storage-generic version, chosen at compile time from the types.
"""

from __future__ import annotations

import numpy as np
from numba import prange, types
from numba.extending import overload

from ._jit import jit, serial_build
from .kernels import (_COL_CHUNK, _chunk_bounds, _col_blocks, _design_kind, _is_serial_chunks,
                      _sum_chunks_block, _weighted_row)  # fmt: skip
from .losses import multinomial_row

__all__ = [
    "residual_gradient_folds",
    "residual_gradient_folds_csc",
    "residual_gradient_folds_csc_chunked",
    "residual_gradient_folds_csr",
    "residual_gradient_folds_csr_chunked",
    "residual_gradient_folds_dense",
    "residual_gradient_folds_dense_chunked",
]


@jit(inline=True)
def _folds_finish_rows(i0, fold, y, offset, dots, rk, train_dev, val_dev, rsum, loss, n_classes,
                       sample_weight):  # fmt: skip
    """Residuals of rows ``i0 .. i0 + m - 1`` for every model; each row's own
    fold gets it as validation.

    dots (m, K') in: ``dots[b, k] = x_{i0+b} . W[k]``; rk (m, K') out: the
    weighted residuals the gradients sum (see :func:`_scalar_finish_row`);
    rk may be dots itself.  K = ``offset.shape[0]`` models; rows may be
    longer (K' >= K, the CSC sweeps' padding), their extra entries untouched.

    The models come in blocks of ``n_classes``: block b is fold b's model
    (one model for the scalar losses; the classes of one multinomial model,
    whose row loss is in ``*_dev[b * n_classes]``, see
    :func:`fastgs.losses.multinomial_row` and :func:`_multinomial_finish_row`).
    The loss is told apart once, outside the loop over the rows: a call to
    the multinomial row inside that loop, even one never taken, keeps LLVM
    from optimizing the scalar losses' loop (docs/performance.rst, 'Design
    measurements').
    """
    weighted = sample_weight.shape[0] > 0
    if n_classes > 1:
        for b in range(dots.shape[0]):
            i = i0 + b
            _multinomial_finish_row(y[i], fold[i], offset, dots[b], train_dev, val_dev, rsum, rk[b],
                                    n_classes, sample_weight[i] if weighted else 1.0)  # fmt: skip
        return
    for b in range(dots.shape[0]):
        i = i0 + b
        _scalar_finish_row(y[i], fold[i], offset, dots[b], train_dev, val_dev, rsum, rk[b], loss,
                           weighted, sample_weight[i] if weighted else 1.0)  # fmt: skip


@jit(inline=True)
def _folds_finish_row(i, fold, y, offset, dots, rk, train_dev, val_dev, rsum, loss, n_classes,
                      sample_weight):  # fmt: skip
    """:func:`_folds_finish_rows` for the one row i: dots, rk (K,).  The CSR
    sweep's, which finishes each row as it goes: there the test inside the
    loop over the rows costs nothing measurable, and a block of one row
    (2-D dots and rk) made it slower (docs/performance.rst, 'Design
    measurements')."""
    weighted = sample_weight.shape[0] > 0
    weight = sample_weight[i] if weighted else 1.0
    if n_classes > 1:
        _multinomial_finish_row(y[i], fold[i], offset, dots, train_dev, val_dev, rsum, rk, n_classes, weight)
    else:
        _scalar_finish_row(y[i], fold[i], offset, dots, train_dev, val_dev, rsum, rk, loss, weighted, weight)


@jit(inline=True)
def _scalar_finish_row(yi, f, offset, dots, train_dev, val_dev, rsum, rk, loss, weighted, weight):
    """One row of a scalar loss: dots (K,) in, ``dots[k] = x_i . W[k]``;
    offset (K,): each model's offset of the linear predictor
    (:func:`fastgs.losses.row_residual_loss`); rk (K,) out: the weighted
    residuals the gradients sum (0 for the row's own fold f; rk may be dots
    itself, read before written).  The weighted half deviances go to
    ``val_dev`` and ``train_dev``, the weighted residuals to ``rsum``.
    """
    for k in range(offset.shape[0]):
        res, dev = _weighted_row(loss, yi, dots[k], offset[k], weighted, weight)
        if k == f:
            val_dev[k] += dev
            rk[k] = 0
        else:
            rr = dots.dtype.type(res)
            train_dev[k] += dev
            rsum[k] += rr
            rk[k] = rr


@jit
def _multinomial_finish_row(label, f, offset, dots, train_dev, val_dev, rsum, rk, n_classes, weight):
    """:func:`_scalar_finish_row` for blocks of ``n_classes`` models, each
    block one multinomial model (kept apart, so that the scalar losses' loop
    stays small)."""
    for b in range(offset.shape[0] // n_classes):
        k0 = b * n_classes
        dev = multinomial_row(label, dots[k0 : k0 + n_classes], offset[k0 : k0 + n_classes], weight,
                              rk[k0 : k0 + n_classes])  # fmt: skip
        if b == f:
            val_dev[k0] += dev * weight
            for c in range(n_classes):
                rk[k0 + c] = 0
        else:
            train_dev[k0] += dev * weight
            for c in range(n_classes):
                rsum[k0 + c] += rk[k0 + c]


@jit
def _dots_6rows_3models(X, i, W, k, c0, c1, dots):
    """dots[r, k + m] += X[i + r, c0:c1] . W[k + m, c0:c1], r < 6, m < 3."""
    x0 = X[i, c0:c1]
    x1 = X[i + 1, c0:c1]
    x2 = X[i + 2, c0:c1]
    x3 = X[i + 3, c0:c1]
    x4 = X[i + 4, c0:c1]
    x5 = X[i + 5, c0:c1]
    wa = W[k, c0:c1]
    wb = W[k + 1, c0:c1]
    wc = W[k + 2, c0:c1]
    # (the third model's sums are d0..d5: c0, c1 are the column bounds)
    zero = wa.dtype.type(0)
    a0 = zero
    a1 = zero
    a2 = zero
    a3 = zero
    a4 = zero
    a5 = zero
    b0 = zero
    b1 = zero
    b2 = zero
    b3 = zero
    b4 = zero
    b5 = zero
    d0 = zero
    d1 = zero
    d2 = zero
    d3 = zero
    d4 = zero
    d5 = zero
    for j in range(wa.shape[0]):
        e0 = x0[j]
        e1 = x1[j]
        e2 = x2[j]
        e3 = x3[j]
        e4 = x4[j]
        e5 = x5[j]
        va = wa[j]
        vb = wb[j]
        vc = wc[j]
        a0 += e0 * va
        a1 += e1 * va
        a2 += e2 * va
        a3 += e3 * va
        a4 += e4 * va
        a5 += e5 * va
        b0 += e0 * vb
        b1 += e1 * vb
        b2 += e2 * vb
        b3 += e3 * vb
        b4 += e4 * vb
        b5 += e5 * vb
        d0 += e0 * vc
        d1 += e1 * vc
        d2 += e2 * vc
        d3 += e3 * vc
        d4 += e4 * vc
        d5 += e5 * vc
    dots[0, k] += a0
    dots[1, k] += a1
    dots[2, k] += a2
    dots[3, k] += a3
    dots[4, k] += a4
    dots[5, k] += a5
    dots[0, k + 1] += b0
    dots[1, k + 1] += b1
    dots[2, k + 1] += b2
    dots[3, k + 1] += b3
    dots[4, k + 1] += b4
    dots[5, k + 1] += b5
    dots[0, k + 2] += d0
    dots[1, k + 2] += d1
    dots[2, k + 2] += d2
    dots[3, k + 2] += d3
    dots[4, k + 2] += d4
    dots[5, k + 2] += d5


@jit
def _dots_6rows_1model(X, i, W, k, c0, c1, dots):
    """dots[r, k] += X[i + r, c0:c1] . W[k, c0:c1], r < 6."""
    x0 = X[i, c0:c1]
    x1 = X[i + 1, c0:c1]
    x2 = X[i + 2, c0:c1]
    x3 = X[i + 3, c0:c1]
    x4 = X[i + 4, c0:c1]
    x5 = X[i + 5, c0:c1]
    w = W[k, c0:c1]
    zero = w.dtype.type(0)
    a0 = zero
    a1 = zero
    a2 = zero
    a3 = zero
    a4 = zero
    a5 = zero
    for j in range(w.shape[0]):
        v = w[j]
        a0 += x0[j] * v
        a1 += x1[j] * v
        a2 += x2[j] * v
        a3 += x3[j] * v
        a4 += x4[j] * v
        a5 += x5[j] * v
    dots[0, k] += a0
    dots[1, k] += a1
    dots[2, k] += a2
    dots[3, k] += a3
    dots[4, k] += a4
    dots[5, k] += a5


@jit
def _grad_6rows_3models(X, i, G, rk, k, c0, c1):
    """G[k + m, c0:c1] += sum_r rk[r, k + m] X[i + r, c0:c1], r < 6, m < 3."""
    x0 = X[i, c0:c1]
    x1 = X[i + 1, c0:c1]
    x2 = X[i + 2, c0:c1]
    x3 = X[i + 3, c0:c1]
    x4 = X[i + 4, c0:c1]
    x5 = X[i + 5, c0:c1]
    ga = G[k, c0:c1]
    gb = G[k + 1, c0:c1]
    gc = G[k + 2, c0:c1]
    ra0, ra1, ra2, ra3, ra4, ra5 = rk[0, k], rk[1, k], rk[2, k], rk[3, k], rk[4, k], rk[5, k]
    m = k + 1
    rb0, rb1, rb2, rb3, rb4, rb5 = rk[0, m], rk[1, m], rk[2, m], rk[3, m], rk[4, m], rk[5, m]
    m = k + 2
    rc0, rc1, rc2, rc3, rc4, rc5 = rk[0, m], rk[1, m], rk[2, m], rk[3, m], rk[4, m], rk[5, m]
    for j in range(ga.shape[0]):
        e0 = x0[j]
        e1 = x1[j]
        e2 = x2[j]
        e3 = x3[j]
        e4 = x4[j]
        e5 = x5[j]
        ga[j] += ra0 * e0 + ra1 * e1 + ra2 * e2 + ra3 * e3 + ra4 * e4 + ra5 * e5
        gb[j] += rb0 * e0 + rb1 * e1 + rb2 * e2 + rb3 * e3 + rb4 * e4 + rb5 * e5
        gc[j] += rc0 * e0 + rc1 * e1 + rc2 * e2 + rc3 * e3 + rc4 * e4 + rc5 * e5


@jit
def _grad_6rows_1model(X, i, G, rk, k, c0, c1):
    """G[k, c0:c1] += sum_r rk[r, k] X[i + r, c0:c1], r < 6."""
    x0 = X[i, c0:c1]
    x1 = X[i + 1, c0:c1]
    x2 = X[i + 2, c0:c1]
    x3 = X[i + 3, c0:c1]
    x4 = X[i + 4, c0:c1]
    x5 = X[i + 5, c0:c1]
    g = G[k, c0:c1]
    r0, r1, r2, r3, r4, r5 = rk[0, k], rk[1, k], rk[2, k], rk[3, k], rk[4, k], rk[5, k]
    for j in range(g.shape[0]):
        g[j] += r0 * x0[j] + r1 * x1[j] + r2 * x2[j] + r3 * x3[j] + r4 * x4[j] + r5 * x5[j]


@jit
def residual_gradient_folds_dense(X, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight):
    """K models in one sweep over dense C-ordered X (cross-validation).

    Row i belongs to fold ``fold[i]``: it is a validation row of model
    ``fold[i]`` and a training row of every other model.  With
    ``r_ik = s_i (y_i - mu(x_i . W[k] + offset[k]))`` (``s_i`` the row's
    weight, ``mu`` the mean function of ``loss``, :mod:`fastgs.losses`) and
    ``l_ik`` the row's half deviance:

    - ``G[k] = sum_{i: fold[i] != k} r_ik x_i``  (K, p) out, unscaled
    - ``train_dev[k] = sum_{fold[i] != k} s_i l_ik``, ``rsum[k] = sum_{fold[i] != k} r_ik``
    - ``val_dev[k] = sum_{fold[i] == k} s_i l_ik``  (K,) out each

    X (n, p), y (n,), fold (n,) int64 in [0, K), W (K, p), offset (K,),
    sample_weight (n,) or (0,) for none.
    Rows are taken six at a time and columns in chunks that stay in L1, and
    models three at a time (then one by one), so that X streams from memory
    once for all K models and each loaded element of X feeds eighteen
    multiply-adds (faster than four rows by two models; see docs/performance.rst,
    'Design measurements').
    """
    n, p = X.shape
    K = W.shape[0]
    G[:, :] = 0
    train_dev[:] = 0
    val_dev[:] = 0
    rsum[:] = 0
    dots = np.zeros((6, K), dtype=X.dtype)
    rk = np.empty((6, K), dtype=X.dtype)
    # range loops rather than counters started at 0: a counter's first value
    # is a literal, for which Numba would compile each helper a second time
    K3 = K - K % 3
    for i in range(0, n - n % 6, 6):
        dots[:, :] = 0
        for c0 in range(0, p, _COL_CHUNK):
            # column slices: a known trip count lets LLVM vectorize
            c1 = min(c0 + _COL_CHUNK, p)
            for k in range(0, K3, 3):
                _dots_6rows_3models(X, i, W, k, c0, c1, dots)
            for k in range(K3, K):
                _dots_6rows_1model(X, i, W, k, c0, c1, dots)
        _folds_finish_rows(i, fold, y, offset, dots, rk, train_dev, val_dev, rsum, loss, n_classes,
                           sample_weight)  # fmt: skip
        for c0 in range(0, p, _COL_CHUNK):
            c1 = min(c0 + _COL_CHUNK, p)
            for k in range(0, K3, 3):
                _grad_6rows_3models(X, i, G, rk, k, c0, c1)
            for k in range(K3, K):
                _grad_6rows_1model(X, i, G, rk, k, c0, c1)
    for i in range(n - n % 6, n):
        xi = X[i]
        for k in range(K):
            wk = W[k]
            s = X.dtype.type(0)
            for j in range(p):
                s += xi[j] * wk[j]
            dots[0, k] = s
        _folds_finish_rows(i, fold, y, offset, dots[:1], rk[:1], train_dev, val_dev, rsum, loss, n_classes,
                           sample_weight)  # fmt: skip
        for k in range(K):
            rr = rk[0, k]
            if rr != 0:
                gk = G[k]
                for j in range(p):
                    gk[j] += rr * xi[j]


@jit
def residual_gradient_folds_csr(data, indices, indptr, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight):
    """:func:`residual_gradient_folds_dense` for CSR X (one row sweep)."""
    n = indptr.shape[0] - 1
    K = W.shape[0]
    zero = data.dtype.type(0)
    G[:, :] = 0
    train_dev[:] = 0
    val_dev[:] = 0
    rsum[:] = 0
    dots = np.empty(K, dtype=data.dtype)
    rk = np.empty(K, dtype=data.dtype)
    for i in range(n):
        d = data[indptr[i] : indptr[i + 1]]
        ix = indices[indptr[i] : indptr[i + 1]]
        for k in range(K):
            wk = W[k]
            s = zero
            for t in range(d.shape[0]):
                s += d[t] * wk[np.uint64(ix[t])]
            dots[k] = s
        _folds_finish_row(i, fold, y, offset, dots, rk, train_dev, val_dev, rsum, loss, n_classes, sample_weight)
        for k in range(K):
            rr = rk[k]
            if rr != 0:
                gk = G[k]
                for t in range(d.shape[0]):
                    gk[np.uint64(ix[t])] += d[t] * rr


# The CSC sweeps take the models six at a time, each tile's six weights or
# sums in registers; the residual scratch R is padded to whole tiles, so that
# a tile never tests which of its models exist.  Six: the default 5-fold
# cross-validation with its refit.  The first sweep takes a column's tiles
# one after the other (the column still in L1); the second goes through a
# block of columns once per tile, so that the tile's columns of R are fixed
# for the whole block, and sums in two interleaved sets, so that consecutive
# entries do not wait on each other's multiply-add.  It is compiled without
# the reassoc flag, with which LLVM would vectorize those short sums with
# gather instructions (docs/performance.rst, 'Cross-validation cost').
_CSC_TILE = 6
# columns of the second sweep's blocks: their stored entries stay in cache
# from one tile to the next
_CSC_BLOCK = 256


@jit
def folds_residual_width(K):
    """Columns of the CSC sweeps' residual scratch R for K models: K rounded
    up to whole tiles of models (the extra columns stay zero)."""
    return -(-K // _CSC_TILE) * _CSC_TILE


@jit
def _residual_scratch(R, K):
    """R if it has the columns the sweeps write for K models, else a new one."""
    if R.shape[1] >= folds_residual_width(K):
        return R
    return np.empty((R.shape[0], folds_residual_width(K)), dtype=R.dtype)


@jit
def _folds_dots_csc(data, indices, starts, stops, W, R):
    """``R[i, k] += X[i, j] W[k, j]`` over the stored entries ``starts[j]:stops[j]``
    of every column j of CSC X (all of them: ``indptr[:-1], indptr[1:]``),
    columns in order; R (n, :func:`folds_residual_width` (K)) in/out, its
    columns from K on left at zero (their weights are zero)."""
    K = W.shape[0]
    zero = data.dtype.type(0)
    if K == _CSC_TILE:
        # one tile (5-fold CV with its refit): the six weights load without
        # the loop over tiles below and its tests, which slow the sweep
        # (docs/performance.rst, 'Cross-validation cost')
        cols = (np.uint64(0), np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4),
                np.uint64(5))  # fmt: skip
        for j in range(starts.shape[0]):
            uj = np.uint64(j)
            _scatter_column_tile(data, indices, starts[j], stops[j], R, cols, W[0, uj], W[1, uj],
                                 W[2, uj], W[3, uj], W[4, uj], W[5, uj])  # fmt: skip
        return
    for j in range(starts.shape[0]):
        for k in range(0, K, _CSC_TILE):
            w0 = W[k, j]
            w1 = W[k + 1, j] if k + 1 < K else zero
            w2 = W[k + 2, j] if k + 2 < K else zero
            w3 = W[k + 3, j] if k + 3 < K else zero
            w4 = W[k + 4, j] if k + 4 < K else zero
            w5 = W[k + 5, j] if k + 5 < K else zero
            cols = (np.uint64(k), np.uint64(k + 1), np.uint64(k + 2), np.uint64(k + 3),
                    np.uint64(k + 4), np.uint64(k + 5))  # fmt: skip
            _scatter_column_tile(data, indices, starts[j], stops[j], R, cols, w0, w1, w2, w3, w4,
                                 w5)  # fmt: skip


@jit(inline=True)
def _scatter_column_tile(data, indices, t0, t1, R, cols, w0, w1, w2, w3, w4, w5):
    """``R[i, cols] += X[i, j] (w0 .. w5)`` over the stored entries t0:t1 of a
    column; cols six unsigned column indices (unsigned: no test for negative
    indices in the loop over the entries)."""
    c0, c1, c2, c3, c4, c5 = cols
    for t in range(t0, t1):
        i = np.uint64(indices[t])
        x = data[t]
        R[i, c0] += x * w0
        R[i, c1] += x * w1
        R[i, c2] += x * w2
        R[i, c3] += x * w3
        R[i, c4] += x * w4
        R[i, c5] += x * w5


@jit
def _folds_dots_csc_flat(data, indices, increments, W, R):
    """:func:`_folds_dots_csc` for six models in one loop over all the stored
    entries of CSC X, in the same order (the same bits).  increments (nnz,)
    uint8: how many columns start at each entry after the first one
    (:func:`folds_column_increments`), so the entry's column is a running
    sum: no loop per column, whose exit after a varying number of entries
    the CPU mispredicts about once per column (docs/performance.rst,
    'Cross-validation cost')."""
    j = np.uint64(0)
    for t in range(data.shape[0]):
        j += np.uint64(increments[t])
        i = np.uint64(indices[t])
        x = data[t]
        R[i, 0] += x * W[0, j]
        R[i, 1] += x * W[1, j]
        R[i, 2] += x * W[2, j]
        R[i, 3] += x * W[3, j]
        R[i, 4] += x * W[4, j]
        R[i, 5] += x * W[5, j]


def folds_column_increments(indptr, n_models):
    """The column increments of :func:`_folds_dots_csc_flat` for CSC X with
    column pointers indptr (p + 1,), or None where that sweep does not apply:
    other than six models, or more than 255 columns starting at one entry
    (empty columns).  (nnz,) uint8, one byte per stored entry."""
    nnz = int(indptr[-1])
    if n_models != _CSC_TILE or nnz == 0:
        return None
    starts = np.bincount(np.asarray(indptr[1:-1], dtype=np.int64), minlength=nnz + 1)[:nnz]
    if starts.max() > 255:
        return None
    return starts.astype(np.uint8)


@jit(inline=True)
def _add_row_tile(s0, s1, s2, s3, s4, s5, x, R, i, cols):
    """The six sums plus ``x R[i, cols]``, cols six unsigned column indices
    (unsigned: no test for negative indices)."""
    c0, c1, c2, c3, c4, c5 = cols
    return (s0 + x * R[i, c0], s1 + x * R[i, c1], s2 + x * R[i, c2], s3 + x * R[i, c3],
            s4 + x * R[i, c4], s5 + x * R[i, c5])  # fmt: skip


@jit(reassociate=False)
def _folds_grad_csc(data, indices, indptr, j0, j1, R, G):
    """``G[k, j] = sum_i X[i, j] R[i, k]`` for ``j0 <= j < j1``, CSC X;
    R (n, :func:`folds_residual_width` (K)).  Each tile's six sums run over
    the even and the odd entries of the column apart, added at the end."""
    K = G.shape[0]
    zero = data.dtype.type(0)
    for b0 in range(j0, j1, _CSC_BLOCK):
        b1 = min(b0 + _CSC_BLOCK, j1)
        for k in range(0, K, _CSC_TILE):
            cols = (np.uint64(k), np.uint64(k + 1), np.uint64(k + 2), np.uint64(k + 3),
                    np.uint64(k + 4), np.uint64(k + 5))  # fmt: skip
            for j in range(b0, b1):
                t, t1 = indptr[j], indptr[j + 1]
                a0 = a1 = a2 = a3 = a4 = a5 = zero
                e0 = e1 = e2 = e3 = e4 = e5 = zero
                while t + 1 < t1:
                    a0, a1, a2, a3, a4, a5 = _add_row_tile(a0, a1, a2, a3, a4, a5, data[t], R,
                                                           np.uint64(indices[t]), cols)  # fmt: skip
                    e0, e1, e2, e3, e4, e5 = _add_row_tile(e0, e1, e2, e3, e4, e5, data[t + 1], R,
                                                           np.uint64(indices[t + 1]), cols)  # fmt: skip
                    t += 2
                if t < t1:
                    a0, a1, a2, a3, a4, a5 = _add_row_tile(a0, a1, a2, a3, a4, a5, data[t], R,
                                                           np.uint64(indices[t]), cols)  # fmt: skip
                # stores one by one: a tuple indexed in a loop would live in memory
                G[k, j] = a0 + e0
                if k + 1 < K:
                    G[k + 1, j] = a1 + e1
                if k + 2 < K:
                    G[k + 2, j] = a2 + e2
                if k + 3 < K:
                    G[k + 3, j] = a3 + e3
                if k + 4 < K:
                    G[k + 4, j] = a4 + e4
                if k + 5 < K:
                    G[k + 5, j] = a5 + e5


@jit
def _folds_finish_all_rows(y, fold, offset, R, train_dev, val_dev, rsum, loss, n_classes, sample_weight):
    """Row by row, in order: R[i] (the K dot products) becomes the residuals the
    gradients sum; the loss sums are accumulated from zero."""
    train_dev[:] = 0
    val_dev[:] = 0
    rsum[:] = 0
    _folds_finish_rows(0, fold, y, offset, R, R, train_dev, val_dev, rsum, loss, n_classes, sample_weight)


@jit
def residual_gradient_folds_csc(data, indices, indptr, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight):
    """:func:`residual_gradient_folds_dense` for CSC X: two column sweeps for all K models.

    The residuals live in a row-major (n, K) scratch, so that each stored
    entry of X updates (first sweep) or reads (second sweep) the K models'
    values of its row in one cache line, and the column's K weights (or K
    sums) stay in registers: X is read twice per call whatever K is, where
    K separate residual/gradient sweeps would read it 2K times.
    """
    R = np.empty((y.shape[0], folds_residual_width(W.shape[0])), dtype=data.dtype)
    _folds_csc_sweeps(data, indices, indptr, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, R)


@jit
def _folds_csc_sweeps(data, indices, indptr, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, R, increments=None):
    """The two column sweeps of :func:`residual_gradient_folds_csc`;
    R (n, :func:`folds_residual_width` (K)) scratch; increments: None, or
    for six models the first sweep's column increments
    (:func:`folds_column_increments`)."""
    R = _residual_scratch(R, W.shape[0])
    R[:, :] = 0
    if increments is None:
        _folds_dots_csc(data, indices, indptr[:-1], indptr[1:], W, R)
    else:
        _folds_dots_csc_flat(data, indices, increments, W, R)
    _folds_finish_all_rows(y, fold, offset, R, train_dev, val_dev, rsum, loss, n_classes, sample_weight)
    _folds_grad_csc(data, indices, indptr, 0, indptr.shape[0] - 1, R, G)


@jit
def _csc_column_chunk(indptr, c, n_chunks):
    """Columns [j0, j1) of chunk c: chunks of about equal numbers of stored entries."""
    p = indptr.shape[0] - 1
    nnz = indptr[p]
    j0 = 0 if c == 0 else np.searchsorted(indptr[:p], (c * nnz) // n_chunks)
    j1 = p if c == n_chunks - 1 else np.searchsorted(indptr[:p], ((c + 1) * nnz) // n_chunks)
    return j0, j1


@jit(parallel=True)
def residual_gradient_folds_csc_chunked(data, indices, indptr, y, fold, W, offset, G, train_dev,
                                        val_dev, rsum, loss, n_classes, sample_weight, row_splits, R):  # fmt: skip
    """:func:`residual_gradient_folds_csc` on ``row_splits.shape[0] - 1`` threads, same bits.

    row_splits (n_chunks + 1, p) int: the stored entries of column j in the
    rows of chunk c are ``row_splits[c, j] : row_splits[c + 1, j]`` (sorted row
    indices; see :meth:`fastgs._validation.Design.fold_workspace`).  The first
    sweep runs the row chunks in parallel, each row summing over the columns
    in order as in the serial kernel; the second runs column chunks, each
    column's sums one thread's.  The result is bit-identical to the serial
    kernel whatever the number of chunks or threads.  R (n,
    :func:`folds_residual_width` (K)): scratch for the dot products and
    residuals (no allocation per call; a narrower R is replaced by a new one).
    """
    n_chunks = row_splits.shape[0] - 1
    if n_chunks <= 1:
        _folds_csc_sweeps(data, indices, indptr, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, R)
        return
    R = _residual_scratch(R, W.shape[0])
    R[:, :] = 0
    for c in prange(n_chunks):
        _folds_dots_csc(data, indices, row_splits[c], row_splits[c + 1], W, R)
    _folds_finish_all_rows(y, fold, offset, R, train_dev, val_dev, rsum, loss, n_classes, sample_weight)
    for c in prange(n_chunks):
        j0, j1 = _csc_column_chunk(indptr, c, n_chunks)
        _folds_grad_csc(data, indices, indptr, j0, j1, R, G)


@jit
def _sum_fold_chunks_block(work_G, G, kb):
    """Block ``kb`` of the fixed-order sum of the row chunks' gradients ``G[k]
    = work_G[0, k] + work_G[1, k] + ...``: model ``kb // n_blocks``, column block
    ``kb % n_blocks`` (the callers' ``prange`` over the blocks of all models
    puts them on threads)."""
    n_blocks = _col_blocks(G.shape[1])
    k = kb // n_blocks
    _sum_chunks_block(work_G[:, k, :], G[k], kb - k * n_blocks)


@jit
def _sum_fold_losses(work_s, train_dev, val_dev, rsum):
    """Fixed-order sum of the per-chunk loss sums of the K-model sweep."""
    n_chunks, _, K = work_s.shape
    for k in range(K):
        a = work_s[0, 0, k]
        b = work_s[0, 1, k]
        c = work_s[0, 2, k]
        for ch in range(1, n_chunks):
            a += work_s[ch, 0, k]
            b += work_s[ch, 1, k]
            c += work_s[ch, 2, k]
        train_dev[k] = a
        val_dev[k] = b
        rsum[k] = c


@jit(parallel=True)
def residual_gradient_folds_dense_chunked(X, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s):
    """:func:`residual_gradient_folds_dense` over ``work_G.shape[0]`` row chunks, multi-threaded.

    work_G (n_chunks, K, p) and work_s (n_chunks, 3, K) scratch; the chunks'
    results are summed in a fixed order (same bits for any thread count).
    """
    n = X.shape[0]
    n_chunks = work_G.shape[0]
    if n_chunks <= 1:
        residual_gradient_folds_dense(X, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight)
        return
    weighted = sample_weight.shape[0] > 0
    for c in prange(n_chunks):
        a, b = _chunk_bounds(c, n_chunks, n)
        residual_gradient_folds_dense(X[a:b], y[a:b], fold[a:b], W, offset, work_G[c],
                                      work_s[c, 0], work_s[c, 1], work_s[c, 2], loss, n_classes,
                                      sample_weight[a:b] if weighted else sample_weight)  # fmt: skip
    for kb in prange(G.shape[0] * _col_blocks(G.shape[1])):
        _sum_fold_chunks_block(work_G, G, kb)
    _sum_fold_losses(work_s, train_dev, val_dev, rsum)


@jit(parallel=True)
def residual_gradient_folds_csr_chunked(data, indices, indptr, y, fold, W, offset, G, train_dev,
                                        val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s):  # fmt: skip
    """:func:`residual_gradient_folds_csr` over row chunks (see the dense version)."""
    n = indptr.shape[0] - 1
    n_chunks = work_G.shape[0]
    if n_chunks <= 1:
        residual_gradient_folds_csr(data, indices, indptr, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight)
        return
    weighted = sample_weight.shape[0] > 0
    for c in prange(n_chunks):
        a, b = _chunk_bounds(c, n_chunks, n)
        residual_gradient_folds_csr(data, indices, indptr[a : b + 1], y[a:b], fold[a:b], W, offset,
                                    work_G[c], work_s[c, 0], work_s[c, 1], work_s[c, 2], loss, n_classes,
                                    sample_weight[a:b] if weighted else sample_weight)  # fmt: skip
    for kb in prange(G.shape[0] * _col_blocks(G.shape[1])):
        _sum_fold_chunks_block(work_G, G, kb)
    _sum_fold_losses(work_s, train_dev, val_dev, rsum)


# one-thread builds (fastgs._jit.serial_build): the same chunks and bits without parallel code
_residual_gradient_folds_dense_chunked_serial = serial_build(residual_gradient_folds_dense_chunked)
_residual_gradient_folds_csr_chunked_serial = serial_build(residual_gradient_folds_csr_chunked)


def residual_gradient_folds(design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s):  # pragma: no cover
    """Storage-generic K-model sweep (compiled code only).

    work_G: dense and CSR (n_chunks, K, p), the row chunks' partial gradients;
    CSC (n_chunks + 1, p) int, the row chunks' split points in each column (see
    :meth:`fastgs._validation.Design.fold_workspace`); None for a single chunk:
    the serial sweep, and no parallel code is compiled; dense and CSR's work_G
    in a :class:`fastgs.kernels.SerialChunks`: its row chunks on the calling
    thread, the bits of the threaded sweep, no parallel code; CSC's (nnz,)
    uint8: the serial sweep of six models, its first sweep in one loop over
    the stored entries (:func:`folds_column_increments`).  work_s: dense and CSR
    (n_chunks, 3, K), the row chunks' loss sums (None with work_G None); CSC
    (n, K), the residuals.
    """
    raise NotImplementedError("residual_gradient_folds is only callable from compiled (njit) code")


@overload(residual_gradient_folds)
def _residual_gradient_folds_overload(design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s):
    kind = _design_kind(design)
    # work_G None: a single row chunk, the serial sweep (no parallel code compiled)
    serial = isinstance(work_G, types.NoneType)
    if kind == "dense" and serial:
        return lambda design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s: (
            residual_gradient_folds_dense(design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight)
        )
    if kind == "dense" and _is_serial_chunks(work_G):
        return lambda design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s: (
            _residual_gradient_folds_dense_chunked_serial(
                design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G.work, work_s
            )
        )
    if kind == "csr" and _is_serial_chunks(work_G):
        return lambda design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s: (
            _residual_gradient_folds_csr_chunked_serial(
                design[0], design[1], design[2], y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight,
                work_G.work, work_s,
            )
        )  # fmt: skip
    if kind == "dense":
        return lambda design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s: (
            residual_gradient_folds_dense_chunked(
                design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s
            )
        )
    if kind == "csr" and serial:
        return lambda design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s: (
            residual_gradient_folds_csr(
                design[0], design[1], design[2], y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight
            )
        )
    if kind == "csr":
        return lambda design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s: (
            residual_gradient_folds_csr_chunked(
                design[0], design[1], design[2], y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight,
                work_G, work_s,
            )
        )  # fmt: skip
    if kind == "csc" and serial:
        return lambda design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s: (
            _folds_csc_sweeps(
                design[0], design[1], design[2], y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_s
            )
        )
    if kind == "csc" and isinstance(work_G, types.Array) and work_G.ndim == 1:
        return lambda design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s: (
            _folds_csc_sweeps(
                design[0], design[1], design[2], y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_s,
                work_G,
            )
        )  # fmt: skip
    if kind == "csc":
        return lambda design, y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight, work_G, work_s: (
            residual_gradient_folds_csc_chunked(
                design[0], design[1], design[2], y, fold, W, offset, G, train_dev, val_dev, rsum, loss, n_classes, sample_weight,
                work_G, work_s,
            )
        )
    return None

"""Compiled solvers: each whole iteration loop is one Numba call.

The loops are written once for every storage of X: ``design`` is a dense
C-ordered array, a CSR 3-tuple or a CSC 4-tuple (see :mod:`fastgs.kernels`),
and the storage-generic kernels pick the right sweep at compile time.

Conventions shared by the solvers (docs/method.rst, 'The model and the loss'):

- loss ``1/(2n) ||y - X w||^2``, correlation ``g = X^T r / n``;
- optional implicit centering (``center=True``): the model is fit to
  ``y - mean(y)`` with the columns of X centered by ``x_offset`` without ever
  forming the centered X (sparse X stays sparse);
- iterate ``t`` is evaluated (residual, losses) at the start of pass ``t``;
  recorded iterations are ``t % record_every == 0`` and the last one;
- a non-finite value, or a ``u`` that would reach or cross zero, stops the
  loop; the last good iterate is restored, recorded and returned with a
  status code and the iteration where it happened.
"""

from __future__ import annotations

import numpy as np
from numba import prange, types
from numba.extending import overload

from ._jit import jit
from .cv_kernels import residual_gradient_folds
from .losses import MULTINOMIAL, intercept_step
from .kernels import (
    _copy,
    _feature,
    _group_span,
    STATUS_NONFINITE,
    STATUS_OK,
    STATUS_U_NONPOSITIVE,
    capped_log_magnitude_step,
    constant_direction_step,
    expand_group_weights,
    group_inner,
    magnitude_step,
    residual_gradient_loss,
    residual_loss,
    weight_normalized_direction_step,
)

# algorithm codes
ALG1 = 0  # weight normalization, eta = 1/u^4 throughout
ALG2 = 1  # weight normalization, then a constant direction step after the switch
GD = 2  # plain gradient descent on (u, v), no normalization

# switch rules for ALG2
SWITCH_PAPER = 1  # max over all groups of |du|/(u + eps) < tau
SWITCH_AUTO = 2  # the same over the groups that carry the model, or a rise of the training loss
SWITCH_AT = 3  # at a given iteration

SWITCH_EPS = 1e-12
# SWITCH_AUTO looks only at groups whose u^2 is at least this fraction of the
# largest u^2: off-support groups keep growing at a noise-driven rate and would
# otherwise keep the paper's rule from firing at moderate noise.
SWITCH_ACTIVE_FRACTION = 1e-2


@jit
def _dot(a, b):
    """Inner product as a plain loop: np.dot would call BLAS, whose own threads
    would compete with Numba's (and ignore n_jobs)."""
    s = a.dtype.type(0)
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


@jit
def _all_finite(x):
    """Whether every entry of the 1-d array x is finite.

    ``x[i] * 0`` is 0 for a finite entry and NaN for an infinite or NaN one,
    so the sum is 0 exactly when all are finite.  A sum without a branch is
    vectorized, where a loop that returns at the first bad entry is not (the
    FASTMATH_FLAGS leave out ``nnan``/``ninf``, under which LLVM could fold
    ``x * 0`` to 0: fastgs._jit).
    """
    s = x.dtype.type(0)
    for i in range(x.shape[0]):
        s += x[i] * 0
    return s == 0


# The loss of a run reaches the compiled loops as one tuple ``glm``:
# ``(loss, sample_weight, sample_weight_val, sums, classes)`` with the loss code
# (fastgs.losses), the rows' weights ((0,) for none), float64 sums:
GLM_WEIGHT_SUM = 0  # sum of the training rows' weights (n unweighted)
GLM_TARGET_SUM = 1  # sum of weight * y over the training rows
GLM_VAL_WEIGHT_SUM = 2  # sum of the validation rows' weights
GLM_CURVATURE = 3  # the gradient is divided by this (fastgs.losses.curvature_bound)
GLM_FIT_INTERCEPT = 4  # 1: the intercept moves with the fit (losses other than least squares)
N_GLM_SUMS = 5
# and ``classes``: None for one linear predictor per row, or for the
# multinomial loss the scratch of its K-class sweep (see multinomial_scratch):
# the weights w (K p,) are then the K classes' rows of a (K, p) matrix, and
# y holds each row's class.


def multinomial_scratch(n: int, m: int, n_classes: int, p: int, dtype, work_G=None, work_s=None):
    """The ``classes`` entry of ``glm`` for the multinomial loss: fold labels
    that make every training row train and every validation row validate the
    one K-class model of the K-model sweep, and its small buffers."""
    return (np.full(n, -1, dtype=np.int64), np.zeros(m, dtype=np.int64),
            np.empty(n_classes), np.empty(n_classes, dtype=dtype), np.empty(n_classes, dtype=dtype),
            np.empty((n_classes, p), dtype=dtype), np.empty(n_classes, dtype=dtype), work_G, work_s)  # fmt: skip


def _sweep(design, y, w, r, g, work, x_offset, center, glm, intercept, rsum):  # pragma: no cover
    """Residuals, unscaled centered gradient and loss sum of one pass (compiled only)."""
    raise NotImplementedError


def _validation_sweep(design, y, w, r, x_offset, center, glm, intercept):  # pragma: no cover
    """The validation loss sum (compiled only)."""
    raise NotImplementedError


@overload(_sweep)
def _sweep_overload(design, y, w, r, g, work, x_offset, center, glm, intercept, rsum):
    if isinstance(glm.types[4], types.NoneType):
        def scalar(design, y, w, r, g, work, x_offset, center, glm, intercept, rsum):
            shift = _dot(x_offset, w) if center else g.dtype.type(0)
            total = residual_gradient_loss(design, y, w, r, g, work, glm[0], intercept[0] - shift,
                                           glm[1])  # fmt: skip
            s = r.dtype.type(0)
            for i in range(r.shape[0]):
                s += r[i]
            rsum[0] = s
            if center:
                for j in range(g.shape[0]):
                    g[j] -= x_offset[j] * s
            return total
        return scalar

    def multinomial(design, y, w, r, g, work, x_offset, center, glm, intercept, rsum):
        fold, _, offsets, dev, dev_val, _, sums_k, work_G, work_s = glm[4]
        K = intercept.shape[0]
        p = x_offset.shape[0]
        W = w.reshape((K, p))
        G = g.reshape((K, p))
        for k in range(K):
            offsets[k] = intercept[k] - (_dot(x_offset, W[k]) if center else 0.0)
        residual_gradient_folds(design, y, fold, W, offsets, G, dev, dev_val, sums_k, np.int64(MULTINOMIAL),
                                np.int64(K), glm[1], work_G, work_s)  # fmt: skip
        for k in range(K):
            rsum[k] = sums_k[k]
            if center:
                gk = G[k]
                for j in range(p):
                    gk[j] -= x_offset[j] * sums_k[k]
        return float(dev[0])
    return multinomial


@overload(_validation_sweep)
def _validation_sweep_overload(design, y, w, r, x_offset, center, glm, intercept):
    if isinstance(glm.types[4], types.NoneType):
        def scalar(design, y, w, r, x_offset, center, glm, intercept):
            shift = _dot(x_offset, w) if center else r.dtype.type(0)
            return residual_loss(design, y, w, r, glm[0], intercept[0] - shift, glm[2])
        return scalar

    def multinomial(design, y, w, r, x_offset, center, glm, intercept):
        _, fold, offsets, dev, dev_val, G, sums_k, _, _ = glm[4]
        K = intercept.shape[0]
        p = x_offset.shape[0]
        W = w.reshape((K, p))
        for k in range(K):
            offsets[k] = intercept[k] - (_dot(x_offset, W[k]) if center else 0.0)
        residual_gradient_folds(design, y, fold, W, offsets, G, dev, dev_val, sums_k, np.int64(MULTINOMIAL),
                                np.int64(K), glm[2], None, None)  # fmt: skip
        return float(dev_val[0])
    return multinomial


@jit
def loss_and_gradient(design, y, w, r, g, work, x_offset, center, inv_scale, glm, intercept, rsum):
    """Training loss at w and the scaled gradient ``g = D^-1 X_c^T r / (n c)``.

    The loss is the weighted mean half deviance of ``glm``'s loss
    (:mod:`fastgs.losses`) at the linear predictor ``X_c w + intercept``, and
    ``r = s * (y - mu)`` (n,) out; ``n`` is the sum of the weights and ``c``
    the curvature the gradient is divided by (``glm``'s sums, see above).
    For the multinomial loss (``glm[4]`` not None) w and g are (K p,), the
    intercept (K,) and r is not written.

    work : (n_chunks, p) scratch of the multi-threaded sweep (see
    :func:`fastgs.kernels.residual_gradient_dense_chunked`), or None.

    With ``center`` the columns of X are centered by ``x_offset`` (p,)
    implicitly: the linear predictor is ``X w - <x_offset, w> + intercept``
    and ``g = X^T r - x_offset * sum(r)``, which is exact for the centered X.

    inv_scale : (p,) (K p,) the inverse column scales ``D^-1`` of
        standardized columns, or (0,) for none.  The fit runs in the
        standardized coordinates ``w_s = D w``: the caller passes the
        original-scale ``w = D^-1 w_s`` and gets the gradient in ``w_s``, so
        X itself is never rescaled or copied.
    intercept : float64 (1,) or (K,), the intercept(s) of the linear predictor
    rsum : float64 (1,) or (K,) out, ``sum(r)`` (per class)

    Returns
    -------
    float : the mean loss, in X's dtype
    """
    sums = glm[3]
    total = _sweep(design, y, w, r, g, work, x_offset, center, glm, intercept, rsum)
    inv_n = g.dtype.type(1.0 / (sums[GLM_WEIGHT_SUM] * sums[GLM_CURVATURE]))
    if inv_scale.shape[0] > 0:
        for j in range(g.shape[0]):
            g[j] *= inv_n * inv_scale[j]
    else:
        for j in range(g.shape[0]):
            g[j] *= inv_n
    # the loss in X's dtype: float32 data give float32 losses (their comparisons
    # between passes, e.g. the switch on a rise, then see no float64 rounding noise)
    return g.dtype.type(total / sums[GLM_WEIGHT_SUM])


@jit
def validation_loss(design, y, w, r, x_offset, center, glm, intercept):
    """Weighted mean half deviance on the m validation rows, r (m,) scratch."""
    total = _validation_sweep(design, y, w, r, x_offset, center, glm, intercept)
    return r.dtype.type(total / glm[3][GLM_VAL_WEIGHT_SUM])


@jit
def next_intercept(glm, intercept, rsum):
    """The intercept(s) after a pass, in place (:func:`fastgs.losses.intercept_step`);
    unchanged unless they move with the fit."""
    sums = glm[3]
    if sums[GLM_FIT_INTERCEPT] == 0:
        return
    for k in range(intercept.shape[0]):
        intercept[k] += intercept_step(glm[0], rsum[k], sums[GLM_WEIGHT_SUM], sums[GLM_TARGET_SUM])


@jit
def set_weights(u, v, group_ptr, group_idx, inv_scale, w):
    """``w = D^-1 u^2 v``: the original-scale weights of the standardized model
    (``inv_scale`` (0,): no scaling, ``w = u^2 v``)."""
    if inv_scale.shape[0] == 0:
        expand_group_weights(u, v, group_ptr, group_idx, w)
        return
    # expansion and scaling in one pass over w (the same two products)
    for l in range(u.shape[0]):
        u2 = u[l] * u[l]
        start, stop = _group_span(group_ptr, l)
        for k in range(start, stop):
            j = _feature(group_idx, k)
            w[j] = u2 * v[j] * inv_scale[j]


@jit(inline=True)
def _record(k, t, w, loss, val, rec_iter, rec_w, rec_train, rec_val):
    rec_iter[k] = t
    _copy(w, rec_w[k])
    rec_train[k] = loss
    rec_val[k] = val
    return k + 1


# The scalar state of a DGLNN run between iterations lives in two small arrays
# so that the per-iteration steps below, shared by dglnn_solve and the
# distributed driver in fastgs.dask, update it in place.
I_RECORDS = 0  # number of records written
I_STATUS = 1  # STATUS_* code
I_STATUS_ITER = 2  # iteration where the run stopped early (-1: it did not)
I_SWITCHED = 3  # 1 once Algorithm 2 uses its constant direction step
I_SWITCH_ITER = 4  # iteration of the switch (-1: none)
I_BEST_ITER = 5  # iteration with the lowest validation loss (-1: none)
I_RECORDED = 6  # 1 if the current iterate was recorded
I_STOP = 7  # why the run ended: STOP_*
N_ISTATE = 8
F_BEST_VAL = 0  # lowest validation loss so far
F_LOSS = 1  # training loss of the current iterate
F_VAL = 2  # validation loss of the current iterate
# the early end's state (see no_improvement_end): the lowest validation loss,
# its iteration, and the number of consecutive passes clearly above it
F_REF_VAL = 3
F_REF_ITER = 4
F_N_ABOVE = 5
N_FSTATE = 6
# the intercepts of the linear predictor (fit jointly for losses other than
# least squares) live in records[10], (3, K): now, at the previous iterate,
# at the best one
B_NOW = 0
B_PREV = 1
B_BEST = 2

# why a run ended (istate[I_STOP]; divergence is reported by the status)
STOP_MAX_ITER = 0  # the max_iter cap
STOP_NO_IMPROVEMENT = 1  # the early end: the validation curve stopped improving
STOP_TRAIN_FLAT = 2  # the refit's stop: the training loss slowed down


@jit
def no_improvement_end(t, value, ref, end_rule):
    """The early end of a run on its validation (or mean CV) curve.

    Parameters
    ----------
    t : int, the iteration of ``value``
    value : float, the validation loss at iteration t
    ref : float64 array (3,), in/out: the lowest validation loss so far, its
        iteration, and the number of consecutive iterations (up to t) whose
        loss exceeded that minimum by more than ``tol`` (relative); start
        with ``[inf, 0, 0]``
    end_rule : float64 array (4,): ``(tol, n_iter_no_change, patience_fraction,
        patience_min)``; ``n_iter_no_change <= 0`` switches the early end off

    Returns
    -------
    bool
        True once the loss has stayed more than ``tol`` above its minimum
        for ``n_iter_no_change`` consecutive iterations and at least
        ``max(patience_min, patience_fraction * t_min)`` iterations have
        passed since the minimum at ``t_min``.  A curve that is still
        falling, however slowly, or lies on a plateau near its minimum never
        ends the run: groups enter one at a time with flat stretches between
        them, and only a clear rise says the later iterates over-fit; the
        least wait after the minimum covers a plateau between two entries
        that lies just above it (docs/method.rst, 'Early stopping').
    """
    if end_rule[1] <= 0:
        return False
    if value < ref[0]:
        ref[0] = value
        ref[1] = t
    if value > ref[0] * (1.0 + end_rule[0]):
        ref[2] += 1.0
    else:
        ref[2] = 0.0
    return ref[2] >= end_rule[1] and t - ref[1] >= max(end_rule[3], end_rule[2] * ref[1])


def new_run_state(algorithm, switch_rule, switch_at):
    """(istate int64 (N_ISTATE,), fstate float64 (N_FSTATE,)) of a run at its start."""
    istate = np.zeros(N_ISTATE, dtype=np.int64)
    fstate = np.full(N_FSTATE, np.nan)
    switched = algorithm == ALG2 and switch_rule == SWITCH_AT and switch_at <= 0
    istate[I_STATUS] = STATUS_OK
    istate[I_STATUS_ITER] = -1
    istate[I_SWITCHED] = int(switched)
    istate[I_SWITCH_ITER] = 0 if switched else -1
    istate[I_BEST_ITER] = -1
    istate[I_RECORDED] = 1
    istate[I_STOP] = STOP_MAX_ITER
    fstate[F_BEST_VAL] = np.inf
    fstate[F_REF_VAL] = np.inf
    fstate[F_REF_ITER] = 0.0
    fstate[F_N_ABOVE] = 0.0
    return istate, fstate


@jit(inline=True)
def _record_current(t, u, w, istate, fstate, records):
    rec_iter, rec_w, rec_u, rec_train, rec_val = records[0], records[1], records[2], records[3], records[4]
    _copy(u, rec_u[istate[I_RECORDS]])
    _copy(records[10][B_NOW], records[9][istate[I_RECORDS]])
    istate[I_RECORDS] = _record(istate[I_RECORDS], t, w, fstate[F_LOSS], fstate[F_VAL],
                                rec_iter, rec_w, rec_train, rec_val)  # fmt: skip


@jit(inline=True)
def _restore_previous(u, v, w, u_prev, v_prev, group_ptr, group_idx, inv_scale):
    _copy(u_prev, u)
    _copy(v_prev, v)
    set_weights(u, v, group_ptr, group_idx, inv_scale, w)


@jit
def dglnn_evaluated_step(t, loss, val, g, has_val, u, v, w, u_prev, v_prev, vg, istate, fstate,
                         records, group_ptr, group_idx, inv_scale, algorithm, split, eta,
                         switch_rule, max_iter, record_every, min_iter, stop_rate,
                         end_rule):  # fmt: skip
    """Iteration t of DGLNN after the evaluation at ``w = u^2 v``: the first half.

    Given the training loss, the validation loss (NaN without validation) and
    ``g = X_c^T r / n`` at iterate t: stops on a non-finite value (restoring
    and recording iterate t - 1), tracks the best validation iterate, writes
    the loss curves, switches Algorithm 2 at a rise of the training loss
    (SWITCH_AUTO), records iterate t and keeps it as the previous iterate;
    with ``split`` (the sequential update) it applies the direction phase.

    records : (rec_iter, rec_w, rec_u, rec_train, rec_val, best_u, best_v,
        train_curve, val_curve, rec_intercept, intercepts), see :func:`dglnn_solve`.
    min_iter, stop_rate : iterate t >= min_iter is the last one if the
        training loss fell by at most ``stop_rate * loss`` in its pass (off
        with ``stop_rate = -inf``)
    end_rule : float64 (4,), the early end on the validation loss (see
        :func:`no_improvement_end`); why the run ended goes to istate[I_STOP]
    Returns True to go on: the caller then passes the gradient for the
    magnitude step (g again, or recomputed at (u, v(t+1)) for the sequential
    update) to :func:`dglnn_magnitude_step`, with the same ``split``.
    """
    best_u, best_v, train_curve, val_curve = records[5], records[6], records[7], records[8]
    if not np.isfinite(loss) or (has_val and not np.isfinite(val)) or not _all_finite(g):
        istate[I_STATUS] = STATUS_NONFINITE
        istate[I_STATUS_ITER] = t
        if t > 0:
            _restore_previous(u, v, w, u_prev, v_prev, group_ptr, group_idx, inv_scale)
            _copy(records[10][B_PREV], records[10][B_NOW])
            if istate[I_RECORDED] == 0:
                _record_current(t - 1, u, w, istate, fstate, records)
        return False
    if has_val and val < fstate[F_BEST_VAL]:
        fstate[F_BEST_VAL] = val
        istate[I_BEST_ITER] = t
        _copy(records[10][B_NOW], records[10][B_BEST])
        _copy(u, best_u)
        _copy(v, best_v)
    train_curve[t] = loss
    val_curve[t] = val
    if (algorithm == ALG2 and istate[I_SWITCHED] == 0 and switch_rule == SWITCH_AUTO
            and loss > fstate[F_LOSS]):  # fmt: skip
        # the normalized direction step overshoots: switch to the constant one
        istate[I_SWITCHED] = 1
        istate[I_SWITCH_ITER] = t
    ended = has_val and no_improvement_end(t, val, fstate[F_REF_VAL : F_N_ABOVE + 1], end_rule)
    slowed = t >= min_iter and fstate[F_LOSS] - loss <= stop_rate * abs(loss)
    last = t == max_iter or ended or slowed
    if ended:
        istate[I_STOP] = STOP_NO_IMPROVEMENT
    elif slowed:
        istate[I_STOP] = STOP_TRAIN_FLAT
    fstate[F_LOSS] = loss
    fstate[F_VAL] = val
    recorded = t % record_every == 0 or last
    istate[I_RECORDED] = int(recorded)
    if recorded:
        _record_current(t, u, w, istate, fstate, records)
    if last:
        return False
    _copy(u, u_prev)
    _copy(v, v_prev)
    if split:
        _direction_phase(algorithm, istate[I_SWITCHED] == 1, u, v, g, vg, eta, group_ptr, group_idx)
    return True


@jit
def dglnn_magnitude_step(t, g, u, v, w, u_prev, v_prev, vg, istate, fstate, records,
                         group_ptr, group_idx, inv_scale, algorithm, split, gamma, eta, step_cap,
                         switch_rule, tau, switch_at):  # fmt: skip
    """Iteration t of DGLNN, second half: the magnitude step with gradient g.

    Without ``split`` (the simultaneous update) the direction phase comes
    first, a block of groups at a time with the magnitude phase and the new
    weights ``w = D^-1 u(t+1)^2 v(t+1)`` (:func:`_update_in_blocks`).  Stops
    if u would reach or cross zero or v is non-finite (restoring and
    recording iterate t); otherwise tests Algorithm 2's switch.  Returns
    True to go on to iteration t + 1.
    """
    step_status = _update_in_blocks(algorithm, istate[I_SWITCHED] == 1, not split, u, v, g, vg,
                                    gamma, eta, step_cap, group_ptr, group_idx, inv_scale, w)  # fmt: skip
    if step_status != STATUS_OK:
        istate[I_STATUS] = step_status
        istate[I_STATUS_ITER] = t
        _restore_previous(u, v, w, u_prev, v_prev, group_ptr, group_idx, inv_scale)
        if istate[I_RECORDED] == 0:
            _record_current(t, u, w, istate, fstate, records)
        return False
    if algorithm == ALG2 and istate[I_SWITCHED] == 0:
        if _switch_fires(switch_rule, switch_at, t, u_prev, u, tau):
            istate[I_SWITCHED] = 1
            istate[I_SWITCH_ITER] = t + 1
    return True


@jit
def dglnn_solve(
    design, y, work, design_val, y_val, group_ptr, group_idx, u, v, x_offset, center, inv_scale,
    glm, algorithm, sequential, gamma, eta, step_cap, switch_rule, tau, switch_at,
    max_iter, record_every, min_iter, stop_rate, end_rule, records, istate, fstate,
):  # fmt: skip
    """Run DGLNN (Algorithm 1, Algorithm 2 or plain GD) for ``max_iter`` passes.

    Parameters
    ----------
    design, y : training X (see module doc) and target (n,)
    work : (n_chunks, p) scratch of the multi-threaded sweep over X
    design_val, y_val : validation X and target (m,); m = 0 means none
    group_ptr, group_idx : int64 group encoding
    u : (L,) in/out, magnitudes; v : (p,) in/out, directions
    x_offset : (p,) column means used when ``center``
    inv_scale : (p,) inverse column scales of standardized X, or (0,) for
        none (see :func:`loss_and_gradient`); ``u``, ``v`` live in the
        standardized coordinates, the recorded ``w`` in the original ones
    glm : the loss, the rows' weights and their sums (see
        :func:`loss_and_gradient`); the intercepts start at
        ``records[10][B_NOW]`` and, for losses other than least squares,
        move after every pass (:func:`next_intercept`)
    algorithm : ALG1, ALG2 or GD ; sequential : recompute g before the u step
    gamma : magnitude step ; eta : ALG2's constant direction step
    step_cap : > 0 for the fast schedule's capped log-space magnitude step
    switch_rule, tau, switch_at : ALG2's switch (SWITCH_PAPER/AUTO/AT)
    min_iter, stop_rate : stop early once the training loss slows down (see
        :func:`dglnn_evaluated_step`; ``stop_rate = -inf``: run max_iter passes)
    end_rule : float64 (4,), the early end on the validation loss
        (:func:`no_improvement_end`)
    records : out, (rec_iter (k,), rec_w (k, p), rec_u (k, L), rec_train (k,),
        rec_val (k,), best_u (L,), best_v (p,), train_curve, val_curve,
        rec_intercept (k, K), intercepts (3, K) in/out: now, previous, best); the
        curves (max_iter + 1,) hold the losses of every evaluated iteration
        (recorded or not; NaN where not evaluated)
    istate, fstate : in/out, the run's scalar state (:func:`new_run_state`):
        number of records, status, status iteration, switch iteration, best
        iteration (-1 where they do not apply), best validation loss

    The loop is :func:`dglnn_evaluated_step` and :func:`dglnn_magnitude_step`
    around the sweeps over X, which fastgs.dask drives with its own sweeps.
    """
    n = y.shape[0]
    m = y_val.shape[0]
    p = v.shape[0]
    L = u.shape[0]
    has_val = m > 0
    w = np.empty(p, dtype=v.dtype)
    r = np.empty(n, dtype=v.dtype)
    g = np.empty(p, dtype=v.dtype)
    r_val = np.empty(m, dtype=v.dtype)
    vg = np.empty(L, dtype=v.dtype)
    u_prev = u.copy()
    v_prev = v.copy()
    set_weights(u, v, group_ptr, group_idx, inv_scale, w)
    b = records[10]
    rsum = np.empty(b.shape[1])
    rsum_sequential = np.empty(b.shape[1])  # the second pass's sums (unused: b moves on the first's)
    # the sequential update sweeps again between the two phases; GD's is simultaneous
    split = sequential and algorithm != GD
    for t in range(max_iter + 1):
        loss = loss_and_gradient(design, y, w, r, g, work, x_offset, center, inv_scale, glm, b[B_NOW],
                                 rsum)  # fmt: skip
        val = np.nan
        if has_val:
            val = validation_loss(design_val, y_val, w, r_val, x_offset, center, glm, b[B_NOW])
        if not dglnn_evaluated_step(t, loss, val, g, has_val, u, v, w, u_prev, v_prev, vg, istate,
                                    fstate, records, group_ptr, group_idx, inv_scale, algorithm,
                                    split, eta, switch_rule, max_iter, record_every, min_iter,
                                    stop_rate, end_rule):  # fmt: skip
            break
        if split:
            # the paper's order: g at (u(t), v(t+1)) for the magnitude step
            set_weights(u, v, group_ptr, group_idx, inv_scale, w)
            loss_and_gradient(design, y, w, r, g, work, x_offset, center, inv_scale, glm, b[B_NOW],
                              rsum_sequential)  # fmt: skip
        if not dglnn_magnitude_step(t, g, u, v, w, u_prev, v_prev, vg, istate, fstate, records,
                                    group_ptr, group_idx, inv_scale, algorithm, split, gamma, eta,
                                    step_cap, switch_rule, tau, switch_at):  # fmt: skip
            break
        _copy(b[B_NOW], b[B_PREV])
        next_intercept(glm, b[B_NOW], rsum)


@jit
def _direction_phase(algorithm, switched, u, v, g, vg, eta, group_ptr, group_idx):
    """The direction part of one DGLNN iteration, in place on v.

    GD: ``v_l += eta u_l^2 g_l`` (eta defaults to gamma).  For GD the inner
    products ``<v(t), g(t)>`` needed by the magnitude step are taken here,
    before v moves (simultaneous gradient descent).  The ALG2 step after the
    switch also takes eta; ALG1's does not.
    """
    if algorithm == GD:
        group_inner(v, g, group_ptr, group_idx, vg)
        for l in range(u.shape[0]):
            c = eta * u[l] * u[l]
            start, stop = _group_span(group_ptr, l)
            for kk in range(start, stop):
                j = _feature(group_idx, kk)
                v[j] += c * g[j]
    elif switched:
        constant_direction_step(u, v, g, eta, group_ptr, group_idx)
    else:
        weight_normalized_direction_step(u, v, g, group_ptr, group_idx)


@jit(inline=True)
def _magnitude_phase(algorithm, u, v, g, vg, gamma, step_cap, group_ptr, group_idx):
    """The magnitude part of one DGLNN iteration, in place on u; returns a status.

    ``step_cap > 0`` selects the fast schedule's capped log-space step
    (:func:`fastgs.kernels.capped_log_magnitude_step`), otherwise the paper's
    ``u_l (1 + 2 gamma <v_l, g_l>)``.
    """
    if algorithm != GD:
        group_inner(v, g, group_ptr, group_idx, vg)
    if step_cap > 0:
        status = capped_log_magnitude_step(u, vg, gamma, step_cap)
    else:
        status = magnitude_step(u, vg, gamma)
    if status == STATUS_OK and not _groups_finite(v, group_ptr, group_idx):
        status = STATUS_NONFINITE
    return status


@jit(inline=True)
def _groups_finite(v, group_ptr, group_idx):
    """Whether v is finite at every feature of the groups ``0 ..
    group_ptr.shape[0] - 2`` (a block of groups; features in no group never
    change)."""
    start = np.uint64(group_ptr[0])
    stop = np.uint64(group_ptr[group_ptr.shape[0] - 1])
    if group_idx.shape[0] == 0:
        return _all_finite(v[start:stop])
    s = v.dtype.type(0)
    for k in range(start, stop):
        s += v[np.uint64(group_idx[k])] * 0
    return s == 0


@jit(inline=True)
def _switch_fires(switch_rule, switch_at, t, u_old, u_new, tau):
    """Does Algorithm 2 switch after the update from iteration t (u_old -> u_new)?"""
    if switch_rule == SWITCH_AT:
        return t + 1 >= switch_at
    return _switch_criterion(u_old, u_new, tau, switch_rule == SWITCH_AUTO)


@jit
def _switch_criterion(u_old, u_new, tau, active_only):
    """Algorithm 2's switch: max relative change of u below ``tau``.

    The paper takes the max over all groups; ``active_only`` restricts it to
    the groups with ``u^2 >= SWITCH_ACTIVE_FRACTION * max u^2``.
    """
    L = u_new.shape[0]
    threshold = 0.0
    if active_only:
        top = 0.0
        for l in range(L):
            if u_new[l] > top:
                top = u_new[l]
        threshold = SWITCH_ACTIVE_FRACTION * top * top
    worst = 0.0
    for l in range(L):
        if active_only and u_new[l] * u_new[l] < threshold:
            continue
        rel = abs(u_new[l] - u_old[l]) / (abs(u_old[l]) + SWITCH_EPS)
        if rel > worst:
            worst = rel
    return worst < tau


@jit
def dlnn_solve(
    design, y, work, design_val, y_val, a, b, depth, gamma, x_offset, center, inv_scale, glm,
    max_iter, record_every, min_iter, stop_rate, end_rule,
    rec_iter, rec_w, rec_train, rec_val, best_w, train_curve, val_curve, intercepts, rec_intercept,
):  # fmt: skip
    """Gradient descent on the diagonal linear network ``w = a**N - b**N``.

    ``a <- a + gamma N a^(N-1) g``, ``b <- b - gamma N b^(N-1) g`` with
    ``g = X^T r / n`` (for N = 2: ``a <- a (1 + 2 gamma g)``), a and b (p,)
    in/out, started at ``alpha``; with standardized columns (``inv_scale``
    (p,), see :func:`loss_and_gradient`) the network is ``D w`` and the
    recorded w is on the original scale.  Same records, status, validation
    handling, early stop on a slowing training loss (``min_iter``,
    ``stop_rate``), early end (``end_rule``) and loss (``glm``) as
    :func:`dglnn_solve`.  intercepts : float64 (2, K) in/out, the
    intercept(s) (in: at the start, out: at the end) and at the best
    iterate, K = 1 but for the multinomial loss (then a, b, w are (K p,));
    rec_intercept (k, K) out, the recorded iterates' intercepts.

    Returns
    -------
    (n_records, status, status_iter, best_iter, best_val, stop)
    """
    n = y.shape[0]
    m = y_val.shape[0]
    p = a.shape[0]
    has_val = m > 0
    w = np.empty(p, dtype=a.dtype)
    r = np.empty(n, dtype=a.dtype)
    g = np.empty(p, dtype=a.dtype)
    r_val = np.empty(m, dtype=a.dtype)
    a_new = np.empty(p, dtype=a.dtype)
    b_new = np.empty(p, dtype=a.dtype)
    status = STATUS_OK
    status_iter = -1
    best_iter = -1
    best_val = np.inf
    k = 0
    prev_loss = np.nan
    prev_val = np.nan
    prev_recorded = True
    step = gamma * depth
    ref = np.array([np.inf, 0.0, 0.0])
    stop = STOP_MAX_ITER

    prev_intercept = intercepts[0].copy()
    b_now = intercepts[0]
    rsum = np.empty(b_now.shape[0])
    _dlnn_weights(a, b, depth, inv_scale, w)
    for t in range(max_iter + 1):
        loss = loss_and_gradient(design, y, w, r, g, work, x_offset, center, inv_scale, glm, b_now, rsum)
        val = np.nan
        if has_val:
            val = validation_loss(design_val, y_val, w, r_val, x_offset, center, glm, b_now)
        if not np.isfinite(loss) or (has_val and not np.isfinite(val)) or not _all_finite(g):
            status = STATUS_NONFINITE
            status_iter = t
            if t > 0:
                # iterate t - 1 is still in (a_new, b_new) since the last swap
                _copy(a_new, a)
                _copy(b_new, b)
                _dlnn_weights(a, b, depth, inv_scale, w)
                _copy(prev_intercept, b_now)
                if not prev_recorded:
                    _copy(prev_intercept, rec_intercept[k])
                    k = _record(k, t - 1, w, prev_loss, prev_val, rec_iter, rec_w, rec_train, rec_val)
            break
        if has_val and val < best_val:
            best_val = val
            best_iter = t
            _copy(b_now, intercepts[1])
            _copy(w, best_w)
        train_curve[t] = loss
        val_curve[t] = val
        ended = has_val and no_improvement_end(t, val, ref, end_rule)
        slowed = t >= min_iter and prev_loss - loss <= stop_rate * abs(loss)
        last = t == max_iter or ended or slowed
        if ended:
            stop = STOP_NO_IMPROVEMENT
        elif slowed:
            stop = STOP_TRAIN_FLAT
        recorded = t % record_every == 0 or last
        if recorded:
            _copy(b_now, rec_intercept[k])
            k = _record(k, t, w, loss, val, rec_iter, rec_w, rec_train, rec_val)
        if last:
            break
        ok = True
        for j in range(p):
            a_new[j] = a[j] + step * a[j] ** (depth - 1) * g[j]
            b_new[j] = b[j] - step * b[j] ** (depth - 1) * g[j]
            if not (a_new[j] > 0 and b_new[j] > 0):
                ok = False
        if not ok:
            status = STATUS_U_NONPOSITIVE
            status_iter = t
            if not recorded:
                _copy(b_now, rec_intercept[k])
                k = _record(k, t, w, loss, val, rec_iter, rec_w, rec_train, rec_val)
            break
        prev_loss = loss
        prev_val = val
        prev_recorded = recorded
        _copy(b_now, prev_intercept)
        next_intercept(glm, b_now, rsum)
        # swap, so that iterate t stays in (a_new, b_new) until pass t + 1 is known good
        for j in range(p):
            a_new[j], a[j] = a[j], a_new[j]
            b_new[j], b[j] = b[j], b_new[j]
        _dlnn_weights(a, b, depth, inv_scale, w)
    return k, status, status_iter, best_iter, best_val, stop


@jit
def _dlnn_weights(a, b, depth, inv_scale, w):
    """``w = D^-1 (a^N - b^N)`` (``inv_scale`` (0,): ``w = a^N - b^N``)."""
    scaled = inv_scale.shape[0] > 0
    for j in range(w.shape[0]):
        w[j] = a[j] ** depth - b[j] ** depth
        if scaled:
            w[j] *= inv_scale[j]


@jit
def _folds_gradients(design, y, fold, W, x_offsets, intercepts, inv_scales, center, loss, n_classes,
                     sample_weight, model_sums, offset, G, train_dev, val_dev, rsum, train_loss,
                     val_loss, work_G, work_s):  # fmt: skip
    """One sweep for all M models: G[m] <- D_m^-1 X_c^T r_m / (n_m c_m); losses per fold.

    W, G (M, K p): each model's weights and gradient, K = ``n_classes``
    linear predictors per model (K = 1 but for the multinomial loss); the
    sweep sees them as M K rows of length p.  intercepts (M K,): each
    linear predictor's intercept (for least squares with ``center``, the
    mean target of its model's training rows); x_offsets (M, p);
    inv_scales (M, p) each model's inverse column scales, or (M, 0) for none
    (see :func:`loss_and_gradient`); model_sums (M, N_GLM_SUMS): each
    model's weight sums and curvature (the GLM_* columns); offset,
    train_dev, val_dev, rsum (M K,) scratch; train_loss, val_loss (M,) out:
    the weighted mean half deviances.  Returns whether every gradient is finite."""
    M = W.shape[0]
    K = n_classes
    p = W.shape[1] // K
    Wk = W.reshape((M * K, p))
    Gk = G.reshape((M * K, p))
    for k in range(M * K):
        offset[k] = (intercepts[k] - _dot(x_offsets[k // K], Wk[k])) if center else intercepts[k]
    residual_gradient_folds(design, y, fold, Wk, offset, Gk, train_dev, val_dev, rsum, loss,
                            n_classes, sample_weight, work_G, work_s)  # fmt: skip
    finite = True
    scaled = inv_scales.shape[1] > 0
    # each gradient in one pass: centering, the scales and the check (a sum of
    # g * 0, as in _all_finite) while the entry is in a register
    for k in range(M * K):
        m = k // K
        gk = Gk[k]
        sums = model_sums[m]
        inv_n = gk.dtype.type(1.0 / (sums[GLM_WEIGHT_SUM] * sums[GLM_CURVATURE]))
        sk = inv_scales[m]
        xo = x_offsets[m]
        c = rsum[k]
        check = gk.dtype.type(0)
        if center and scaled:
            for j in range(p):
                gj = (gk[j] - xo[j] * c) * (inv_n * sk[j])
                gk[j] = gj
                check += gj * 0
        elif center:
            for j in range(p):
                gj = (gk[j] - xo[j] * c) * inv_n
                gk[j] = gj
                check += gj * 0
        elif scaled:
            for j in range(p):
                gj = gk[j] * (inv_n * sk[j])
                gk[j] = gj
                check += gj * 0
        else:
            for j in range(p):
                gj = gk[j] * inv_n
                gk[j] = gj
                check += gj * 0
        finite = finite and check == 0
    for m in range(M):
        sums = model_sums[m]
        # the multinomial's row losses are summed at its first class
        train_loss[m] = train_dev[m * K] / sums[GLM_WEIGHT_SUM]
        val_loss[m] = val_dev[m * K] / sums[GLM_VAL_WEIGHT_SUM] if sums[GLM_VAL_WEIGHT_SUM] > 0 else 0.0
    return finite


@jit
def _next_intercepts(loss, n_classes, model_sums, intercepts, rsum, out):
    """Every model's intercepts after the pass (:func:`next_intercept`);
    (M K,) each, model m's at ``m K .. m K + K - 1``."""
    for k in range(intercepts.shape[0]):
        sums = model_sums[k // n_classes]
        out[k] = intercepts[k]
        if sums[GLM_FIT_INTERCEPT] != 0:
            out[k] += intercept_step(loss, rsum[k], sums[GLM_WEIGHT_SUM], sums[GLM_TARGET_SUM])


# The phases are passed as run-time ints (np.int64(PHASE_...)): as literals,
# Numba would compile the model step once per phase.
PHASE_DIRECTION = 0
PHASE_MAGNITUDE = 1
# both halves back to back, where no sweep comes between them (the simultaneous
# update): one model's arrays then stay in cache from one half to the next
PHASE_BOTH = 2
# the K models' group updates go to threads (dglnn_cv_solve's models_on_threads)
# from this many coordinates K p: below it a parallel region costs more than it
# saves (threshold measured on 2 threads: docs/performance.rst, 'Design measurements')
MODELS_THREADED_MIN_SIZE = 1 << 14
# groups per block of the update (_update_in_blocks): a block's
# entries of a model's p-vectors stay in L2 from the direction step to the
# weights, where whole p-vectors of a large model would come from L3 or
# memory once per phase (docs/performance.rst, 'Cross-validation cost')
_STEP_BLOCK_GROUPS = 256


@jit
def _model_step(k, phase, t, algorithm, switched, switch_iters, U, V, W, G, VG, U_prev,
                gammas, etas, step_cap, switch_rule, tau, switch_at, statuses, group_ptr, group_idx,
                inv_scales):  # fmt: skip
    """Model k's part of iteration t of :func:`dglnn_cv_solve`: its direction
    phase (PHASE_DIRECTION), its magnitude phase with the switch test
    (PHASE_MAGNITUDE) or both (PHASE_BOTH), then ``W[k] = D_k^-1 u^2 v``
    where the next sweep needs it.  Touches only row k of every array."""
    if phase == PHASE_DIRECTION:
        # the sequential update's first half (never GD's): the second sweep
        # needs the weights at (u(t), v(t+1))
        _direction_phase(algorithm, switched[k], U[k], V[k], G[k], VG[k], etas[k],
                         group_ptr, group_idx)  # fmt: skip
        set_weights(U[k], V[k], group_ptr, group_idx, inv_scales[k], W[k])
        return
    _copy(U[k], U_prev[k])
    statuses[k] = _update_in_blocks(algorithm, switched[k], phase == PHASE_BOTH, U[k], V[k], G[k],
                                    VG[k], gammas[k], etas[k], step_cap, group_ptr, group_idx,
                                    inv_scales[k], W[k])  # fmt: skip
    if statuses[k] == STATUS_OK and algorithm == ALG2 and not switched[k]:
        if _switch_fires(switch_rule, switch_at, t, U_prev[k], U[k], tau):
            switched[k] = True
            switch_iters[k] = t + 1


@jit
def _update_in_blocks(algorithm, switched, direction, u, v, g, vg, gamma, eta, step_cap, group_ptr,
                      group_idx, inv_scale, w):  # fmt: skip
    """The magnitude phase, after the direction phase if ``direction`` (the
    simultaneous update; the sequential one has taken it before its second
    sweep), and the new weights ``w = D^-1 u^2 v``, a block of
    ``_STEP_BLOCK_GROUPS`` groups at a time; returns a status
    (:func:`_magnitude_phase`).

    The same arithmetic as the phases one after the other over all groups
    (each group's update reads only its own entries), with a block's
    entries of v, g, w and the scales still in cache from one phase to the
    next.  On a status other than ``STATUS_OK`` the later blocks are left
    as they were (earlier ones are updated): the caller restores the
    iterate or stops the run.  The one place the phases are compiled
    together, for one fit and every cross-validation model."""
    L = u.shape[0]
    for l0 in range(0, L, _STEP_BLOCK_GROUPS):
        l1 = min(l0 + _STEP_BLOCK_GROUPS, L)
        # the kernels index v, g and w by the positions in group_ptr: a slice
        # of group_ptr and of the per-group arrays is a block of groups
        ptr = group_ptr[l0 : l1 + 1]
        u_block = u[l0:l1]
        vg_block = vg[l0:l1]
        if direction:
            _direction_phase(algorithm, switched, u_block, v, g, vg_block, eta, ptr, group_idx)
        status = _magnitude_phase(algorithm, u_block, v, g, vg_block, gamma, step_cap, ptr, group_idx)
        if status != STATUS_OK:
            return status
        set_weights(u_block, v, ptr, group_idx, inv_scale, w)
    return STATUS_OK


@jit(inline=True)
def _models_step(threads, phase, t, algorithm, switched, switch_iters, U, V, W, G, VG,
                 U_prev, gammas, etas, step_cap, switch_rule, tau, switch_at, statuses, group_ptr,
                 group_idx, inv_scales):  # fmt: skip
    """:func:`_model_step` for every model; ``threads`` None or False: in
    order on this thread, True: on Numba's threads (each model's update is its
    own: the bits do not depend on the threads).  With None the choice is made
    at compile time, from the type: that call compiles no parallel code.
    Inlined into the solver: a module of its own would only repeat the
    optimization of every model-step kernel."""
    if threads is None or not threads:
        for k in range(U.shape[0]):
            _model_step(k, phase, t, algorithm, switched, switch_iters, U, V, W, G, VG,
                        U_prev, gammas, etas, step_cap, switch_rule, tau, switch_at, statuses,
                        group_ptr, group_idx, inv_scales)  # fmt: skip
    else:
        _models_step_threaded(phase, t, algorithm, switched, switch_iters, U, V, W, G,
                              VG, U_prev, gammas, etas, step_cap, switch_rule, tau, switch_at,
                              statuses, group_ptr, group_idx, inv_scales)  # fmt: skip


@jit(parallel=True)
def _models_step_threaded(phase, t, algorithm, switched, switch_iters, U, V, W, G, VG,
                          U_prev, gammas, etas, step_cap, switch_rule, tau, switch_at, statuses,
                          group_ptr, group_idx, inv_scales):  # fmt: skip
    """The threaded half of :func:`_models_step`: one model per iteration of a prange."""
    for k in prange(U.shape[0]):
        _model_step(k, phase, t, algorithm, switched, switch_iters, U, V, W, G, VG,
                    U_prev, gammas, etas, step_cap, switch_rule, tau, switch_at, statuses,
                    group_ptr, group_idx, inv_scales)  # fmt: skip


@jit
def dglnn_cv_solve(
    design, y, fold, group_ptr, group_idx, U, V, x_offsets, intercepts, inv_scales, center, loss,
    n_classes, sample_weight, model_sums, algorithm, sequential, gammas, etas, step_cap, switch_rule, tau,
    switch_at, max_iter, train_curve, val_curve, switch_iters, work_G, work_s, n_cv, best_u, best_v,
    best_intercept, end_rule, models_on_threads=None,
):  # fmt: skip
    """K DGLNN models, one per cross-validation fold, advanced together.

    Models ``n_cv..`` (at most one) have no validation rows: a model trained
    on all rows, advanced in the same sweeps.  Its iterate at the running
    minimum of the mean validation curve of the first ``n_cv`` models is kept
    in ``best_u``, ``best_v``, ``best_intercept`` (1,): the refit at the CV-chosen iteration, for the
    price of one more model in the sweep instead of a second run.

    Every iteration makes one sweep over X for all folds
    (:func:`fastgs.cv_kernels.residual_gradient_folds`): row i is a training row
    of every model but model ``fold[i]``, for which it is a validation row.
    Each model follows exactly the updates of :func:`dglnn_solve` on its own
    training rows (its own step sizes ``gammas[k]``, ``etas[k]``, centering
    ``x_offsets[k]``, intercept ``intercepts[k]`` (in/out; it moves with the
    fit for losses other than least squares), column scales
    ``inv_scales[k]`` ((K, 0): none), weight sums and curvature
    ``model_sums[k]`` (see :func:`_folds_gradients`), and switch); ``loss``
    and ``sample_weight`` ((n,), or (0,) for none) are shared.  With the
    multinomial loss each model has ``n_classes`` linear predictors: V
    (K, n_classes p) with the groups of the class-major weights, intercepts
    (K n_classes,), best_intercept (n_classes,).

    work_G, work_s: scratch of the multi-threaded sweep (see
    :meth:`fastgs._validation.Design.fold_workspace`; None: the serial sweep).
    models_on_threads: True to run the K models' group updates on Numba's
    threads (same bits), None (default) or False to run them in order; None
    compiles no parallel code.  U (K, L), V (K, p) in/out;
    train_curve, val_curve (max_iter + 1, K) out;
    switch_iters (K,) out (-1: no switch).  end_rule: the early end on the
    mean validation curve (:func:`no_improvement_end`).  Returns
    ``(n_evaluated, status, status_iter, best_iter, stop)``: the curves are
    valid for the first ``n_evaluated`` iterations; a divergence of any fold
    stops all; ``stop`` is why the run ended (``STOP_*``).
    """
    K, p = V.shape
    L = U.shape[1]
    W = np.empty((K, p), dtype=V.dtype)
    G = np.empty((K, p), dtype=V.dtype)
    VG = np.empty((K, L), dtype=V.dtype)
    offset = np.empty(K * n_classes, dtype=np.float64)
    next_b = np.empty(K * n_classes, dtype=np.float64)
    train_dev = np.empty(K * n_classes, dtype=V.dtype)
    val_dev = np.empty(K * n_classes, dtype=V.dtype)
    rsum = np.empty(K * n_classes, dtype=V.dtype)
    tl = np.empty(K, dtype=V.dtype)
    vl = np.empty(K, dtype=V.dtype)
    U_prev = np.empty((K, L), dtype=V.dtype)
    statuses = np.zeros(K, dtype=np.int64)
    switched = np.zeros(K, dtype=np.bool_)
    for k in range(K):
        switch_iters[k] = -1
        if algorithm == ALG2 and switch_rule == SWITCH_AT and switch_at <= 0:
            switched[k] = True
            switch_iters[k] = 0
        set_weights(U[k], V[k], group_ptr, group_idx, inv_scales[k], W[k])
    status = STATUS_OK
    status_iter = -1
    n_eval = 0
    best_t = -1
    best_cv = np.inf
    ref = np.array([np.inf, 0.0, 0.0])
    stop = STOP_MAX_ITER
    for t in range(max_iter + 1):
        finite = _folds_gradients(design, y, fold, W, x_offsets, intercepts, inv_scales, center,
                                  loss, n_classes, sample_weight, model_sums, offset, G, train_dev,
                                  val_dev, rsum, tl, vl, work_G, work_s)  # fmt: skip
        if not (finite and _all_finite(tl) and _all_finite(vl)):
            status = STATUS_NONFINITE
            status_iter = t
            break
        _copy(tl, train_curve[t])
        _copy(vl, val_curve[t])
        n_eval = t + 1
        if algorithm == ALG2 and switch_rule == SWITCH_AUTO and t > 0:
            for k in range(K):
                if not switched[k] and tl[k] > train_curve[t - 1, k]:
                    switched[k] = True  # as in dglnn_solve
                    switch_iters[k] = t
        cv = vl[:n_cv].sum() / n_cv
        if cv < best_cv:
            best_cv = cv
            best_t = t
            if K > n_cv:
                _copy(U[K - 1], best_u)
                _copy(V[K - 1], best_v)
                for c in range(n_classes):
                    best_intercept[c] = intercepts[(K - 1) * n_classes + c]
        if no_improvement_end(t, cv, ref, end_rule):
            stop = STOP_NO_IMPROVEMENT
            break
        if t == max_iter:
            break
        _next_intercepts(loss, n_classes, model_sums, intercepts, rsum, next_b)
        if sequential and algorithm != GD:
            _models_step(models_on_threads, np.int64(PHASE_DIRECTION), t, algorithm, switched,
                         switch_iters, U, V, W, G, VG, U_prev, gammas, etas, step_cap, switch_rule,
                         tau, switch_at, statuses, group_ptr, group_idx, inv_scales)  # fmt: skip
            _folds_gradients(design, y, fold, W, x_offsets, intercepts, inv_scales, center, loss,
                             n_classes, sample_weight, model_sums, offset, G, train_dev, val_dev,
                             rsum, tl, vl, work_G, work_s)  # fmt: skip
            phase = np.int64(PHASE_MAGNITUDE)
        else:
            phase = np.int64(PHASE_BOTH)
        _models_step(models_on_threads, phase, t, algorithm, switched, switch_iters, U, V,
                     W, G, VG, U_prev, gammas, etas, step_cap, switch_rule, tau, switch_at, statuses,
                     group_ptr, group_idx, inv_scales)  # fmt: skip
        for k in range(K):  # the first failing model's status, in model order
            if statuses[k] != STATUS_OK and status == STATUS_OK:
                status = statuses[k]
                status_iter = t
        if status != STATUS_OK:
            break
        _copy(next_b, intercepts)
    return n_eval, status, status_iter, best_t, stop

"""fastgs on Dask: data larger than one machine's memory, and many fits on a cluster.

Import it explicitly (``import fastgs.dask``); it is the only module of fastgs
that imports ``dask`` and ``distributed`` (the ``fastgs[dask]`` extra).

- :func:`dglnn_path` fits DGLNN on a row-chunked ``dask.array`` X (dense NumPy
  blocks or ``scipy.sparse`` CSR blocks).  X never travels: each block is made
  canonical once on the worker that holds it, and every iteration sends
  ``w`` (p,) to one long-lived actor per worker, which runs the fused Numba
  sweep (:func:`fastgs.kernels.residual_gradient`) over its blocks and returns
  one partial ``X^T r`` (p,) and three scalars.  The driver sums them, applies
  the centering correction of :func:`fastgs.solvers.loss_and_gradient` and
  takes the step with the same compiled pieces as the in-memory solver.
- :class:`DGLNNRegressor` is :class:`fastgs.DGLNNRegressor` accepting dask
  arrays (in-memory data is fitted as before).
- :func:`map_on_cluster` runs independent fits (seeds, settings) on a cluster.

Why actors: a task per block per iteration goes through the scheduler and
costs a scheduler round trip per block; an actor call goes straight from the
client to the worker (``bench/dask_scaling.py`` measures both).
"""

from __future__ import annotations

import itertools
import time
import typing
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

try:
    import dask
    import dask.array as da
    import distributed
except ImportError as err:  # pragma: no cover - the extra is not installed
    raise ImportError(
        "fastgs.dask needs dask and distributed: pip install 'fastgs[dask]'"
    ) from err

from . import estimators as _estimators
from . import path as _path
from . import solvers
from ._jit import jit
from ._validation import _float_dtype, check_design, check_target
from .groups import make_groups
from .kernels import residual, residual_gradient
from .run import DEFAULT_TAU, DGLNNOptions, DGLNNRun, check_bool, check_scale, column_scales
from .results import ConvergenceWarning, DGLNNPath, DivergenceWarning

__all__ = ["DGLNNRegressor", "WorkerLostError", "dglnn_path", "map_on_cluster"]

# the keyword options and their defaults are those of the in-memory functions,
# read from them so that the two never disagree
_PATH_DEFAULTS = _path.dglnn_path.__kwdefaults__
_EST_DEFAULTS = _estimators.DGLNNRegressor.__init__.__kwdefaults__

#: how often one iteration is retried on rebuilt actors after workers were lost
MAX_RECOVERIES = 2
#: seconds to wait for the scheduler to recompute the blocks of a lost worker
RECOVERY_TIMEOUT = 60.0
#: seconds to wait for the scheduler to drop a worker that stopped answering
LOST_WORKER_GRACE = 10.0
# what an actor call raises when its worker is gone: OSError ("Unable to
# contact Actor's worker", CommClosedError), RuntimeError ("Worker holding
# Actor was lost"), a cancelled actor future
_LOST_ERRORS = (OSError, RuntimeError, distributed.client.FutureCancelledError)


class WorkerLostError(RuntimeError):
    """A worker holding row blocks was lost and the fit could not continue."""


# --------------------------------------------------------------------------
# Worker side: compiled sums over one row block
# --------------------------------------------------------------------------


@jit
def _train_block_sums(design, y, w, shift, r, g):
    """One block's share of :func:`fastgs.solvers.loss_and_gradient`.

    ``g = X_b^T (y_b - X_b w)`` (p,) out, unscaled and without the centering
    term (the driver adds it once, for all blocks); r (n_b,) scratch.
    Returns ``(sum_i r_i, sum_i r_i^2)`` of the centered residual
    ``r = y_b - X_b w + shift``, accumulated in float64.
    """
    residual_gradient(design, y, w, r, g)
    total = 0.0
    sq = 0.0
    for i in range(y.shape[0]):
        ri = r[i] + shift
        total += ri
        sq += ri * ri
    return total, sq


@jit
def _val_block_sq(design, y, w, shift, r):
    """``sum_i (y_b - X_b w + shift)_i^2`` of a validation block (float64); r scratch."""
    residual(design, y, w, r)
    sq = 0.0
    for i in range(y.shape[0]):
        ri = r[i] + shift
        sq += ri * ri
    return sq


class _Block:
    """One canonical row block: kernel arrays (dense 2-D or CSR 3-tuple) and its target."""

    __slots__ = ("arrays", "index", "n_rows", "y")

    def __init__(self, index, arrays, y):
        self.index = index
        self.arrays = arrays
        self.y = y
        self.n_rows = y.shape[0]


def _prepare_block(x_block, y_block, dtype, names, index):
    """Validate one row block on its worker and make it canonical (at most one copy).

    Runs as a task where the block lives.  names = ("X", "y") or ("X_val", "y_val").
    """
    x_name, y_name = f"{names[0]} block {index}", f"{names[1]} block {index}"
    if isinstance(x_block, np.ndarray):
        pass
    elif sp.issparse(x_block):
        if x_block.format != "csr":
            raise TypeError(
                f"{x_name} is a scipy.sparse {x_block.format.upper()} matrix; sparse blocks must "
                "be CSR (convert with X.map_blocks(lambda b: b.tocsr()))."
            )
    else:
        raise TypeError(
            f"{x_name} has type {type(x_block).__name__}; blocks must be NumPy arrays or "
            "scipy.sparse CSR matrices."
        )
    design = check_design(x_block, x_name, dtype=dtype)
    y = check_target(np.asarray(y_block), design.shape[0], dtype, y_name)
    return _Block(index, design.arrays, y)


def _block_column_sums(block: _Block, p: int):
    """(column sums of X_b (p,), column sums of squares (p,), sum of y_b), float64,
    for the intercept and the column scales."""
    arrays = block.arrays
    if isinstance(arrays, np.ndarray):
        cols = arrays.sum(axis=0, dtype=np.float64)
        squares = np.einsum("ij,ij->j", arrays, arrays, dtype=np.float64)
    else:
        data, indices, indptr = arrays
        nnz = int(indptr[-1])
        values = data[:nnz].astype(np.float64)
        cols = np.bincount(indices[:nnz], weights=values, minlength=p)
        squares = np.bincount(indices[:nnz], weights=values * values, minlength=p)
    return cols, squares, float(np.sum(block.y, dtype=np.float64))


class _BlockActor:
    """Holds the row blocks that live on one worker (a ``distributed`` actor).

    Built once per fit with the centering of y applied; then one
    :meth:`partials` call per iteration.  Only p-vectors and scalars go in
    and out.
    """

    def __init__(self, p, dtype, y_offset, train, val):
        self.dtype = np.dtype(dtype)
        shift_y = self.dtype.type(y_offset)
        self.train = sorted(train, key=lambda b: b.index)
        self.val = sorted(val, key=lambda b: b.index)
        # centered targets are private copies: the persisted blocks stay as they are
        self.y_train = [(b.y - shift_y).astype(self.dtype) for b in self.train]
        self.y_val = [(b.y - shift_y).astype(self.dtype) for b in self.val]
        self.n_train = sum(b.n_rows for b in self.train)
        self.n_val = sum(b.n_rows for b in self.val)
        longest = max([b.n_rows for b in self.train + self.val] + [0])
        self.r = np.empty(longest, dtype=self.dtype)
        self.g_block = np.empty(p, dtype=self.dtype)
        self.g = np.empty(p, dtype=self.dtype)

    def partials(self, w, shift, with_val):
        """This worker's sums at w, blocks in index order.

        Returns ``(g (p,), sum r, sum r^2, sum r_val^2, n_train_rows, n_val_rows)``
        with ``g = sum_b X_b^T (y_b - X_b w)``; r, r_val are the centered
        residuals (``+ shift``).
        """
        w = np.ascontiguousarray(w, dtype=self.dtype)
        shift = self.dtype.type(shift)
        g = self.g
        g[:] = 0
        total = 0.0
        sq = 0.0
        for block, y in zip(self.train, self.y_train):
            t, s = _train_block_sums(block.arrays, y, w, shift, self.r[: block.n_rows], self.g_block)
            g += self.g_block
            total += t
            sq += s
        val_sq = 0.0
        n_val = 0
        if with_val:
            for block, y in zip(self.val, self.y_val):
                val_sq += _val_block_sq(block.arrays, y, w, shift, self.r[: block.n_rows])
            n_val = self.n_val
        return g, total, sq, val_sq, self.n_train, n_val


# --------------------------------------------------------------------------
# Driver side
# --------------------------------------------------------------------------


def _is_dask_array(x) -> bool:
    return isinstance(x, da.Array)


def _get_client(client):
    """(client, owned): a Client from a Client, a scheduler address or the default client."""
    if isinstance(client, distributed.Client):
        return client, False
    if isinstance(client, str):
        return distributed.Client(client), True
    if client is None:
        try:
            return distributed.get_client(), False
        except ValueError:
            raise ValueError(
                "fastgs.dask needs a Dask client: pass client= (a distributed.Client or a "
                "scheduler address such as 'tcp://10.0.0.1:8786'), or create a "
                "distributed.Client first."
            ) from None
    raise TypeError(
        f"client must be a distributed.Client, a scheduler address or None, got "
        f"{type(client).__name__}."
    )


def _check_dask_design(X, name: str):
    """Check a dask X: 2-D, known chunks, one chunk of columns, supported blocks; its dtype."""
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got {X.ndim}-D with shape {X.shape}.")
    if any(np.isnan(c) for c in X.chunks[0]) or np.isnan(X.shape[1]):
        raise ValueError(
            f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() first."
        )
    if len(X.chunks[1]) != 1:
        raise ValueError(
            f"{name} must be chunked along rows only (one chunk of all {X.shape[1]} columns); "
            f"got {len(X.chunks[1])} column chunks. Rechunk with {name}.rechunk({{1: -1}})."
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape}).")
    meta = getattr(X, "_meta", None)
    if not (isinstance(meta, np.ndarray) or (sp.issparse(meta) and meta.format == "csr")):
        raise TypeError(
            f"{name} has blocks of type {type(meta).__name__}; fastgs.dask supports NumPy "
            "blocks and scipy.sparse CSR blocks."
        )
    return _float_dtype(X.dtype, name)


def _row_parts(X, y, name_x: str, name_y: str, n_features=None, dtype=None):
    """Validate (X, y) and split them into per-row-block delayed pairs.

    X is a row-chunked dask array (or, for a validation set, an in-memory
    array, taken as one block); y a dask array with the same row chunks or an
    in-memory array.  Returns (parts [(index, x_delayed, y_delayed)], n_rows, dtype).
    """
    if not _is_dask_array(X):
        if n_features is None:
            raise TypeError(
                f"{name_x} must be a dask.array.Array (row blocks); for in-memory data use "
                "fastgs.dglnn_path."
            )
        # an in-memory validation set: one block, validated here on the driver
        design = check_design(X, name_x, dtype=dtype)
        if design.shape[1] != n_features:
            raise ValueError(
                f"{name_x} has {design.shape[1]} features but X has {n_features}; they must match."
            )
        yv = check_target(y.compute() if _is_dask_array(y) else y, design.shape[0], dtype, name_y)
        x_obj = X if sp.issparse(X) and X.format == "csr" else (
            sp.csr_matrix(X) if sp.issparse(X) else design.arrays
        )
        return [(0, dask.delayed(x_obj), dask.delayed(yv))], design.shape[0]
    found_dtype = _check_dask_design(X, name_x)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name_x} has {X.shape[1]} features but X has {n_features}; they must match."
        )
    n = int(X.shape[0])
    row_chunks = tuple(int(c) for c in X.chunks[0])
    x_blocks = X.to_delayed().ravel()
    if y is None:
        raise ValueError(f"{name_y} is required.")
    if _is_dask_array(y):
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"{name_y} must be 1-D, got shape {y.shape}.")
        if y.shape[0] != n:
            raise ValueError(
                f"{name_y} has {y.shape[0]} entries but {name_x} has {n} samples; they must match."
            )
        if tuple(int(c) for c in y.chunks[0]) != row_chunks:
            raise ValueError(
                f"{name_y} must have the same row chunks as {name_x}: got {y.chunks[0]} and "
                f"{X.chunks[0]}. Use {name_y}.rechunk(({name_x}.chunks[0],))."
            )
        if y.dtype.kind not in "fiub":
            raise TypeError(f"{name_y} has dtype {y.dtype}; expected numeric data.")
        y_blocks = list(y.to_delayed().ravel())
    else:
        y_arr = check_target(y, n, dtype or found_dtype, name_y)
        bounds = np.concatenate([[0], np.cumsum(row_chunks)])
        y_blocks = [dask.delayed(y_arr[a:b]) for a, b in itertools.pairwise(bounds)]
    parts = [
        (i, xb, yb) for i, (xb, yb, size) in enumerate(zip(x_blocks, y_blocks, row_chunks)) if size
    ]
    return parts, n


class _ActorPool:
    """The persisted canonical blocks and one :class:`_BlockActor` per worker holding some.

    :meth:`partials` is one round trip to every actor; if a worker was lost,
    the lost blocks are recomputed by the scheduler from X's graph, the actors
    are rebuilt on the surviving workers and the round is repeated (at most
    MAX_RECOVERIES times); otherwise :class:`WorkerLostError` is raised.
    """

    def __init__(self, client, train_parts, val_parts, p, dtype):
        self.client = client
        self.p = p
        self.dtype = np.dtype(dtype)
        self.y_offset = 0.0
        self.actors = []
        self.actor_futures = []
        prepare = dask.delayed(_prepare_block, pure=True)
        train = [prepare(x, y, self.dtype.str, ("X", "y"), i) for i, x, y in train_parts]
        val = [prepare(x, y, self.dtype.str, ("X_val", "y_val"), i) for i, x, y in val_parts]
        futures = client.compute(train + val)
        # block index of each future: actors sum their blocks in index order
        self.index_of = {f.key: i for f, (i, _, _) in zip(futures, train_parts + val_parts)}
        self.train_futures = futures[: len(train)]
        self.val_futures = futures[len(train) :]
        self.n_recoveries = 0
        # raises the first validation error of any block, before any iteration
        try:
            distributed.wait(futures)
            for f in futures:
                if f.status == "error":
                    f.result()
        except BaseException:
            self.close()
            raise

    def column_sums(self):
        """(sums of the columns of X (p,), of their squares (p,), sum of y),
        float64, for the intercept and the column scales."""
        parts = self.client.gather(
            [self.client.submit(_block_column_sums, f, self.p, pure=False) for f in self.train_futures]
        )
        return tuple(sum(part[i] for part in parts) for i in range(3))

    def build(self, y_offset):
        """One actor per worker holding blocks, next to its blocks."""
        self.y_offset = y_offset
        self._release_actors()
        distributed.wait(self.train_futures + self.val_futures, timeout=RECOVERY_TIMEOUT)
        who = self.client.who_has(self.train_futures + self.val_futures)
        load: dict[str, int] = {}
        placed: dict[str, tuple[list, list]] = {}
        for kind, futs in ((0, self.train_futures), (1, self.val_futures)):
            for f in futs:
                holders = who[f.key]
                if not holders:
                    raise WorkerLostError(f"row block {f.key} has no worker holding it.")
                addr = min(holders, key=lambda a: load.get(a, 0))
                load[addr] = load.get(addr, 0) + 1
                placed.setdefault(addr, ([], []))[kind].append(f)
        # actors in the order of their first block: a fixed summation order for a placement
        order = sorted(placed, key=lambda a: min(self.index_of[f.key] for f in itertools.chain(*placed[a])))
        # allow_other_workers: should the scheduler rerun an actor of a lost
        # worker, it must not wait forever for that worker
        self.actor_futures = [
            self.client.submit(_BlockActor, self.p, self.dtype.str, y_offset, *placed[a],
                               actor=True, workers=[a], allow_other_workers=True, pure=False)
            for a in order
        ]
        self.actors = [f.result() for f in self.actor_futures]

    def _release_actors(self):
        # each Actor handle holds its own reference to the actor's key
        for actor in self.actors:
            if actor._future is not None:
                actor._future.release()
        for f in self.actor_futures:
            f.release()
        self.actors = []
        self.actor_futures = []

    def partials(self, w, shift, with_val, iteration):
        """Summed (g, sum r, sum r^2, sum r_val^2, n_train_rows, n_val_rows) over all blocks."""
        for attempt in range(MAX_RECOVERIES + 1):
            calls = []
            lost, error = [], None
            for actor in self.actors:
                try:
                    calls.append((actor, actor.partials(w, shift, with_val)))
                except _LOST_ERRORS as err:  # the handle knows its worker is gone
                    lost.append(actor._address)
                    error = err
            results = []
            for actor, call in calls:
                try:
                    results.append(call.result())
                except _LOST_ERRORS as err:
                    lost.append(actor._address)
                    error = err
            if not lost:
                break
            if attempt == MAX_RECOVERIES:
                raise WorkerLostError(
                    f"fastgs.dask: lost contact with workers holding row blocks at iteration "
                    f"{iteration} ({error}); recovery failed {MAX_RECOVERIES} times. No result "
                    "was returned."
                ) from error
            self._recover(lost, error, iteration)
        g = results[0][0].copy()
        for part in results[1:]:
            g += part[0]
        total = sum(part[1] for part in results)
        sq = sum(part[2] for part in results)
        val_sq = sum(part[3] for part in results)
        n_rows = sum(part[4] for part in results)
        n_val = sum(part[5] for part in results)
        return g, total, sq, val_sq, n_rows, n_val

    def _recover(self, lost, err, iteration):
        """Rebuild the actors after workers were lost, on the blocks the scheduler recomputes."""
        # wait (briefly) until the scheduler has dropped the lost workers, so
        # that who_has no longer names them; a worker that is still listed
        # after that is tried again, and a second failure counts as another attempt
        deadline = time.monotonic() + LOST_WORKER_GRACE
        while time.monotonic() < deadline:
            alive = set(self.client.scheduler_info(n_workers=-1)["workers"])
            if not alive.intersection(lost):
                break
            time.sleep(0.05)
        if not self.client.scheduler_info(n_workers=-1)["workers"]:
            raise WorkerLostError(
                f"fastgs.dask: all workers were lost at iteration {iteration} ({err}); no result "
                "was returned."
            ) from err
        try:
            self.build(self.y_offset)
        except Exception as build_err:
            raise WorkerLostError(
                f"fastgs.dask: a worker holding row blocks was lost at iteration {iteration} "
                f"({err}) and the blocks could not be restored ({build_err}). No result was "
                "returned."
            ) from build_err
        self.n_recoveries += 1

    def close(self):
        self._release_actors()
        for f in self.train_futures + self.val_futures:
            f.release()
        self.train_futures = []
        self.val_futures = []


def dglnn_path(
    X,
    y,
    groups=None,
    *,
    client=None,
    algorithm=_PATH_DEFAULTS["algorithm"],
    update=_PATH_DEFAULTS["update"],
    alpha=_PATH_DEFAULTS["alpha"],
    step_u=_PATH_DEFAULTS["step_u"],
    step_v=_PATH_DEFAULTS["step_v"],
    switch=_PATH_DEFAULTS["switch"],
    tau=_PATH_DEFAULTS["tau"],
    max_iter=_PATH_DEFAULTS["max_iter"],
    record_every=_PATH_DEFAULTS["record_every"],
    X_val=_PATH_DEFAULTS["X_val"],
    y_val=_PATH_DEFAULTS["y_val"],
    fit_intercept=_PATH_DEFAULTS["fit_intercept"],
    standardize=_PATH_DEFAULTS["standardize"],
    u0=_PATH_DEFAULTS["u0"],
    v0=_PATH_DEFAULTS["v0"],
    schedule=_PATH_DEFAULTS["schedule"],
    kappa=_PATH_DEFAULTS["kappa"],
    skip_fraction=_PATH_DEFAULTS["skip_fraction"],
    step_cap=_PATH_DEFAULTS["step_cap"],
    n_iter_no_change=_PATH_DEFAULTS["n_iter_no_change"],
    tol=_PATH_DEFAULTS["tol"],
    _stop=None,
) -> DGLNNPath:
    """:func:`fastgs.dglnn_path` on a Dask cluster, for X larger than one machine.

    Each iteration sends ``w`` (p,) to one actor per worker; each runs the
    fused Numba sweep over the row blocks it holds and returns a partial
    ``X^T r`` (p,) and the loss sums.  X never moves after its blocks were
    made canonical where they live.  The result equals the in-memory
    :func:`fastgs.dglnn_path` on the same data up to the order of the sums
    (~1e-12 relative in float64).

    Parameters
    ----------
    X : dask.array.Array (n, p), chunked along rows only (``X.chunks[1]`` one
        chunk); blocks are NumPy arrays (any order) or scipy.sparse CSR
        matrices.  float32 blocks give float32 results, other numeric types
        float64.  Persist X first (``X = X.persist()``) to keep the blocks in
        the cluster's memory across fits.
    y : (n,) dask array with the same row chunks as X, or an in-memory array
    groups : as in :func:`fastgs.dglnn_path`
    client : distributed.Client, a scheduler address ("tcp://host:8786") or
        None for the default client
    X_val, y_val : optional validation set, dask arrays (row-chunked like X)
        or in-memory arrays (one block)
    Other parameters : as in :func:`fastgs.dglnn_path` (no ``n_jobs``: one
        Numba thread per worker; run one worker process per core).

    Returns
    -------
    DGLNNPath
        As :func:`fastgs.dglnn_path`.  A diverging run stops, warns
        (:class:`fastgs.DivergenceWarning`) and returns the last good iterate.

    Raises
    ------
    WorkerLostError
        A worker holding row blocks died and the blocks could not be restored
        on the others (a lost worker whose blocks can be recomputed from X's
        graph is replaced transparently).
    """
    opts = DGLNNOptions(algorithm, update, alpha, step_u, step_v, switch, tau, max_iter,
                         record_every, schedule, kappa, skip_fraction, step_cap, n_iter_no_change,
                         tol, early_end=X_val is not None)  # fmt: skip
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be True or False, got {fit_intercept!r}.")
    check_bool(standardize, "standardize")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together (or neither).")
    if not _is_dask_array(X):
        raise TypeError(
            f"X must be a dask.array.Array (row blocks), got {type(X).__name__}; for in-memory "
            "data use fastgs.dglnn_path."
        )
    dtype = _check_dask_design(X, "X")
    train_parts, n = _row_parts(X, y, "X", "y", dtype=dtype)
    p = int(X.shape[1])
    has_val = X_val is not None
    val_parts, m = ([], 0)
    if has_val:
        val_parts, m = _row_parts(X_val, y_val, "X_val", "y_val", n_features=p, dtype=dtype)
    grp = make_groups(groups, p)
    client, owned = _get_client(client)
    pool = None
    try:
        pool = _ActorPool(client, train_parts, val_parts, p, dtype)
        return _fit(pool, opts, grp, n, m, p, dtype, bool(fit_intercept), bool(standardize), has_val,
                    u0, v0, _stop)
    finally:
        if pool is not None:
            pool.close()
        if owned:
            client.close()


class _Evaluator:
    """``loss_and_gradient`` and ``residual_loss`` of :mod:`fastgs.solvers`, summed over blocks."""

    def __init__(self, pool, n, m, x_offset, center, inv_scale, dtype):
        self.pool = pool
        self.inv_scale = inv_scale
        self.n = n
        self.m = m
        self.x_offset = x_offset
        self.center = center
        self.dtype = dtype

    def __call__(self, w, with_val, iteration):
        """(training loss, validation loss or NaN, g = X_c^T r / n (p,))."""
        dtype = self.dtype
        shift = solvers._dot(self.x_offset, w) if self.center else dtype.type(0)
        g, total, sq, val_sq, n_rows, n_val = self.pool.partials(w, shift, with_val, iteration)
        # every block answers every round: a missing block would be a wrong answer
        if n_rows != self.n or (with_val and n_val != self.m):
            raise WorkerLostError(
                f"fastgs.dask: iteration {iteration} summed {n_rows} of {self.n} training rows "
                f"and {n_val} of {self.m} validation rows; refusing a partial gradient."
            )
        if self.center:
            # as loss_and_gradient: X_c^T r = X^T r + x_offset (n shift - sum r)
            g += self.x_offset * dtype.type(self.n * float(shift) - total)
        g *= dtype.type(1.0 / self.n)
        if self.inv_scale.shape[0]:
            g *= self.inv_scale
        loss = dtype.type(0.5 * sq / self.n)
        val = dtype.type(0.5 * val_sq / self.m) if with_val and self.m else dtype.type(np.nan)
        return loss, val, g


def _fit(pool, opts, grp, n, m, p, dtype, center, standardize, has_val, u0, v0, stop=None) -> DGLNNPath:
    """The driver loop: :func:`fastgs.solvers.dglnn_solve` with the sweeps on the cluster."""
    x_offset = np.zeros(p, dtype=dtype)
    y_offset = 0.0
    x_scale = None
    if center or standardize:
        col_sums, col_squares, y_sum = pool.column_sums()
        if center:
            x_offset = (col_sums / n).astype(dtype)
            y_offset = y_sum / n
        if standardize:
            x_scale = column_scales(col_squares / n, col_sums / n, center)
    pool.build(y_offset)
    run_scale = DGLNNRun.inverse_scale(x_scale, dtype)
    evaluate = _Evaluator(pool, n, m, x_offset, center, run_scale, dtype)

    loss0, _, g0 = evaluate(np.zeros(p, dtype=dtype), False, 0)
    check_scale(g0, loss0)
    gamma, eta, u, v, t0 = opts.begin(g0, grp, dtype, u0, v0)

    # solvers.dglnn_solve's loop, with the sweeps over X on the cluster: the
    # same compiled steps and run state, so the two cannot drift apart
    run = DGLNNRun(opts, p, grp.n_groups, dtype, u, v, stop, x_scale)
    gptr, gidx = grp.group_ptr, grp.kernel_index()
    gamma_t, eta_t = dtype.type(gamma), dtype.type(eta)
    w = np.empty(p, dtype=dtype)
    vg = np.empty(grp.n_groups, dtype=dtype)
    u_prev = u.copy()
    v_prev = v.copy()
    sequential = opts.sequential and opts.code != solvers.GD
    solvers.set_weights(u, v, gptr, gidx, run.inv_scale, w)
    for t in range(opts.max_iter + 1):
        loss, val, g = evaluate(w, has_val, t)
        if not solvers.dglnn_evaluated_step(
            t, loss, val, g, has_val, u, v, w, u_prev, v_prev, vg, run.istate, run.fstate,
            run.records, gptr, gidx, run.inv_scale, opts.code, sequential, eta_t, opts.switch_rule, opts.max_iter,
            opts.record_every, *run.stop, opts.end_rule,
        ):  # fmt: skip
            break
        if sequential:
            solvers.set_weights(u, v, gptr, gidx, run.inv_scale, w)
            _, _, g = evaluate(w, False, t)
        if not solvers.dglnn_magnitude_step(
            t, g, u, v, w, u_prev, v_prev, vg, run.istate, run.fstate, run.records, gptr, gidx,
            run.inv_scale, opts.code, sequential, gamma_t, eta_t, opts.step_cap, opts.switch_rule, opts.tau,
            opts.switch_at,
        ):  # fmt: skip
            break

    def intercepts(c, _intercept_state):
        # least squares only: the intercept is the centered fit's
        if not center:
            return np.zeros(c.shape[0], dtype=dtype)
        return (y_offset - c.astype(np.float64) @ x_offset.astype(np.float64)).astype(dtype)

    return run.result(opts, grp, t0, gamma, eta, v, has_val, intercepts, "fastgs.dask.dglnn_path")


# --------------------------------------------------------------------------
# Estimator
# --------------------------------------------------------------------------


class DGLNNRegressor(_estimators.DGLNNRegressor):
    """:class:`fastgs.DGLNNRegressor` that also fits dask arrays (see :func:`dglnn_path`).

    With a dask X (row-chunked; y, X_val, y_val dask arrays with matching
    row chunks or in-memory arrays) every path runs on the cluster; the
    validation split (``validation_fraction``, ``random_state``) selects the
    same rows as the in-memory estimator, so both give the same model.
    In-memory X is fitted exactly as by :class:`fastgs.DGLNNRegressor`.

    Parameters
    ----------
    client : None (the default ``distributed`` client) or a scheduler
        address string; a string keeps the estimator clonable and picklable.
    Other parameters : as in :class:`fastgs.DGLNNRegressor` (``n_jobs``
        applies to in-memory data only; on dask arrays only
        ``loss="squared_error"`` and no ``sample_weight`` for now).
    """

    _parameter_constraints: typing.ClassVar[dict] = {
        **_estimators.DGLNNRegressor._parameter_constraints,
        "client": [None, str],
    }

    def __init__(
        self,
        groups=None,
        *,
        client=None,
        loss=_EST_DEFAULTS["loss"],
        schedule=_EST_DEFAULTS["schedule"],
        algorithm=_EST_DEFAULTS["algorithm"],
        update=_EST_DEFAULTS["update"],
        alpha=_EST_DEFAULTS["alpha"],
        step_u=_EST_DEFAULTS["step_u"],
        step_v=_EST_DEFAULTS["step_v"],
        switch=_EST_DEFAULTS["switch"],
        max_iter=_EST_DEFAULTS["max_iter"],
        kappa=_EST_DEFAULTS["kappa"],
        skip_fraction=_EST_DEFAULTS["skip_fraction"],
        step_cap=_EST_DEFAULTS["step_cap"],
        early_stopping=_EST_DEFAULTS["early_stopping"],
        validation_fraction=_EST_DEFAULTS["validation_fraction"],
        refit=_EST_DEFAULTS["refit"],
        fit_intercept=_EST_DEFAULTS["fit_intercept"],
        standardize=_EST_DEFAULTS["standardize"],
        n_iter_no_change=_EST_DEFAULTS["n_iter_no_change"],
        tol=_EST_DEFAULTS["tol"],
        random_state=_EST_DEFAULTS["random_state"],
        n_jobs=_EST_DEFAULTS["n_jobs"],
    ):
        super().__init__(
            groups, schedule=schedule, algorithm=algorithm, update=update, alpha=alpha,
            step_u=step_u, step_v=step_v, switch=switch, max_iter=max_iter, kappa=kappa,
            skip_fraction=skip_fraction, step_cap=step_cap, early_stopping=early_stopping,
            validation_fraction=validation_fraction, refit=refit, fit_intercept=fit_intercept,
            standardize=standardize, n_iter_no_change=n_iter_no_change, tol=tol,
            random_state=random_state, n_jobs=n_jobs, loss=loss,
        )  # fmt: skip
        self.client = client

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit on in-memory data (as the parent class) or on dask arrays.

        Parameters
        ----------
        X : (n, p) dask array (row blocks), array or sparse matrix
        y : (n,) ; X_val, y_val : optional validation set
        sample_weight, sample_weight_val : in-memory data only

        Returns
        -------
        self
        """
        if _is_dask_array(X) and (sample_weight is not None or sample_weight_val is not None
                                  or self.loss != "squared_error"):  # fmt: skip
            raise NotImplementedError(
                "fastgs.dask fits dask arrays with loss='squared_error' and no sample weights; "
                "fit in-memory data (or fastgs.DGLNNRegressor) for the other losses and weights."
            )
        return super().fit(X, y, sample_weight, X_val=X_val, y_val=y_val,
                           sample_weight_val=sample_weight_val)  # fmt: skip

    def _check_fit_input(self, X, y, X_val, y_val):
        if not _is_dask_array(X):
            return super()._check_fit_input(X, y, X_val, y_val)
        # blocks are checked where they live, by fastgs.dask.dglnn_path
        _check_dask_design(X, "X")
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together (or neither).")
        self.n_features_in_ = int(X.shape[1])
        return X, y, X_val, y_val

    def _split(self, X, y, sample_weight=None):
        if not _is_dask_array(X):
            return super()._split(X, y, sample_weight)
        # the in-memory estimator's split (same rows for the same random_state),
        # with sorted indices so that each row block stays on its worker
        n = int(X.shape[0])
        train_idx, val_idx = train_test_split(
            np.arange(n), test_size=self.validation_fraction,
            random_state=self._split_random_state(),
        )
        train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)
        y_dask = y if _is_dask_array(y) else da.from_array(np.asarray(y), chunks=(X.chunks[0],))
        return X[train_idx], y_dask[train_idx], X[val_idx], y_dask[val_idx], None, None

    def _path(self, X, y, max_iter, X_val, y_val, stop=None, sample_weight=None,
              sample_weight_val=None):  # fmt: skip
        if not _is_dask_array(X):
            return super()._path(X, y, max_iter, X_val, y_val, stop, sample_weight, sample_weight_val)
        with warnings.catch_warnings():
            # reported once below, as the in-memory estimator does
            warnings.simplefilter("ignore", DivergenceWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            path = dglnn_path(
                X, y, self.groups_, client=self.client, algorithm=self.algorithm,
                update=self.update, alpha=self.alpha, step_u=self.step_u, step_v=self.step_v,
                switch=self.switch, tau=DEFAULT_TAU, max_iter=max_iter,
                record_every=self._record_every, X_val=X_val, y_val=y_val,
                fit_intercept=self.fit_intercept, standardize=self.standardize,
                schedule=self.schedule, kappa=self.kappa, skip_fraction=self.skip_fraction,
                step_cap=self.step_cap, n_iter_no_change=self.n_iter_no_change, tol=self.tol,
                _stop=stop,
            )  # fmt: skip
        self._report(path, X_val is not None)
        return path

    def predict(self, X):
        """``X @ coef_ + intercept_``: a dask array (n,) for a dask X, else as the parent."""
        if not _is_dask_array(X):
            return super().predict(X)
        check_is_fitted(self)
        _check_dask_design(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} was fitted with "
                f"{self.n_features_in_}."
            )
        coef, intercept = self.coef_, self.intercept_
        return X.map_blocks(
            lambda b: np.asarray(b @ coef).ravel() + intercept,
            drop_axis=1, dtype=coef.dtype, meta=np.empty(0, dtype=coef.dtype),
        )  # fmt: skip


# --------------------------------------------------------------------------
# Many fits
# --------------------------------------------------------------------------


def map_on_cluster(func, items, address_or_client=None):
    """``[func(item) for item in items]`` on a Dask cluster, results in order.

    For independent fits: seeds, settings, folds.  Each item is one task
    (``pure=False``: equal items still run separately); a task whose worker
    dies is rerun elsewhere by the scheduler.  The first failing item raises
    its exception here.

    Parameters
    ----------
    func : callable of one argument (pickled with cloudpickle; a module-level
        function is safest on a real cluster, where workers import fastgs)
    items : iterable of arguments
    address_or_client : scheduler address ("tcp://host:8786"), a
        distributed.Client, or None for the default client

    Returns
    -------
    list, ``func(item)`` for each item in order
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}.")
    items = list(items)
    client, owned = _get_client(address_or_client)
    try:
        if not items:
            return []
        futures = client.map(func, items, pure=False)
        try:
            return client.gather(futures)
        finally:
            for f in futures:
                f.release()
    finally:
        if owned:
            client.close()


"""Time per iteration of fastgs.dask.dglnn_path on a Dask cluster vs the in-memory fit.

Usage::

    python bench/dask_scaling.py                       # local cluster: 2 workers x 1 thread
    python bench/dask_scaling.py --max-entries 2e8     # up to n*p = 2e8 (1.6 GB float64)
    python bench/dask_scaling.py --scheduler tcp://host:8786

Two tables (Markdown):

1. the cost of one round (send w (p,), one fused sweep over every row block,
   sum the partial gradients) for three ways of dispatching it, on tiny blocks
   so that only the overhead shows: a task per block, a task per worker with
   the blocks pinned, and one actor per worker (what fastgs.dask uses);
2. time per iteration of a whole fit on 10 row blocks, fastgs.dask vs the
   in-memory ``fastgs.dglnn_path`` (1 and 2 Numba threads) on the same data,
   from small to large n*p, and where the cluster starts to pay off.

Per-iteration times exclude setup, best of ``--repeats``: in memory,
(time of a T-iteration fit - time of a 1-iteration fit) / (T - 1); on Dask,
the time between the driver's rounds (iterations 1..T).
"""

from __future__ import annotations

import argparse
import time

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, wait

import fastgs
import fastgs.dask as fdask

N_BLOCKS = 10


def _block_gradient(block, w):
    """One block's ``X_b^T (y_b - X_b w)`` with the fused kernel (a task)."""
    g = np.empty_like(w)
    r = np.empty(block.n_rows, dtype=w.dtype)
    fdask._train_block_sums(block.arrays, block.y, w, w.dtype.type(0), r, g)
    return g


def _blocks_gradient(w, *blocks):
    """The same summed over the blocks of one worker (a task)."""
    g = np.zeros_like(w)
    for block in blocks:
        g += _block_gradient(block, w)
    return g


def _prepared_blocks(client, X, y):
    """Canonical blocks on the workers, as fastgs.dask.dglnn_path makes them."""
    parts, _ = fdask._row_parts(X, y, "X", "y")
    pool = fdask._ActorPool(client, parts, [], X.shape[1], np.float64)
    pool.build(0.0)
    return pool


def _per_round(fn, rounds, repeats):
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(rounds):
            fn()
        best = min(best, (time.perf_counter() - t) / rounds)
    return best


def overhead_table(client, repeats):
    """ms per round for three dispatch designs, 10 tiny blocks (overhead only)."""
    n, p = 10 * N_BLOCKS, 1000
    X = da.random.RandomState(0).standard_normal((n, p), chunks=(n // N_BLOCKS, p)).persist()
    y = da.random.RandomState(1).standard_normal(n, chunks=(n // N_BLOCKS,)).persist()
    wait([X, y])
    pool = _prepared_blocks(client, X, y)
    w = np.zeros(p)
    futures = pool.train_futures
    who = client.who_has(futures)
    by_worker: dict[str, list] = {}
    for f in futures:
        by_worker.setdefault(who[f.key][0], []).append(f)

    def task_per_block():
        parts = client.gather([client.submit(_block_gradient, f, w, pure=False) for f in futures])
        return sum(parts)

    def task_per_worker():
        calls = [client.submit(_blocks_gradient, w, *fs, workers=[a], pure=False)
                 for a, fs in by_worker.items()]  # fmt: skip
        return sum(client.gather(calls))

    def actor_per_worker():
        return pool.partials(w, 0.0, False, 0)[0]

    rows = [
        ("a task per block (10 tasks + gather)", _per_round(task_per_block, 20, repeats)),
        ("a task per worker, blocks pinned", _per_round(task_per_worker, 50, repeats)),
        ("an actor per worker (fastgs.dask)", _per_round(actor_per_worker, 300, repeats)),
    ]
    # a whole fit on the same tiny data: round trip + the driver's update per iteration
    fit_ms = _fit_ms_per_iter(lambda T: fdask.dglnn_path(X, y, 10, client=client, max_iter=T,
                                                         schedule="paper"), 301, repeats)  # fmt: skip
    pool.close()
    lines = [
        f"Overhead per round, {len(by_worker)} workers, {N_BLOCKS} blocks of {n // N_BLOCKS} x {p}:",
        "",
        "| dispatch | ms per round |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {sec * 1e3:.2f} |" for name, sec in rows]
    lines.append(f"| whole fastgs.dask fit, per iteration (round + driver step) | {fit_ms:.2f} |")
    return "\n".join(lines), fit_ms


def _dask_ms_per_iter(fit, T, repeats):
    """ms per iteration of a fastgs.dask fit, from the driver's own rounds.

    The time from the first to the last round over the number of rounds in
    between: the setup (canonical blocks, actors) is excluded exactly, as it
    varies more from fit to fit than a few iterations cost.
    """
    original = fdask._ActorPool.partials
    stamps = []

    def timed(self, *args):
        out = original(self, *args)
        stamps.append(time.perf_counter())
        return out

    best = np.inf
    fdask._ActorPool.partials = timed
    try:
        for _ in range(repeats):
            stamps.clear()
            fit(T)
            best = min(best, (stamps[-1] - stamps[1]) / (len(stamps) - 2))
    finally:
        fdask._ActorPool.partials = original
    return best * 1e3


def _fit_ms_per_iter(fit, T, repeats):
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fit(1)
        t1 = time.perf_counter() - t
        t = time.perf_counter()
        fit(T)
        tT = time.perf_counter() - t
        best = min(best, (tT - t1) / (T - 1))
    return best * 1e3


def _scaling_row(client, n, p, repeats, overhead_ms):
    rs = da.random.RandomState(0)
    X = rs.standard_normal((n, p), chunks=(n // N_BLOCKS, p)).persist()
    w_true = np.zeros(p)
    w_true[:10] = 1.0
    y = (X @ w_true + rs.standard_normal(n, chunks=(n // N_BLOCKS,))).persist()
    wait([X, y])
    X_mem, y_mem = X.compute(), y.compute()
    # enough iterations for about 1.5 s of single-threaded sweeping, at least 20
    T = int(np.clip(4e10 / (n * p * 8), 20, 300)) + 1
    kw = {"schedule": "paper", "record_every": 10**9}
    mem1 = _fit_ms_per_iter(
        lambda T: fastgs.dglnn_path(X_mem, y_mem, 10, n_jobs=1, max_iter=T, **kw), T, repeats
    )
    mem2 = _fit_ms_per_iter(
        lambda T: fastgs.dglnn_path(X_mem, y_mem, 10, n_jobs=2, max_iter=T, **kw), T, repeats
    )
    dask_ms = _dask_ms_per_iter(
        lambda T: fdask.dglnn_path(X, y, 10, client=client, max_iter=T, **kw), T, repeats
    )
    return (
        f"| {n} × {p} | {n * p:.0e} | {n * p * 8 / 1e6:.0f} | {mem1:.2f} | {mem2:.2f} "
        f"| {dask_ms:.2f} | {min(overhead_ms / dask_ms, 1):.0%} "
        f"| {dask_ms / mem1:.2f}, {dask_ms / mem2:.2f} |"
    )


def scaling_table(client, sizes, repeats, overhead_ms):
    lines = [
        f"Time per iteration, {N_BLOCKS} row blocks, float64 dense, groups of 10:",
        "",
        (
            "| n × p | entries | X MB | in-memory 1 thread ms | in-memory 2 threads ms "
            "| fastgs.dask ms | overhead share | dask / in-memory (1 thr, 2 thr) |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n, p in sizes:
        lines.append(_scaling_row(client, n, p, repeats, overhead_ms))
        print(lines[-1], flush=True)
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", help="address of a running scheduler (default: local cluster)")
    parser.add_argument("--max-entries", type=float, default=1e8, help="largest n*p (default 1e8)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = [(2_000, 100), (10_000, 100), (10_000, 1_000), (50_000, 1_000), (100_000, 1_000),
             (200_000, 1_000)]  # fmt: skip
    sizes = [(n, p) for n, p in sizes if n * p <= args.max_entries]
    if args.scheduler:
        client = Client(args.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)  # fmt: skip
        client = Client(cluster)
    try:
        # compile everything once (workers and driver) before timing
        warm = da.random.RandomState(0).standard_normal((400, 20), chunks=(40, 20))
        fdask.dglnn_path(warm, warm[:, 0], 10, client=client, max_iter=3, schedule="paper")
        fastgs.dglnn_path(warm.compute(), warm[:, 0].compute(), 10, max_iter=3, schedule="paper")
        text, overhead_ms = overhead_table(client, args.repeats)
        print(text, flush=True)
        print()
        print(scaling_table(client, sizes, args.repeats, overhead_ms))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()

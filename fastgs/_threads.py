"""Thread control for the compiled sweeps (the ``n_jobs`` of fastgs).

Numba's threads run the row chunks of the multi-threaded kernels; the number
of chunks depends only on the data, so results are bit-identical for every
``n_jobs``.  ``numba.set_num_threads`` is thread-local, so two Python threads
can fit at once with different ``n_jobs``.  Numba's fallback threading layer
("workqueue", used when neither TBB nor OpenMP is available) must not be
entered from two Python threads at once; fits are serialized by a lock then.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from numbers import Integral

import numba

__all__ = ["resolve_n_jobs", "compiled_threads"]

_WORKQUEUE_LOCK = threading.RLock()


def resolve_n_jobs(n_jobs) -> int:
    """Number of threads for ``n_jobs`` (None -> 1, -1 -> all Numba threads)."""
    limit = numba.config.NUMBA_NUM_THREADS
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral):
        raise TypeError(f"n_jobs must be an int or None, got {n_jobs!r}.")
    if n_jobs == -1:
        return limit
    if n_jobs < 1 and n_jobs != -1:
        raise ValueError(f"n_jobs must be a positive integer, -1 (all cores) or None; got {n_jobs}.")
    if n_jobs > limit:
        raise ValueError(
            f"n_jobs={n_jobs} exceeds the {limit} threads Numba was started with "
            "(NUMBA_NUM_THREADS); use n_jobs=-1 for all of them."
        )
    return int(n_jobs)


def _layer_is_threadsafe() -> bool:
    try:
        return numba.threading_layer() != "workqueue"
    except ValueError:  # no parallel region has run yet: the layer is not chosen
        return False


@contextmanager
def compiled_threads(n_jobs):
    """Run the enclosed compiled calls on ``n_jobs`` Numba threads."""
    k = resolve_n_jobs(n_jobs)
    locked = not _layer_is_threadsafe()
    if locked:
        _WORKQUEUE_LOCK.acquire()
    previous = numba.get_num_threads()
    numba.set_num_threads(k)
    try:
        yield k
    finally:
        numba.set_num_threads(previous)
        if locked:
            _WORKQUEUE_LOCK.release()

"""The one place where fastgs configures Numba.

Every compiled function in the package goes through :func:`jit`, so the
fastmath flags, the error model and the on-disk cache policy are set once.

Why these flags: ``reassoc`` lets LLVM vectorize reductions (dot products,
norms), ``contract`` allows fused multiply-add.  We deliberately do *not* use
``fastmath=True``: it implies ``nnan``/``ninf``, which lets the compiler delete
the non-finite checks the solvers rely on to detect divergence.
"""

from __future__ import annotations

import os
import warnings

import numba

FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "reassoc"})

_cache_fallback_warned = False


def _warn_cache_fallback(name: str, err: Exception) -> None:
    global _cache_fallback_warned
    if not _cache_fallback_warned:
        _cache_fallback_warned = True
        warnings.warn(
            f"fastgs: cannot cache compiled kernels on disk ({err}); kernels will be "
            "compiled in every new process (first call of "
            f"{name!r} and others). Set NUMBA_CACHE_DIR to a writable directory "
            "to enable the cache.",
            RuntimeWarning,
            stacklevel=3,
        )


def jit(func=None, *, cache: bool = True, parallel: bool = False):
    """Compile ``func`` with fastgs' Numba settings (nopython, nogil, cached).

    Falls back to an uncached function, with one warning per process, when no
    cache directory is writable (read-only install, no writable HOME).  Set
    ``FASTGS_DISABLE_CACHE=1`` to turn caching off explicitly.
    """

    def decorate(f):
        use_cache = cache and os.environ.get("FASTGS_DISABLE_CACHE", "") in ("", "0")
        options = dict(
            nogil=True,
            fastmath=set(FASTMATH_FLAGS),
            error_model="numpy",
            parallel=parallel,
        )
        if use_cache:
            try:
                return numba.njit(cache=True, **options)(f)
            except RuntimeError as err:  # numba: "no locator available"
                _warn_cache_fallback(f.__name__, err)
        return numba.njit(cache=False, **options)(f)

    if func is None:
        return decorate
    return decorate(func)

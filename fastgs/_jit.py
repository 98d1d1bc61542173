"""The one place where fastgs configures Numba.

Every compiled function in the package goes through :func:`jit`, so the
fastmath flags, the error model and the on-disk cache policy are set once.

Why these flags: ``reassoc`` lets LLVM vectorize reductions (dot products,
norms), ``contract`` allows fused multiply-add.  We deliberately do *not* use
``fastmath=True``: it implies ``nnan``/``ninf``, which lets the compiler delete
the non-finite checks the solvers rely on to detect divergence.  A kernel
whose sums gather from memory at random can opt out of ``reassoc``
(``jit(reassociate=False)``): there LLVM would otherwise vectorize the short
sums with gather instructions, which are slower than the scalar loads
(docs/performance.rst, 'Cross-validation cost').
"""

from __future__ import annotations

import atexit
import glob
import hashlib
import os
import types
import warnings

import numba

FASTMATH_FLAGS = frozenset({"nsz", "arcp", "contract", "reassoc"})

_cache_fallback_warned = False

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_STAMP_NAME = "fastgs-sources.sha256"


def _sources_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(_PACKAGE_DIR, "*.py"))):
        with open(path, "rb") as f:
            h.update(os.path.basename(path).encode())
            h.update(f.read())
    return h.hexdigest()


def _cache_dirs():
    """Where Numba keeps this package's cache files (in-tree, or under NUMBA_CACHE_DIR)."""
    dirs = [os.path.join(_PACKAGE_DIR, "__pycache__")]
    root = os.environ.get("NUMBA_CACHE_DIR")
    if root:
        # numba mirrors the source directory's absolute path below the cache root
        tail = os.path.splitdrive(_PACKAGE_DIR)[1].lstrip(os.sep)
        dirs.append(os.path.join(root, tail))
        dirs.extend(glob.glob(os.path.join(root, "fastgs*")))
    return dirs


def _drop_stale_cache() -> None:
    """Delete cached kernels compiled from other sources of this package.

    Numba checks only the timestamp of the file that defines a cached
    function, not of the kernels it inlines from other modules; a solver
    cached against an older kernels.py would silently run the old kernel.
    A digest of all package sources, stored next to the cache, catches that.
    """
    digest = _sources_digest()
    present = set()
    for d in _cache_dirs():
        if not os.path.isdir(d):
            continue
        present.add(d)
        stamp = os.path.join(d, _STAMP_NAME)
        try:
            with open(stamp) as f:
                if f.read().strip() == digest:
                    continue
        except OSError:
            pass
        try:
            for path in glob.glob(os.path.join(d, "*.nb[ic]")):
                os.remove(path)
            _write_stamp(d, digest)
        except OSError:
            pass  # read-only install: nothing was cached here by us
    # A cache directory that Numba creates later in this process holds only
    # kernels compiled from these sources: stamp it at exit, or the next
    # process would take it for stale and compile everything again.
    atexit.register(_stamp_new_cache_dirs, digest, present)


def _write_stamp(d: str, digest: str) -> None:
    with open(os.path.join(d, _STAMP_NAME), "w") as f:
        f.write(digest)


def _stamp_new_cache_dirs(digest: str, present) -> None:
    """Stamp the cache directories that did not exist when fastgs was imported."""
    for d in _cache_dirs():
        if d in present or not os.path.isdir(d) or os.path.exists(os.path.join(d, _STAMP_NAME)):
            continue
        try:
            _write_stamp(d, digest)
        except OSError:
            pass


if os.environ.get("FASTGS_DISABLE_CACHE", "") in ("", "0"):
    _drop_stale_cache()


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


def jit(func=None, *, cache: bool = True, parallel: bool = False, inline: bool = False,
        reassociate: bool = True):
    """Compile ``func`` with fastgs' Numba settings (nopython, nogil, cached).

    Falls back to an uncached function, with one warning per process, when no
    cache directory is writable (read-only install, no writable HOME).  Set
    ``FASTGS_DISABLE_CACHE=1`` to turn caching off explicitly.

    ``inline=True``: compiled callers take the body in (Numba IR inlining)
    instead of linking a separately compiled module, which Numba would
    optimize again inside each caller.  Only for small dispatch glue without
    floating-point arithmetic: inlined arithmetic is optimized in the
    caller's context, where the last bits may differ.  Called from Python,
    the function compiles as usual.

    ``reassociate=False``: without the ``reassoc`` flag, so that LLVM keeps
    the function's sums in the order written and does not turn them into
    vectorized reductions (see the module docstring).
    """

    def decorate(f):
        use_cache = cache and os.environ.get("FASTGS_DISABLE_CACHE", "") in ("", "0")
        options = dict(
            nogil=True,
            fastmath=set(FASTMATH_FLAGS) if reassociate else set(FASTMATH_FLAGS) - {"reassoc"},
            error_model="numpy",
            parallel=parallel,
        )
        if inline:
            options["inline"] = "always"
        if use_cache:
            try:
                return numba.njit(cache=True, **options)(f)
            except RuntimeError as err:  # numba: "no locator available"
                _warn_cache_fallback(f.__name__, err)
        return numba.njit(cache=False, **options)(f)

    if func is None:
        return decorate
    return decorate(func)


def serial_build(threaded):
    """The one-thread build of a ``parallel=True`` fastgs function.

    The same source compiled without ``parallel``: Numba then runs every
    ``prange`` loop as a plain ``range`` loop on the calling thread, so the
    iterations do the same arithmetic in the same order (a fixed-order chunk
    sum gives the same bits) and no parallel region is compiled, which is
    most of such a function's compile time (docs/performance.rst, 'Compile
    time').  Every function the build calls must be serial itself.

    Parameters
    ----------
    threaded : numba dispatcher
        A function decorated with ``jit(parallel=True)``.

    Returns
    -------
    numba dispatcher
        The serial build, named ``<name>_serial``: Numba's on-disk cache
        tells functions apart by their qualified names, not by the compile
        options, so the two builds must not share one.
    """
    f = threaded.py_func
    twin = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial", f.__defaults__,
                              f.__closure__)  # fmt: skip
    twin.__qualname__ = f.__qualname__ + "_serial"
    twin.__module__ = f.__module__
    twin.__doc__ = f"One-thread build of :func:`{f.__name__}` (see :func:`fastgs._jit.serial_build`)."
    return jit(twin)

"""The compile wrapper (fastgs._jit): on-disk cache policy and its fallbacks."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from fastgs import _jit


@pytest.fixture
def exit_hooks(monkeypatch):
    """Capture what _drop_stale_cache registers to run at exit."""
    hooks = []
    monkeypatch.setattr(_jit.atexit, "register", lambda f, *a: hooks.append((f, a)))
    return hooks


def _stamp(d):
    with open(os.path.join(d, _jit._STAMP_NAME)) as f:
        return f.read().strip()


def test_cache_from_other_sources_is_dropped(tmp_path, monkeypatch, exit_hooks):
    d = tmp_path / "cache"
    d.mkdir()
    (d / _jit._STAMP_NAME).write_text("digest of other sources")
    (d / "solvers.dglnn_solve-254.py311.nbi").write_text("stale")
    (d / "solvers.dglnn_solve-254.py311.1.nbc").write_text("stale")
    (d / "unrelated.txt").write_text("kept")
    monkeypatch.setattr(_jit, "_cache_dirs", lambda: [str(d)])
    _jit._drop_stale_cache()
    assert sorted(os.listdir(d)) == sorted([_jit._STAMP_NAME, "unrelated.txt"])
    assert _stamp(d) == _jit._sources_digest()


def test_cache_of_these_sources_is_kept(tmp_path, monkeypatch, exit_hooks):
    d = tmp_path / "cache"
    d.mkdir()
    (d / _jit._STAMP_NAME).write_text(_jit._sources_digest())
    (d / "kernels.group_norms-395.py311.nbi").write_text("fresh")
    monkeypatch.setattr(_jit, "_cache_dirs", lambda: [str(d)])
    _jit._drop_stale_cache()
    assert (d / "kernels.group_norms-395.py311.nbi").exists()


def test_cache_dir_created_after_import_is_stamped_at_exit(tmp_path, monkeypatch, exit_hooks):
    """Numba creates its cache directory on the first compile, after fastgs is
    imported: without a stamp, the next process would drop the whole cache."""
    d = tmp_path / "cache"
    monkeypatch.setattr(_jit, "_cache_dirs", lambda: [str(d)])
    _jit._drop_stale_cache()  # nothing there yet
    d.mkdir()  # what Numba does while this process compiles
    (d / "kernels.group_norms-395.py311.nbi").write_text("compiled now")
    assert len(exit_hooks) == 1
    hook, args = exit_hooks[0]
    hook(*args)  # interpreter exit
    assert _stamp(d) == _jit._sources_digest()
    _jit._drop_stale_cache()  # the next process
    assert (d / "kernels.group_norms-395.py311.nbi").exists()


def test_second_process_loads_the_first_ones_cache(tmp_path):
    """End to end with a fresh NUMBA_CACHE_DIR: the second process neither
    deletes nor rewrites the cache files the first one wrote."""
    env = {k: v for k, v in os.environ.items() if k != "FASTGS_DISABLE_CACHE"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    code = (
        "import numpy as np; from fastgs import kernels as K\n"
        "out = np.empty(2); K.group_norms(np.ones(4), np.array([0, 1, 4]), np.arange(4), out)\n"
        "assert out[1] == 3 ** 0.5\n"
    )

    def cache_files():
        found = {}
        for root, _, files in os.walk(tmp_path / "numba"):
            for name in files:
                if name.endswith((".nbi", ".nbc")):
                    path = os.path.join(root, name)
                    found[path] = os.stat(path).st_mtime_ns
        return found

    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    first = cache_files()
    assert first, "the first process cached nothing"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert cache_files() == first


def test_one_thread_fits_compile_no_parallel_code():
    """A fit that runs on one thread compiles only serial code, with a single
    row chunk or with several (the serial builds of the chunked sweeps): the
    threaded variants sit behind types (None scratch or SerialChunks, None
    threads flag), not behind run-time flags that would compile both.  In a
    fresh process with caching off, so that every function compiles."""
    env = dict(os.environ, FASTGS_DISABLE_CACHE="1")
    code = (
        "import numpy as np, fastgs\n"
        "from numba.core import event\n"
        "parallel = []\n"
        "class Listener(event.Listener):\n"
        "    def on_start(self, ev):\n"
        "        disp = ev.data['dispatcher']\n"
        "        if getattr(disp, 'targetoptions', {}).get('parallel'):\n"
        "            parallel.append(disp.py_func.__name__)\n"
        "    def on_end(self, ev):\n"
        "        pass\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.standard_normal((40, 12)); y = X[:, 0] + 0.1 * rng.standard_normal(40)\n"
        "with event.install_listener('numba:compile', Listener()):\n"
        "    fastgs.dglnn_path(X, y, 3, max_iter=5, X_val=X[:10], y_val=y[:10], n_jobs=1)\n"
        "    fastgs.dglnn_cv_path(X, y, 3, cv=3, max_iter=5, n_jobs=1)\n"
        "assert not parallel, parallel\n"
        "from fastgs._validation import check_design\n"
        "X = rng.standard_normal((160, 13200)); y = X[:, 0] + 0.1 * rng.standard_normal(160)\n"
        "assert check_design(X).n_row_chunks() > 1\n"
        "with event.install_listener('numba:compile', Listener()):\n"
        "    fastgs.dglnn_path(X, y, 3, max_iter=3, n_jobs=1)\n"
        "    fastgs.dglnn_cv_path(X, y, 3, cv=3, max_iter=3, n_jobs=1)\n"
        "assert not parallel, parallel\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def test_no_writable_cache_falls_back_with_one_warning(monkeypatch):
    """When Numba finds no writable cache location (a read-only install), the
    functions compile uncached: one RuntimeWarning per process, and they work."""
    real_njit = _jit.numba.njit

    def njit_without_cache_dirs(*args, cache=False, **kwargs):
        if cache:
            raise RuntimeError("cannot cache function 'f': no locator available for file 'x.py'")
        return real_njit(*args, cache=cache, **kwargs)

    monkeypatch.setattr(_jit.numba, "njit", njit_without_cache_dirs)
    monkeypatch.setattr(_jit, "_cache_fallback_warned", False)
    monkeypatch.delenv("FASTGS_DISABLE_CACHE", raising=False)

    def twice(x):
        return 2 * x

    with pytest.warns(RuntimeWarning, match="cannot cache compiled kernels on disk"):
        f = _jit.jit(twice)
    assert f(np.float64(3.5)) == 7.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = _jit.jit(lambda x: x + 1)  # no second warning
    assert g(1) == 2


def test_fastgs_disable_cache_compiles_uncached(monkeypatch):
    calls = []
    real_njit = _jit.numba.njit

    def spy(*args, **kwargs):
        calls.append(kwargs["cache"])
        return real_njit(*args, **kwargs)

    monkeypatch.setattr(_jit.numba, "njit", spy)
    monkeypatch.setenv("FASTGS_DISABLE_CACHE", "1")
    assert _jit.jit(lambda x: x * 3)(2) == 6
    monkeypatch.setenv("FASTGS_DISABLE_CACHE", "0")
    _jit.jit(lambda x: x * 3)
    assert calls == [False, True]

"""The compile wrapper (fastgs._jit): on-disk cache policy and its fallbacks."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
import warnings

import numba
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
        if "cache" in kwargs:  # not Numba's own njit calls, the first compile of a process
            calls.append(kwargs["cache"])
        return real_njit(*args, **kwargs)

    monkeypatch.setattr(_jit.numba, "njit", spy)
    monkeypatch.setenv("FASTGS_DISABLE_CACHE", "1")
    assert _jit.jit(lambda x: x * 3)(2) == 6
    monkeypatch.setenv("FASTGS_DISABLE_CACHE", "0")
    _jit.jit(lambda x: x * 3)
    assert calls == [False, True]


_PRECOMPILE_WATCHING_PARALLEL = """
import json
from numba.core import event
from fastgs._precompile import precompile
compiled, parallel = [], []
class Listener(event.Listener):
    def on_start(self, ev):
        disp = ev.data['dispatcher']
        compiled.append(disp.py_func.__qualname__)
        if getattr(disp, 'targetoptions', {}).get('parallel'):
            parallel.append(disp.py_func.__qualname__)
    def on_end(self, ev):
        pass
with event.install_listener('numba:compile', Listener()):
    precompile(['dense'])
print(json.dumps({'compiled': compiled, 'parallel': parallel}))
"""


@pytest.fixture(scope="module")
def precompiled_package(tmp_path_factory):
    """A copy of the package whose in-tree cache ``precompile(["dense"])``
    filled, in a fresh process with no other cache: every function compiles
    there.  Returns the copy's parent directory and what compiled."""
    built = tmp_path_factory.mktemp("build")
    source = os.path.dirname(_jit.__file__)
    shutil.copytree(source, built / "fastgs", ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "FASTGS_DISABLE_CACHE")}
    env["PYTHONPATH"] = str(built)
    out = subprocess.run([sys.executable, "-c", _PRECOMPILE_WATCHING_PARALLEL], cwd=built, env=env,
                         check=True, capture_output=True, text=True)  # fmt: skip
    return built, json.loads(out.stdout.strip().splitlines()[-1])


def test_one_thread_fits_compile_no_parallel_code(precompiled_package):
    """A fit that runs on one thread compiles only serial code, with a single
    row chunk or with several (the serial builds of the chunked sweeps): the
    threaded variants sit behind types (None scratch or SerialChunks, None
    threads flag), not behind run-time flags that would compile both.  The
    estimators' one-thread fits of ``fastgs compile`` (one chunk and
    several, through dglnn_path with validation data and dglnn_cv_path)."""
    _, seen = precompiled_package
    assert not seen["parallel"], seen["parallel"]
    # the fits did run on several chunks
    assert "residual_gradient_loss_dense_chunked_serial" in seen["compiled"]
    assert "residual_gradient_folds_dense_chunked_serial" in seen["compiled"]


_FIRST_FITS_COMPILE_NOTHING = """
import warnings
import numpy as np, fastgs, fastgs._validation
from numba.core import event
warnings.simplefilter('ignore')
compiled = []
class Listener(event.Listener):
    def on_start(self, ev):
        compiled.append(ev.data['dispatcher'].py_func.__qualname__)
    def on_end(self, ev):
        pass
rng = np.random.default_rng(1)
X = rng.standard_normal((50, 24)); y = X[:, 0] + 0.1 * rng.standard_normal(50)
with event.install_listener('numba:compile', Listener()):
    fastgs.DGLNNRegressor(groups=3).fit(X, y)
    fastgs.DGLNNRegressorCV(groups=3, cv=3).fit(X, y)
    fastgs.DGLNNClassifier(groups=3).fit(X, y > 0)
    fastgs.DGLNNClassifierCV(groups=3, cv=3).fit(X, np.digitize(y, [-0.5, 0.5]))
# several row chunks: the serial build of the chunked sweeps
X = rng.standard_normal((100, 24000)); y = X[:, 0] + 0.1 * rng.standard_normal(100)
assert fastgs._validation.check_design(X).n_row_chunks() > 1
with event.install_listener('numba:compile', Listener()):
    fastgs.DGLNNRegressorCV(groups=4, cv=3, max_iter=10).fit(X, y)
assert fastgs.__file__.startswith({where!r}), fastgs.__file__
assert not compiled, compiled
"""


@pytest.mark.skipif(
    tuple(int(v) for v in numba.__version__.split(".")[:2]) < (0, 68),
    reason="Numba < 0.68 stamps cached code with the source file's mtime, which an install "
    "resets; the cache then recompiles (docs/performance.rst, 'Compiled at install')",
)
def test_precompiled_kernels_load_after_the_package_moves(precompiled_package, tmp_path):
    """What setup.py puts in a wheel: ``fastgs compile`` fills a copy of the
    package's in-tree cache; a copy of that package at another path, every
    file touched (pip installs with new mtimes), then fits the common first
    fits without compiling anything, on data of one row chunk or several, the
    classifiers (binary and multinomial) included."""
    built, _ = precompiled_package
    assert list((built / "fastgs" / "__pycache__").glob("solvers.*.nbi"))
    installed = tmp_path / "site"
    shutil.copytree(built / "fastgs", installed / "fastgs")
    later = time.time() + 3600
    for path in (installed / "fastgs").rglob("*"):
        os.utime(path, (later, later))
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "FASTGS_DISABLE_CACHE")}
    env["PYTHONPATH"] = str(installed)
    code = _FIRST_FITS_COMPILE_NOTHING.format(where=str(installed))
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True)


def test_an_installed_wheel_ships_the_compiled_kernels():
    """The wheel build (setup.py) compiled the common first fits into the
    package: the installed distribution's file list holds Numba's cache of the
    solvers and the sources' stamp that keeps it (fastgs._jit).  The test
    suite may import fastgs from the source tree; this checks what pip
    installed."""
    # an installed distribution has a RECORD; a source tree's egg-info lists its sources
    installed = [d for d in importlib.metadata.distributions(name="fastgs") if d.read_text("RECORD")]
    if not installed:
        pytest.skip("fastgs is not installed, only on the path")
    dist = installed[0]
    if json.loads(dist.read_text("direct_url.json") or "{}").get("dir_info", {}).get("editable"):
        pytest.skip("an editable install: setup.py compiles into wheels only")
    if os.environ.get("FASTGS_PRECOMPILE") == "0":
        pytest.skip("FASTGS_PRECOMPILE=0 builds a wheel without compiled kernels")
    shipped = {str(f) for f in dist.files if "__pycache__" in str(f)}
    assert f"fastgs/__pycache__/{_jit._STAMP_NAME}" in shipped
    for module in ("solvers", "cv_kernels", "kernels"):
        assert any(f.startswith(f"fastgs/__pycache__/{module}.") and f.endswith(".nbc")
                   for f in shipped), module  # fmt: skip


def _sum_in_written_order(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    return s


def test_reassociate_false_drops_only_reassoc_and_keeps_the_written_sum_order():
    in_order = _jit.jit(cache=False, reassociate=False)(_sum_in_written_order)
    default = _jit.jit(cache=False)(_sum_in_written_order)
    assert in_order.targetoptions["fastmath"] == set(_jit.FASTMATH_FLAGS) - {"reassoc"}
    assert default.targetoptions["fastmath"] == set(_jit.FASTMATH_FLAGS)
    # in the written order the first 63 ones are lost against 1e16 (63 in all);
    # a vectorized sum keeps those outside the lane that holds 1e16
    x = np.array([1e16] + [1.0] * 63 + [-1e16] + [1.0] * 63)
    assert in_order(x) == 63.0


def test_the_csc_gradient_sweep_is_compiled_without_reassoc():
    # with reassoc LLVM vectorizes its six short sums with gather instructions
    # (docs/performance.rst, 'Cross-validation cost')
    from fastgs import cv_kernels

    assert "reassoc" not in cv_kernels._folds_grad_csc.targetoptions["fastmath"]
    assert "reassoc" in cv_kernels._folds_dots_csc.targetoptions["fastmath"]

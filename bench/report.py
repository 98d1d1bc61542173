"""One-page speed/memory/compile report of fastgs against its baselines.

Usage (from the repository root)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/report.py [--quick]

The environment of this project sets ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE``, which force a slower OpenBLAS kernel: the NumPy/SciPy
baselines are only fair with both unset (``env -u`` above).  The report says
so in its header when they are set, and records which BLAS kernel ran.  BLAS
is limited to one thread (threadpoolctl): the targets are single-thread.

Prints Markdown:

1. speed: each comparison timed with ``time.perf_counter``, the two sides
   interleaved, min over repeats, in this process; ratio = fastgs/baseline.
   (a) dense X-pass ``residual_gradient_dense`` vs NumPy ``X.T @ (y - X @ w)``,
   (b) CSR X-pass ``residual_gradient_csr`` vs SciPy ``X.T @ (y - X @ w)``,
   (c) the Figure-2 fit ``fastgs.dglnn_path`` vs ``bench/numpy_dglnn.py``
   (final w checked to agree to 1e-8 relative).
2. memory: peak RSS of a ``dglnn_path`` fit on a dense 2000x20000 float64 X
   (C- and F-ordered) in a fresh process: the peak RSS after the fit minus
   the peak after creating X, in MB and as a multiple of X's size.  The JIT
   is warmed on tiny data first, so compilation is not counted; the peak is
   reset to the current RSS (``/proc/self/clear_refs``) just before the fit.
   The peak is read from ``VmHWM`` (the per-process value behind
   ``ru_maxrss``; plain ``ru_maxrss`` of a child also carries the parent's
   peak from the fork, which hides the fit's), falling back to ``ru_maxrss``
   where /proc is missing.
3. compile: ``import fastgs`` + first small fit in a fresh process with an
   empty ``NUMBA_CACHE_DIR`` (cold: Numba compiles) and again with the cache
   that run filled (warm: loads from disk), next to the steady-state call.
4. first fit: what a new user waits for in a fresh process, imports
   included: ``DGLNNRegressor().fit`` and ``DGLNNRegressorCV().fit`` on a
   tiny problem (60 x 40, groups of 4; ``--first-fit-shape N P`` for
   another), each as a ratio to scikit-learn's ``Lasso().fit`` first fit on
   the same data in a fresh process, and the
   number of functions Numba compiled during the fit.  Two ways: with an
   empty ``NUMBA_CACHE_DIR`` (a new temporary directory per run: everything
   compiles at first use), and from an installed wheel (this checkout built
   once with ``pip wheel``, whose ``setup.py`` compiles the common first
   fits into the wheel; installed afresh with ``pip install --target`` for
   every run, ``NUMBA_CACHE_DIR`` unset).  ``--first-fit-repeats`` rounds
   (default 3), the cases interleaved; min and median.
   ``bench/compile_profile.py`` shows where a first fit's compile time goes.

The header records the CPU model (``lscpu``).

``--quick`` uses smaller sizes and fewer repeats, and measures no installed
wheel (a smoke run, about a minute).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# ----------------------------------------------------------------------------
# child processes (memory and compile measurements); keep imports inside
# ----------------------------------------------------------------------------


def _child_memory(order: str, n: int, p: int, max_iter: int) -> None:
    import resource

    import numpy as np

    import fastgs

    def peak_rss_mb():
        """Peak RSS of this process so far, in MiB.

        ``VmHWM`` of /proc/self/status where available: it is what
        ``ru_maxrss`` reports, except that ``ru_maxrss`` also keeps the peak
        of the *parent's* address space copied at fork (so a big parent would
        hide the child's peak) and is not reset by ``clear_refs``.
        """
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

    # compile (or load) the dense float64 specialization on tiny data first
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((20, 8))
    fastgs.dglnn_path(Xs, Xs[:, 0], 4, max_iter=2)

    # build X without a temporary copy, in the requested memory order
    X = np.empty((n, p), order=order)
    rng.standard_normal(out=X if order == "C" else X.T)
    w_star = np.zeros(p)
    w_star[:8] = 1.0
    y = X @ w_star + 0.5 * rng.standard_normal(n)
    del Xs
    # Reset the high-water mark to the current RSS (Linux >= 4.0), so that
    # memory freed after imports and warm-up cannot hide part of the fit's
    # peak; without the reset the baseline is the high-water mark so far.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    base = peak_rss_mb()
    fastgs.dglnn_path(X, y, 4, max_iter=max_iter, record_every=max_iter)
    peak = peak_rss_mb()
    print(json.dumps({"base_mb": base, "peak_mb": peak, "x_mb": X.nbytes / 2**20, "reset": reset}))


def _child_compile() -> None:
    t0 = time.perf_counter()
    import numpy as np

    import fastgs

    t1 = time.perf_counter()
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(60, 30))
    y = X[:, :3].sum(axis=1) + 0.1 * rng.standard_normal(60)
    fastgs.dglnn_path(X, y, 3, max_iter=50)
    t2 = time.perf_counter()
    steady = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        fastgs.dglnn_path(X, y, 3, max_iter=50)
        steady = min(steady, time.perf_counter() - t)
    print(json.dumps({"import_s": t1 - t0, "first_fit_s": t2 - t1, "steady_fit_s": steady}))


FIRST_FIT_SHAPE = (60, 40)  # the tiny problem of the first-fit section, groups of 4
FIRST_FIT_TARGET = 3.0  # DGLNNRegressorCV first fit / Lasso first fit


def _child_first_fit(which: str, shape) -> None:
    """Imports and one first fit, timed from before the first import (wall
    and CPU time of this process: on a shared machine the CPU time is the
    steadier of the two)."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    import numpy as np

    compiled = []
    if which == "lasso":
        from sklearn.linear_model import Lasso

        model = Lasso()
        counting = contextlib.nullcontext()
    else:
        from numba.core import event

        import fastgs

        class CompileCounter(event.Listener):
            def on_start(self, ev):
                compiled.append(ev.data["dispatcher"])

            def on_end(self, ev):
                pass

        counting = event.install_listener("numba:compile", CompileCounter())

        model = fastgs.DGLNNRegressorCV(groups=4) if which == "cv" else fastgs.DGLNNRegressor(groups=4)
    t1 = time.perf_counter()
    n, p = shape
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p))
    y = X[:, :4].sum(axis=1) + 0.1 * rng.standard_normal(n)
    with counting:
        model.fit(X, y)
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    print(json.dumps({"import_s": t1 - t0, "fit_s": t2 - t1, "total_s": t2 - t0, "cpu_s": cpu,
                      "compiled": len(compiled)}))  # fmt: skip


def _run_child(args: list[str], env=None) -> dict:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------


def _min_times(funcs: dict, repeats: int) -> dict:
    """Min wall time of each function, calls interleaved (order alternating)."""
    best = {k: float("inf") for k in funcs}
    names = list(funcs)
    for rep in range(repeats):
        for name in names if rep % 2 == 0 else names[::-1]:
            t = time.perf_counter()
            funcs[name]()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def speed_rows(quick: bool) -> list[dict]:
    import numpy as np

    import _cases

    rows = []
    pass_repeats = 7 if quick else 15
    dtypes = (np.float64, np.float32)
    specs = [("dense", s, dt) for s in _cases.dense_shapes(quick) for dt in dtypes]
    specs += [("csr", s, np.float64) for s in _cases.csr_shapes(quick)]
    for kind, shape, dtype in specs:
        if kind == "dense":
            case = _cases.dense_case(*shape, dtype)
            target, label = _cases.DENSE_TARGET, "NumPy"
        else:
            case = _cases.csr_case(*shape, dtype)
            target, label = _cases.CSR_TARGET, "SciPy"
        case.check()  # also compiles the kernel for these types
        case.baseline()
        t = _min_times({"fastgs": case.fastgs, "baseline": case.baseline}, pass_repeats)
        ratio = t["fastgs"] / t["baseline"]
        rows.append(dict(case=f"X-pass {case.name} vs {label}", fastgs=t["fastgs"],
                         baseline=t["baseline"], ratio=ratio, target=f"≤ {target:g}",
                         met=ratio <= target))  # fmt: skip
        del case

    fit = _cases.fit_case(quick)
    err = fit.check(1e-8)  # compiles dglnn_path for dense float64
    t = _min_times({"fastgs": fit.fastgs, "baseline": fit.baseline}, 2 if quick else 3)
    # extra fastgs repeats: it is ~75x faster, so more samples cost little
    t["fastgs"] = min(t["fastgs"], _min_times({"fastgs": fit.fastgs}, 10)["fastgs"])
    ratio = t["fastgs"] / t["baseline"]
    target = _cases.FIT_SPEEDUP_TARGET
    rows.append(dict(case=f"{fit.name} vs NumPy loop (final w rel. diff {err:.1e})",
                     fastgs=t["fastgs"], baseline=t["baseline"], ratio=ratio,
                     target=f"≤ {1 / target:g} (≥ {target:g}× faster; here {1 / ratio:.0f}×)",
                     met=1 / ratio >= target))  # fmt: skip
    return rows


def memory_rows(quick: bool) -> list[dict]:
    n, p = (500, 5000) if quick else (2000, 20000)
    max_iter = 20
    rows = []
    # a copy of X costs a whole X: "no copy" is < 0.5 X, "at most one" < 1.5 X
    for order, allowed, note in (("C", 0.5, "no copy"), ("F", 1.5, "one copy")):
        m = _run_child(["--child-memory", order, str(n), str(p), str(max_iter)])
        extra = m["peak_mb"] - m["base_mb"]
        rows.append(dict(case=f"dglnn_path dense {n}x{p} float64 {order}-order, {max_iter} iter",
                         x_mb=m["x_mb"], extra_mb=extra, multiple=extra / m["x_mb"],
                         target=f"< {allowed:g}× X ({note})", met=extra / m["x_mb"] < allowed,
                         reset=m["reset"]))  # fmt: skip
    return rows


def _fastgs_sources_mtime() -> float:
    import fastgs

    return max(f.stat().st_mtime for f in Path(fastgs.__file__).parent.glob("*.py"))


def compile_rows() -> dict:
    """Cold run once, then the warm run a user gets next: the second process
    with the same cache directory.  If fastgs' sources changed during the
    runs, the warm run recompiled: then a third process is measured too and
    the faster one is reported (with a note)."""
    env = {k: v for k, v in os.environ.items() if k != "FASTGS_DISABLE_CACHE"}
    before = _fastgs_sources_mtime()
    with tempfile.TemporaryDirectory(prefix="fastgs-numba-cache-") as cache_dir:
        env["NUMBA_CACHE_DIR"] = cache_dir
        cold = _run_child(["--child-compile"], env)
        warm = _run_child(["--child-compile"], env)
        changed = _fastgs_sources_mtime() != before
        if changed:
            warm = min(warm, _run_child(["--child-compile"], env), key=lambda m: m["first_fit_s"])
    return {"cold": cold, "warm": warm, "sources_changed": changed}


FIRST_FIT_CASES = {
    "lasso": "scikit-learn `Lasso().fit` (baseline)",
    "fit": "fastgs `DGLNNRegressor().fit`",
    "cv": "fastgs `DGLNNRegressorCV().fit`",
    "fit_installed": "fastgs `DGLNNRegressor().fit`, installed wheel",
    "cv_installed": "fastgs `DGLNNRegressorCV().fit`, installed wheel",
}


def _build_wheel(out_dir: str) -> str:
    """This checkout as a wheel, built the way ``pip install .`` builds it."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out_dir,
                    str(HERE.parent)], check=True)  # fmt: skip
    (wheel,) = Path(out_dir).glob("fastgs-*.whl")
    return str(wheel)


def first_fit_rows(repeats: int, shape=FIRST_FIT_SHAPE, installed: bool = True) -> dict:
    """Fresh-process first fits: the Lasso baseline and fastgs with an empty
    Numba cache directory per run ("fit", "cv"), and, if ``installed``, fastgs
    installed afresh from a wheel of this checkout per run ("fit_installed",
    "cv_installed"); the cases interleaved, ``repeats`` rounds."""
    env = {k: v for k, v in os.environ.items() if k != "FASTGS_DISABLE_CACHE"}
    runs = {name: [] for name in FIRST_FIT_CASES if installed or not name.endswith("_installed")}
    with tempfile.TemporaryDirectory(prefix="fastgs-wheel-") as tmp:
        wheel = _build_wheel(tmp) if installed else None
        for _ in range(repeats):
            for name in runs:
                which = name.removesuffix("_installed")
                with tempfile.TemporaryDirectory(prefix="fastgs-first-fit-") as fresh:
                    child_env = dict(env)
                    if name.endswith("_installed"):
                        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                                        "--target", fresh, wheel], check=True)  # fmt: skip
                        child_env.pop("NUMBA_CACHE_DIR", None)
                        child_env["PYTHONPATH"] = fresh
                    else:
                        child_env["NUMBA_CACHE_DIR"] = fresh
                    shape_args = ["--first-fit-shape", *map(str, shape)]
                    runs[name].append(_run_child(["--child-first-fit", which, *shape_args],
                                                 child_env))  # fmt: skip
    return runs


def _fmt_ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def _print_header(quick: bool) -> None:
    import numba
    import numpy as np
    import scipy

    import _cases
    import fastgs
    from fastgs._machine import cpu_model

    print(f"# fastgs {fastgs.__version__} benchmark report{' (--quick)' if quick else ''}\n")
    print(f"- Python {platform.python_version()}, NumPy {np.__version__}, SciPy "
          f"{scipy.__version__}, Numba {numba.__version__}; {platform.machine()}, "
          f"{os.cpu_count()} CPUs; single-threaded BLAS")  # fmt: skip
    print(f"- CPU: {cpu_model()}")
    print(f"- BLAS that ran: {_cases.blas_description()}")
    warning = _cases.openblas_env_warning()
    print(f"- {warning}" if warning else "- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: unset (good)")
    print("- times: min over repeats, fastgs and baseline interleaved in this process; "
          "ratio = fastgs / baseline")  # fmt: skip
    if quick:
        print("- --quick: smaller sizes (closer to cache-resident), few repeats; the targets "
              "are stated for the full sizes")  # fmt: skip
    print()


def _print_speed(rows) -> None:
    print("| case | fastgs ms | baseline ms | ratio | target | met? |")
    print("|---|---:|---:|---:|---|---|")
    for r in rows:
        print(f"| {r['case']} | {_fmt_ms(r['fastgs'])} | {_fmt_ms(r['baseline'])} | "
              f"{r['ratio']:.3f} | {r['target']} | {_yes(r['met'])} |")  # fmt: skip


def _print_memory(rows) -> None:
    how = "peak reset after creating X"
    if not all(r["reset"] for r in rows):
        how = "peak could not be reset"
    print("\nPeak memory of a fit (fresh process, peak RSS after the fit − after "
          f"creating X; {how}):\n")  # fmt: skip
    print("| case | X MB | extra peak MB | × X | target | met? |")
    print("|---|---:|---:|---:|---|---|")
    for r in rows:
        print(f"| {r['case']} | {r['x_mb']:.0f} | {r['extra_mb']:.1f} | {r['multiple']:.2f} | "
              f"{r['target']} | {_yes(r['met'])} |")  # fmt: skip


def _print_compile(c) -> None:
    print("\nNumba compile cost (fresh process; import fastgs, then a first dense float64 "
          "dglnn_path fit of 60x30, 50 iterations):\n")  # fmt: skip
    print("| on-disk cache | import s | first fit s | steady fit ms |")
    print("|---|---:|---:|---:|")
    labels = {"cold": "cold (empty NUMBA_CACHE_DIR)", "warm": "warm (the next process, same dir)"}
    for name, label in labels.items():
        m = c[name]
        print(f"| {label} | {m['import_s']:.2f} | {m['first_fit_s']:.2f} | "
              f"{m['steady_fit_s'] * 1e3:.3f} |")  # fmt: skip
    if c["sources_changed"]:
        print("\nNote: fastgs' sources changed during this measurement; rerun for clean numbers.")
    compile_s = c["cold"]["first_fit_s"] - c["warm"]["first_fit_s"]
    print(f"\nCompile cost ≈ {compile_s:.1f} s (cold − warm first fit).")


def _print_first_fit(runs, shape=FIRST_FIT_SHAPE) -> None:
    from statistics import median

    n, p = shape
    k = len(runs["lasso"])
    print(f"\nFirst fit in a fresh process (imports included; {n}x{p}, groups of 4; {k} runs "
          "each, interleaved; ratio = case / Lasso; CPU = this process's CPU time, steadier "
          "than wall time on a shared machine; compiled = functions Numba compiled in the "
          "fit, median). Plain rows: an empty NUMBA_CACHE_DIR, everything compiles at first "
          "use." + (" 'installed wheel': a wheel of this checkout, whose build compiles the "
                    "common first fits (setup.py), installed afresh per run." if "cv_installed"
                    in runs else "") + "\n")  # fmt: skip
    print("| case | wall s min | wall s median | CPU s min | CPU s median | import wall s "
          "(median) | compiled | ratio, wall (min, median) | ratio, CPU (min, median) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = {key: [r[key] for r in runs["lasso"]] for key in ("total_s", "cpu_s")}
    ratios = {}
    for name in runs:
        label = FIRST_FIT_CASES[name]
        cells = []
        for key in ("total_s", "cpu_s"):
            t = [r[key] for r in runs[name]]
            ratios[name, key] = (min(t) / min(base[key]), median(t) / median(base[key]))
            cells += [f"{min(t):.2f}", f"{median(t):.2f}"]
        imp = median(r["import_s"] for r in runs[name])
        compiled = median(r["compiled"] for r in runs[name])
        rw, rc = ratios[name, "total_s"], ratios[name, "cpu_s"]
        print(f"| {label} | {' | '.join(cells)} | {imp:.2f} | {compiled:g} | "
              f"{rw[0]:.1f}, {rw[1]:.1f} | {rc[0]:.1f}, {rc[1]:.1f} |")  # fmt: skip
    print()
    for name, how in (("cv", "empty cache"), ("cv_installed", "installed wheel")):
        if name not in runs:
            continue
        ratio = ratios[name, "total_s"][1]
        print(f"Target: `DGLNNRegressorCV` first fit ≤ {FIRST_FIT_TARGET:g}× Lasso's, {how}: "
              f"{'met' if ratio <= FIRST_FIT_TARGET else '**not met**'} ({ratio:.1f}×, median "
              f"wall times; CPU: {ratios[name, 'cpu_s'][1]:.1f}×).")  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--child-memory", nargs=4, metavar=("ORDER", "N", "P", "ITER"),
                        help=argparse.SUPPRESS)  # fmt: skip
    parser.add_argument("--first-fit-repeats", type=int, default=3,
                        help="fresh-process first fits of each case (default 3)")  # fmt: skip
    parser.add_argument("--only-first-fit", action="store_true",
                        help="only the first-fit section (with the header)")  # fmt: skip
    parser.add_argument("--first-fit-shape", nargs=2, type=int, metavar=("N", "P"),
                        default=FIRST_FIT_SHAPE,
                        help="the first fits' problem (default 60 40; e.g. 400 6000, several "
                        "row chunks)")  # fmt: skip
    parser.add_argument("--child-compile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-first-fit", choices=("lasso", "fit", "cv"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_first_fit:
        _child_first_fit(args.child_first_fit, args.first_fit_shape)
        return
    if args.child_memory:
        order, n, p, it = args.child_memory
        _child_memory(order, int(n), int(p), int(it))
        return
    if args.child_compile:
        _child_compile()
        return

    import scipy.sparse  # noqa: F401  (load every BLAS before limiting it)
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    if args.only_first_fit:
        _print_header(args.quick)
        shape = tuple(args.first_fit_shape)
        _print_first_fit(first_fit_rows(args.first_fit_repeats, shape), shape)
        print(f"\nReport took {time.perf_counter() - start:.0f} s.")
        return
    # fresh-process measurements first, while this process is small (see _child_memory)
    mem = memory_rows(args.quick)
    comp = compile_rows()
    shape = tuple(args.first_fit_shape)
    # a smoke run builds no wheel
    first = first_fit_rows(1 if args.quick else args.first_fit_repeats, shape, not args.quick)
    with threadpool_limits(limits=1):
        _print_header(args.quick)
        _print_speed(speed_rows(args.quick))
    _print_memory(mem)
    _print_compile(comp)
    _print_first_fit(first, shape)
    print(f"\nReport took {time.perf_counter() - start:.0f} s.")


if __name__ == "__main__":
    main()

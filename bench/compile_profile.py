"""Where a first fit's Numba compilation time goes, function by function.

Usage (from the repository root; an empty cache so that everything compiles)::

    NUMBA_CACHE_DIR=$(mktemp -d) python bench/compile_profile.py [fit|cv|path] [--top 25]
        [--shape N P] [--after-small]

Runs one first fit of a tiny problem (60 x 40, groups of 4; ``--shape`` for
another size, e.g. ``400 6000``, large enough for the sweeps' row chunks;
``--after-small``: a tiny fit first, outside the profile, so that the table
shows what the larger problem compiles on top) in this process
while listening to Numba's compile events (``numba.core.event``), and prints,
for every compiled (function, signature), the CPU time spent compiling it
without its callees ("own") and the part of that spent in LLVM (optimization and
machine code), largest first, then the totals.  The own times add up to the
whole compile time, so the table shows what a cut would save.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict

from numba.core import event


class _CompileProfile(event.Listener):
    """Own (exclusive) compile and LLVM time per compiled signature."""

    def __init__(self):
        self.stack = []  # [name, start, time in callees, llvm time]
        self.own = defaultdict(float)
        self.llvm = defaultdict(float)
        self.count = defaultdict(int)
        self._llvm_start = None
        self._llvm_depth = 0

    def on_start(self, ev):
        if ev.kind == "numba:compile":
            disp = ev.data["dispatcher"]
            name = getattr(disp, "py_func", disp).__qualname__
            args = ", ".join(str(a) for a in ev.data["args"])
            self.stack.append([f"{name}({args})", time.process_time(), 0.0, 0.0])
        elif ev.kind == "numba:llvm_lock":
            self._llvm_depth += 1
            if self._llvm_depth == 1:
                self._llvm_start = time.process_time()

    def on_end(self, ev):
        if ev.kind == "numba:compile":
            name, start, inner, llvm = self.stack.pop()
            total = time.process_time() - start
            self.own[name] += total - inner
            self.llvm[name] += llvm
            self.count[name] += 1
            if self.stack:
                self.stack[-1][2] += total
        elif ev.kind == "numba:llvm_lock":
            self._llvm_depth -= 1
            if self._llvm_depth == 0 and self.stack:
                self.stack[-1][3] += time.process_time() - self._llvm_start


def _workload(which: str, n: int = 60, p: int = 40):
    import numpy as np

    import fastgs

    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p))
    y = X[:, :4].sum(axis=1) + 0.1 * rng.standard_normal(n)
    # a larger problem runs a few passes: the same compile, a short run
    passes = {} if n * p < 1 << 20 else {"max_iter": 5}
    if which == "fit":
        return lambda: fastgs.DGLNNRegressor(groups=4, **passes).fit(X, y)
    if which == "cv":
        return lambda: fastgs.DGLNNRegressorCV(groups=4, **passes).fit(X, y)
    return lambda: fastgs.dglnn_path(X, y, 4, **{"max_iter": 50, **passes})


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("which", nargs="?", default="cv", choices=["fit", "cv", "path"])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--shape", type=int, nargs=2, default=(60, 40), metavar=("N", "P"))
    parser.add_argument("--after-small", action="store_true",
                        help="fit a 60 x 40 problem first, outside the profile")  # fmt: skip
    args = parser.parse_args(argv)
    prof = _CompileProfile()
    w0 = time.perf_counter()
    t0 = time.process_time()
    fit = _workload(args.which, *args.shape)
    t1 = time.process_time()
    import_time = t1 - t0
    if args.after_small:
        _workload(args.which)()
        print(f"the 60 x 40 {args.which} first, outside the profile: "
              f"{time.process_time() - t1:.2f} s of CPU")  # fmt: skip
        w0 = time.perf_counter()
        t1 = time.process_time()
    with event.install_listener("numba:compile", prof), event.install_listener("numba:llvm_lock", prof):
        fit()
    t2 = time.process_time()
    wall = time.perf_counter() - w0
    rows = sorted(prof.own, key=prof.own.get, reverse=True)
    print(f"CPU time of this process (a shared machine's load barely changes it): import "
          f"{import_time:.2f} s, first {args.which} {t2 - t1:.2f} s (wall, both: {wall:.2f} s); "
          f"{len(rows)} signatures compiled\n")  # fmt: skip
    print("| own s | LLVM s | n | function(signature) |")
    print("|---:|---:|---:|---|")
    for name in rows[: args.top]:
        label = name if len(name) <= 110 else name[:107] + "..."
        print(f"| {prof.own[name]:.2f} | {prof.llvm[name]:.2f} | {prof.count[name]} | `{label}` |")
    own, llvm = sum(prof.own.values()), sum(prof.llvm.values())
    print(f"\ncompile total {own:.2f} s, of which LLVM {llvm:.2f} s; "
          f"outside compilation {t2 - t1 - own:.2f} s")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

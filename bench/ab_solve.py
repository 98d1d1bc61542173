"""Two fastgs trees' cross-validation solvers on the same state, in one process.

Usage (from the repository root)::

    python bench/ab_solve.py --baseline HEAD~1 [--case c] [--passes 10] [--rounds 41]

The machine fastgs is measured on is shared, and its speed moves by 1.5x
between runs of the same code (docs/performance.rst, 'Cross-validation
cost'): two separate runs cannot resolve a change of a few percent.  This
script compares two trees in one process instead.  The baseline revision's
``fastgs/`` is extracted (``git archive``) into a temporary directory as the
package ``fastgs_baseline``; the arguments of the working tree's
:func:`fastgs.solvers.dglnn_cv_solve` are captured during a
``DGLNNRegressorCV`` fit of a case of ``bench/compare.py`` (5 folds, the fast
schedule, ``max_iter=passes``: its first passes); then both trees' compiled
solvers run on copies of that state, alternating, ``rounds`` times.

Prints the CPU, whether the two give the same bits (every array argument
and the returned tuple), and the per-round time ratio working tree /
baseline: median and quartiles, with each tree's minimum ms per pass.  The
baseline's first call compiles it (its cache lives in the temporary
directory).  Both solvers must take the same arguments; a change of
signature ends the script with a message.  ``--baseline HEAD`` on a clean
tree (the same code twice) shows the spread of the ratio on the machine.
"""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fastgs  # noqa: E402
import fastgs.path  # noqa: E402
from fastgs._machine import cpu_model  # noqa: E402

from compare import make_case_b, make_case_c  # noqa: E402

CASES = {"b": make_case_b, "c": make_case_c}


def extract_baseline(revision: str, into: Path):
    """The ``fastgs`` package of ``revision``, imported as ``fastgs_baseline``."""
    done = subprocess.run(["git", "-C", str(HERE.parent), "archive", revision, "fastgs"],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"--baseline {revision!r}: git archive failed: {done.stderr.decode().strip()}")
    archive = done.stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    (into / "fastgs").rename(into / "fastgs_baseline")
    sys.path.insert(0, str(into))
    import fastgs_baseline.solvers

    return fastgs_baseline.solvers.dglnn_cv_solve


def captured_arguments(data, passes: int) -> list:
    """The arguments of the working tree's dglnn_cv_solve in a fit of ``passes`` passes."""
    solvers = fastgs.path.solvers
    solve = solvers.dglnn_cv_solve
    seen = []

    def capture(*args):
        seen.append([a.copy() if isinstance(a, np.ndarray) else a for a in args])
        return solve(*args)

    solvers.dglnn_cv_solve = capture
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the cap binds on purpose
            est = fastgs.DGLNNRegressorCV(groups=data.group_size, cv=data.kfold, schedule="fast",
                                          max_iter=passes)  # fmt: skip
            est.fit(data.X, data.y)
    finally:
        solvers.dglnn_cv_solve = solve
    return seen[0]


def _copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _same_bits(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same_bits(x, y) for x, y in zip(a, b))
    return a == b


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, help="git revision to compare the working tree with")
    ap.add_argument("--case", choices=sorted(CASES), default="c", help="case of bench/compare.py")
    ap.add_argument("--passes", type=int, default=10, help="passes of each solve (max_iter)")
    ap.add_argument("--rounds", type=int, default=41, help="alternating rounds")
    args = ap.parse_args(argv)
    if args.passes < 1 or args.rounds < 1:
        ap.error("--passes and --rounds must be at least 1")

    print(f"CPU: {cpu_model()}; working tree against {args.baseline}, case ({args.case}), "
          f"{args.passes} passes, {args.rounds} rounds", flush=True)  # fmt: skip
    work_solve = fastgs.path.solvers.dglnn_cv_solve
    with tempfile.TemporaryDirectory() as tmp:
        base_solve = extract_baseline(args.baseline, Path(tmp))
        data = CASES[args.case](0, False)
        names = list(inspect.signature(work_solve.py_func).parameters)
        base_names = list(inspect.signature(base_solve.py_func).parameters)
        if names != base_names:
            sys.exit(f"dglnn_cv_solve's arguments differ between the trees:\n  working: {names}\n"
                     f"  {args.baseline}: {base_names}")  # fmt: skip
        state = captured_arguments(data, args.passes)

        t = time.perf_counter()
        a, b = _copies(state), _copies(state)
        ra, rb = work_solve(*a), base_solve(*b)
        print(f"first calls (the baseline compiles): {time.perf_counter() - t:.1f} s")
        differ = [n for n, x, y in zip(names, a, b) if isinstance(x, np.ndarray) and not _same_bits(x, y)]
        if not _same_bits(tuple(ra), tuple(rb)):
            differ.append("returned values")
        print("same bits" if not differ else "bits differ in: " + ", ".join(differ))

        ratios, work_best, base_best = [], np.inf, np.inf
        for _ in range(args.rounds):
            a = _copies(state)
            t = time.perf_counter()
            work_solve(*a)
            tw = time.perf_counter() - t
            b = _copies(state)
            t = time.perf_counter()
            base_solve(*b)
            tb = time.perf_counter() - t
            ratios.append(tw / tb)
            work_best, base_best = min(work_best, tw), min(base_best, tb)
    ratios = np.array(ratios)
    per_pass = 1e3 / (args.passes + 1)  # the solve evaluates passes + 1 iterates
    print(f"working / baseline per round: median {np.median(ratios):.3f}, quartiles "
          f"{np.quantile(ratios, 0.25):.3f}-{np.quantile(ratios, 0.75):.3f}; minimum ms per pass: "
          f"working {work_best * per_pass:.1f}, baseline {base_best * per_pass:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()

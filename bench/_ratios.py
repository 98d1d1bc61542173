"""Registry of min times of the pytest-benchmark comparisons (same process).

Shared by ``bench/test_speed.py`` (which records) and ``bench/conftest.py``
(which prints the ratio table at the end of the session).
"""

from __future__ import annotations

import _cases

#: case name -> {"baseline": seconds, "fastgs": seconds, "target": str, "kind": str}
RESULTS: dict[str, dict] = {}
#: the BLAS description taken while the session's thread limit was active
SESSION = {"blas": None}


def session_blas() -> str:
    return SESSION["blas"] or _cases.blas_description()


def record(benchmark, case_name: str, impl: str, kind: str, target: float) -> None:
    """Keep the min time of one side; attach the ratio to the fastgs side.

    ``kind`` is "ratio" (fastgs/baseline must be <= target) or "speedup"
    (baseline/fastgs must be >= target).
    """
    stats = getattr(benchmark, "stats", None)
    if stats is None:  # --benchmark-disable
        return
    entry = RESULTS.setdefault(case_name, {"kind": kind, "target": target})
    entry[impl] = stats.stats.min
    if "baseline" in entry and "fastgs" in entry:
        ratio = entry["fastgs"] / entry["baseline"]
        benchmark.extra_info.update(
            ratio=ratio,
            speedup=1.0 / ratio,
            target=target_text(kind, target),
            met=met(kind, target, ratio),
            blas=session_blas(),
        )
        print(f"\n{case_name}: fastgs/baseline = {ratio:.3f} (target {target_text(kind, target)})")


def target_text(kind, target):
    return f"ratio <= {target:g}" if kind == "ratio" else f"speed-up >= {target:g}x"


def met(kind, target, ratio):
    return ratio <= target if kind == "ratio" else 1.0 / ratio >= target

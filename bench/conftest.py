"""pytest configuration for ``bench/test_speed.py`` (pytest-benchmark).

- BLAS runs single-threaded for the whole session (``threadpool_limits(1)``):
  the speed targets are single-thread targets, and fastgs' kernels are serial.
- The BLAS library and kernel that ran, and the OpenBLAS variables that slow
  NumPy when set, go into pytest-benchmark's machine info (``--benchmark-json``)
  and into the terminal summary.
- The terminal summary prints, for each comparison, the ratio
  ``fastgs min time / baseline min time`` and the target it is reported
  against.  Nothing about time is asserted.
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (load BLAS before limiting it)
import pytest
import scipy.sparse  # noqa: F401
from threadpoolctl import threadpool_limits

import _cases
from _ratios import RESULTS, SESSION, met, session_blas, target_text


@pytest.fixture(scope="session", autouse=True)
def single_threaded_blas():
    with threadpool_limits(limits=1):
        SESSION["blas"] = _cases.blas_description()
        yield


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["blas"] = session_blas()
    machine_info["openblas_env_warning"] = _cases.openblas_env_warning()


def pytest_terminal_summary(terminalreporter):
    done = {k: v for k, v in RESULTS.items() if "baseline" in v and "fastgs" in v}
    if not done:
        return
    tr = terminalreporter
    tr.section("fastgs vs baseline (min times, same process)")
    tr.write_line(f"BLAS: {session_blas()}")
    warning = _cases.openblas_env_warning()
    if warning:
        tr.write_line(warning)
    header = f"{'case':<52} {'fastgs ms':>10} {'base ms':>10} {'ratio':>7} {'speed-up':>9}"
    tr.write_line(header + "  target")
    for name, e in done.items():
        ratio = e["fastgs"] / e["baseline"]
        status = "met" if met(e["kind"], e["target"], ratio) else "NOT met"
        tr.write_line(
            f"{name:<52} {e['fastgs'] * 1e3:>10.2f} {e['baseline'] * 1e3:>10.2f} "
            f"{ratio:>7.3f} {1 / ratio:>8.1f}x  {target_text(e['kind'], e['target'])} ({status})"
        )

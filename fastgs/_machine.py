"""The machine a measurement ran on: every benchmark table names its CPU."""

from __future__ import annotations

import os
import platform

__all__ = ["cpu_model"]


def cpu_model() -> str:
    """The CPU's model name and its number of logical CPUs, e.g.
    ``"Intel(R) Xeon(R) Processor (2 logical CPUs)"``.

    Read from ``/proc/cpuinfo`` on Linux, else Python's ``platform`` guess.

    Returns
    -------
    str
    """
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            return f"{names[0]} ({len(names)} logical CPUs)"
    except OSError:
        pass
    return f"{platform.processor() or 'unknown CPU'} ({os.cpu_count()} logical CPUs)"

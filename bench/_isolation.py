"""Helpers shared by the benchmark scripts that fit each method in a child process
(``bench/compare.py``, ``bench/glm_compare.py``): memory readings and caps,
table-safe error messages, and the environment line of a results file."""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

from fastgs._machine import cpu_model


def rss_mb(key: str = "VmRSS") -> float:
    """This process's resident set size (``VmRSS``) or its peak (``VmHWM``), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (a forked child inherits the parent's peak)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def cap_address_space(extra_gb: float) -> None:
    """Cap this process's address space at its current size plus ``extra_gb`` GiB,
    so a library that densifies a large sparse X fails with a MemoryError
    instead of swapping."""
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    limit = vm + int(extra_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def one_line(message: str, limit: int = 160) -> str:
    """An error message fit for a table cell."""
    text = " ".join(message.split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def environment_line(packages) -> str:
    """The fastgs commit (and whether fastgs/ has uncommitted changes), the
    versions of ``packages`` and the CPU model, for a results file."""
    import importlib.metadata as md

    vers = []
    for pkg in packages:
        try:
            vers.append(f"{pkg} {md.version(pkg)}")
        except md.PackageNotFoundError:
            vers.append(f"{pkg} (not installed)")
    try:
        root = Path(__file__).resolve().parent.parent
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "fastgs"],
                               capture_output=True, text=True, check=True).stdout.strip()
        vers.insert(0, f"fastgs tree {head}{' + uncommitted changes' if dirty else ''}")
    except (OSError, subprocess.CalledProcessError):
        pass
    return ", ".join(vers) + f"; CPU: {cpu_model()}"

"""The package layout's contract: moved names keep working (with a DeprecationWarning), one version."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import fastgs

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "old_module, name, new_module",
    [
        ("fastgs.datasets", "paper_setting", "fastgs.paper.settings"),
        ("fastgs.datasets", "PAPER_SETTINGS", "fastgs.paper.settings"),
        ("fastgs.plotting", "plot_experiment", "fastgs.paper.figures"),
    ],
)
def test_moved_names_warn_and_resolve_to_the_new_home(old_module, name, new_module):
    old = importlib.import_module(old_module)
    with pytest.warns(DeprecationWarning, match=new_module):
        value = getattr(old, name)
    assert value is getattr(importlib.import_module(new_module), name)


def test_experiments_shim_warns_and_reexports():
    sys.modules.pop("fastgs.experiments", None)
    with pytest.warns(DeprecationWarning, match="fastgs.paper.experiments"):
        old = importlib.import_module("fastgs.experiments")
    from fastgs.paper import experiments

    assert old.reproduce is experiments.reproduce
    assert old.ExperimentResult is experiments.ExperimentResult
    # names outside __all__ are reached too
    assert old.SEEDS is experiments.SEEDS


def test_unknown_names_still_raise_attribute_error():
    import fastgs.datasets
    import fastgs.plotting

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fastgs.datasets.nope  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fastgs.plotting.nope  # noqa: B018


def test_cross_validation_kernels_are_still_reachable_from_fastgs_kernels():
    from fastgs import cv_kernels, kernels

    for name in cv_kernels.__all__:
        assert getattr(kernels, name) is getattr(cv_kernels, name)


def test_one_version_number():
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "fastgs.__version__"}
    from importlib.metadata import version

    assert version("fastgs") == fastgs.__version__

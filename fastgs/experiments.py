"""Deprecated alias of :mod:`fastgs.paper.experiments`."""

import warnings

from .paper import experiments as _experiments
from .paper.experiments import *  # noqa: F403
from .paper.experiments import __all__  # noqa: F401

warnings.warn(
    "fastgs.experiments moved to fastgs.paper.experiments; "
    "the old name will be removed in a future release.",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name):
    return getattr(_experiments, name)

"""fastgs: group-sparse linear models and GLMs by implicit regularization.

Gradient descent on the diagonally grouped linear network ``w_l = u_l^2 v_l``
(Li, Nguyen, Hegde, Wong, ICLR 2023), stopped early, with whole iteration
loops compiled by Numba.

Main entry points: the estimators (:class:`DGLNNRegressor`, :class:`DGLNNClassifier`
and their CV versions), :func:`dglnn_path`, :func:`dlnn_path`, :func:`make_groups`;
kernels for your own Numba code live in :mod:`fastgs.kernels`.
"""

from .groups import Groups, make_groups
from .path import dglnn_cv_path, dglnn_path, dlnn_path
from .results import (
    ConvergenceWarning,
    DGLNNCVPath,
    DGLNNPath,
    DivergenceWarning,
    DLNNPath,
    ScaleWarning,
    Status,
)
from .selection import select_groups

__version__ = "0.1.0"

__all__ = [
    "DGLNNClassifier",
    "DGLNNClassifierCV",
    "DGLNNRegressor",
    "DGLNNRegressorCV",
    "DLNNRegressor",
    "Groups",
    "make_groups",
    "select_groups",
    "dglnn_path",
    "dglnn_cv_path",
    "dlnn_path",
    "DGLNNPath",
    "DGLNNCVPath",
    "DLNNPath",
    "Status",
    "ConvergenceWarning",
    "DivergenceWarning",
    "ScaleWarning",
    "__version__",
]

# the estimators import scikit-learn, which is slow to import: loaded on first use, so that
# `import fastgs` for the path functions and kernels stays fast
_ESTIMATORS = ("DGLNNClassifier", "DGLNNClassifierCV", "DGLNNRegressor", "DGLNNRegressorCV",
               "DLNNRegressor")


def __getattr__(name):
    if name in _ESTIMATORS:
        from . import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'fastgs' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS))

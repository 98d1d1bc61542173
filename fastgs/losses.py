"""The losses fastgs fits: one row's residual and loss, for every sweep over X.

A loss enters the compiled sweeps only through :func:`row_residual_loss`:
given a row's target ``y``, its dot product ``s = x_i . w`` and the model's
offset ``c`` (intercept and centering), it returns the residual
``y - mu(s + c)`` that the gradient sums and the row's half deviance
(docs/method.rst, 'Losses beyond least squares').  The sweeps apply it to
each row as the row's dot product is known, so the link function costs one
``exp`` per row inside the sweep, never a separate pass.

Every loss is the (weighted) mean *half deviance*, zero for a perfect fit:

=================  ======================  =============================================
loss               mean ``mu(eta)``        half deviance of one row
=================  ======================  =============================================
``squared_error``  ``eta``                 ``(y - eta)^2 / 2``
``log_loss``       ``1 / (1 + e^-eta)``    ``log(1 + e^eta) - y eta`` (y in [0, 1];
                                           plus ``y log y + (1-y) log(1-y)``)
``poisson``        ``e^eta``               ``e^eta - y eta + y log y - y``
=================  ======================  =============================================

The gradient of the mean half deviance with respect to the weights is
``-X^T (y - mu) / n`` for all three (canonical links), so the solvers are
the same for every loss.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit

__all__ = [
    "SQUARED_ERROR",
    "LOG_LOSS",
    "POISSON",
    "LOSSES",
    "loss_code",
    "row_residual_loss",
    "curvature_bound",
    "null_intercept",
]

SQUARED_ERROR = 0
LOG_LOSS = 1
POISSON = 2

#: The loss names fastgs accepts (scikit-learn's names) and their codes.
LOSSES = {"squared_error": SQUARED_ERROR, "log_loss": LOG_LOSS, "poisson": POISSON}


def loss_code(loss, name: str = "loss") -> int:
    """The code of a loss name, or a ValueError naming the argument."""
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"{name} must be one of {sorted(LOSSES)}, got {loss!r}.")
    return LOSSES[loss]


@jit
def _xlogx(x):
    return x * math.log(x) if x > 0 else 0.0


@jit
def row_residual_loss(loss, y, s, offset):
    """Residual and half deviance of one row.

    Parameters
    ----------
    loss : int
        SQUARED_ERROR, LOG_LOSS or POISSON.
    y : float
        The row's target (for LOG_LOSS in [0, 1], for POISSON >= 0).
    s : float
        The row's dot product ``x_i . w``.
    offset : float
        Added to ``s``: the linear predictor is ``eta = s + offset``.

    Returns
    -------
    (residual, loss) : (float, float)
        ``y - mu(eta)`` and the row's half deviance.  For the squared error
        the residual is computed as ``(y - s) - offset``.
    """
    if loss == SQUARED_ERROR:
        r = (y - s) - offset
        return r, 0.5 * r * r
    eta = s + offset
    if loss == LOG_LOSS:
        # log(1 + e^eta) and the sigmoid without overflow on either side
        if eta > 0:
            e = math.exp(-eta)
            mu = 1.0 / (1.0 + e)
            softplus = eta + math.log1p(e)
        else:
            e = math.exp(eta)
            mu = e / (1.0 + e)
            softplus = math.log1p(e)
        dev = softplus - y * eta
        if y > 0 and y < 1:
            dev += _xlogx(y) + _xlogx(1.0 - y)
        return y - mu, dev
    # POISSON; an overflowing exp gives inf, which the solvers treat as divergence
    mu = math.exp(eta)
    dev = mu - y * eta
    if y > 0:
        dev += y * math.log(y) - y
    return y - mu, dev


@jit
def intercept_step(loss, residual_sum, weight_sum, target_sum):
    """The change of a GLM's intercept after a sweep (docs/method.rst,
    'Losses beyond least squares').

    POISSON: the exact minimizer over the intercept given the rest of the
    model, ``log(sum y / sum mu)``; LOG_LOSS: a gradient step with the
    inverse of the loss's largest curvature (1/4), which cannot overshoot.
    ``residual_sum = sum s_i (y_i - mu_i)``, ``target_sum = sum s_i y_i``.
    SQUARED_ERROR: the mean residual (zero for centered data).
    """
    if loss == POISSON:
        fitted = target_sum - residual_sum
        if fitted > 0 and target_sum > 0:
            return math.log(target_sum / fitted)
        return 0.0
    if loss == LOG_LOSS:
        return 4.0 * residual_sum / weight_sum
    return residual_sum / weight_sum


def curvature_bound(loss: int, null_mean: float) -> float:
    """The curvature the gradient is divided by, so that steps tuned for
    least squares on standardized columns fit every loss (docs/method.rst,
    'Losses beyond least squares'): 1 for the squared error, the largest
    curvature of the logistic loss (1/4), and for Poisson the curvature of
    the null model, its mean ``null_mean``."""
    if loss == LOG_LOSS:
        return 0.25
    if loss == POISSON:
        return float(null_mean)
    return 1.0


def null_intercept(loss: int, null_mean: float) -> float:
    """The linear predictor of the model with only an intercept: the link of
    the weighted mean target (0 for the squared error, whose data are centered)."""
    if loss == LOG_LOSS:
        return float(np.log(null_mean) - np.log1p(-null_mean))
    if loss == POISSON:
        return float(np.log(null_mean))
    return 0.0

"""Which groups a gradient-descent fit selected: the largest gap in log-magnitude.

Gradient descent never sets a group exactly to zero.  Started at the tiny
magnitude ``alpha^2``, a group's magnitude grows geometrically at a rate set
by its correlation with the residual: the groups that carry the signal grow
by many orders of magnitude and then level off near the size of their
coefficients, while the others are still climbing from the start when the
fit stops.  On a log scale the selected groups are therefore the top cluster,
set apart from the rest by a gap; :func:`select_groups` cuts at the largest
such gap near the top.  The measurements behind the rule and its two
constants are in the documentation page ``docs/selection.rst``.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

__all__ = ["MIN_GAP_DECADES", "SEARCH_FRACTION", "select_groups"]

#: a cut needs a gap of at least this many decades (a factor 10**0.2 ~ 1.6)
MIN_GAP_DECADES = 0.2

#: the cut is searched in this top fraction of the log-distance from the
#: dormant reference (the start magnitude, or the smallest magnitude) up to
#: the largest magnitude
SEARCH_FRACTION = 0.15


def select_groups(
    magnitudes, *, start=None, min_gap=MIN_GAP_DECADES, search_fraction=SEARCH_FRACTION
):
    """Indices of the grown groups: those above the largest log-magnitude gap near the top.

    Sort the log10-magnitudes in decreasing order and look at the gaps
    between neighbours whose upper member lies in the top
    ``search_fraction`` of the log-distance from the dormant reference to the
    largest magnitude.  The widest of these gaps, if it spans at least
    ``min_gap`` decades, separates the grown groups (above it) from the
    dormant ones.  The dormant reference is ``start`` (the magnitude every
    group started from) when given, else the smallest magnitude.

    Edge cases follow from the same rule: with ``start`` given, groups that
    all grew far above it are all selected (the gap down to ``start`` is the
    widest), and groups that all stayed within ``min_gap`` decades of it are
    none selected.  Without ``start``, magnitudes that are all alike (no gap of
    ``min_gap`` decades near the top) select nothing, since nothing tells
    grown from dormant.

    Parameters
    ----------
    magnitudes : array-like of shape (n_groups,)
        Nonnegative group magnitudes, e.g. ``u_ ** 2`` of a weight-normalized
        DGLNN fit (``||w_l|| = u_l^2``) or the group norms of the
        coefficients.  Zeros are never selected and do not enter the gaps.
    start : float > 0 or None, default None
        The magnitude the groups started from (``alpha ** 2`` for DGLNN's
        ``u_l(0) = alpha``).  Improves the cases where all or none of the
        groups grew.
    min_gap : float > 0, default 0.2
        Smallest gap, in decades (powers of 10), that separates grown from
        dormant groups.
    search_fraction : float in (0, 1], default 0.15
        Top share of the log-range in which the gap is searched: the groups
        carrying a signal sit near the largest magnitude, while the dormant
        ones spread over the whole range below.

    Returns
    -------
    selected : ndarray of int64, shape (n_selected,)
        Indices into ``magnitudes`` of the selected groups, in increasing order.

    Examples
    --------
    >>> from fastgs import select_groups
    >>> select_groups([2.0, 1e-7, 0.8, 3e-9, 1e-4], start=1e-12)
    array([0, 2])
    """
    mags = np.asarray(magnitudes, dtype=np.float64)
    if mags.ndim != 1:
        raise ValueError(f"magnitudes must be one-dimensional, got shape {mags.shape}.")
    if not np.all(np.isfinite(mags)) or np.any(mags < 0):
        raise ValueError("magnitudes must be finite and nonnegative.")
    if start is not None and not (isinstance(start, Real) and np.isfinite(start) and start > 0):
        raise ValueError(f"start must be a positive finite number or None, got {start!r}.")
    if not (isinstance(min_gap, Real) and min_gap > 0):
        raise ValueError(f"min_gap must be a positive number of decades, got {min_gap!r}.")
    if not (isinstance(search_fraction, Real) and 0 < search_fraction <= 1):
        raise ValueError(f"search_fraction must be in (0, 1], got {search_fraction!r}.")
    if mags.size == 0 or not np.any(mags > 0):
        return np.empty(0, dtype=np.int64)
    with np.errstate(divide="ignore"):
        logs = np.log10(mags)  # zeros: -inf, below every cut
    ordered = np.sort(logs[mags > 0])[::-1]
    if start is not None:
        # the start is the dormant level: a gap down to it counts like any other
        ordered = np.append(ordered, min(np.log10(start), ordered[-1]))
    top, floor = ordered[0], ordered[-1]
    lowest_upper = top - search_fraction * (top - floor)
    gaps = ordered[:-1] - ordered[1:]
    eligible = (ordered[:-1] >= lowest_upper) & (gaps >= min_gap)
    if not np.any(eligible):
        return np.empty(0, dtype=np.int64)
    cut = int(np.argmax(np.where(eligible, gaps, -np.inf)))
    return np.flatnonzero(logs >= ordered[cut]).astype(np.int64)


def _fitted_group_selection(coef, u, groups, alpha, weight_normalized):
    """(selected_groups_, support_) of a DGLNN fit, from its iterate on the
    fit's (standardized) scale: ``u`` and ``coef * x_scale``.

    Weight-normalized algorithms keep ``||v_l|| = 1``, so ``||w_l|| = u_l^2``
    and the start is ``alpha^2``; plain gradient descent (``algorithm="gd"``)
    starts from ``||v_l|| = alpha / sqrt(2)``, so its magnitudes are the group
    norms of ``coef`` and its start is ``alpha^3 / sqrt(2)``.
    """
    if weight_normalized and u is not None:
        magnitudes, start = np.asarray(u, dtype=np.float64) ** 2, float(alpha) ** 2
    else:
        # a multinomial coef (p, K): a feature's weights for every class
        per_feature = np.asarray(coef, np.float64) ** 2
        if per_feature.ndim == 2:
            per_feature = per_feature.sum(axis=1)
        squares = np.bincount(groups.feature_group, weights=per_feature, minlength=groups.n_groups)
        magnitudes, start = np.sqrt(squares), float(alpha) ** 3 / np.sqrt(2.0)
    selected = select_groups(magnitudes, start=start)
    return selected, np.isin(groups.feature_group, selected)


def _fitted_feature_support(coef, alpha, depth):
    """support_ of a DLNN fit (``w = a^N - b^N``, ``a(0) = b(0) = alpha``): the
    rule of :func:`select_groups` on ``|w_i|``, each feature its own group,
    with ``alpha^N`` as the dormant level."""
    support = np.zeros(np.shape(coef)[0], dtype=bool)
    support[select_groups(np.abs(np.asarray(coef, np.float64)), start=float(alpha) ** depth)] = True
    return support

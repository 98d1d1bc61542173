"""Simulated group-sparse regression data (the designs of the paper's Section 5).

The paper's own settings (``paper_setting``, ``PAPER_SETTINGS``) live in
:mod:`fastgs.paper.settings`.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_scalar
from .groups import Groups, make_groups

__all__ = ["make_group_sparse_regression"]



def make_group_sparse_regression(
    n_samples=150,
    n_features=300,
    *,
    group_size=3,
    n_informative_groups=3,
    coef=10.0,
    design="rademacher",
    noise=0.5,
    snr=None,
    shuffle_groups=False,
    random_state=None,
    dtype=np.float64,
):
    """Draw a regression problem ``y = X w* + noise`` with a group-sparse ``w*``.

    The design of the paper's simulations (Section 5 and the SNR appendix):
    i.i.d. Rademacher or Gaussian entries, contiguous groups of equal size
    (or shuffled ones), the first groups on the support.

    Parameters
    ----------
    n_samples : int >= 1, default=150
        Number of rows of X.
    n_features : int >= 1, default=300
        Number of columns of X.
    group_size : int >= 1, default=3
        Size of every group; must divide ``n_features``.
    n_informative_groups : int >= 0, default=3
        Number of groups on the support: the first ones, unless
        ``shuffle_groups``.
    coef : float or array-like of shape (group_size * n_informative_groups,), default=10.0
        The values of ``w*`` on its support (a float: the same value
        everywhere).
    design : {"rademacher", "gaussian"}, default="rademacher"
        Distribution of the entries of X.
    noise : float >= 0, default=0.5
        Standard deviation sigma of the Gaussian noise (ignored when ``snr``
        is given).
    snr : float > 0 or None, default=None
        If given, sigma is set so that ``||w*||^2 / sigma^2 = snr``, the
        signal-to-noise ratio of ``x^T w*`` for unit-variance features.
    shuffle_groups : bool, default=False
        Assign the features to groups in a random order (non-contiguous
        groups).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the draw.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Floating-point type of the returned arrays.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The design matrix.
    y : ndarray of shape (n_samples,)
        The targets.
    w_star : ndarray of shape (n_features,)
        The true coefficients.
    groups : Groups
        The groups.

    Raises
    ------
    ValueError
        For an invalid size, design or noise level, naming the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, groups = make_group_sparse_regression(
    ...     50, 12, group_size=4, n_informative_groups=1, coef=2.0, random_state=0)
    >>> X.shape, y.shape, groups
    ((50, 12), (50,), Groups(n_features=12, n_groups=3, size 4))
    >>> w_star
    array([2., 2., 2., 2., 0., 0., 0., 0., 0., 0., 0., 0.])
    >>> sorted(np.unique(X).tolist())
    [-1.0, 1.0]
    """
    n = check_scalar(n_samples, "n_samples", low=1, low_inclusive=True, integer=True)
    p = check_scalar(n_features, "n_features", low=1, low_inclusive=True, integer=True)
    size = check_scalar(group_size, "group_size", low=1, low_inclusive=True, integer=True)
    k = check_scalar(n_informative_groups, "n_informative_groups", low=0, low_inclusive=True, integer=True)
    if design not in ("rademacher", "gaussian"):
        raise ValueError(f"design must be 'rademacher' or 'gaussian', got {design!r}.")
    rng = np.random.default_rng(random_state)
    if shuffle_groups:
        perm = rng.permutation(p)
        labels = np.empty(p, dtype=np.int64)
        labels[perm] = np.arange(p) // size
        groups: Groups = make_groups(labels, p)
    else:
        groups = make_groups(size, p)
    if k > groups.n_groups:
        raise ValueError(f"n_informative_groups={k} exceeds the number of groups {groups.n_groups}.")
    support = np.concatenate([groups.indices(l) for l in range(k)]) if k else np.empty(0, int)
    values = np.broadcast_to(np.asarray(coef, dtype=np.float64), support.shape)
    w_star = np.zeros(p)
    w_star[support] = values
    if design == "rademacher":
        X = rng.choice(np.array([-1.0, 1.0]), size=(n, p))
    else:
        X = rng.standard_normal((n, p))
    if snr is not None:
        snr = check_scalar(snr, "snr", low=0.0)
        sigma = float(np.sqrt(w_star @ w_star / snr))
    else:
        sigma = check_scalar(noise, "noise", low=0.0, low_inclusive=True)
    y = X @ w_star + sigma * rng.standard_normal(n)
    return X.astype(dtype), y.astype(dtype), w_star.astype(dtype), groups


# the paper's settings moved to fastgs.paper.settings; the old names still work
_MOVED_TO_PAPER = ("PAPER_SETTINGS", "paper_setting")


def __getattr__(name):
    if name in _MOVED_TO_PAPER:
        import warnings

        from .paper import settings

        warnings.warn(
            f"fastgs.datasets.{name} moved to fastgs.paper.settings.{name}; "
            "the old name will be removed in a future release.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(settings, name)
    raise AttributeError(f"module 'fastgs.datasets' has no attribute {name!r}")

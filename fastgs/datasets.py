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
    """Draw ``y = X w* + noise`` with a group-sparse ``w*``.

    Parameters
    ----------
    n_samples, n_features : int
    group_size : int, size of the contiguous groups (must divide n_features)
    n_informative_groups : int, number of groups on the support (the first
        ones unless ``shuffle_groups``)
    coef : float or array of length ``group_size * n_informative_groups``,
        the values of ``w*`` on its support
    design : {"rademacher", "gaussian"}, distribution of the entries of X
    noise : float, standard deviation sigma of the Gaussian noise
    snr : float or None; if given, sigma is set so that
        ``||w*||^2 / sigma^2 = snr`` (the signal-to-noise ratio of
        ``x^T w*`` for unit-variance features) and ``noise`` is ignored
    shuffle_groups : bool, assign features to groups in a random order
        (non-contiguous groups)
    random_state : None, int or numpy Generator
    dtype : float64 or float32

    Returns
    -------
    X : (n_samples, n_features) ndarray
    y : (n_samples,) ndarray
    w_star : (n_features,) ndarray
    groups : fastgs.Groups
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

"""The simulation settings of the paper's Section 5 and its SNR appendix."""

from __future__ import annotations

import numpy as np

from ..datasets import make_group_sparse_regression

__all__ = ["PAPER_SETTINGS", "paper_setting"]

#: The paper's simulation settings (docs/method.rst, 'Reference results').
PAPER_SETTINGS = {
    "fig2": dict(n_samples=150, n_features=300, group_size=3, n_informative_groups=3,
                 coef=10.0, design="rademacher", noise=0.5),
    "fig3": dict(n_samples=150, n_features=300, group_size=3, n_informative_groups=3,
                 coef=np.linspace(5.0, 13.0, 9), design="rademacher", noise=0.5),
    "fig4": dict(n_samples=100, n_features=500, group_size=4, n_informative_groups=4,
                 coef=1.0, design="rademacher", noise=0.5),
    "fig5": dict(n_samples=80, n_features=200, group_size=1, n_informative_groups=5,
                 coef=np.array([1.0, -1.0, 1.0, -1.0, 1.0]), design="rademacher", noise=0.5),
    # the appendix's SNR comparison; vary the SNR with paper_setting("snr", ..., snr=5.0)
    "snr": dict(n_samples=150, n_features=300, group_size=4, n_informative_groups=3,
                coef=10.0, design="gaussian", snr=10.0),
}  # fmt: skip


def paper_setting(name: str, random_state=None, n_validation: int = 0, **overrides):
    """Data of one of the paper's simulation settings, plus an optional validation set.

    Parameters
    ----------
    name : {"fig2", "fig3", "fig4", "fig5", "snr"}
        The setting (``PAPER_SETTINGS``; docs/method.rst, 'Reference
        results'); no default.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the draw.
    n_validation : int >= 0, default=0
        Number of extra rows drawn from the same model as a validation set.
    **overrides : dict
        Replace entries of the setting (e.g. ``snr=5.0`` for "snr",
        ``n_samples=60`` for a smaller problem); the names are those of
        :func:`fastgs.datasets.make_group_sparse_regression`.  Default: none.

    Returns
    -------
    tuple
        ``(X, y, w_star, groups)``, or with ``n_validation > 0``
        ``(X, y, X_val, y_val, w_star, groups)``.

    Raises
    ------
    ValueError
        For an unknown setting or override.

    Examples
    --------
    >>> from fastgs.paper.settings import paper_setting
    >>> X, y, X_val, y_val, w_star, groups = paper_setting("fig4", 0, n_validation=100)
    >>> X.shape, X_val.shape, groups.n_groups, int((w_star != 0).sum())
    ((100, 500), (100, 500), 125, 16)
    """
    if name not in PAPER_SETTINGS:
        raise ValueError(f"unknown setting {name!r}; choose from {sorted(PAPER_SETTINGS)}.")
    spec = dict(PAPER_SETTINGS[name])
    unknown = set(overrides) - set(spec) - {"snr", "noise", "shuffle_groups", "dtype"}
    if unknown:
        raise ValueError(f"paper_setting: unknown override(s) {sorted(unknown)}.")
    spec.update(overrides)
    n = spec.pop("n_samples")
    X, y, w, groups = make_group_sparse_regression(n + n_validation, random_state=random_state, **spec)
    if n_validation:
        return X[:n], y[:n], X[n:], y[n:], w, groups
    return X, y, w, groups

"""Simulated group-sparse data: regression (the designs of the paper's
Section 5), binary and multiclass classification, and Poisson counts.

The paper's own settings (``paper_setting``, ``PAPER_SETTINGS``) live in
:mod:`fastgs.paper.settings`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._validation import check_scalar
from .groups import Groups, make_groups

__all__ = [
    "make_group_sparse_regression",
    "make_group_sparse_classification",
    "make_group_sparse_poisson",
]

#: standard deviation of the linear predictor x^T w* drawn by default for a
#: classification problem: for a Gaussian predictor eta the Bayes accuracy
#: E[sigmoid(|eta|)] is then about 0.87 and the Bayes log-loss about 0.29
CLASSIFICATION_PREDICTOR_STD = 4.0
#: the same for Poisson counts: with intercept 0 the mean count is about 1.6,
#: the largest of 2000 draws' means about exp(3.5) = 33, and the true model
#: explains about 60% of the deviance of the constant model
POISSON_PREDICTOR_STD = 1.0
#: a linear predictor above this (a mean count above ~5e8) is refused
POISSON_MAX_PREDICTOR = 20.0

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
    X = _draw_design(rng, n, p, design, None)
    if snr is not None:
        snr = check_scalar(snr, "snr", low=0.0)
        sigma = float(np.sqrt(w_star @ w_star / snr))
    else:
        sigma = check_scalar(noise, "noise", low=0.0, low_inclusive=True)
    y = X @ w_star + sigma * rng.standard_normal(n)
    return X.astype(dtype), y.astype(dtype), w_star.astype(dtype), groups


def _draw_design(rng, n, p, design, density):
    """X of shape (n, p): dense, or CSR with a fraction ``density`` of nonzeros.

    The entries (the nonzeros when sparse) are standard normal ("gaussian")
    or +-1 ("rademacher").
    """
    if density is None:
        if design == "rademacher":
            return rng.choice(np.array([-1.0, 1.0]), size=(n, p))
        return rng.standard_normal((n, p))
    if design == "rademacher":
        def values(k):
            return rng.choice(np.array([-1.0, 1.0]), size=k)
    else:
        values = rng.standard_normal
    # a Generator (not an int seed, which means a RandomState) lets scipy draw
    # the positions of the nonzeros in O(nnz) memory instead of O(n * p)
    return sp.random(n, p, density=density, format="csr", random_state=rng, data_rvs=values)


def _check_glm_arguments(n_samples, n_features, group_size, n_informative_groups, design,
                         density, dtype):
    """Validate the arguments shared by the GLM generators; return the ints and density."""
    n = check_scalar(n_samples, "n_samples", low=1, low_inclusive=True, integer=True)
    p = check_scalar(n_features, "n_features", low=1, low_inclusive=True, integer=True)
    size = check_scalar(group_size, "group_size", low=1, low_inclusive=True, integer=True)
    k = check_scalar(n_informative_groups, "n_informative_groups", low=0, low_inclusive=True,
                     integer=True)  # fmt: skip
    if p % size:
        raise ValueError(f"group_size={size} must divide n_features={p}.")
    if k > p // size:
        raise ValueError(
            f"n_informative_groups={k} exceeds the number of groups {p // size} "
            f"(n_features={p} / group_size={size})."
        )
    if design not in ("rademacher", "gaussian"):
        raise ValueError(f"design must be 'rademacher' or 'gaussian', got {design!r}.")
    if density is not None:
        density = check_scalar(density, "density", low=0.0, high=1.0)
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}.")
    return n, p, size, k, density


def _support_values(coef, n_support, n_outputs, target_std, density, rng):
    """The nonzero values of w*, shape (n_support, n_outputs).

    ``coef`` None: random signs, and the common magnitude that gives each
    column of the linear predictor ``X w*`` the standard deviation
    ``target_std`` (entries of X have variance 1, or ``density`` when X is
    sparse). A float: random signs with that magnitude. An array: the values.
    """
    shape = (n_support, n_outputs)
    if coef is None or np.ndim(coef) == 0:
        if coef is None:
            variance = 1.0 if density is None else density
            magnitude = target_std / np.sqrt(max(n_support, 1) * variance)
        else:
            magnitude = check_scalar(coef, "coef", low=0.0)
        return magnitude * rng.choice(np.array([-1.0, 1.0]), size=shape)
    values = np.asarray(coef, dtype=np.float64)
    if n_outputs == 1 and values.shape == (n_support,):
        values = values[:, None]
    if values.shape != shape:
        expected = f"({n_support},)" if n_outputs == 1 else f"({n_support}, {n_outputs})"
        raise ValueError(
            f"coef must be None, a float or an array of shape {expected} (one value per "
            f"feature of the informative groups{'' if n_outputs == 1 else ' and class'}), "
            f"got shape {values.shape}."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError("coef must be finite.")
    return values


def _check_intercept(intercept, n_outputs):
    """The intercept as an array of shape (n_outputs,)."""
    values = np.asarray(intercept, dtype=np.float64)
    if values.ndim == 0:
        values = np.full(n_outputs, float(values))
    if values.shape != (n_outputs,):
        raise ValueError(
            f"intercept must be a float or an array of shape ({n_outputs},), got shape "
            f"{values.shape}."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError("intercept must be finite.")
    return values


def _group_sparse_predictor(n, p, size, k, coef, intercept, n_outputs, design, density,
                            target_std, rng):
    """Draw X and w* (p, n_outputs) on the first ``k`` groups; return X, eta, w*, groups."""
    groups = make_groups(size, p)
    values = _support_values(coef, k * size, n_outputs, target_std, density, rng)
    w_star = np.zeros((p, n_outputs))
    w_star[: k * size] = values  # contiguous groups: the first k groups are the first k*size features
    X = _draw_design(rng, n, p, design, density)
    eta = np.asarray(X @ w_star) + intercept
    return X, eta, w_star, groups


def make_group_sparse_classification(
    n_samples=200,
    n_features=400,
    *,
    group_size=4,
    n_informative_groups=5,
    coef=None,
    n_classes=2,
    intercept=0.0,
    design="gaussian",
    density=None,
    random_state=None,
    dtype=np.float64,
):
    """Draw a classification problem from a logistic (or softmax) model with a
    group-sparse ``w*``.

    Binary: ``P(y = 1 | x) = sigmoid(x^T w* + b)``. Multiclass
    (``n_classes = K > 2``): ``P(y = c | x) = softmax(x^T W* + b)_c`` with
    ``W*`` of shape ``(n_features, K)`` whose rows are zero outside the
    informative groups, so a group is in or out for every class (the
    grouping glmnet calls "grouped multinomial").

    The groups are contiguous, of equal size; the informative ones are the
    first ``n_informative_groups``. By default (``coef=None``) every nonzero
    entry of ``w*`` has a random sign and the same magnitude, chosen so that
    the linear predictor ``x^T w*`` (each column of ``x^T W*``) has standard
    deviation 4 over the distribution of x: the binary problem then has a
    Bayes accuracy of about 0.87 and a Bayes log-loss of about 0.29 (for a
    Gaussian predictor), hard enough that the estimate matters and easy
    enough that it can be learned. With a sparse X only the rows that hold
    a nonzero in an informative group carry signal, so the Bayes accuracy is
    lower (the other rows are coin flips).

    Parameters
    ----------
    n_samples : int >= 1, default=200
        Number of rows of X.
    n_features : int >= 1, default=400
        Number of columns of X.
    group_size : int >= 1, default=4
        Size of every group; must divide ``n_features``.
    n_informative_groups : int >= 0, default=5
        Number of groups on the support (the first ones).
    coef : None, float > 0 or array-like, default=None
        The nonzero entries of ``w*``. None: random signs, magnitude set as
        above. A float: random signs, this magnitude. An array of shape
        ``(group_size * n_informative_groups,)`` (binary) or
        ``(group_size * n_informative_groups, n_classes)``: the values.
    n_classes : int >= 2, default=2
        Number of classes.
    intercept : float or array-like of shape (n_classes,), default=0.0
        The intercept ``b`` (binary: a float; multiclass: one per class or
        one float for all). A nonzero binary intercept unbalances the
        classes.
    design : {"gaussian", "rademacher"}, default="gaussian"
        Distribution of the entries of X (of its nonzeros when sparse):
        standard normal or +-1.
    density : float in (0, 1] or None, default=None
        None: a dense X. A float: X is a ``scipy.sparse`` CSR matrix with
        this fraction of nonzeros at random positions
        (``scipy.sparse.random``).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the draw.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Floating-point type of X and ``w_star``.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
        The design matrix.
    y : ndarray of int64 of shape (n_samples,)
        The labels ``0, ..., n_classes - 1``.
    w_star : ndarray of shape (n_features,) or (n_features, n_classes)
        The true coefficients (binary: a vector).
    groups : Groups
        The groups.

    Raises
    ------
    ValueError
        For an invalid size, design, density, coefficient or intercept,
        naming the argument.

    See Also
    --------
    make_group_sparse_regression : the squared-loss counterpart.
    make_group_sparse_poisson : Poisson counts.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs.datasets import make_group_sparse_classification
    >>> X, y, w_star, groups = make_group_sparse_classification(
    ...     300, 12, group_size=4, n_informative_groups=1, random_state=0)
    >>> X.shape, y.shape, groups
    ((300, 12), (300,), Groups(n_features=12, n_groups=3, size 4))
    >>> np.flatnonzero(w_star).tolist(), np.unique(np.abs(w_star[:4])).round(3).tolist()
    ([0, 1, 2, 3], [2.0])
    >>> np.unique(y).tolist()
    [0, 1]

    A sparse X, three classes:

    >>> X, y, W, _ = make_group_sparse_classification(
    ...     300, 12, group_size=4, n_informative_groups=1, n_classes=3, density=0.5,
    ...     random_state=0)
    >>> X.format, W.shape, np.unique(y).tolist()
    ('csr', (12, 3), [0, 1, 2])
    """
    n, p, size, k, density = _check_glm_arguments(n_samples, n_features, group_size,
                                                  n_informative_groups, design, density, dtype)  # fmt: skip
    n_classes = check_scalar(n_classes, "n_classes", low=2, low_inclusive=True, integer=True)
    n_outputs = 1 if n_classes == 2 else n_classes
    b = _check_intercept(intercept, n_outputs)
    rng = np.random.default_rng(random_state)
    X, eta, w_star, groups = _group_sparse_predictor(
        n, p, size, k, coef, b, n_outputs, design, density, CLASSIFICATION_PREDICTOR_STD, rng)
    if n_classes == 2:
        prob_one = 0.5 * (1.0 + np.tanh(0.5 * eta[:, 0]))  # sigmoid, without overflow
        y = (rng.random(n) < prob_one).astype(np.int64)
        w_star = w_star[:, 0]
    else:
        logits = eta - eta.max(axis=1, keepdims=True)
        prob = np.exp(logits)
        cumulative = np.cumsum(prob / prob.sum(axis=1, keepdims=True), axis=1)
        y = np.minimum((rng.random(n)[:, None] > cumulative).sum(axis=1), n_classes - 1)
        y = y.astype(np.int64)
    return X.astype(dtype), y, w_star.astype(dtype), groups


def make_group_sparse_poisson(
    n_samples=200,
    n_features=400,
    *,
    group_size=4,
    n_informative_groups=5,
    coef=None,
    intercept=0.0,
    design="gaussian",
    density=None,
    random_state=None,
    dtype=np.float64,
):
    """Draw Poisson counts ``y ~ Poisson(exp(x^T w* + b))`` with a group-sparse ``w*``.

    The groups are contiguous, of equal size; the informative ones are the
    first ``n_informative_groups``. By default (``coef=None``) every nonzero
    entry of ``w*`` has a random sign and the same magnitude, chosen so that
    the linear predictor ``x^T w*`` has standard deviation 1 over the
    distribution of x. With ``intercept=0`` the mean count is then about
    1.6, the largest mean among 2000 dense Gaussian rows about
    ``exp(3.5) = 33`` (``exp`` stays far from overflow, in the data and in
    any reasonable fit), and the true model explains about 60% of the
    deviance of the constant model: a learnable but noisy problem.

    Parameters
    ----------
    n_samples : int >= 1, default=200
        Number of rows of X.
    n_features : int >= 1, default=400
        Number of columns of X.
    group_size : int >= 1, default=4
        Size of every group; must divide ``n_features``.
    n_informative_groups : int >= 0, default=5
        Number of groups on the support (the first ones).
    coef : None, float > 0 or array-like of shape (group_size * n_informative_groups,), default=None
        The nonzero entries of ``w*``. None: random signs, magnitude set as
        above. A float: random signs, this magnitude. An array: the values.
    intercept : float, default=0.0
        The intercept ``b``: ``log`` of the mean count where ``x^T w* = 0``.
    design : {"gaussian", "rademacher"}, default="gaussian"
        Distribution of the entries of X (of its nonzeros when sparse):
        standard normal or +-1.
    density : float in (0, 1] or None, default=None
        None: a dense X. A float: X is a ``scipy.sparse`` CSR matrix with
        this fraction of nonzeros at random positions
        (``scipy.sparse.random``).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the draw.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Floating-point type of X, y and ``w_star``.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
        The design matrix.
    y : ndarray of shape (n_samples,)
        The counts (non-negative integers, stored as ``dtype``).
    w_star : ndarray of shape (n_features,)
        The true coefficients.
    groups : Groups
        The groups.

    Raises
    ------
    ValueError
        For an invalid size, design, density, coefficient or intercept,
        naming the argument, and when the drawn linear predictor exceeds
        20 somewhere (mean counts above ``exp(20)``; lower ``coef`` or
        ``intercept``).

    See Also
    --------
    make_group_sparse_regression : the squared-loss counterpart.
    make_group_sparse_classification : labels from a logistic model.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgs.datasets import make_group_sparse_poisson
    >>> X, y, w_star, groups = make_group_sparse_poisson(
    ...     500, 12, group_size=4, n_informative_groups=1, random_state=0)
    >>> X.shape, y.shape, groups
    ((500, 12), (500,), Groups(n_features=12, n_groups=3, size 4))
    >>> np.flatnonzero(w_star).tolist(), np.unique(np.abs(w_star[:4])).tolist()
    ([0, 1, 2, 3], [0.5])
    >>> bool(np.all(y == np.round(y))), bool(y.min() >= 0)
    (True, True)
    """
    n, p, size, k, density = _check_glm_arguments(n_samples, n_features, group_size,
                                                  n_informative_groups, design, density, dtype)  # fmt: skip
    b = _check_intercept(intercept, 1)
    rng = np.random.default_rng(random_state)
    X, eta, w_star, groups = _group_sparse_predictor(
        n, p, size, k, coef, b, 1, design, density, POISSON_PREDICTOR_STD, rng)
    eta = eta[:, 0]
    if eta.max() > POISSON_MAX_PREDICTOR:
        raise ValueError(
            f"coef and intercept give a linear predictor up to {eta.max():.3g} (mean counts up "
            f"to {np.exp(eta.max()):.3g}); lower coef or intercept so that it stays below "
            f"{POISSON_MAX_PREDICTOR:g}."
        )
    y = rng.poisson(np.exp(eta)).astype(dtype)
    return X.astype(dtype), y, w_star[:, 0].astype(dtype), groups


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

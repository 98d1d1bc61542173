"""scikit-learn estimators on top of the path functions (no numerics here).

``DGLNNRegressor`` and ``DLNNRegressor`` fit one path and stop it early on a
validation set (given, or split off the training data), then by default refit
on all the training data up to the chosen iteration.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, check_cv, train_test_split
from scipy.special import logsumexp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import check_sample_weight
from .groups import make_groups
from .path import dglnn_cv_path, dglnn_path, dlnn_path
from .run import DEFAULT_MAX_ITER, DEFAULT_TAU, DEFAULT_TOL, FAST_SKIP_FRACTION, FAST_STEP_CAP
from .results import ConvergenceWarning as PathConvergenceWarning
from .results import DivergenceWarning
from .selection import _fitted_feature_support, _fitted_group_selection

__all__ = [
    "DGLNNClassifier",
    "DGLNNClassifierCV",
    "DGLNNRegressor",
    "DGLNNRegressorCV",
    "DLNNRegressor",
]

#: record_every that keeps only iteration 0 and the last one
_ENDS_ONLY = 2**62

_SPARSE_FORMATS = ["csr", "csc", "coo", "bsr", "dia", "dok", "lil"]

#: the seed of the validation split and of the CV folds when ``random_state``
#: is None, so that the same data give the same model in every run
DEFAULT_RANDOM_STATE = 0


def _seed(random_state):
    """``random_state``, or the fixed :data:`DEFAULT_RANDOM_STATE` for None."""
    return DEFAULT_RANDOM_STATE if random_state is None else random_state


def _last(path):
    """(coef, intercept, u, n_iter) of a path's last recorded iterate."""
    u = path.u[-1] if hasattr(path, "u") else None
    return path.coefs[-1], path.intercepts[-1], u, path.iterations[-1]


def _first(path):
    """(coef, intercept, u, n_iter) of the starting point (iteration 0)."""
    u = path.u[0] if hasattr(path, "u") else None
    return path.coefs[0], path.intercepts[0], u, path.iterations[0]


def _best(path):
    """(coef, intercept, u, n_iter) of the validation-best iterate."""
    return path.best_coef, path.best_intercept, getattr(path, "best_u", None), path.best_iter


def _passes(path, iteration):
    """Passes over X after the start to reach ``iteration`` of ``path``: the
    index of that iterate in the path's loss curves (the fast schedule's
    analytically skipped start ``t0`` costs no pass)."""
    return int(iteration) - getattr(path, "t0", 0)


def _validated_training_data(estimator, X, y):
    """(X, y) checked by scikit-learn's ``validate_data`` (sets ``n_features_in_``):
    float64 or float32 X (sparse kept sparse, as CSR or CSC); a regressor's y
    in X's dtype, a classifier's labels as they are."""
    _reject_strings(X, "X")
    X = _sparse_to_csr(X)
    numeric = not is_classifier(estimator)
    X, y = validate_data(
        estimator, X, y, accept_sparse=_SPARSE_FORMATS, dtype=[np.float64, np.float32],
        y_numeric=numeric, multi_output=False,
    )  # fmt: skip
    return X, (y.astype(X.dtype, copy=False) if numeric else y)


def _check_weights(sample_weight, X, name: str):
    """Validated sample weights in X's dtype, or None (all ones)."""
    return check_sample_weight(sample_weight, X.shape[0], X.dtype, name)


def _sparse_to_csr(X):
    """COO/DOK/LIL/BSR/DIA -> CSR once (the one canonicalizing copy); CSR/CSC kept."""
    if sp.issparse(X) and X.format not in ("csr", "csc"):
        return X.tocsr()
    return X


def _reject_strings(X, name: str) -> None:
    """scikit-learn converts numeric strings silently when a float dtype is
    requested; fastgs refuses string data, as its path functions do."""
    if sp.issparse(X) or X is None:
        return
    arr = X if hasattr(X, "dtype") else np.asarray(X, dtype=object)
    if arr.dtype.kind in "USa" or (
        arr.dtype == object and any(isinstance(v, (str, bytes)) for v in np.ravel(arr)[:1000])
    ):
        raise TypeError(f"{name} contains strings; fastgs fits numeric data only (convert it first).")


class _EarlyStoppedModel(BaseEstimator):
    """Shared fit logic: validation split, one path, refit at the best iteration.

    Subclasses say which loss they fit (``_fit_loss``), how targets become
    the path's y (``_fit_target``) and how coefficients are stored
    (``_set_coef``); no numerics here."""

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "refit": ["boolean"],
        "fit_intercept": ["boolean"],
        "standardize": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 0, None, closed="left"), None],
        "tol": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
        "n_jobs": [Interval(Integral, -1, None, closed="left"), None],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # subclasses: _path(X, y, max_iter, X_val, y_val) -> path ; _store(path, index)

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model, choosing the stopping point on validation data.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse X is never densified.
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weights of the rows: the loss is their weighted mean, so integer
            weights fit as repeated rows would; zero weights are allowed,
            negative or non-finite ones are refused.  The validation split
            keeps each row's weight.
        X_val : {ndarray, sparse matrix} of shape (n_val, n_features) or None, default=None
            Validation data; without it (and with ``early_stopping=True``) a
            ``validation_fraction`` of the rows is held out.
        y_val : array-like of shape (n_val,) or None, default=None
            Validation targets (with ``X_val``).
        sample_weight_val : array-like of shape (n_val,) or None, default=None
            Weights of the validation rows (with ``X_val``).

        Returns
        -------
        self
            The fitted estimator.
        """
        self._validate_params()
        if self.n_jobs == 0:
            raise ValueError("n_jobs must be a positive integer, -1 or None; got 0.")
        X, y, X_val, y_val = self._check_fit_input(X, y, X_val, y_val)
        y = self._fit_target(y, reset=True)
        sample_weight = _check_weights(sample_weight, X, "sample_weight")
        if sample_weight_val is not None and X_val is None:
            raise ValueError("sample_weight_val was given without X_val and y_val.")
        if X_val is not None:
            y_val = self._fit_target(y_val, reset=False)
            sample_weight_val = _check_weights(sample_weight_val, X_val, "sample_weight_val")
        self._prepare(X)
        if not self.early_stopping:
            if X_val is not None:
                raise ValueError("X_val/y_val were given but early_stopping=False.")
            path = self._path(X, y, self.max_iter, None, None, sample_weight=sample_weight)
            self._finish(path, _last(path), best_iter=None)
            return self
        if X_val is not None:
            path = self._path(X, y, self.max_iter, X_val, y_val, sample_weight=sample_weight,
                              sample_weight_val=sample_weight_val)  # fmt: skip
            self._finish(path, _best(path), best_iter=_passes(path, path.best_iter))
            return self
        if X.shape[0] < 4:
            raise ValueError(
                f"early stopping needs at least 4 samples to hold out a validation set; got "
                f"n_samples={X.shape[0]}. Pass X_val/y_val or set early_stopping=False."
            )
        X_tr, y_tr, X_va, y_va, sw_tr, sw_va = self._split(X, y, sample_weight)
        path = self._path(X_tr, y_tr, self.max_iter, X_va, y_va, sample_weight=sw_tr,
                          sample_weight_val=sw_va)  # fmt: skip
        passes = _passes(path, path.best_iter)
        if not self.refit:
            self._finish(path, _best(path), best_iter=passes)
            return self
        full = self._refit_path(X, y, path, passes, sample_weight)
        final = _first(full) if passes == 0 else _last(full)
        self._finish(full, final, best_iter=passes, split_path=path)
        return self

    def _fit_loss(self) -> str:
        """The loss the path functions fit (scikit-learn's name)."""
        return "squared_error"

    def _fit_target(self, y, reset: bool):
        """The path's y from the estimator's targets (``reset``: the training
        targets, else validation targets)."""
        return y

    # hooks: fastgs.dask's estimator overrides them for dask arrays

    def _check_fit_input(self, X, y, X_val, y_val):
        """Validated, canonical (X, y, X_val, y_val); sets n_features_in_."""
        X, y = _validated_training_data(self, X, y)
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together (or neither).")
        if X_val is not None and self.early_stopping:
            _reject_strings(X_val, "X_val")
            X_val = _sparse_to_csr(X_val)
            X_val, y_val = validate_data(
                self, X_val, y_val, accept_sparse=_SPARSE_FORMATS, dtype=X.dtype,
                y_numeric=not is_classifier(self), multi_output=False, reset=False,
            )  # fmt: skip
        return X, y, X_val, y_val

    def _split(self, X, y, sample_weight=None):
        """(X_train, y_train, X_val, y_val, weights_train, weights_val): the
        held-out validation split (stratified by class for classifiers)."""
        arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
        parts = train_test_split(
            *arrays, test_size=self.validation_fraction, random_state=self._split_random_state(),
            stratify=self._split_strata(y),
        )  # fmt: skip
        X_tr, X_va, y_tr, y_va = parts[:4]
        sw_tr, sw_va = (parts[4], parts[5]) if sample_weight is not None else (None, None)
        return X_tr, y_tr, X_va, y_va, sw_tr, sw_va

    def _split_strata(self, y):
        """The labels the validation split keeps in proportion (None: none)."""
        return None

    #: record only the start and the end of a run: the solver tracks the best
    #: iterate and the loss curves itself, so memory stays O(p), not O(max_iter p)
    _record_every = _ENDS_ONLY

    def _split_random_state(self):
        """The draw of the validation split: ``random_state``, or the fixed
        :data:`DEFAULT_RANDOM_STATE` for None (the same model in every run)."""
        return _seed(self.random_state)

    def _report(self, path, has_val: bool) -> None:
        """The warnings after a run: a divergence that matters, a binding max_iter."""
        _warn_divergence(path, has_val)
        _warn_capped(path, has_val, self.n_iter_no_change)

    def _refit_path(self, X, y, split_path, passes, sample_weight=None):
        """The refit on all the data, ``passes >= 1`` passes or a few more.

        With more rows the path runs on a slightly different clock, and the
        chosen iterate often lies just past the sharp drop of the training
        loss where the signal groups enter: stopped after the same number of
        passes, the refit can still be in that drop (errors 10-1000x the
        split's in about 1 in 10 seeds of the paper's settings).  So it runs
        on, to at most ``2 passes + 1``, until its training loss falls no
        faster (relative to its value) than the split path's did in the pass
        that reached the chosen iterate.  A refit that is ahead stops at
        ``passes``, as before.
        """
        if passes == 0:
            return self._path(X, y, 1, None, None, sample_weight=sample_weight)
        curve = split_path.train_curve
        rate = float((curve[passes - 1] - curve[passes]) / abs(curve[passes]))
        return self._path(X, y, 2 * passes + 1, None, None, stop=(passes, rate),
                          sample_weight=sample_weight)  # fmt: skip

    def _finish(self, path, final, best_iter, split_path=None):
        """Store the fitted attributes from ``final = (coef, intercept, u, n_iter)``."""
        coef, intercept, u, n_iter = final
        chosen_on = split_path if split_path is not None else path
        self._set_coef(np.array(coef), np.array(intercept, dtype=np.float64) if self.fit_intercept
                       else np.zeros(np.shape(intercept)))  # fmt: skip
        if u is not None:
            self.u_ = np.array(u)
        self.n_iter_ = int(n_iter)
        # the selection rule compares magnitudes with the start alpha: in the
        # fit's (standardized) coordinates, not the original units
        scale = getattr(path, "x_scale", None)
        coef = np.asarray(coef)
        if scale is not None:
            coef = coef * (scale[:, None] if coef.ndim == 2 else scale)
        self._store_selection(coef, u)
        self.best_iter_ = best_iter
        self.validation_loss_ = getattr(chosen_on, "val_curve", None)
        self.status_ = path.status
        self.path_ = chosen_on

    def _set_coef(self, coef, intercept) -> None:
        self.coef_ = coef
        self.intercept_ = float(intercept)

    def _linear_predictor(self, X):
        """``X @ coef_.T + intercept_`` for validated X: (n,) for a coef_ of one
        row (or a regressor's (p,)), else (n, K)."""
        check_is_fitted(self)
        _reject_strings(X, "X")
        X = _sparse_to_csr(X)
        X = validate_data(self, X, accept_sparse=_SPARSE_FORMATS, dtype=[np.float64, np.float32], reset=False)
        coef = np.asarray(self.coef_)
        if coef.ndim == 1 or coef.shape[0] == 1:
            # a Python float keeps float32 data in float32
            return np.asarray(X @ coef.ravel()).ravel() + float(np.ravel(self.intercept_)[0])
        return np.asarray(X @ coef.T) + self.intercept_.astype(coef.dtype)


class _EarlyStoppedRegressor(RegressorMixin, _EarlyStoppedModel):
    """A regressor: ``predict`` returns the mean, ``X @ coef_ + intercept_``
    for least squares and its exponential for the Poisson loss."""

    def _fit_loss(self) -> str:
        return getattr(self, "loss", "squared_error")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self._fit_loss() == "poisson"
        return tags

    def _fit_target(self, y, reset: bool):
        if self._fit_loss() == "poisson" and np.any(np.asarray(y) < 0):
            raise ValueError("y must be non-negative for loss='poisson' (counts or rates).")
        return y

    def predict(self, X):
        """Predict the mean: ``X @ coef_ + intercept_``, or its exponential
        for ``loss="poisson"``.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Data, in the original units.

        Returns
        -------
        ndarray of shape (n_samples,)
            The predictions.
        """
        eta = self._linear_predictor(X)
        return np.exp(eta) if self._fit_loss() == "poisson" else eta


class _EarlyStoppedClassifier(ClassifierMixin, _EarlyStoppedModel):
    """A classifier on the logistic loss, as scikit-learn's linear
    classifiers: two classes become 0/1 targets (``classes_[1]`` is the
    positive class) and ``coef_`` is (1, n_features); K > 2 classes fit the
    grouped multinomial (one-hot targets) and ``coef_`` is (K, n_features)."""

    def _fit_loss(self) -> str:
        return "log_loss"

    def _fit_target(self, y, reset: bool):
        if reset:
            check_classification_targets(y)
            classes = np.unique(y)
            if classes.shape[0] < 2:
                raise ValueError(
                    f"y has a single class ({classes[0]!r}), 1 class only; a classifier needs at "
                    "least two.")  # fmt: skip
            self.classes_ = classes
        known = np.isin(y, self.classes_)
        if not np.all(known):
            raise ValueError(
                f"y_val has labels that are not among the training classes {list(self.classes_)}: "
                f"{list(np.unique(np.asarray(y)[~known])[:5])}.")  # fmt: skip
        # the path functions convert the targets to X's dtype
        if self.classes_.shape[0] == 2:
            return (np.asarray(y) == self.classes_[1]).astype(np.float64)
        return (np.asarray(y)[:, None] == self.classes_[None, :]).astype(np.float64)

    def _split_strata(self, y):
        # keep every class in both parts when each class has two rows or more
        labels = np.argmax(y, axis=1) if np.ndim(y) == 2 else np.asarray(y, dtype=np.int64)
        counts = np.bincount(labels, minlength=self.classes_.shape[0])
        return labels if counts.min() >= 2 else None

    def _set_coef(self, coef, intercept) -> None:
        # (p,) and a float for two classes, (p, K) and (K,) for more
        self.coef_ = coef[None, :] if coef.ndim == 1 else np.ascontiguousarray(coef.T)
        self.intercept_ = np.atleast_1d(intercept).astype(coef.dtype)

    def decision_function(self, X):
        """The linear predictors ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Data, in the original units.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Two classes: the log-odds of ``classes_[1]`` (positive values
            predict it); more: each class's linear predictor (the largest
            predicts it).
        """
        return self._linear_predictor(X)

    def predict_proba(self, X):
        """Probabilities of the classes.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Data, in the original units.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Column k is the probability of ``classes_[k]``.
        """
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X):
        """Log-probabilities of the classes.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Data, in the original units.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Column k is the log-probability of ``classes_[k]``.
        """
        eta = self._linear_predictor(X)
        if eta.ndim == 1:
            return np.column_stack([-np.logaddexp(0.0, eta), -np.logaddexp(0.0, -eta)])
        return eta - logsumexp(eta, axis=1, keepdims=True)

    def predict(self, X):
        """The more probable class of each row.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Data, in the original units.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        eta = self._linear_predictor(X)
        best = (eta > 0).astype(np.int64) if eta.ndim == 1 else np.argmax(eta, axis=1)
        return self.classes_[best]


class _DGLNNMethods:
    """What every DGLNN estimator does the same way: its groups, its path
    (:func:`fastgs.dglnn_path`) and its selected groups."""

    def _prepare(self, X):
        self.groups_ = make_groups(self.groups, X.shape[1])

    def _store_selection(self, coef, u):
        self.selected_groups_, self.support_ = _fitted_group_selection(
            coef, u, self.groups_, self.alpha, weight_normalized=self.algorithm != "gd")

    def _path(self, X, y, max_iter, X_val, y_val, stop=None, sample_weight=None,
              sample_weight_val=None):  # fmt: skip
        with warnings.catch_warnings():
            # a late divergence is reported through status_ and one warning below
            warnings.simplefilter("ignore", DivergenceWarning)
            warnings.simplefilter("ignore", PathConvergenceWarning)
            path = dglnn_path(
                X, y, self.groups_, algorithm=self.algorithm, update=self.update,
                alpha=self.alpha, step_u=self.step_u, step_v=self.step_v, switch=self.switch,
                tau=DEFAULT_TAU, max_iter=max_iter, record_every=self._record_every,
                X_val=X_val, y_val=y_val, fit_intercept=self.fit_intercept,
                standardize=self.standardize, n_jobs=self.n_jobs, schedule=self.schedule,
                kappa=self.kappa, skip_fraction=self.skip_fraction, step_cap=self.step_cap,
                n_iter_no_change=self.n_iter_no_change, tol=self.tol, loss=self._fit_loss(),
                sample_weight=sample_weight, sample_weight_val=sample_weight_val, _stop=stop,
            )  # fmt: skip
        self._report(path, X_val is not None)
        return path


class DGLNNRegressor(_DGLNNMethods, _EarlyStoppedRegressor):
    """Group-sparse linear regression by early-stopped DGLNN gradient descent.

    Fits ``w_l = u_l^2 v_l`` (one magnitude and one unit direction per group)
    by gradient descent from a tiny magnitude (Li et al., ICLR 2023) and
    stops at the pass with the lowest loss on a validation split, then refits
    on all rows.  See the user guide's estimator page and docs/method.rst.

    Parameters
    ----------
    groups : None, int, array-like or sequence of sequences, default=None
        The feature groups, in any form :func:`fastgs.make_groups` accepts: a
        group size, a label per column, or index lists; None means one group
        per feature.
    loss : {"squared_error", "poisson"}, default="squared_error"
        The loss: least squares, or the Poisson loss of counts or rates
        (``y >= 0``; log link, ``predict`` returns the mean
        ``exp(X @ coef_ + intercept_)``), as scikit-learn's gradient boosting
        regressors name them (docs/method.rst, 'Losses beyond least squares').
        Validation and cross-validation use the same loss.
    schedule : {"auto", "fast", "paper"}, default="auto"
        The iteration schedule, as in :func:`fastgs.dglnn_path`: "fast" (the
        default through "auto") reaches the paper schedule's estimate in
        several times fewer passes over X.
    algorithm : {"auto", "alg1", "alg2", "gd"}, default="auto"
        Algorithm 1, Algorithm 2 (the default through "auto") or plain
        gradient descent, as in :func:`fastgs.dglnn_path`.
    update : {"simultaneous", "sequential"}, default="simultaneous"
        As in :func:`fastgs.dglnn_path`.
    alpha : float > 0, default=1e-6
        Initial magnitude of every group.
    step_u : "auto" or float > 0, default="auto"
        Magnitude step size; "auto" scales with the data.
    step_v : "auto" or float > 0, default="auto"
        Algorithm 2's constant direction step; "auto" scales with the data.
    switch : "auto", "paper" or int >= 0, default="auto"
        Algorithm 2's switch rule, as in :func:`fastgs.dglnn_path`.
    max_iter : int >= 1 or None, default=None
        The cap on the passes over X of a run with validation data (the
        early end decides before it, see ``n_iter_no_change``); None means
        3000 for the fast schedule and 10000 for the paper's (400 and 2000
        without early stopping or with ``n_iter_no_change=0``).
    kappa : float > 0 or None, default=None
        The automatic magnitude step is ``kappa / a_max``; None means the
        schedule's default.
    skip_fraction : float > 0, default=1e-2
        Where the fast schedule's analytic start ends.
    step_cap : float > 0, default=0.25
        The fast schedule's per-group cap on the magnitude step.
    early_stopping : bool, default=True
        Choose the stopping iteration on a validation set; False runs
        ``max_iter`` passes and keeps the last iterate.
    validation_fraction : float in (0, 1), default=0.2
        Share of the rows held out when ``fit`` gets no ``X_val``.
    refit : bool, default=True
        After choosing the stopping point on a held-out split, refit on all
        rows for that many passes over X, or a few more until the refit's
        training loss slows down as the split run's had (at most twice as
        many; docs/method.rst, 'Early stopping').
    fit_intercept : bool, default=True
        Fit an intercept (by implicit centering: sparse X stays sparse).
    standardize : bool, default=True
        Fit in standardized coordinates (each column scaled to unit
        root-mean-square, after centering with an intercept) and report
        ``coef_`` on the original scale, so that a change of a column's units
        changes only its coefficient.  X is never rescaled or copied.  False
        fits X as given (and warns with :class:`fastgs.ScaleWarning` when its
        columns are far from standardized).
    n_iter_no_change : int >= 0 or None, default=None
        The early end: a run with validation data ends once the validation
        loss has stayed more than ``tol`` (relative) above its minimum so far
        for ``n_iter_no_change`` consecutive passes, and no earlier than 75
        passes (or as many as it took to reach the minimum, if more) after
        the minimum (docs/method.rst, 'Early stopping'); None means 30.  0
        switches it off (``max_iter`` passes).  Reaching ``max_iter`` before
        the early end fired warns with
        ``sklearn.exceptions.ConvergenceWarning``.
    tol : float in [0, 1], default=2e-2
        How far (relative) above its minimum the validation loss must be for
        a pass to count toward the early end.
    random_state : int, numpy.random.RandomState or None, default=None
        The draw of the validation split; None gives the same draw in every run (seed 0).
    n_jobs : int or None, default=None
        Numba threads for the sweeps over X (None: 1, -1: all cores); results
        are bit-identical for every value.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The coefficients, on the scale of the original columns.
    intercept_ : float
        The intercept (0.0 without ``fit_intercept``).
    n_iter_ : int
        Iterations of the final model, counting the fast schedule's
        analytically skipped start.
    status_ : fastgs.Status
        How the final run ended.
    n_features_in_ : int
        Number of features seen in ``fit``.
    u_ : ndarray of shape (n_groups,)
        The group magnitudes (in the standardized coordinates with
        ``standardize``): ``w_l = u_l^2 v_l`` with unit directions.
    groups_ : fastgs.Groups
        The groups, as :func:`fastgs.make_groups` made them.
    selected_groups_ : ndarray of shape (n_selected,), int64
        Indices (in the order of ``groups_`` and ``u_``) of the groups the fit
        selected: those above the largest gap of ``log10 u_**2`` near the top
        (:func:`fastgs.select_groups`; gradient descent gives no exact zeros).
    support_ : ndarray of shape (n_features,), bool
        The features of the selected groups (for scikit-learn's
        ``SelectFromModel(est, importance_getter="support_", threshold=0.5)``).
    best_iter_ : int or None
        The chosen stopping point, in passes over X after the start:
        ``validation_loss_[best_iter_]`` is the lowest validation loss (None
        without early stopping).
    validation_loss_ : ndarray of shape (T + 1,) or None
        The validation loss after 0..T passes, up to where the run ended.
    path_ : fastgs.DGLNNPath
        The run the stopping point was chosen on (its ``stop_reason`` says why
        it ended).

    See Also
    --------
    DGLNNRegressorCV : the stopping point by K-fold cross-validation.
    fastgs.dglnn_path : the path function behind it.

    Examples
    --------
    >>> import fastgs
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, groups = make_group_sparse_regression(
    ...     200, 120, group_size=4, n_informative_groups=3, coef=1.0, random_state=0)
    >>> model = fastgs.DGLNNRegressor(groups=4).fit(X, y)
    >>> model.selected_groups_
    array([0, 1, 2])
    >>> model.coef_.shape, model.path_.stop_reason
    ((120,), 'no_improvement')
    """

    _parameter_constraints: dict = {
        **_EarlyStoppedRegressor._parameter_constraints,
        "groups": [None, Integral, "array-like", object],
        "loss": [StrOptions({"squared_error", "poisson"})],
        "algorithm": [StrOptions({"auto", "alg1", "alg2", "gd"})],
        "schedule": [StrOptions({"auto", "fast", "paper"})],
        "kappa": [Interval(Real, 0, None, closed="neither"), None],
        "skip_fraction": [Interval(Real, 0, None, closed="neither")],
        "step_cap": [Interval(Real, 0, None, closed="neither")],
        "update": [StrOptions({"simultaneous", "sequential"})],
        "step_u": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "step_v": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "switch": [StrOptions({"auto", "paper"}), Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        groups=None,
        *,
        loss="squared_error",
        schedule="auto",
        algorithm="auto",
        update="simultaneous",
        alpha=1e-6,
        step_u="auto",
        step_v="auto",
        switch="auto",
        max_iter=None,
        kappa=None,
        skip_fraction=FAST_SKIP_FRACTION,
        step_cap=FAST_STEP_CAP,
        early_stopping=True,
        validation_fraction=0.2,
        refit=True,
        fit_intercept=True,
        standardize=True,
        n_iter_no_change=None,
        tol=DEFAULT_TOL,
        random_state=None,
        n_jobs=None,
    ):
        self.groups = groups
        self.loss = loss
        self.schedule = schedule
        self.algorithm = algorithm
        self.update = update
        self.alpha = alpha
        self.step_u = step_u
        self.step_v = step_v
        self.switch = switch
        self.max_iter = max_iter
        self.kappa = kappa
        self.skip_fraction = skip_fraction
        self.step_cap = step_cap
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs

class DGLNNClassifier(_DGLNNMethods, _EarlyStoppedClassifier):
    """Group-sparse logistic regression by early-stopped DGLNN gradient descent.

    The classifier of :class:`DGLNNRegressor`: the same fit of
    ``w_l = u_l^2 v_l`` on the logistic loss (docs/method.rst, 'Losses beyond
    least squares'), stopped at the pass with the lowest validation log-loss
    on a held-out split (stratified by class), then refit on all rows.  The
    labels may be any values: two classes fit the binary logistic model
    (``classes_[1]`` is the positive class), more fit the grouped
    multinomial, where a feature group is in or out for every class.

    Parameters
    ----------
    groups : None, int, array-like or sequence of sequences, default=None
        The feature groups, in any form :func:`fastgs.make_groups` accepts: a
        group size, a label per column, or index lists; None means one group
        per feature.
    schedule : {"auto", "fast", "paper"}, default="auto"
        The iteration schedule, as in :func:`fastgs.dglnn_path`: "fast" (the
        default through "auto") reaches the paper schedule's estimate in
        several times fewer passes over X.
    algorithm : {"auto", "alg1", "alg2", "gd"}, default="auto"
        Algorithm 1, Algorithm 2 (the default through "auto") or plain
        gradient descent, as in :func:`fastgs.dglnn_path`.
    update : {"simultaneous", "sequential"}, default="simultaneous"
        As in :func:`fastgs.dglnn_path`.
    alpha : float > 0, default=1e-6
        Initial magnitude of every group.
    step_u : "auto" or float > 0, default="auto"
        Magnitude step size; "auto" scales with the data.
    step_v : "auto" or float > 0, default="auto"
        Algorithm 2's constant direction step; "auto" scales with the data.
    switch : "auto", "paper" or int >= 0, default="auto"
        Algorithm 2's switch rule, as in :func:`fastgs.dglnn_path`.
    max_iter : int >= 1 or None, default=None
        The cap on the passes over X of a run with validation data (the
        early end decides before it, see ``n_iter_no_change``); None means
        3000 for the fast schedule and 10000 for the paper's (400 and 2000
        without early stopping or with ``n_iter_no_change=0``).
    kappa : float > 0 or None, default=None
        The automatic magnitude step is ``kappa / a_max``; None means the
        schedule's default.
    skip_fraction : float > 0, default=1e-2
        Where the fast schedule's analytic start ends.
    step_cap : float > 0, default=0.25
        The fast schedule's per-group cap on the magnitude step.
    early_stopping : bool, default=True
        Choose the stopping iteration on a validation set; False runs
        ``max_iter`` passes and keeps the last iterate.
    validation_fraction : float in (0, 1), default=0.2
        Share of the rows held out when ``fit`` gets no ``X_val``.
    refit : bool, default=True
        After choosing the stopping point on a held-out split, refit on all
        rows for that many passes over X, or a few more until the refit's
        training loss slows down as the split run's had (at most twice as
        many; docs/method.rst, 'Early stopping').
    fit_intercept : bool, default=True
        Fit an intercept (by implicit centering: sparse X stays sparse).
    standardize : bool, default=True
        Fit in standardized coordinates (each column scaled to unit
        root-mean-square, after centering with an intercept) and report
        ``coef_`` on the original scale, so that a change of a column's units
        changes only its coefficient.  X is never rescaled or copied.  False
        fits X as given (and warns with :class:`fastgs.ScaleWarning` when its
        columns are far from standardized).
    n_iter_no_change : int >= 0 or None, default=None
        The early end: a run with validation data ends once the validation
        loss has stayed more than ``tol`` (relative) above its minimum so far
        for ``n_iter_no_change`` consecutive passes, and no earlier than 75
        passes (or as many as it took to reach the minimum, if more) after
        the minimum (docs/method.rst, 'Early stopping'); None means 30.  0
        switches it off (``max_iter`` passes).  Reaching ``max_iter`` before
        the early end fired warns with
        ``sklearn.exceptions.ConvergenceWarning``.
    tol : float in [0, 1], default=2e-2
        How far (relative) above its minimum the validation loss must be for
        a pass to count toward the early end.
    random_state : int, numpy.random.RandomState or None, default=None
        The draw of the validation split; None gives the same draw in every run (seed 0).
    n_jobs : int or None, default=None
        Numba threads for the sweeps over X (None: 1, -1: all cores); results
        are bit-identical for every value.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted; with two, ``classes_[1]`` is the positive
        class.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Two classes: the coefficients of the log-odds of ``classes_[1]``;
        more: each class's coefficients of the multinomial model (a group
        is in or out for every class).  On the scale of the original columns.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The intercept(s) (0.0 without ``fit_intercept``).
    n_iter_ : int
        Iterations of the final model, counting the fast schedule's
        analytically skipped start.
    status_ : fastgs.Status
        How the final run ended.
    n_features_in_ : int
        Number of features seen in ``fit``.
    u_ : ndarray of shape (n_groups,)
        The group magnitudes (in the standardized coordinates with
        ``standardize``): ``w_l = u_l^2 v_l`` with unit directions.
    groups_ : fastgs.Groups
        The groups, as :func:`fastgs.make_groups` made them.
    selected_groups_ : ndarray of shape (n_selected,), int64
        Indices (in the order of ``groups_`` and ``u_``) of the groups the fit
        selected: those above the largest gap of ``log10 u_**2`` near the top
        (:func:`fastgs.select_groups`; gradient descent gives no exact zeros).
    support_ : ndarray of shape (n_features,), bool
        The features of the selected groups (for scikit-learn's
        ``SelectFromModel(est, importance_getter="support_", threshold=0.5)``).
    best_iter_ : int or None
        The chosen stopping point, in passes over X after the start:
        ``validation_loss_[best_iter_]`` is the lowest validation loss (None
        without early stopping).
    validation_loss_ : ndarray of shape (T + 1,) or None
        The validation loss after 0..T passes, up to where the run ended.
    path_ : fastgs.DGLNNPath
        The run the stopping point was chosen on (its ``stop_reason`` says why
        it ended).

    See Also
    --------
    DGLNNClassifierCV : the stopping point by K-fold cross-validation.
    DGLNNRegressor : the regressor on the same method.
    fastgs.dglnn_path : the path function behind it (``loss="log_loss"``).

    Examples
    --------
    >>> import numpy as np
    >>> import fastgs
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 120))
    >>> w_star = np.zeros(120)
    >>> w_star[:12] = 1.0  # groups 0, 1 and 2 of size 4
    >>> y = rng.random(300) < 1 / (1 + np.exp(-X @ w_star))
    >>> model = fastgs.DGLNNClassifier(groups=4).fit(X, y)
    >>> model.classes_, model.coef_.shape
    (array([False,  True]), (1, 120))
    >>> model.selected_groups_
    array([0, 1, 2])
    >>> model.predict_proba(X[:2]).shape
    (2, 2)

    Three classes fit the grouped multinomial:

    >>> y3 = np.digitize(X @ w_star + rng.logistic(size=300), [-1.0, 1.0])
    >>> model = fastgs.DGLNNClassifier(groups=4).fit(X, y3)
    >>> model.coef_.shape, {0, 1, 2} <= set(model.selected_groups_)
    ((3, 120), True)
    """

    _parameter_constraints: dict = {
        **_EarlyStoppedModel._parameter_constraints,
        "groups": [None, Integral, "array-like", object],
        "algorithm": [StrOptions({"auto", "alg1", "alg2", "gd"})],
        "schedule": [StrOptions({"auto", "fast", "paper"})],
        "kappa": [Interval(Real, 0, None, closed="neither"), None],
        "skip_fraction": [Interval(Real, 0, None, closed="neither")],
        "step_cap": [Interval(Real, 0, None, closed="neither")],
        "update": [StrOptions({"simultaneous", "sequential"})],
        "step_u": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "step_v": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "switch": [StrOptions({"auto", "paper"}), Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        groups=None,
        *,
        schedule="auto",
        algorithm="auto",
        update="simultaneous",
        alpha=1e-6,
        step_u="auto",
        step_v="auto",
        switch="auto",
        max_iter=None,
        kappa=None,
        skip_fraction=FAST_SKIP_FRACTION,
        step_cap=FAST_STEP_CAP,
        early_stopping=True,
        validation_fraction=0.2,
        refit=True,
        fit_intercept=True,
        standardize=True,
        n_iter_no_change=None,
        tol=DEFAULT_TOL,
        random_state=None,
        n_jobs=None,
    ):
        self.groups = groups
        self.schedule = schedule
        self.algorithm = algorithm
        self.update = update
        self.alpha = alpha
        self.step_u = step_u
        self.step_v = step_v
        self.switch = switch
        self.max_iter = max_iter
        self.kappa = kappa
        self.skip_fraction = skip_fraction
        self.step_cap = step_cap
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs


class DLNNRegressor(_EarlyStoppedRegressor):
    """Early-stopped gradient descent on the diagonal linear network ``w = a^N - b^N``.

    The baseline of Vaskevicius et al. (2019): plain sparsity, no groups.
    Stopping and refit as in :class:`DGLNNRegressor`.

    Parameters
    ----------
    depth : int >= 2, default=2
        The depth N.
    alpha : float > 0, default=1e-6
        Initial value of every entry of ``a`` and ``b``.
    step : "auto" or float > 0, default="auto"
        Step size; "auto" scales with the data (see :func:`fastgs.dlnn_path`).
    max_iter : int >= 1, default=2000
        Passes over X; with validation data, the cap of the early end.
    early_stopping : bool, default=True
        Choose the stopping iteration on a validation set; False runs
        ``max_iter`` passes and keeps the last iterate.
    validation_fraction : float in (0, 1), default=0.2
        Share of the rows held out when ``fit`` gets no ``X_val``.
    refit : bool, default=True
        After choosing the stopping point on a held-out split, refit on all
        rows for that many passes over X, or a few more until the refit's
        training loss slows down as the split run's had (at most twice as
        many; docs/method.rst, 'Early stopping').
    fit_intercept : bool, default=True
        Fit an intercept (by implicit centering: sparse X stays sparse).
    standardize : bool, default=True
        Fit in standardized coordinates (each column scaled to unit
        root-mean-square, after centering with an intercept) and report
        ``coef_`` on the original scale, so that a change of a column's units
        changes only its coefficient.  X is never rescaled or copied.  False
        fits X as given (and warns with :class:`fastgs.ScaleWarning` when its
        columns are far from standardized).
    n_iter_no_change : int >= 0 or None, default=None
        The early end: a run with validation data ends once the validation
        loss has stayed more than ``tol`` (relative) above its minimum so far
        for ``n_iter_no_change`` consecutive passes, and no earlier than 75
        passes (or as many as it took to reach the minimum, if more) after
        the minimum (docs/method.rst, 'Early stopping'); None means 30.  0
        switches it off (``max_iter`` passes).  Reaching ``max_iter`` before
        the early end fired warns with
        ``sklearn.exceptions.ConvergenceWarning``.
    tol : float in [0, 1], default=2e-2
        How far (relative) above its minimum the validation loss must be for
        a pass to count toward the early end.
    random_state : int, numpy.random.RandomState or None, default=None
        The draw of the validation split; None gives the same draw in every run (seed 0).
    n_jobs : int or None, default=None
        Numba threads for the sweeps over X (None: 1, -1: all cores); results
        are bit-identical for every value.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The coefficients, on the scale of the original columns.
    intercept_ : float
        The intercept (0.0 without ``fit_intercept``).
    n_iter_ : int
        Iterations of the final model, counting the fast schedule's
        analytically skipped start.
    status_ : fastgs.Status
        How the final run ended.
    n_features_in_ : int
        Number of features seen in ``fit``.
    support_ : ndarray of shape (n_features,), bool
        The features the fit selected, by the rule of
        :func:`fastgs.select_groups` on ``|coef_|`` (each feature its own
        group).
    best_iter_ : int or None
        The chosen stopping point, in passes over X.
    validation_loss_ : ndarray of shape (T + 1,) or None
        The validation loss after 0..T passes, up to where the run ended.
    path_ : fastgs.DLNNPath
        The run the stopping point was chosen on.

    See Also
    --------
    DGLNNRegressor : the group-sparse model.

    Examples
    --------
    >>> import fastgs
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, _ = make_group_sparse_regression(
    ...     200, 120, group_size=4, n_informative_groups=3, coef=1.0, random_state=0)
    >>> model = fastgs.DLNNRegressor().fit(X, y)
    >>> model.coef_.shape, model.path_.stop_reason
    ((120,), 'no_improvement')
    """

    _parameter_constraints: dict = {
        **_EarlyStoppedRegressor._parameter_constraints,
        "depth": [Interval(Integral, 2, None, closed="left")],
        "step": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        depth=2,
        alpha=1e-6,
        step="auto",
        max_iter=DEFAULT_MAX_ITER,
        early_stopping=True,
        validation_fraction=0.2,
        refit=True,
        fit_intercept=True,
        standardize=True,
        n_iter_no_change=None,
        tol=DEFAULT_TOL,
        random_state=None,
        n_jobs=None,
    ):
        self.depth = depth
        self.alpha = alpha
        self.step = step
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _prepare(self, X):
        pass

    def _store_selection(self, coef, u):
        self.support_ = _fitted_feature_support(coef, self.alpha, self.depth)

    def _path(self, X, y, max_iter, X_val, y_val, stop=None, sample_weight=None,
              sample_weight_val=None):  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergenceWarning)
            warnings.simplefilter("ignore", PathConvergenceWarning)
            path = dlnn_path(
                X, y, depth=self.depth, alpha=self.alpha, step=self.step, max_iter=max_iter,
                record_every=self._record_every, X_val=X_val, y_val=y_val,
                fit_intercept=self.fit_intercept, standardize=self.standardize, n_jobs=self.n_jobs,
                n_iter_no_change=self.n_iter_no_change, tol=self.tol, sample_weight=sample_weight,
                sample_weight_val=sample_weight_val, _stop=stop,
            )  # fmt: skip
        self._report(path, X_val is not None)
        return path


def _warn_capped(path, has_val: bool, n_iter_no_change) -> None:
    """scikit-learn's ConvergenceWarning when ``max_iter`` ended a run whose
    early end (on validation data) had not decided yet."""
    if not has_val or n_iter_no_change == 0 or path.stop_reason != "max_iter":
        return
    warnings.warn(
        f"max_iter={len(path.train_curve) - 1} passes ended the run before the validation loss "
        "stopped improving: the chosen stopping point may change with a larger max_iter.",
        ConvergenceWarning, stacklevel=4,
    )  # fmt: skip


def _warn_divergence(path, has_val: bool) -> None:
    """Warn about a divergence only when it can matter to the user.

    With validation data, a divergence after the best iterate changes nothing
    (the best iterate was kept), so it is recorded in ``status_`` silently.
    """
    status = path.status
    if status.ok:
        return
    if has_val and path.best_iter is not None and path.best_iter < status.last_good:
        # the useful part of the path was complete; note that the validation
        # curve may not have had its minimum yet only if best_iter is the last
        # good iterate, which this condition excludes
        return
    warnings.warn(f"fit stopped early: {status.message}", DivergenceWarning, stacklevel=4)


class _CrossValidatedDGLNN:
    """The fit of the CV estimators: all folds and the model on all rows in
    one sweep per iteration (:func:`fastgs.dglnn_cv_path`)."""

    def fit(self, X, y, groups=None, sample_weight=None):
        """Choose the stopping point by cross-validation and keep the model on all rows there.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse X is never densified.
        y : array-like of shape (n_samples,)
            Targets.
        groups : array-like of shape (n_samples,) or None, default=None
            Sample groups for a group-aware splitter (e.g. ``GroupKFold``), as
            in scikit-learn; the feature groups are the estimator's ``groups``
            parameter.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weights of the rows: every fold's loss, training and validation,
            is its rows' weighted mean, so integer weights fit as repeated
            rows would; zero weights are allowed, negative or non-finite ones
            are refused.

        Returns
        -------
        self
            The fitted estimator.
        """
        self._validate_params()
        if self.n_jobs == 0:
            raise ValueError("n_jobs must be a positive integer, -1 or None; got 0.")
        X, y = _validated_training_data(self, X, y)
        y = self._fit_target(y, reset=True)
        sample_weight = _check_weights(sample_weight, X, "sample_weight")
        self._prepare(X)
        strata = self._split_strata(y)
        folds = self._fold_labels(X, y if strata is None else strata, groups)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergenceWarning)
            warnings.simplefilter("ignore", PathConvergenceWarning)
            cv_path = dglnn_cv_path(
                X, y, self.groups_, cv=folds, algorithm=self.algorithm, update=self.update,
                alpha=self.alpha, step_u=self.step_u, step_v=self.step_v, switch=self.switch,
                max_iter=self.max_iter, fit_intercept=self.fit_intercept,
                standardize=self.standardize, n_jobs=self.n_jobs, schedule=self.schedule,
                kappa=self.kappa, skip_fraction=self.skip_fraction, step_cap=self.step_cap,
                n_iter_no_change=self.n_iter_no_change, tol=self.tol, loss=self._fit_loss(),
                sample_weight=sample_weight,
            )  # fmt: skip
        if cv_path.stop_reason == "max_iter" and self.n_iter_no_change != 0:
            warnings.warn(
                f"max_iter={len(cv_path.cv_curve) - 1} passes ended the cross-validation sweep "
                "before the mean validation loss stopped improving: the chosen stopping point "
                "may change with a larger max_iter.",
                ConvergenceWarning, stacklevel=2,
            )  # fmt: skip
        if not cv_path.status.ok and cv_path.best_iter >= cv_path.status.last_good:
            warnings.warn(
                f"cross-validation stopped early: {cv_path.status.message}",
                DivergenceWarning, stacklevel=2,
            )  # fmt: skip
        # the model on all rows ran in the same sweeps: its iterate at the
        # CV-chosen iteration is the refit (no second run)
        best = int(cv_path.best_iter)  # passes after the skipped start
        final = (cv_path.best_coef, cv_path.best_intercept, cv_path.best_u, best + cv_path.refit_t0)
        self._finish(cv_path, final, best_iter=best)
        self.validation_loss_ = None
        self.cv_curve_ = cv_path.cv_curve
        self.cv_path_ = cv_path
        return self

    def _fold_labels(self, X, y, groups):
        n = X.shape[0]
        if isinstance(self.cv, Integral):
            if self.cv < 2 or self.cv > n:
                raise ValueError(f"cv must be between 2 and n_samples={n}, got {self.cv}.")
            splitter = self._int_cv_splitter()
        else:
            splitter = check_cv(self.cv)
        fold = np.full(n, -1, dtype=np.int64)
        for k, (_, test) in enumerate(splitter.split(X, y, groups)):
            test = np.asarray(test)
            if np.any(fold[test] >= 0):
                raise ValueError(
                    f"cv: the test sets of the splitter overlap; {type(self).__name__} needs test "
                    "sets that partition the samples (e.g. KFold, GroupKFold)."
                )
            fold[test] = k
        if np.any(fold < 0):
            raise ValueError(
                f"cv: {int(np.sum(fold < 0))} samples are in no test set; {type(self).__name__} needs "
                "test sets that partition the samples (e.g. KFold, GroupKFold)."
            )
        return fold

    def _int_cv_splitter(self):
        """The splitter of an int ``cv``: shuffled folds drawn with ``random_state``."""
        return KFold(self.cv, shuffle=True, random_state=_seed(self.random_state))


class DGLNNRegressorCV(_CrossValidatedDGLNN, DGLNNRegressor):
    """DGLNN with the stopping point chosen by K-fold cross-validation.

    The minimum of the mean validation curve over the folds picks the
    stopping point ``t*`` (the analogue of ``LassoCV``), and a model trained
    on all rows is kept at ``t*``.  All folds and the model on all rows
    advance together, one sweep over X per iteration
    (:func:`fastgs.dglnn_cv_path`), so K-fold CV and the refit cost far less
    than K + 1 separate fits.

    Parameters
    ----------
    groups : None, int, array-like or sequence of sequences, default=None
        The feature groups, as in :class:`DGLNNRegressor`.
    cv : int, cross-validation splitter or iterable, default=5
        The number of folds (shuffled ``KFold``), a scikit-learn splitter
        whose test sets partition the samples (``KFold``, ``GroupKFold``,
        ``StratifiedKFold``, ...), or an iterable of (train, test) index
        pairs with that property.
    loss : {"squared_error", "poisson"}, default="squared_error"
        The loss: least squares, or the Poisson loss of counts or rates
        (``y >= 0``; log link, ``predict`` returns the mean
        ``exp(X @ coef_ + intercept_)``), as scikit-learn's gradient boosting
        regressors name them (docs/method.rst, 'Losses beyond least squares').
        Validation and cross-validation use the same loss.
    schedule : {"auto", "fast", "paper"}, default="auto"
        The iteration schedule, as in :func:`fastgs.dglnn_path`: "fast" (the
        default through "auto") reaches the paper schedule's estimate in
        several times fewer passes over X.
    algorithm : {"auto", "alg1", "alg2", "gd"}, default="auto"
        Algorithm 1, Algorithm 2 (the default through "auto") or plain
        gradient descent, as in :func:`fastgs.dglnn_path`.
    update : {"simultaneous", "sequential"}, default="simultaneous"
        As in :func:`fastgs.dglnn_path`.
    alpha : float > 0, default=1e-6
        Initial magnitude of every group.
    step_u : "auto" or float > 0, default="auto"
        Magnitude step size; "auto" scales with the data.
    step_v : "auto" or float > 0, default="auto"
        Algorithm 2's constant direction step; "auto" scales with the data.
    switch : "auto", "paper" or int >= 0, default="auto"
        Algorithm 2's switch rule, as in :func:`fastgs.dglnn_path`.
    max_iter : int >= 1 or None, default=None
        The cap on the passes over X of a run with validation data (the
        early end decides before it, see ``n_iter_no_change``); None means
        3000 for the fast schedule and 10000 for the paper's (400 and 2000
        without early stopping or with ``n_iter_no_change=0``).
    kappa : float > 0 or None, default=None
        The automatic magnitude step is ``kappa / a_max``; None means the
        schedule's default.
    skip_fraction : float > 0, default=1e-2
        Where the fast schedule's analytic start ends.
    step_cap : float > 0, default=0.25
        The fast schedule's per-group cap on the magnitude step.
    fit_intercept : bool, default=True
        Fit an intercept (by implicit centering: sparse X stays sparse).
    standardize : bool, default=True
        Fit in standardized coordinates (each column scaled to unit
        root-mean-square, after centering with an intercept) and report
        ``coef_`` on the original scale, so that a change of a column's units
        changes only its coefficient.  X is never rescaled or copied.  False
        fits X as given (and warns with :class:`fastgs.ScaleWarning` when its
        columns are far from standardized).
    n_iter_no_change : int >= 0 or None, default=None
        The early end: a run with validation data ends once the validation
        loss has stayed more than ``tol`` (relative) above its minimum so far
        for ``n_iter_no_change`` consecutive passes, and no earlier than 75
        passes (or as many as it took to reach the minimum, if more) after
        the minimum (docs/method.rst, 'Early stopping'); None means 30.  0
        switches it off (``max_iter`` passes).  Reaching ``max_iter`` before
        the early end fired warns with
        ``sklearn.exceptions.ConvergenceWarning``.
    tol : float in [0, 1], default=2e-2
        How far (relative) above its minimum the validation loss must be for
        a pass to count toward the early end.
    random_state : int, numpy.random.RandomState or None, default=None
        The draw of the folds of an int ``cv``; None gives the same draw in every run (seed 0).
    n_jobs : int or None, default=None
        Numba threads for the sweeps over X (None: 1, -1: all cores); results
        are bit-identical for every value.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        The coefficients, on the scale of the original columns.
    intercept_ : float
        The intercept (0.0 without ``fit_intercept``).
    n_iter_ : int
        Iterations of the final model, counting the fast schedule's
        analytically skipped start.
    status_ : fastgs.Status
        How the final run ended.
    n_features_in_ : int
        Number of features seen in ``fit``.
    u_ : ndarray of shape (n_groups,)
        The group magnitudes (in the standardized coordinates with
        ``standardize``): ``w_l = u_l^2 v_l`` with unit directions.
    groups_ : fastgs.Groups
        The groups, as :func:`fastgs.make_groups` made them.
    selected_groups_ : ndarray of shape (n_selected,), int64
        Indices (in the order of ``groups_`` and ``u_``) of the groups the fit
        selected: those above the largest gap of ``log10 u_**2`` near the top
        (:func:`fastgs.select_groups`; gradient descent gives no exact zeros).
    support_ : ndarray of shape (n_features,), bool
        The features of the selected groups (for scikit-learn's
        ``SelectFromModel(est, importance_getter="support_", threshold=0.5)``).
    best_iter_ : int
        The CV-chosen stopping point ``t*``, in passes over X after the start
        (each fold skips its own start with the fast schedule):
        ``cv_curve_[best_iter_]`` is the lowest mean validation loss.
    cv_curve_ : ndarray of shape (T + 1,)
        The mean validation loss over the folds, up to where the sweep ended.
    cv_path_ : fastgs.DGLNNCVPath
        The per-fold curves, the folds and why the sweep ended
        (``stop_reason``).
    path_ : fastgs.DGLNNCVPath
        The same object as ``cv_path_``.
    validation_loss_ : None
        Not used by cross-validation (see ``cv_curve_``).

    See Also
    --------
    DGLNNRegressor : the stopping point on one validation split.
    fastgs.dglnn_cv_path : the path function behind it.

    Examples
    --------
    >>> import fastgs
    >>> from fastgs.datasets import make_group_sparse_regression
    >>> X, y, w_star, groups = make_group_sparse_regression(
    ...     200, 120, group_size=4, n_informative_groups=3, coef=1.0, random_state=0)
    >>> model = fastgs.DGLNNRegressorCV(groups=4).fit(X, y)
    >>> model.selected_groups_
    array([0, 1, 2])
    >>> model.coef_.shape, model.cv_path_.stop_reason
    ((120,), 'no_improvement')
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in DGLNNRegressor._parameter_constraints.items()
           if k not in ("early_stopping", "validation_fraction", "refit")},
        "cv": ["cv_object"],
    }  # fmt: skip

    def __init__(
        self,
        groups=None,
        *,
        cv=5,
        loss="squared_error",
        schedule="auto",
        algorithm="auto",
        update="simultaneous",
        alpha=1e-6,
        step_u="auto",
        step_v="auto",
        switch="auto",
        max_iter=None,
        kappa=None,
        skip_fraction=FAST_SKIP_FRACTION,
        step_cap=FAST_STEP_CAP,
        fit_intercept=True,
        standardize=True,
        n_iter_no_change=None,
        tol=DEFAULT_TOL,
        random_state=None,
        n_jobs=None,
    ):
        self.groups = groups
        self.cv = cv
        self.loss = loss
        self.schedule = schedule
        self.algorithm = algorithm
        self.update = update
        self.alpha = alpha
        self.step_u = step_u
        self.step_v = step_v
        self.switch = switch
        self.max_iter = max_iter
        self.kappa = kappa
        self.skip_fraction = skip_fraction
        self.step_cap = step_cap
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs


class DGLNNClassifierCV(_CrossValidatedDGLNN, DGLNNClassifier):
    """Group-sparse logistic regression with the stopping point chosen by K-fold cross-validation.

    The classifier of :class:`DGLNNRegressorCV`: the mean validation log-loss
    over the folds picks the stopping point, folds and the model on all rows
    advance in one sweep per iteration.  An int ``cv`` draws stratified
    folds (``StratifiedKFold``, shuffled with ``random_state``).

    Parameters
    ----------
    groups : None, int, array-like or sequence of sequences, default=None
        The feature groups, as in :class:`DGLNNClassifier`.
    cv : int, cross-validation splitter or iterable, default=5
        The number of folds (shuffled ``KFold``), a scikit-learn splitter
        whose test sets partition the samples (``KFold``, ``GroupKFold``,
        ``StratifiedKFold``, ...), or an iterable of (train, test) index
        pairs with that property.
    schedule : {"auto", "fast", "paper"}, default="auto"
        The iteration schedule, as in :func:`fastgs.dglnn_path`: "fast" (the
        default through "auto") reaches the paper schedule's estimate in
        several times fewer passes over X.
    algorithm : {"auto", "alg1", "alg2", "gd"}, default="auto"
        Algorithm 1, Algorithm 2 (the default through "auto") or plain
        gradient descent, as in :func:`fastgs.dglnn_path`.
    update : {"simultaneous", "sequential"}, default="simultaneous"
        As in :func:`fastgs.dglnn_path`.
    alpha : float > 0, default=1e-6
        Initial magnitude of every group.
    step_u : "auto" or float > 0, default="auto"
        Magnitude step size; "auto" scales with the data.
    step_v : "auto" or float > 0, default="auto"
        Algorithm 2's constant direction step; "auto" scales with the data.
    switch : "auto", "paper" or int >= 0, default="auto"
        Algorithm 2's switch rule, as in :func:`fastgs.dglnn_path`.
    max_iter : int >= 1 or None, default=None
        The cap on the passes over X of a run with validation data (the
        early end decides before it, see ``n_iter_no_change``); None means
        3000 for the fast schedule and 10000 for the paper's (400 and 2000
        without early stopping or with ``n_iter_no_change=0``).
    kappa : float > 0 or None, default=None
        The automatic magnitude step is ``kappa / a_max``; None means the
        schedule's default.
    skip_fraction : float > 0, default=1e-2
        Where the fast schedule's analytic start ends.
    step_cap : float > 0, default=0.25
        The fast schedule's per-group cap on the magnitude step.
    fit_intercept : bool, default=True
        Fit an intercept (by implicit centering: sparse X stays sparse).
    standardize : bool, default=True
        Fit in standardized coordinates (each column scaled to unit
        root-mean-square, after centering with an intercept) and report
        ``coef_`` on the original scale, so that a change of a column's units
        changes only its coefficient.  X is never rescaled or copied.  False
        fits X as given (and warns with :class:`fastgs.ScaleWarning` when its
        columns are far from standardized).
    n_iter_no_change : int >= 0 or None, default=None
        The early end: a run with validation data ends once the validation
        loss has stayed more than ``tol`` (relative) above its minimum so far
        for ``n_iter_no_change`` consecutive passes, and no earlier than 75
        passes (or as many as it took to reach the minimum, if more) after
        the minimum (docs/method.rst, 'Early stopping'); None means 30.  0
        switches it off (``max_iter`` passes).  Reaching ``max_iter`` before
        the early end fired warns with
        ``sklearn.exceptions.ConvergenceWarning``.
    tol : float in [0, 1], default=2e-2
        How far (relative) above its minimum the validation loss must be for
        a pass to count toward the early end.
    random_state : int, numpy.random.RandomState or None, default=None
        The draw of the folds of an int ``cv``; None gives the same draw in every run (seed 0).
    n_jobs : int or None, default=None
        Numba threads for the sweeps over X (None: 1, -1: all cores); results
        are bit-identical for every value.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted; with two, ``classes_[1]`` is the positive
        class.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Two classes: the coefficients of the log-odds of ``classes_[1]``;
        more: each class's coefficients of the multinomial model (a group
        is in or out for every class).  On the scale of the original columns.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        The intercept(s) (0.0 without ``fit_intercept``).
    n_iter_ : int
        Iterations of the final model, counting the fast schedule's
        analytically skipped start.
    status_ : fastgs.Status
        How the final run ended.
    n_features_in_ : int
        Number of features seen in ``fit``.
    u_ : ndarray of shape (n_groups,)
        The group magnitudes (in the standardized coordinates with
        ``standardize``): ``w_l = u_l^2 v_l`` with unit directions.
    groups_ : fastgs.Groups
        The groups, as :func:`fastgs.make_groups` made them.
    selected_groups_ : ndarray of shape (n_selected,), int64
        Indices (in the order of ``groups_`` and ``u_``) of the groups the fit
        selected: those above the largest gap of ``log10 u_**2`` near the top
        (:func:`fastgs.select_groups`; gradient descent gives no exact zeros).
    support_ : ndarray of shape (n_features,), bool
        The features of the selected groups (for scikit-learn's
        ``SelectFromModel(est, importance_getter="support_", threshold=0.5)``).
    best_iter_ : int
        The CV-chosen stopping point ``t*``, in passes over X after the start
        (each fold skips its own start with the fast schedule):
        ``cv_curve_[best_iter_]`` is the lowest mean validation loss.
    cv_curve_ : ndarray of shape (T + 1,)
        The mean validation loss over the folds, up to where the sweep ended.
    cv_path_ : fastgs.DGLNNCVPath
        The per-fold curves, the folds and why the sweep ended
        (``stop_reason``).
    path_ : fastgs.DGLNNCVPath
        The same object as ``cv_path_``.
    validation_loss_ : None
        Not used by cross-validation (see ``cv_curve_``).

    See Also
    --------
    DGLNNClassifier : the stopping point on one validation split.
    fastgs.dglnn_cv_path : the path function behind it (``loss="log_loss"``).

    Examples
    --------
    >>> import numpy as np
    >>> import fastgs
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((300, 120))
    >>> w_star = np.zeros(120)
    >>> w_star[:12] = 1.0  # groups 0, 1 and 2 of size 4
    >>> y = rng.random(300) < 1 / (1 + np.exp(-X @ w_star))
    >>> model = fastgs.DGLNNClassifierCV(groups=4).fit(X, y)
    >>> model.selected_groups_
    array([0, 1, 2])
    >>> bool(model.score(X, y) > 0.8), model.cv_path_.stop_reason
    (True, 'no_improvement')
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in DGLNNClassifier._parameter_constraints.items()
           if k not in ("early_stopping", "validation_fraction", "refit")},
        "cv": ["cv_object"],
    }  # fmt: skip

    def __init__(
        self,
        groups=None,
        *,
        cv=5,
        schedule="auto",
        algorithm="auto",
        update="simultaneous",
        alpha=1e-6,
        step_u="auto",
        step_v="auto",
        switch="auto",
        max_iter=None,
        kappa=None,
        skip_fraction=FAST_SKIP_FRACTION,
        step_cap=FAST_STEP_CAP,
        fit_intercept=True,
        standardize=True,
        n_iter_no_change=None,
        tol=DEFAULT_TOL,
        random_state=None,
        n_jobs=None,
    ):
        self.groups = groups
        self.cv = cv
        self.schedule = schedule
        self.algorithm = algorithm
        self.update = update
        self.alpha = alpha
        self.step_u = step_u
        self.step_v = step_v
        self.switch = switch
        self.max_iter = max_iter
        self.kappa = kappa
        self.skip_fraction = skip_fraction
        self.step_cap = step_cap
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _int_cv_splitter(self):
        """Stratified shuffled folds, drawn with ``random_state``."""
        return StratifiedKFold(self.cv, shuffle=True, random_state=_seed(self.random_state))

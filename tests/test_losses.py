"""Losses beyond least squares and sample weights (docs/method.rst, 'Losses beyond least squares').

Kernels and whole paths against the NumPy references of tests/reference.py;
the CV sweep against separate fits; weights against repeated and dropped
rows; the classifiers and the Poisson regressors in scikit-learn's tools.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastgs
from fastgs import kernels
from fastgs.losses import LOSSES, MULTINOMIAL

import reference as ref

LOSS_NAMES = ["squared_error", "log_loss", "poisson"]
GROUP_SIZE = 3


def _targets(loss, eta, rng):
    if loss == "log_loss":
        return (rng.random(eta.shape[0]) < 1 / (1 + np.exp(-eta))).astype(float)
    if loss == "poisson":
        return rng.poisson(np.exp(eta)).astype(float)
    return eta + 0.5 * rng.standard_normal(eta.shape[0])


def make_glm(loss, n=120, p=30, seed=0, scale=0.6):
    """Gaussian X, groups of 3, the first two groups on the support."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[: 2 * GROUP_SIZE] = scale * np.array([1.0, -1.0, 0.5, 1.0, 0.8, -0.6])
    y = _targets(loss, X @ w + 0.3, rng)
    return X, y, w


def _storage(X, storage):
    return X if storage == "dense" else getattr(sp, f"{storage}_matrix")(X)


# --------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("storage", ["dense", "csr", "csc", "dense_chunked", "csr_chunked"])
@pytest.mark.parametrize("weighted", [False, True])
def test_residual_gradient_loss_kernels_match_reference(loss, storage, weighted):
    rng = np.random.default_rng(3)
    n, p = 23, 17
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.6)
    w = 0.3 * rng.standard_normal(p)
    y = _targets(loss, X @ w, rng)
    offset = -0.4
    sw = rng.random(n) * 2 if weighted else None
    sw_arg = sw if weighted else np.empty(0)
    code = np.int64(LOSSES[loss])
    eta = X @ w + offset
    r_want = (1.0 if sw is None else sw) * (y - ref.mean_function(loss, eta))
    total_want = float(np.sum((1.0 if sw is None else sw) * ref.half_deviance(loss, y, eta)))
    r, g = np.empty(n), np.empty(p)
    if storage.startswith("dense"):
        args = (X,)
    else:
        M = _storage(X, storage.split("_")[0])
        args = (M.data, M.indices, M.indptr)
    name = storage.split("_")[0]
    if storage.endswith("chunked"):
        fn = getattr(kernels, f"residual_gradient_loss_{name}_chunked")
        total = fn(*args, y, w, r, g, np.empty((3, p)), code, offset, sw_arg)
    else:
        total = getattr(kernels, f"residual_gradient_loss_{name}")(*args, y, w, r, g, code, offset, sw_arg)
    assert_allclose(r, r_want, rtol=1e-12, atol=1e-14)
    assert_allclose(g, X.T @ r_want, rtol=1e-10, atol=1e-12)
    assert total == pytest.approx(total_want, rel=1e-12)
    # the validation kernel: the same residuals and loss, no gradient
    r2 = np.empty(n)
    total2 = getattr(kernels, f"residual_loss_{name}")(*args, y, w, r2, code, offset, sw_arg)
    assert_allclose(r2, r_want, rtol=1e-12, atol=1e-14)
    assert total2 == pytest.approx(total_want, rel=1e-12)


def test_logistic_kernel_is_stable_for_large_linear_predictors():
    X = np.array([[1.0], [1.0], [1.0], [1.0]])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    r, g = np.empty(4), np.empty(1)
    for big in (800.0, -800.0):
        total = kernels.residual_gradient_loss_dense(X, y, np.array([big]), r, g, LOSSES["log_loss"],
                                                     0.0, np.empty(0))  # fmt: skip
        assert np.isfinite(total) and np.all(np.isfinite(r))
        # two rows fit perfectly (loss 0), two are off by |big| each
        assert total == pytest.approx(2 * abs(big), rel=1e-12)


# --------------------------------------------------------------------------
# whole paths against the reference
# --------------------------------------------------------------------------

PATH_CASES = [
    (loss, storage, algorithm, fit_intercept, weighted)
    for loss in ("log_loss", "poisson")
    for storage, algorithm, fit_intercept, weighted in [
        ("dense", "alg1", True, False),
        ("dense", "alg2", True, True),
        ("csr", "alg1", False, True),
        ("csc", "alg2", True, False),
    ]
] + [("squared_error", "dense", "alg1", True, True), ("squared_error", "csr", "alg2", False, True)]


@pytest.mark.parametrize("loss, storage, algorithm, fit_intercept, weighted", PATH_CASES)
def test_dglnn_path_matches_reference(loss, storage, algorithm, fit_intercept, weighted):
    X, y, _ = make_glm(loss, n=90, p=24, seed=5)
    rng = np.random.default_rng(1)
    sw = rng.integers(0, 4, 60).astype(float) if weighted else None
    swv = rng.random(30) + 0.5 if weighted else None
    switch = 30
    # a start large enough for the paper schedule's small steps to move in 60 passes
    kw = dict(loss=loss, algorithm=algorithm, fit_intercept=fit_intercept, max_iter=60, alpha=0.01)
    expect = ref.glm_dglnn_reference(X[:60], y[:60], [np.arange(i, i + 3) for i in range(0, 24, 3)],
                                      switch=switch, sample_weight=sw, X_val=X[60:], y_val=y[60:],
                                      sample_weight_val=swv, **kw)  # fmt: skip
    path = fastgs.dglnn_path(_storage(X[:60], storage), y[:60], GROUP_SIZE, schedule="paper",
                             switch=switch, X_val=_storage(X[60:], storage), y_val=y[60:],
                             sample_weight=sw, sample_weight_val=swv, n_iter_no_change=0, **kw)  # fmt: skip
    assert path.status.ok
    assert path.step_u == pytest.approx(expect.gamma, rel=1e-12)
    scale = np.abs(expect.w).max()
    assert scale > 1e-3  # the path moved
    assert_allclose(path.coefs, expect.w, rtol=0, atol=1e-9 * scale)
    assert_allclose(path.intercepts, expect.intercepts, rtol=1e-9, atol=1e-11)
    assert_allclose(path.train_loss, expect.train_loss, rtol=1e-10)
    assert_allclose(path.val_loss, expect.val_loss, rtol=1e-10)
    best = int(np.argmin(expect.val_loss))
    assert path.best_iter == best
    assert path.best_intercept == pytest.approx(expect.intercepts[best], rel=1e-9, abs=1e-11)


@pytest.mark.parametrize("loss", ["log_loss", "poisson"])
@pytest.mark.parametrize("storage", ["dense", "csr", "csc"])
def test_cv_path_folds_equal_separate_paths(loss, storage):
    X, y, _ = make_glm(loss, n=80, p=24, seed=7)
    Xs = _storage(X, storage)
    sw = np.random.default_rng(2).random(80) + 0.25
    fold = np.random.default_rng(4).permutation(np.arange(80) % 4)
    kw = dict(loss=loss, fit_intercept=True, standardize=True, max_iter=60, n_iter_no_change=0)
    cvp = fastgs.dglnn_cv_path(Xs, y, GROUP_SIZE, cv=fold, sample_weight=sw, **kw)
    assert cvp.status.ok
    for k in range(4):
        tr, te = fold != k, fold == k
        path = fastgs.dglnn_path(Xs[np.flatnonzero(tr)], y[tr], GROUP_SIZE, X_val=Xs[np.flatnonzero(te)],
                                 y_val=y[te], sample_weight=sw[tr], sample_weight_val=sw[te], **kw)  # fmt: skip
        assert_allclose(cvp.val_curves[:, k], path.val_loss, rtol=1e-9)
        assert_allclose(cvp.train_curves[:, k], path.train_loss, rtol=1e-9)
    # the refit model ran in the same sweeps: it equals the path on all rows
    t = cvp.best_iter
    full = fastgs.dglnn_path(Xs, y, GROUP_SIZE, sample_weight=sw, **{**kw, "max_iter": max(t, 1)})
    i = 0 if t == 0 else -1
    scale = np.abs(full.coefs[i]).max()
    assert_allclose(cvp.best_coef, full.coefs[i], rtol=0, atol=1e-9 * max(scale, 1e-12))
    assert cvp.best_intercept == pytest.approx(float(full.intercepts[i]), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("loss", ["log_loss", "poisson"])
def test_dlnn_path_takes_every_loss(loss):
    X, y, w = make_glm(loss, n=200, p=30, seed=8, scale=1.0)
    path = fastgs.dlnn_path(X[:150], y[:150], X_val=X[150:], y_val=y[150:], loss=loss,
                            fit_intercept=True, standardize=True, max_iter=3000)  # fmt: skip
    assert path.status.ok
    top = np.argsort(np.abs(path.best_coef))[::-1][:4]
    assert set(top) <= set(np.flatnonzero(w))
    assert np.isfinite(path.best_intercept)


# --------------------------------------------------------------------------
# sample weights
# --------------------------------------------------------------------------


@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_integer_weights_fit_as_repeated_rows(loss):
    X, y, _ = make_glm(loss, n=60, p=18, seed=9)
    counts = np.random.default_rng(3).integers(0, 3, 60)
    rows = np.repeat(np.arange(60), counts)
    kw = dict(loss=loss, fit_intercept=True, standardize=True, max_iter=60)
    weighted = fastgs.dglnn_path(X, y, GROUP_SIZE, sample_weight=counts.astype(float), **kw)
    repeated = fastgs.dglnn_path(X[rows], y[rows], GROUP_SIZE, **kw)
    assert_allclose(weighted.coefs[-1], repeated.coefs[-1], rtol=1e-8, atol=1e-10)
    assert weighted.intercepts[-1] == pytest.approx(repeated.intercepts[-1], rel=1e-8, abs=1e-10)
    assert_allclose(weighted.train_loss, repeated.train_loss, rtol=1e-8)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_estimators_with_integer_weights_fit_as_repeated_rows(loss):
    X, y, _ = make_glm(loss, n=90, p=18, seed=10)
    counts = np.random.default_rng(6).integers(1, 3, 90)
    rows = np.repeat(np.arange(90), counts)
    est = fastgs.DGLNNClassifierCV if loss == "log_loss" else fastgs.DGLNNRegressorCV
    # the folds of the rows, repeated with them
    fold = np.arange(90) % 3
    a = est(groups=GROUP_SIZE, cv=_Folds(fold)).fit(X, y, sample_weight=counts)
    b = est(groups=GROUP_SIZE, cv=_Folds(fold[rows])).fit(X[rows], y[rows])
    assert a.best_iter_ == b.best_iter_
    assert_allclose(a.coef_, b.coef_, rtol=1e-7, atol=1e-9)


class _Folds:
    """A splitter with fixed fold labels."""

    def __init__(self, fold):
        self.fold = np.asarray(fold)

    def split(self, X, y=None, groups=None):
        for k in range(self.fold.max() + 1):
            yield np.flatnonzero(self.fold != k), np.flatnonzero(self.fold == k)

    def get_n_splits(self, X=None, y=None, groups=None):
        return int(self.fold.max()) + 1


@pytest.mark.parametrize("loss", LOSS_NAMES)
def test_zero_weights_drop_rows(loss):
    X, y, _ = make_glm(loss, n=70, p=18, seed=11)
    sw = np.ones(70)
    sw[::4] = 0.0
    keep = sw > 0
    kw = dict(loss=loss, fit_intercept=True, standardize=True, max_iter=50)
    a = fastgs.dglnn_path(X, y, GROUP_SIZE, sample_weight=sw, **kw)
    b = fastgs.dglnn_path(X[keep], y[keep], GROUP_SIZE, **kw)
    assert_allclose(a.coefs[-1], b.coefs[-1], rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("bad, match", [
    (-np.ones(40), "non-negative"),
    (np.r_[np.ones(39), np.nan], "sample_weight"),
    (np.zeros(40), "zero for every sample"),
    (np.ones(39), "one entry per sample"),
])  # fmt: skip
def test_bad_weights_refused(bad, match):
    X, y, _ = make_glm("log_loss", n=40, p=9)
    with pytest.raises(ValueError, match=match):
        fastgs.dglnn_path(X, y, GROUP_SIZE, loss="log_loss", sample_weight=bad)
    with pytest.raises(ValueError, match=match):
        fastgs.DGLNNClassifier(groups=GROUP_SIZE).fit(X, y, sample_weight=bad)


@pytest.mark.parametrize("loss, y_bad, match", [
    ("log_loss", lambda y: y + 1.0, r"\[0, 1\]"),
    ("log_loss", lambda y: np.ones_like(y), "single class"),
    ("poisson", lambda y: y - 3.0, "non-negative"),
    ("poisson", lambda y: np.zeros_like(y), "positive mean"),
])  # fmt: skip
def test_targets_that_do_not_suit_the_loss_are_refused(loss, y_bad, match):
    X, y, _ = make_glm(loss, n=40, p=9)
    with pytest.raises(ValueError, match=match):
        fastgs.dglnn_path(X, y_bad(y), GROUP_SIZE, loss=loss, fit_intercept=True)
    with pytest.raises(ValueError, match=match):
        fastgs.dglnn_cv_path(X, y_bad(y), GROUP_SIZE, loss=loss, fit_intercept=True)


def test_unknown_loss_refused():
    X, y, _ = make_glm("squared_error", n=40, p=9)
    with pytest.raises(ValueError, match="loss must be one of"):
        fastgs.dglnn_path(X, y, GROUP_SIZE, loss="hinge")
    with pytest.raises(ValueError, match="loss"):
        fastgs.DGLNNRegressor(loss="log_loss").fit(X, y)


def test_poisson_divergence_stops_and_returns_the_last_good_iterate():
    X, y, _ = make_glm("poisson", n=80, p=18, seed=12, scale=1.0)
    with pytest.warns(fastgs.DivergenceWarning):
        path = fastgs.dglnn_path(X, y, GROUP_SIZE, loss="poisson", fit_intercept=True,
                                 step_u=50.0, step_v=50.0, schedule="paper", max_iter=200)  # fmt: skip
    assert not path.status.ok
    assert np.all(np.isfinite(path.coefs)) and np.all(np.isfinite(path.intercepts))


# --------------------------------------------------------------------------
# estimators
# --------------------------------------------------------------------------


# the validation split and the folds are drawn by rows: repeated or removed
# rows change the draw, so the estimators match weighted fits only for fixed
# splits (test_estimators_with_integer_weights_fit_as_repeated_rows); the path
# functions match them exactly (test_integer_weights_fit_as_repeated_rows)
WEIGHTS_BY_ROWS = {
    "check_sample_weight_equivalence_on_dense_data": "the split is drawn by rows",
    "check_sample_weight_equivalence_on_sparse_data": "the split is drawn by rows",
}


@parametrize_with_checks([fastgs.DGLNNClassifier(), fastgs.DGLNNClassifierCV(),
                          fastgs.DGLNNRegressor(loss="poisson")],
                         expected_failed_checks=lambda est: {} if isinstance(est, fastgs.DGLNNClassifierCV)
                         else WEIGHTS_BY_ROWS)  # fmt: skip
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("Est", [fastgs.DGLNNClassifier, fastgs.DGLNNClassifierCV])
def test_classifier_finds_the_groups_and_predicts(Est):
    X, y, w = make_glm("log_loss", n=400, p=60, seed=13, scale=1.5)
    labels = np.where(y > 0, "case", "control")
    model = Est(groups=GROUP_SIZE).fit(X, labels)
    assert list(model.classes_) == ["case", "control"]
    assert model.coef_.shape == (1, 60) and model.intercept_.shape == (1,)
    assert set(model.selected_groups_) == {0, 1}
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(np.log(proba), model.predict_log_proba(X), rtol=1e-10, atol=1e-12)
    d = model.decision_function(X)
    # classes_[1] ("control", y = 0 here) is the positive class: its log-odds
    assert_allclose(d, X @ model.coef_[0] + model.intercept_[0], rtol=1e-12)
    assert np.array_equal(model.predict(X), model.classes_[(d > 0).astype(int)])
    assert model.score(X, labels) > 0.75


def test_classifier_refuses_unknown_validation_labels_and_a_single_class():
    X, y, _ = make_glm("log_loss", n=80, p=9)
    with pytest.raises(ValueError, match="not among the training classes"):
        fastgs.DGLNNClassifier(groups=3).fit(X, y, X_val=X[:10], y_val=np.full(10, 7.0))
    with pytest.raises(ValueError, match="single class"):
        fastgs.DGLNNClassifierCV(groups=3).fit(X, np.zeros(80))


def test_classifiers_in_pipeline_and_grid_search():
    X, y, _ = make_glm("log_loss", n=200, p=30, seed=14, scale=1.5)
    pipe = make_pipeline(StandardScaler(), fastgs.DGLNNClassifier(groups=GROUP_SIZE))
    search = GridSearchCV(pipe, {"dglnnclassifier__kappa": [0.1, 0.2]}, cv=3, scoring="neg_log_loss")
    search.fit(X, y)
    assert search.best_score_ > -0.6


def test_poisson_regressor_predicts_the_mean():
    X, y, w = make_glm("poisson", n=400, p=60, seed=15, scale=0.5)
    model = fastgs.DGLNNRegressorCV(groups=GROUP_SIZE, loss="poisson").fit(X, y)
    assert set(model.selected_groups_) == {0, 1}
    assert_allclose(model.predict(X), np.exp(X @ model.coef_ + model.intercept_), rtol=1e-12)
    assert np.all(model.predict(X) > 0)
    with pytest.raises(ValueError, match="non-negative"):
        fastgs.DGLNNRegressor(loss="poisson").fit(X, -y)


@pytest.mark.parametrize("loss", ["log_loss", "poisson"])
def test_float32_follows_float64(loss):
    X, y, _ = make_glm(loss, n=150, p=30, seed=16)
    kw = dict(loss=loss, fit_intercept=True, standardize=True, max_iter=60)
    p64 = fastgs.dglnn_path(X, y, GROUP_SIZE, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p32 = fastgs.dglnn_path(X.astype(np.float32), y.astype(np.float32), GROUP_SIZE, **kw)
    assert p32.coefs.dtype == np.float32
    assert_allclose(p32.coefs[-1], p64.coefs[-1], rtol=0, atol=1e-3 * np.abs(p64.coefs[-1]).max())


def test_sparse_x_is_never_densified(monkeypatch):
    X, y, _ = make_glm("log_loss", n=120, p=30, seed=17)
    Xs = sp.csr_matrix(X * (np.abs(X) > 0.5))

    def refuse(*args, **kwargs):
        raise AssertionError("sparse X was densified")

    monkeypatch.setattr(sp.csr_matrix, "toarray", refuse)
    monkeypatch.setattr(sp.csc_matrix, "toarray", refuse)
    model = fastgs.DGLNNClassifierCV(groups=GROUP_SIZE).fit(Xs, y)
    assert model.coef_.shape == (1, 30)


# --------------------------------------------------------------------------
# the grouped multinomial
# --------------------------------------------------------------------------


def make_multinomial(n=240, p=30, n_classes=3, seed=0, scale=1.2):
    """Gaussian X, groups of 3, the first two groups on the support of every class."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    W = np.zeros((p, n_classes))
    W[: 2 * GROUP_SIZE] = scale * rng.standard_normal((2 * GROUP_SIZE, n_classes))
    eta = X @ W
    P = np.exp(eta - eta.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    labels = (rng.random((n, 1)) > P.cumsum(axis=1)).sum(axis=1)
    return X, labels, np.eye(n_classes)[labels], W


@pytest.mark.parametrize("storage", ["dense", "csr", "csc", "dense_chunked", "csr_chunked", "csc_chunked"])
@pytest.mark.parametrize("weighted", [False, True])
def test_multinomial_sweep_matches_reference(storage, weighted):
    from fastgs import cv_kernels

    rng = np.random.default_rng(4)
    n, p, C, folds = 29, 2100, 3, 3  # > one column chunk of the dense sweep
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.3)
    labels = rng.integers(0, C, n)
    fold = (np.arange(n) % folds).astype(np.int64)
    M = folds * C
    W = 0.05 * rng.standard_normal((M, p))
    offset = rng.standard_normal(M)
    sw = rng.random(n) * 2 if weighted else None
    expect = ref.residual_gradient_folds_multinomial(X, labels, fold, W, offset, C, sw)
    G = np.empty((M, p))
    out = [np.empty(M) for _ in range(3)]
    args = (np.int64(MULTINOMIAL), np.int64(C), sw if weighted else np.empty(0))
    y = labels.astype(float)
    if storage.startswith("dense"):
        data = (X,)
    else:
        A = _storage(X, storage.split("_")[0])
        data = (A.data, A.indices, A.indptr)
    if storage == "csc_chunked":
        A.sort_indices()
        splits = np.vstack([A.indptr[:-1], A.indptr[:-1] + np.array(
            [np.count_nonzero(A.indices[A.indptr[j]:A.indptr[j + 1]] < n // 2) for j in range(p)]),
            A.indptr[1:]])  # fmt: skip
        cv_kernels.residual_gradient_folds_csc_chunked(*data, y, fold, W, offset, G, *out, *args, splits,
                                                       np.empty((n, M)))  # fmt: skip
    elif storage.endswith("chunked"):
        fn = getattr(cv_kernels, f"residual_gradient_folds_{storage}")
        fn(*data, y, fold, W, offset, G, *out, *args, np.empty((2, M, p)), np.empty((2, 3, M)))
    else:
        getattr(cv_kernels, f"residual_gradient_folds_{storage}")(*data, y, fold, W, offset, G, *out, *args)
    assert_allclose(G, expect[0], rtol=0, atol=1e-10 * np.abs(expect[0]).max())
    for got, want in zip(out, expect[1:]):
        assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("storage, algorithm, fit_intercept, weighted", [
    ("dense", "alg1", True, False),
    ("csr", "alg2", True, True),
    ("dense", "alg1", False, True),
])  # fmt: skip
def test_multinomial_path_matches_reference(storage, algorithm, fit_intercept, weighted):
    X, labels, Y, _ = make_multinomial(n=120, p=18, seed=5)
    rng = np.random.default_rng(2)
    sw = rng.integers(0, 4, 80).astype(float) if weighted else None
    swv = rng.random(40) + 0.5 if weighted else None
    kw = dict(loss="log_loss", algorithm=algorithm, fit_intercept=fit_intercept, max_iter=60, alpha=0.01)
    expect = ref.glm_dglnn_reference(X[:80], Y[:80], [np.arange(i, i + 3) for i in range(0, 18, 3)],
                                      switch=30, sample_weight=sw, X_val=X[80:], y_val=Y[80:],
                                      sample_weight_val=swv, **kw)  # fmt: skip
    path = fastgs.dglnn_path(_storage(X[:80], storage), Y[:80], GROUP_SIZE, schedule="paper", switch=30,
                             X_val=_storage(X[80:], storage), y_val=Y[80:], sample_weight=sw,
                             sample_weight_val=swv, n_iter_no_change=0, **kw)  # fmt: skip
    assert path.status.ok
    assert path.coefs.shape == (61, 18, 3) and path.intercepts.shape == (61, 3)
    assert path.step_u == pytest.approx(expect.gamma, rel=1e-12)
    scale = np.abs(expect.w).max()
    assert scale > 1e-3
    assert_allclose(path.coefs, expect.w, rtol=0, atol=1e-9 * scale)
    assert_allclose(path.intercepts, expect.intercepts, rtol=1e-9, atol=1e-11)
    assert_allclose(path.train_loss, expect.train_loss, rtol=1e-10)
    assert_allclose(path.val_loss, expect.val_loss, rtol=1e-10)
    assert path.best_coef.shape == (18, 3) and path.best_intercept.shape == (3,)


@pytest.mark.parametrize("storage", ["dense", "csr", "csc"])
def test_multinomial_cv_folds_equal_separate_paths(storage):
    X, labels, Y, _ = make_multinomial(n=150, p=24, seed=7)
    Xs = _storage(X, storage)
    fold = np.empty(150, dtype=np.int64)
    for c in range(3):  # stratified: every class in every fold
        rows = np.flatnonzero(labels == c)
        fold[rows] = np.arange(rows.size) % 3
    sw = np.random.default_rng(3).random(150) + 0.25
    kw = dict(loss="log_loss", fit_intercept=True, standardize=True, max_iter=50, n_iter_no_change=0)
    cvp = fastgs.dglnn_cv_path(Xs, Y, GROUP_SIZE, cv=fold, sample_weight=sw, **kw)
    assert cvp.status.ok
    for k in range(3):
        tr, te = fold != k, fold == k
        path = fastgs.dglnn_path(Xs[np.flatnonzero(tr)], Y[tr], GROUP_SIZE, X_val=Xs[np.flatnonzero(te)],
                                 y_val=Y[te], sample_weight=sw[tr], sample_weight_val=sw[te], **kw)  # fmt: skip
        assert_allclose(cvp.val_curves[:, k], path.val_loss, rtol=1e-9)
        assert_allclose(cvp.train_curves[:, k], path.train_loss, rtol=1e-9)
    t = cvp.best_iter
    full = fastgs.dglnn_path(Xs, Y, GROUP_SIZE, sample_weight=sw, **{**kw, "max_iter": max(t, 1)})
    i = 0 if t == 0 else -1
    assert cvp.best_coef.shape == (24, 3)
    assert_allclose(cvp.best_coef, full.coefs[i], rtol=0, atol=1e-9 * np.abs(full.coefs[i]).max())
    assert_allclose(cvp.best_intercept, full.intercepts[i], rtol=1e-9, atol=1e-12)


def test_dlnn_multinomial_finds_the_support():
    X, labels, Y, W = make_multinomial(n=300, p=30, seed=1, scale=1.5)
    path = fastgs.dlnn_path(X[:220], Y[:220], X_val=X[220:], y_val=Y[220:], loss="log_loss",
                            fit_intercept=True, standardize=True, max_iter=3000)  # fmt: skip
    assert path.status.ok
    assert path.best_coef.shape == (30, 3) and path.intercepts.shape[1:] == (3,)
    norms = np.linalg.norm(path.best_coef, axis=1)
    assert set(np.argsort(norms)[::-1][:5]) <= set(range(2 * GROUP_SIZE))


def test_multinomial_targets_checked():
    X, labels, Y, _ = make_multinomial(n=60, p=9)
    with pytest.raises(ValueError, match="one-hot"):
        fastgs.dglnn_path(X, Y * 0.5, GROUP_SIZE, loss="log_loss")
    Y2 = Y.copy()
    Y2[:, 1] = 0
    Y2[labels == 1, 0] = 1
    with pytest.raises(ValueError, match="no"):
        fastgs.dglnn_path(X, Y2, GROUP_SIZE, loss="log_loss", fit_intercept=True)
    with pytest.raises(ValueError, match="fold"):
        fastgs.dglnn_cv_path(X, Y, GROUP_SIZE, loss="log_loss", cv=np.where(labels == 2, 0, 1))


@pytest.mark.parametrize("Est", [fastgs.DGLNNClassifier, fastgs.DGLNNClassifierCV])
def test_multiclass_classifier(Est):
    X, labels, _, W = make_multinomial(n=450, p=45, seed=8, scale=1.5)
    names = np.array(["setosa", "versicolor", "virginica"])[labels]
    model = Est(groups=GROUP_SIZE).fit(X, names)
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
    assert model.coef_.shape == (3, 45) and model.intercept_.shape == (3,)
    assert set(model.selected_groups_) == {0, 1}
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    d = model.decision_function(X)
    assert d.shape == (450, 3)
    assert_allclose(d, X @ model.coef_.T + model.intercept_, rtol=1e-12)
    assert np.array_equal(model.predict(X), model.classes_[np.argmax(d, axis=1)])
    assert model.score(X, names) > 0.7

"""The scikit-learn estimators: API compliance, early-stopping semantics
against the path functions, cross-validation, composition with scikit-learn
tools, determinism and thread safety.
"""

from __future__ import annotations

import pickle
import threading

import numba
import fastgs.path
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    ShuffleSplit,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastgs
from fastgs import DGLNNRegressor, DGLNNRegressorCV, DLNNRegressor
from fastgs.datasets import make_group_sparse_regression
from fastgs.paper.settings import paper_setting

SIZE = 3
ALPHA = 1e-3  # a start that makes a few hundred iterations interesting
GD_ALPHA = 0.2  # plain GD needs a larger, balanced start (docs/method.rst, 'Plain gradient descent')
MAX_ITER = 300
RTOL = 1e-10
DLNN_ALPHA, DLNN_MAX_ITER = 1e-2, 800  # a w = a*a - b*b network needs more iterations


def make_data(seed=2, n=100, p=36, noise=1.5, n_val=0):
    """Gaussian X with shifted column means, two active groups, an intercept,
    and enough noise that the validation loss has an interior minimum."""
    rng = np.random.default_rng(seed)
    shift = rng.uniform(-0.3, 0.3, p)
    w = np.zeros(p)
    w[:SIZE] = 1.0
    w[2 * SIZE : 3 * SIZE] = -0.7
    X = rng.standard_normal((n + n_val, p)) + shift
    y = X @ w + 1.5 + noise * rng.standard_normal(n + n_val)
    if n_val:
        return X[:n], y[:n], X[n:], y[n:]
    return X, y


def dglnn_path(*args, **kw):
    """fastgs.dglnn_path with the estimators' default ``standardize=True``."""
    kw.setdefault("standardize", True)
    return fastgs.dglnn_path(*args, **kw)


def dglnn_cv_path(*args, **kw):
    """fastgs.dglnn_cv_path with the estimators' default ``standardize=True``."""
    kw.setdefault("standardize", True)
    return fastgs.dglnn_cv_path(*args, **kw)


def dlnn_path(*args, **kw):
    """fastgs.dlnn_path with the estimators' default ``standardize=True``."""
    kw.setdefault("standardize", True)
    return fastgs.dlnn_path(*args, **kw)


def close(a, b, rtol=RTOL):
    """Equal up to ``rtol`` relative to the larger entries of b."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    scale = max(float(np.max(np.abs(b))), 1e-300)
    assert float(np.max(np.abs(a - b))) <= rtol * scale, float(np.max(np.abs(a - b))) / scale


def refit_pass(split_curve, full_curve, best):
    """The pass where the refit stops: the first t >= best (at most 2 best + 1)
    where the full path's training loss falls by at most the split path's rate
    at its chosen pass ``best``."""
    rate = (split_curve[best - 1] - split_curve[best]) / abs(split_curve[best])
    t = best
    while t < 2 * best + 1 and (full_curve[t - 1] - full_curve[t]) > rate * abs(full_curve[t]):
        t += 1
    return t


def check_intercept(model, X, y):
    """intercept_ is mean(y) - mean(X) @ coef_ on the final fit's data, and predict agrees."""
    Xd = X.toarray() if sp.issparse(X) else X
    if model.fit_intercept:
        expected = float(np.mean(y) - np.mean(Xd, axis=0) @ model.coef_)
        assert model.intercept_ == pytest.approx(expected, rel=1e-10, abs=1e-12)
    else:
        assert model.intercept_ == 0.0
    assert_allclose(model.predict(X), Xd @ model.coef_ + model.intercept_, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------
# 1. scikit-learn API compliance
# --------------------------------------------------------------------------


# the default estimators, as users get them (sklearn skips its array-API
# check unless SCIPY_ARRAY_API is set; fastgs converts inputs to NumPy)
@parametrize_with_checks(
    [DGLNNRegressor(), DLNNRegressor(), DGLNNRegressorCV()],
    # the validation split and the folds are drawn by rows, so repeated rows
    # change the draw (tests/test_losses.py checks weights against repeated
    # rows with fixed splits)
    expected_failed_checks=lambda est: {} if isinstance(est, DGLNNRegressorCV) else {
        "check_sample_weight_equivalence_on_dense_data": "the split is drawn by rows",
        "check_sample_weight_equivalence_on_sparse_data": "the split is drawn by rows",
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------
# 2. early stopping semantics
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "algorithm, schedule",
    [("alg1", "paper"), ("alg2", "paper"), ("gd", "paper"), ("alg2", "fast"), ("gd", "auto")],
)
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_given_validation_set(fit_intercept, algorithm, schedule):
    X, y, Xv, yv = make_data(n_val=40)
    alpha = GD_ALPHA if algorithm == "gd" else ALPHA
    kw = dict(algorithm=algorithm, alpha=alpha, max_iter=MAX_ITER, fit_intercept=fit_intercept,
              schedule=schedule)  # fmt: skip
    m = DGLNNRegressor(groups=SIZE, **kw).fit(X, y, X_val=Xv, y_val=yv)
    path = dglnn_path(X, y, SIZE, X_val=Xv, y_val=yv, **kw)
    assert (path.t0 > 0) == (schedule == "fast")  # the fast schedule skips its linear start
    best = int(np.argmin(path.val_loss))  # = passes over X after the start
    assert 0 < best < MAX_ITER  # the data give an interior minimum
    assert m.best_iter_ == best == path.best_iter - path.t0
    assert m.n_iter_ == path.best_iter
    assert_array_equal(m.validation_loss_, path.val_loss)
    assert m.validation_loss_[m.best_iter_] == m.validation_loss_.min()
    # every iterate recorded, up to where the run ended (the early end or max_iter)
    assert_array_equal(path.iterations, path.t0 + np.arange(len(path.val_loss)))
    assert_array_equal(m.coef_, path.coefs[best])
    assert_array_equal(m.coef_, path.best_coef)
    assert_array_equal(m.u_, path.u[best])
    assert m.intercept_ == pytest.approx(float(path.intercepts[best]), rel=1e-12, abs=1e-14)
    check_intercept(m, X, y)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_given_validation_set_dlnn(fit_intercept):
    X, y, Xv, yv = make_data(n_val=40)
    kw = dict(alpha=DLNN_ALPHA, max_iter=DLNN_MAX_ITER, fit_intercept=fit_intercept)
    m = DLNNRegressor(**kw).fit(X, y, X_val=Xv, y_val=yv)
    path = dlnn_path(X, y, X_val=Xv, y_val=yv, **kw)
    best = int(np.argmin(path.val_loss))
    assert 0 < best < DLNN_MAX_ITER
    assert m.best_iter_ == best
    assert_array_equal(m.coef_, path.coefs[best])
    assert_array_equal(m.validation_loss_, path.val_loss)
    check_intercept(m, X, y)


@pytest.mark.parametrize("schedule", ["fast", "paper"])
@pytest.mark.parametrize("storage", ["dense", "csr"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_validation_split_and_refit(fit_intercept, storage, schedule):
    X, y = make_data()
    Xs = X if storage == "dense" else sp.csr_matrix(X)
    frac, rs = 0.25, 7
    # fast: over 60 passes (see CV_CASES)
    max_iter = MAX_ITER if schedule == "paper" else 60
    kw = dict(alpha=ALPHA, max_iter=max_iter, fit_intercept=fit_intercept, schedule=schedule)
    m = DGLNNRegressor(groups=SIZE, validation_fraction=frac, random_state=rs, **kw).fit(Xs, y)

    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=frac, random_state=rs)
    split = dglnn_path(X_tr, y_tr, SIZE, X_val=X_va, y_val=y_va, **kw)
    best = int(np.argmin(split.val_loss))  # passes over X after the start
    assert 0 < best < max_iter
    assert m.best_iter_ == best
    close(m.validation_loss_, split.val_loss)

    # refit=True: a run on ALL the training data (its own skipped start with the
    # fast schedule) for at least as many passes, on until its training loss
    # falls no faster than the split's did in the pass to its best iterate
    full = dglnn_path(X, y, SIZE, **{**kw, "max_iter": 2 * best + 1})
    t = refit_pass(split.train_curve, full.train_curve, best)
    assert m.n_iter_ == full.iterations[t] == full.t0 + t
    close(m.coef_, full.coefs[t])
    close(m.u_, full.u[t])
    check_intercept(m, X, y)
    # ... which is not the split path's iterate
    assert not np.allclose(m.coef_, split.coefs[best], rtol=1e-6)

    # refit=False keeps the split path's iterate (and its intercept, centred on the split)
    m2 = DGLNNRegressor(groups=SIZE, validation_fraction=frac, random_state=rs, refit=False, **kw)
    m2.fit(Xs, y)
    assert m2.best_iter_ == best
    close(m2.coef_, split.coefs[best])
    close(m2.validation_loss_, split.val_loss)
    check_intercept(m2, X_tr, y_tr)


@pytest.mark.parametrize("schedule", ["fast", "paper"])
def test_refit_passes_the_drop_of_the_training_loss(schedule):
    # the split path's best iterate lies just past the sharp drop where the two
    # groups enter; on all the data the drop comes a few passes later, and a
    # refit for the same number of passes stopped inside it (error 5.8 fast,
    # 0.78 paper, vs 0.045 at the split's iterate)
    X, y, w, _ = make_group_sparse_regression(90, 24, group_size=4, n_informative_groups=2,
                                              coef=3.0, random_state=0)  # fmt: skip
    kw = dict(groups=4, random_state=0, schedule=schedule)
    split = DGLNNRegressor(refit=False, **kw).fit(X, y)
    refit = DGLNNRegressor(**kw).fit(X, y)
    same_passes = dglnn_path(X, y, 4, schedule=schedule, fit_intercept=True,
                             max_iter=split.best_iter_)  # fmt: skip
    err = lambda coef: float(np.sum((coef - w) ** 2))  # noqa: E731
    assert err(same_passes.coefs[-1]) > 10 * err(split.coef_)  # the failure this guards against
    assert err(refit.coef_) < 2 * err(split.coef_)
    assert refit.n_iter_ > same_passes.iterations[-1]


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_validation_split_and_refit_dlnn(fit_intercept):
    X, y = make_data()
    frac, rs = 0.2, 3
    kw = dict(alpha=DLNN_ALPHA, max_iter=DLNN_MAX_ITER, fit_intercept=fit_intercept)
    m = DLNNRegressor(random_state=rs, **kw).fit(X, y)
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=frac, random_state=rs)
    split = dlnn_path(X_tr, y_tr, X_val=X_va, y_val=y_va, **kw)
    best = int(np.argmin(split.val_loss))
    assert 0 < best < DLNN_MAX_ITER
    assert m.best_iter_ == best
    # the refit rule of DGLNNRegressor (see test_validation_split_and_refit)
    full = dlnn_path(X, y, **{**kw, "max_iter": 2 * best + 1})
    t = refit_pass(split.train_curve, full.train_curve, best)
    assert m.n_iter_ == full.iterations[t] == t
    close(m.coef_, full.coefs[t])
    check_intercept(m, X, y)


@pytest.mark.parametrize("Est", [DGLNNRegressor, DLNNRegressor])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_no_early_stopping(Est, fit_intercept):
    X, y = make_data()
    max_iter = 120
    m = Est(max_iter=max_iter, early_stopping=False, fit_intercept=fit_intercept).fit(X, y)
    assert m.best_iter_ is None
    assert m.validation_loss_ is None
    if Est is DGLNNRegressor:
        path = dglnn_path(X, y, None, max_iter=max_iter, fit_intercept=fit_intercept)
        assert path.t0 > 0  # the default is the fast schedule
    else:
        path = dlnn_path(X, y, max_iter=max_iter, fit_intercept=fit_intercept)
    assert m.n_iter_ == path.iterations[-1] == getattr(path, "t0", 0) + max_iter
    close(m.coef_, path.coefs[-1])
    check_intercept(m, X, y)
    with pytest.raises(ValueError, match="early_stopping=False"):
        Est(max_iter=5, early_stopping=False).fit(X, y, X_val=X[:5], y_val=y[:5])


def test_best_iter_zero_gives_the_start():
    # a validation set on which no fitting helps: the start (iteration 0) is best
    X, y, Xv, _ = make_data(n_val=40)
    yv = np.full(40, np.mean(y))
    m = DGLNNRegressor(groups=SIZE, max_iter=50).fit(X, y, X_val=Xv, y_val=yv)
    path = dglnn_path(X, y, SIZE, max_iter=50, X_val=Xv, y_val=yv, fit_intercept=True)
    assert m.best_iter_ == int(np.argmin(path.val_loss))
    assert_array_equal(m.coef_, path.coefs[m.best_iter_])


# --------------------------------------------------------------------------
# 3. cross-validation
# --------------------------------------------------------------------------


def _labels(splits, n):
    fold = np.full(n, -1, dtype=np.int64)
    for k, (_, test) in enumerate(splits):
        fold[test] = k
    assert np.all(fold >= 0)
    return fold


@pytest.mark.parametrize("storage", ["dense", "csr", "csc"])
@pytest.mark.parametrize("cv_kind", ["int", "KFold", "GroupKFold"])
# the default (fast) schedule; without an intercept the paper's (see CV_CASES)
@pytest.mark.parametrize("fit_intercept, schedule", [(True, "auto"), (False, "paper")])
def test_cv_estimator_matches_cv_path(cv_kind, fit_intercept, schedule, storage):
    X, y = make_data()
    Xs = X if storage == "dense" else getattr(sp, f"{storage}_matrix")(X)
    n = X.shape[0]
    sample_groups = None
    if cv_kind == "int":
        cv = 4
        fold = _labels(KFold(4, shuffle=True, random_state=11).split(X), n)
    elif cv_kind == "KFold":
        cv = KFold(5, shuffle=True, random_state=3)
        fold = _labels(cv.split(X), n)
    else:
        cv = GroupKFold(4)
        sample_groups = np.arange(n) // 5  # 20 blocks of 5 consecutive rows
        fold = _labels(cv.split(X, y, sample_groups), n)
    kw = dict(alpha=ALPHA, max_iter=MAX_ITER, fit_intercept=fit_intercept, schedule=schedule)
    m = DGLNNRegressorCV(groups=SIZE, cv=cv, random_state=11, **kw).fit(Xs, y, groups=sample_groups)
    assert_array_equal(m.cv_path_.fold, fold)
    if sample_groups is not None:  # a sample group never straddles two folds
        for g in np.unique(sample_groups):
            assert np.unique(fold[sample_groups == g]).size == 1

    cvp = dglnn_cv_path(Xs, y, SIZE, cv=fold, **kw)
    close(m.cv_curve_, cvp.val_curves.mean(axis=1))
    close(m.cv_path_.val_curves, cvp.val_curves)
    assert m.best_iter_ == int(np.argmin(m.cv_curve_))
    assert 0 < m.best_iter_ < MAX_ITER
    # the refit: the model on all rows after best_iter_ passes (plus its skipped start)
    full = dglnn_path(X, y, SIZE, **{**kw, "max_iter": m.best_iter_})
    assert m.n_iter_ == full.iterations[-1] == full.t0 + m.best_iter_
    close(m.coef_, full.coefs[-1])
    check_intercept(m, X, y)


CV_CASES = [
    (storage, fit_intercept, algorithm, update, "paper")
    for storage in ("dense", "csr", "csc")
    for fit_intercept in (True, False)
    for algorithm in ("alg1", "alg2", "gd")
    for update in ("simultaneous", "sequential")
] + [
    # the fast schedule over its first 80 passes (which hold the validation
    # minimum), with an intercept: its late iterates on these small, uncentered
    # problems amplify rounding (a 1e-15 change of y grows to 1e-7 by pass 200),
    # so two summation orders cannot agree to 1e-10 over 200 passes
    (storage, True, "alg2", update, "fast")
    for storage in ("dense", "csr", "csc")
    for update in ("simultaneous", "sequential")
]


@pytest.mark.parametrize(
    "storage, fit_intercept, algorithm, update, schedule",
    CV_CASES,
    ids=[f"{s}-{'icpt' if f else 'noicpt'}-{a}-{u[:3]}-{sc}" for s, f, a, u, sc in CV_CASES],
)
def test_cv_path_folds_equal_separate_paths(storage, fit_intercept, algorithm, update, schedule,
                                            monkeypatch):  # fmt: skip
    # the sweep storage goes by shape: force the one under test (CSR input
    # swept as CSR, CSC input swept as CSC)
    monkeypatch.setattr(fastgs.path, "CV_CSR_MAX_BYTES", 0 if storage == "csc" else 1 << 40)
    X, y = make_data(n=60)
    X[np.abs(X) < 0.3] = 0.0  # some sparsity for the sparse storages
    Xs = X if storage == "dense" else getattr(sp, f"{storage}_matrix")(X)
    fold = np.random.default_rng(4).permutation(np.arange(60) % 4)
    kw = dict(
        algorithm=algorithm, update=update, alpha=GD_ALPHA if algorithm == "gd" else ALPHA,
        max_iter=200 if schedule == "paper" else 80, fit_intercept=fit_intercept,
        schedule=schedule, n_iter_no_change=0,  # the CV sweep ends on the mean curve
    )  # fmt: skip
    cvp = dglnn_cv_path(Xs, y, SIZE, cv=fold, **kw)
    assert cvp.status.ok
    switched = 0
    for k in range(4):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        path = dglnn_path(Xs[tr], y[tr], SIZE, X_val=Xs[te], y_val=y[te], **kw)
        close(cvp.val_curves[:, k], path.val_loss)
        close(cvp.train_curves[:, k], path.train_loss)
        assert cvp.step_u[k] == pytest.approx(path.step_u, rel=1e-12)
        sw = -1 if path.switch_iter is None else path.switch_iter
        assert cvp.switch_iters[k] == sw
        switched += sw >= 0
    if algorithm == "alg2":
        assert switched  # the curves cover the switch to Algorithm 2's constant step


def test_cv_overlapping_splitter_refused():
    X, y = make_data()
    with pytest.raises(ValueError, match="overlap"):
        cv = ShuffleSplit(5, test_size=0.3, random_state=0)
        DGLNNRegressorCV(groups=SIZE, cv=cv, max_iter=20).fit(X, y)


def test_cv_splitter_missing_samples_refused():
    X, y = make_data()
    with pytest.raises(ValueError, match="no test set"):
        cv = ShuffleSplit(1, test_size=0.3, random_state=0)
        DGLNNRegressorCV(groups=SIZE, cv=cv, max_iter=20).fit(X, y)


def test_cv_iterable_of_splits():
    X, y = make_data()
    splits = list(KFold(4).split(X))
    m = DGLNNRegressorCV(groups=SIZE, cv=splits, max_iter=100).fit(X, y)
    assert_array_equal(m.cv_path_.fold, _labels(splits, X.shape[0]))


def test_cv_estimator_error_near_oracle_fig4():
    """Paper's Figure-4 setting (n=100, p=500, 4 groups of 4 on the support):
    the CV-stopped estimate is within 1.5x of the oracle-stopped one (medians over 5 seeds)."""
    cv_err, oracle_err = [], []
    for seed in range(5):
        X, y, w_star, _ = paper_setting("fig4", seed)
        m = DGLNNRegressorCV(groups=4, cv=5, max_iter=500, fit_intercept=False, random_state=seed)
        m.fit(X, y)
        cv_err.append(float(np.sum((m.coef_ - w_star) ** 2)))
        path = dglnn_path(X, y, 4, max_iter=500)
        oracle_err.append(float(np.min(np.sum((path.coefs - w_star) ** 2, axis=1))))
    assert np.median(cv_err) <= 1.5 * np.median(oracle_err), (cv_err, oracle_err)
    assert np.median(oracle_err) < 0.2  # docs/method.rst, 'Reference results': about 0.05


# --------------------------------------------------------------------------
# 4. composition with scikit-learn tools
# --------------------------------------------------------------------------


def test_pipeline():
    X, y = make_data()
    X = X * np.linspace(0.5, 20.0, X.shape[1]) + 3.0  # badly scaled columns
    model = DGLNNRegressor(groups=SIZE, max_iter=MAX_ITER, random_state=0)
    pipe = make_pipeline(StandardScaler(), model)
    pipe.fit(X, y)
    Xt = StandardScaler().fit_transform(X)
    direct = DGLNNRegressor(groups=SIZE, max_iter=MAX_ITER, random_state=0).fit(Xt, y)
    assert_allclose(pipe[-1].coef_, direct.coef_, rtol=1e-12, atol=1e-15)
    assert_allclose(pipe.predict(X), direct.predict(Xt), rtol=1e-12, atol=1e-12)
    assert pipe.score(X, y) > 0.5


@pytest.mark.parametrize("grid", [{"max_iter": [30, 200]}, {"alpha": [1e-6, 1e-3]}])
def test_grid_search(grid):
    X, y = make_data()
    base = DGLNNRegressor(groups=SIZE, max_iter=200, random_state=0)
    gs = GridSearchCV(base, grid, cv=3).fit(X, y)
    (name,) = grid
    assert gs.best_params_[name] in grid[name]
    assert gs.cv_results_["mean_test_score"].shape == (2,)
    assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
    refit = clone(base).set_params(**gs.best_params_).fit(X, y)
    assert_array_equal(gs.best_estimator_.coef_, refit.coef_)


@pytest.mark.parametrize(
    "model",
    [
        DGLNNRegressor(groups=SIZE, max_iter=100, random_state=0),
        DGLNNRegressor(groups=np.repeat(np.arange(12), 3), max_iter=100, random_state=0),
        DLNNRegressor(max_iter=100, random_state=0),
        DGLNNRegressorCV(groups=SIZE, cv=3, max_iter=100, random_state=0),
    ],
    ids=["dglnn", "dglnn-labels", "dlnn", "dglnn-cv"],
)
def test_clone_pickle_params(model):
    X, y = make_data()
    c = clone(model)
    assert c is not model
    assert c.get_params().keys() == model.get_params().keys()
    for key, value in model.get_params().items():
        if isinstance(value, np.ndarray):
            assert_array_equal(c.get_params()[key], value)
        else:
            assert c.get_params()[key] == value
    assert not hasattr(c, "coef_")

    model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X), model.predict(X))
    assert_array_equal(restored.coef_, model.coef_)
    assert restored.best_iter_ == model.best_iter_

    # set_params returns self and changes the fit; get_params reflects it
    assert c.set_params(max_iter=7) is c
    assert c.get_params()["max_iter"] == 7
    c.fit(X, y)
    assert c.best_iter_ <= 7
    with pytest.raises(ValueError, match="Invalid parameter"):
        c.set_params(not_a_parameter=1)


def test_get_params_match_signature():
    import inspect

    for Est in (DGLNNRegressor, DLNNRegressor, DGLNNRegressorCV):
        sig = set(inspect.signature(Est.__init__).parameters) - {"self"}
        assert set(Est().get_params()) == sig


# --------------------------------------------------------------------------
# 5. determinism, dtypes, threads
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", [DGLNNRegressor, DLNNRegressor, DGLNNRegressorCV])
def test_deterministic(Est):
    X, y = make_data()
    a = Est(max_iter=150, random_state=0).fit(X, y)
    b = Est(max_iter=150, random_state=0).fit(X, y)
    assert a.coef_.tobytes() == b.coef_.tobytes()
    assert a.intercept_ == b.intercept_
    assert a.best_iter_ == b.best_iter_


@pytest.mark.parametrize("Est", [DGLNNRegressor, DLNNRegressor, DGLNNRegressorCV])
def test_float32(Est):
    X, y = make_data()
    m32 = Est(max_iter=150, random_state=0).fit(X.astype(np.float32), y.astype(np.float32))
    assert m32.coef_.dtype == np.float32
    m64 = Est(max_iter=150, random_state=0).fit(X, y)
    # same model up to float32 rounding (the stopping iteration may move a little)
    assert np.linalg.norm(m32.coef_ - m64.coef_) <= 0.05 * np.linalg.norm(m64.coef_)


def _fit_in_two_threads(make_estimator, X, y):
    """Fit two estimators at once from two Python threads; re-raise any error."""
    results, errors = [None, None], []
    barrier = threading.Barrier(2)

    def work(i):
        try:
            barrier.wait()
            results[i] = make_estimator().fit(X, y)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_threads():
    X, y = make_data(n=200, p=60)
    serial = DGLNNRegressor(groups=SIZE, max_iter=MAX_ITER, random_state=0).fit(X, y)
    results = _fit_in_two_threads(
        lambda: DGLNNRegressor(groups=SIZE, max_iter=MAX_ITER, random_state=0), X, y
    )
    for r in results:
        assert r.coef_.tobytes() == serial.coef_.tobytes()
        assert r.intercept_ == serial.intercept_
        assert r.best_iter_ == serial.best_iter_


def _big_data():
    """Enough stored entries (> 2**21) for the multi-threaded sweeps to cut rows into chunks."""
    rng = np.random.default_rng(9)
    n, p = 4200, 512
    X = rng.standard_normal((n, p))
    y = X[:, :4].sum(axis=1) + 0.5 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("storage", ["dense", "csr"])
def test_n_jobs_bit_identical(storage):
    X, y = _big_data()
    if storage == "csr":
        X[np.abs(X) < 0.1] = 0.0
        X = sp.csr_matrix(X)
    n_threads = [None, 1, min(2, numba.config.NUMBA_NUM_THREADS), -1]
    kw = dict(groups=4, max_iter=25, early_stopping=False)
    fits = [DGLNNRegressor(n_jobs=k, **kw).fit(X, y).coef_ for k in n_threads]
    for coef in fits[1:]:
        assert coef.tobytes() == fits[0].tobytes()
    cvs = [
        DGLNNRegressorCV(groups=4, cv=3, max_iter=10, random_state=0, n_jobs=k).fit(X, y)
        for k in (None, -1)
    ]
    assert cvs[0].cv_curve_.tobytes() == cvs[1].cv_curve_.tobytes()
    assert cvs[0].coef_.tobytes() == cvs[1].coef_.tobytes()


def test_threads_with_n_jobs():
    # two Python threads, each asking for several Numba threads
    X, y = _big_data()
    kw = dict(groups=4, max_iter=25, early_stopping=False)
    serial = DGLNNRegressor(**kw).fit(X, y)
    results = _fit_in_two_threads(lambda: DGLNNRegressor(n_jobs=-1, **kw), X, y)
    for r in results:
        assert r.coef_.tobytes() == serial.coef_.tobytes()

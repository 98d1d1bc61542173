"""Answers users can trust: standardized columns (any units, one model) and
deterministic defaults (the same data give the same model in every run)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastgs
import reference as ref
from fastgs import DGLNNRegressor, DGLNNRegressorCV, DLNNRegressor, ScaleWarning

SIZE = 3


def make_problem(seed=0, n=60, p=24, n_val=30):
    """Columns in very different units (RMS from 0.01 to 100) with offsets."""
    rng = np.random.default_rng(seed)
    units = np.exp(rng.uniform(np.log(0.01), np.log(100.0), p))
    shift = rng.uniform(-0.5, 0.5, p)
    w = np.zeros(p)
    w[0:3] = [1.5, -1.0, 2.0]
    w[9:12] = [-1.0, 1.0, 0.5]
    Z = rng.standard_normal((n + n_val, p)) + shift
    y = Z @ w + 1.5 + 0.3 * rng.standard_normal(n + n_val)
    X = Z * units
    return X[:n], y[:n], X[n:], y[n:], [np.arange(i, i + SIZE) for i in range(0, p, SIZE)]


def rel_err(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# --------------------------------------------------------------------------
# standardize: the path functions against the obvious reference
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("algorithm", ["alg1", "alg2", "gd"])
def test_standardized_path_matches_reference(algorithm, fit_intercept):
    X, y, Xv, yv, groups = make_problem(seed=1)
    alpha = 0.2 if algorithm == "gd" else 1e-3
    P = fastgs.dglnn_path(X, y, SIZE, algorithm=algorithm, alpha=alpha, max_iter=80,
                          X_val=Xv, y_val=yv, fit_intercept=fit_intercept, standardize=True,
                          schedule="paper", switch="paper", tau=2e-2, n_iter_no_change=0)  # fmt: skip
    R = ref.standardized(ref.dglnn_reference, X, y, groups=groups, algorithm=algorithm,
                         alpha=alpha, max_iter=80, X_val=Xv, y_val=yv, switch="paper", tau=2e-2,
                         fit_intercept=fit_intercept)  # fmt: skip
    assert R.status == ref.STATUS_OK
    np.testing.assert_allclose(P.x_scale, R.scale, rtol=1e-12)
    for k in range(len(P.iterations)):
        assert rel_err(P.coefs[k], R.w[k]) <= 1e-9
    assert rel_err(P.intercepts, R.intercepts) <= 1e-9
    assert P.best_iter == R.best_iter
    assert rel_err(P.best_coef, R.best_w) <= 1e-9
    # the model must have moved (a meaningful comparison) and the columns differ in units
    assert R.train_loss[-1] < 0.5 * R.train_loss[0]
    assert P.x_scale.max() / P.x_scale.min() > 100


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_standardized_dlnn_matches_reference(fit_intercept):
    X, y, Xv, yv, _ = make_problem(seed=3)
    P = fastgs.dlnn_path(X, y, alpha=1e-3, max_iter=120, X_val=Xv, y_val=yv, standardize=True,
                         fit_intercept=fit_intercept, n_iter_no_change=0)  # fmt: skip
    R = ref.standardized(ref.dlnn_reference, X, y, alpha=1e-3, max_iter=120, X_val=Xv, y_val=yv,
                         fit_intercept=fit_intercept)  # fmt: skip
    for k in range(len(P.iterations)):
        assert rel_err(P.coefs[k], R.w[k]) <= 1e-9
    assert P.best_iter == R.best_iter
    assert R.train_loss[-1] < 0.5 * R.train_loss[0]


@pytest.mark.parametrize("storage", ["dense", "csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_a_change_of_units_changes_only_that_coefficient(storage, fit_intercept):
    X, y, _, _, _ = make_problem(seed=2, n=90)
    X[np.abs(X) < 0.2 * np.abs(X).mean(axis=0)] = 0.0
    factor = np.ones(X.shape[1])
    factor[[1, 10, 20]] = [1000.0, 1e-3, 7.0]
    as_storage = (lambda A: A) if storage == "dense" else getattr(sp, f"{storage}_matrix")
    a = fastgs.dglnn_path(as_storage(X), y, SIZE, max_iter=60, standardize=True,
                          fit_intercept=fit_intercept)  # fmt: skip
    b = fastgs.dglnn_path(as_storage(X * factor), y, SIZE, max_iter=60, standardize=True,
                          fit_intercept=fit_intercept)  # fmt: skip
    assert rel_err(b.coefs * factor, a.coefs) <= 1e-9
    assert rel_err(b.intercepts, a.intercepts) <= 1e-9
    np.testing.assert_allclose(b.u, a.u, rtol=1e-9)
    # without standardizing, the change of units changes the whole model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScaleWarning)
        warnings.simplefilter("ignore", fastgs.DivergenceWarning)
        c = fastgs.dglnn_path(as_storage(X), y, SIZE, max_iter=60, fit_intercept=fit_intercept)
        d = fastgs.dglnn_path(as_storage(X * factor), y, SIZE, max_iter=60,
                              fit_intercept=fit_intercept)  # fmt: skip
    assert rel_err(d.coefs[-1] * factor, c.coefs[-1]) > 1e-3


def test_standardize_leaves_sparse_x_alone_and_needs_no_copy(monkeypatch):
    X, y, _, _, _ = make_problem(seed=4)
    X[np.abs(X) < np.abs(X).mean(axis=0)] = 0.0
    Xs = sp.csr_matrix(X)
    before = (Xs.data.copy(), Xs.indices.copy(), Xs.indptr.copy())

    def no_dense(*args, **kw):
        raise AssertionError("sparse X was densified")

    monkeypatch.setattr(sp.csr_matrix, "toarray", no_dense)
    monkeypatch.setattr(sp.csr_matrix, "todense", no_dense)
    path = fastgs.dglnn_path(Xs, y, SIZE, max_iter=30, standardize=True, fit_intercept=True)
    for old, new in zip(before, (Xs.data, Xs.indices, Xs.indptr)):
        np.testing.assert_array_equal(old, new)
    assert np.all(np.isfinite(path.coefs))


def test_constant_and_zero_columns_keep_scale_one():
    X, y, _, _, _ = make_problem(seed=5)
    X[:, 4] = 3.0  # constant: zero after centering
    X[:, 7] = 0.0
    path = fastgs.dglnn_path(X, y, SIZE, max_iter=40, standardize=True, fit_intercept=True)
    assert path.x_scale[4] == 1.0 and path.x_scale[7] == 1.0
    assert np.all(np.isfinite(path.coefs))
    assert np.all(path.coefs[:, [4, 7]] == 0.0)


def test_standardize_replaces_the_scale_warning():
    X, y, Xv, yv, _ = make_problem(seed=6)
    Z = X * 1e-3
    with pytest.warns(ScaleWarning, match="root-mean-square"):
        fastgs.dglnn_path(Z, y, SIZE, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScaleWarning)
        fastgs.dglnn_path(Z, y, SIZE, max_iter=5, standardize=True)
        fastgs.dglnn_cv_path(Z, y, SIZE, cv=3, max_iter=5, standardize=True)
        fastgs.dlnn_path(Z, y, max_iter=5, standardize=True)


@pytest.mark.parametrize("storage", ["dense", "csr", "csc"])
def test_cv_folds_standardize_by_their_own_rows(storage, monkeypatch):
    # force the sweep storage under test (it goes by shape)
    monkeypatch.setattr(fastgs.path, "CV_CSR_MAX_BYTES", 0 if storage == "csc" else 1 << 40)
    X, y, _, _, _ = make_problem(seed=7, n=80)
    X[np.abs(X) < 0.3 * np.abs(X).mean(axis=0)] = 0.0
    Xs = X if storage == "dense" else getattr(sp, f"{storage}_matrix")(X)
    fold = np.random.default_rng(4).permutation(np.arange(80) % 4)
    kw = dict(max_iter=60, fit_intercept=True, standardize=True, n_iter_no_change=0)
    cvp = fastgs.dglnn_cv_path(Xs, y, SIZE, cv=fold, **kw)
    for k in range(4):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        path = fastgs.dglnn_path(Xs[tr], y[tr], SIZE, X_val=Xs[te], y_val=y[te], **kw)
        assert rel_err(cvp.val_curves[:, k], path.val_curve) <= 1e-9
    full = fastgs.dglnn_path(Xs, y, SIZE, **{**kw, "max_iter": cvp.best_iter})
    assert rel_err(cvp.best_coef, full.coefs[-1]) <= 1e-9
    np.testing.assert_allclose(cvp.x_scale, full.x_scale, rtol=1e-12)


# --------------------------------------------------------------------------
# the estimators: standardize by default, coefficients on the original scale
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [DGLNNRegressor, DGLNNRegressorCV, DLNNRegressor])
def test_estimators_standardize_by_default(Estimator):
    X, y, _, _, _ = make_problem(seed=8, n=120)
    factor = np.ones(X.shape[1])
    factor[[0, 9, 15]] = [100.0, 0.01, 3.0]
    kw = {} if Estimator is DLNNRegressor else dict(groups=SIZE)
    a = Estimator(**kw).fit(X, y)
    b = Estimator(**kw).fit(X * factor, y)
    assert a.standardize is True
    assert rel_err(b.coef_ * factor, a.coef_) <= 1e-9
    assert b.intercept_ == pytest.approx(a.intercept_, rel=1e-9)
    np.testing.assert_allclose(b.predict(X * factor), a.predict(X), rtol=1e-9)
    # standardize=False keeps the old behaviour, warning included
    with pytest.warns(ScaleWarning):
        Estimator(standardize=False, **kw).fit(X * 1e-3, y)


# --------------------------------------------------------------------------
# deterministic defaults
# --------------------------------------------------------------------------


def test_default_cv_and_split_are_the_same_in_every_run():
    X, y, _, _, _ = make_problem(seed=9, n=100)
    # the global NumPy state must not matter
    np.random.seed(1)
    a = DGLNNRegressorCV(groups=SIZE).fit(X, y)
    b_split = DGLNNRegressor(groups=SIZE).fit(X, y)
    np.random.seed(2)
    b = DGLNNRegressorCV(groups=SIZE).fit(X, y)
    a_split = DGLNNRegressor(groups=SIZE).fit(X, y)
    np.testing.assert_array_equal(a.cv_path_.fold, b.cv_path_.fold)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a_split.coef_, b_split.coef_)
    # random_state still draws other folds
    c = DGLNNRegressorCV(groups=SIZE, random_state=5).fit(X, y)
    assert not np.array_equal(c.cv_path_.fold, a.cv_path_.fold)
    # and the path function's default folds too
    p1 = fastgs.dglnn_cv_path(X, y, SIZE, cv=5, max_iter=3)
    p2 = fastgs.dglnn_cv_path(X, y, SIZE, cv=5, max_iter=3)
    np.testing.assert_array_equal(p1.fold, p2.fold)


def test_default_cv_model_is_the_same_in_a_new_process(tmp_path):
    X, y, _, _, _ = make_problem(seed=10, n=80)
    np.savez(tmp_path / "data.npz", X=X, y=y)
    code = (
        "import numpy as np, sys, fastgs\n"
        f"d = np.load(sys.argv[1]); m = fastgs.DGLNNRegressorCV(groups={SIZE}).fit(d['X'], d['y'])\n"
        "np.save(sys.argv[2], np.append(m.coef_, m.best_iter_))\n"
    )
    outs = []
    for run in range(2):
        out = tmp_path / f"coef{run}.npy"
        subprocess.run([sys.executable, "-c", code, str(tmp_path / "data.npz"), str(out)],
                       check=True, timeout=600)  # fmt: skip
        outs.append(np.load(out))
    np.testing.assert_array_equal(outs[0], outs[1])
    here = DGLNNRegressorCV(groups=SIZE).fit(X, y)
    np.testing.assert_array_equal(outs[0], np.append(here.coef_, here.best_iter_))

"""Hardened inputs: every malformed input fails with a clear error, every
well-formed but unusual input (dtypes, memory layouts, sparse formats,
degenerate columns, huge values, diverging steps) gives a finite, correct fit.

The errors go through ``DGLNNRegressor.fit`` (scikit-learn's validation) and,
where it makes sense, through :func:`fastgs.dglnn_path` (fastgs's own
validation); both must name the problem.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError

import fastgs
from fastgs import DGLNNRegressor, DGLNNRegressorCV, DLNNRegressor, DivergenceWarning, dglnn_path

N, P, SIZE = 60, 12, 3
MAX_ITER = 150
ALPHA = 1e-6
SPARSE_RTOL = 1e-10


def make_data(seed=0, n=N, p=P, noise=0.1):
    """Gaussian X, two active groups of SIZE contiguous features, y with an offset."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:SIZE] = 1.0
    w[2 * SIZE : 3 * SIZE] = -0.7
    y = X @ w + 0.5 + noise * rng.standard_normal(n)
    return X, y


def est(**kw):
    kw = {"groups": SIZE, "max_iter": MAX_ITER, "random_state": 0, **kw}
    return DGLNNRegressor(**kw)


def fit_est(X, y, **kw):
    return est(**kw).fit(X, y)


def fit_path(X, y, **kw):
    kw = {"max_iter": 20, **kw}
    return dglnn_path(X, y, SIZE if np.ndim(X) == 2 and np.shape(X)[1] % SIZE == 0 else None, **kw)


FITTERS = {"estimator": fit_est, "path": fit_path}
both_fitters = pytest.mark.parametrize("fitter", list(FITTERS.values()), ids=list(FITTERS))


def rel_err(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# --------------------------------------------------------------------------
# non-finite values
# --------------------------------------------------------------------------


@both_fitters
def test_nan_in_X(fitter):
    X, y = make_data()
    X[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fitter(X, y)


@both_fitters
def test_inf_in_X(fitter):
    X, y = make_data()
    X[5, 1] = -np.inf
    with pytest.raises(ValueError, match="inf"):
        fitter(X, y)


@both_fitters
def test_nan_in_y(fitter):
    X, y = make_data()
    y[7] = np.nan
    with pytest.raises(ValueError, match=r"y contains.*NaN"):
        fitter(X, y)


@both_fitters
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "dok", "lil"])
def test_nan_in_sparse_X(fitter, fmt):
    # scikit-learn cannot check DOK matrices; fastgs checks after conversion
    X, y = make_data()
    X[np.abs(X) < 0.5] = 0.0
    X[2, 3] = np.nan
    Xs = sp.csr_matrix(X).asformat(fmt)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Can't check dok sparse matrix")
        with pytest.raises(ValueError, match="NaN"):
            fitter(Xs, y)


def test_nan_in_validation_set():
    X, y = make_data()
    Xv, yv = X[:10].copy(), y[:10].copy()
    Xv[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est().fit(X, y, X_val=Xv, y_val=yv)
    with pytest.raises(ValueError, match="NaN"):
        dglnn_path(X, y, SIZE, max_iter=5, X_val=Xv, y_val=yv)


# --------------------------------------------------------------------------
# shapes
# --------------------------------------------------------------------------


@both_fitters
def test_empty_rows(fitter):
    X, y = make_data()
    with pytest.raises(ValueError, match=r"0 sample|empty"):
        fitter(X[:0], y[:0])


@both_fitters
def test_empty_columns(fitter):
    X, y = make_data()
    with pytest.raises(ValueError, match=r"0 feature|empty"):
        fitter(X[:, :0], y)


@both_fitters
def test_1d_X(fitter):
    X, y = make_data()
    with pytest.raises(ValueError, match=r"2D|2-D"):
        fitter(X[:, 0], y)


@both_fitters
def test_3d_X(fitter):
    X, y = make_data()
    with pytest.raises(ValueError, match=r"dim 3|3-D"):
        fitter(X.reshape(N, P // 2, 2), y)


@both_fitters
def test_inconsistent_lengths(fitter):
    X, y = make_data()
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples|must match"):
        fitter(X, y[:-1])


def test_validation_set_wrong_number_of_features():
    X, y = make_data()
    with pytest.raises(ValueError, match="features"):
        est().fit(X, y, X_val=X[:10, :-3], y_val=y[:10])
    with pytest.raises(ValueError, match="features"):
        dglnn_path(X, y, SIZE, max_iter=5, X_val=X[:10, :-3], y_val=y[:10])


def test_validation_set_given_half():
    X, y = make_data()
    with pytest.raises(ValueError, match="together"):
        est().fit(X, y, X_val=X[:10])


# --------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------


@both_fitters
def test_complex_X(fitter):
    X, y = make_data()
    with pytest.raises((ValueError, TypeError), match=r"[Cc]omplex"):
        fitter(X + 1j, y)


@both_fitters
def test_object_X_with_strings(fitter):
    X, y = make_data()
    Xo = X.astype(object)
    Xo[0, 0] = "a"
    with pytest.raises((ValueError, TypeError), match=r"string|non-numeric"):
        fitter(Xo, y)


@both_fitters
def test_string_X(fitter):
    X, y = make_data()
    Xs = np.full(X.shape, "abc")
    with pytest.raises((ValueError, TypeError), match=r"string|non-numeric"):
        fitter(Xs, y)


@both_fitters
def test_numeric_string_X(fitter):
    # an array of strings is refused even when the strings parse as numbers
    # (scikit-learn's LinearRegression and fastgs.dglnn_path refuse it)
    X, y = make_data()
    with pytest.raises((ValueError, TypeError), match=r"string|dtype <U|non-numeric"):
        fitter(X.astype(str), y)


def test_object_X_of_numbers_is_cast():
    X, y = make_data()
    ref = fit_est(X, y).coef_
    assert_array_equal(fit_est(X.astype(object), y).coef_, ref)


def test_y_column_vector_warns_and_ravels():
    X, y = make_data()
    ref = fit_est(X, y)
    with pytest.warns(DataConversionWarning, match=r"1d array"):
        m = fit_est(X, y[:, None])
    assert_array_equal(m.coef_, ref.coef_)
    assert m.intercept_ == ref.intercept_
    # the path function does the same with its own warning
    with pytest.warns(UserWarning, match="raveled"):
        path = dglnn_path(X, y[:, None], SIZE, max_iter=20)
    assert_array_equal(path.coefs, dglnn_path(X, y, SIZE, max_iter=20).coefs)


@both_fitters
def test_y_two_columns(fitter):
    X, y = make_data()
    with pytest.raises(ValueError, match=r"1d|1-D"):
        fitter(X, np.c_[y, y])


def test_int_and_bool_inputs_are_cast():
    rng = np.random.default_rng(3)
    Xi = rng.integers(-3, 4, size=(N, P))
    yi = Xi[:, :SIZE].sum(axis=1) + rng.integers(-1, 2, size=N)
    m = fit_est(Xi, yi)
    ref = fit_est(Xi.astype(np.float64), yi.astype(np.float64))
    assert m.coef_.dtype == np.float64
    assert_array_equal(m.coef_, ref.coef_)
    assert np.all(np.isfinite(m.coef_))

    Xb = Xi > 0
    m = fit_est(Xb, yi)
    ref = fit_est(Xb.astype(np.float64), yi.astype(np.float64))
    assert m.coef_.dtype == np.float64
    assert_array_equal(m.coef_, ref.coef_)
    assert_array_equal(m.predict(Xb), ref.predict(Xb.astype(np.float64)))


@pytest.mark.parametrize("Est", [DGLNNRegressor, DLNNRegressor, DGLNNRegressorCV])
def test_float32_kept(Est):
    X, y = make_data()
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    m = Est(max_iter=MAX_ITER, random_state=0).fit(X32, y32)
    assert m.coef_.dtype == np.float32
    assert m.predict(X32).dtype == np.float32
    assert np.all(np.isfinite(m.coef_))
    # float32 X with float64 y: X's dtype rules
    m = Est(max_iter=MAX_ITER, random_state=0).fit(X32, y)
    assert m.coef_.dtype == np.float32
    path = dglnn_path(X32, y32, SIZE, max_iter=20)
    assert path.coefs.dtype == np.float32


# --------------------------------------------------------------------------
# memory layouts: results unchanged, caller's arrays never written
# --------------------------------------------------------------------------


def _layouts():
    X, _ = make_data()
    wide = np.random.default_rng(1).standard_normal((N, 2 * P))
    wide[:, ::2] = X
    ro = X.copy()
    ro.setflags(write=False)
    return {
        "F-ordered": np.asfortranarray(X),
        "non-contiguous": wide[:, ::2],
        "read-only": ro,
    }


@pytest.mark.parametrize("layout", ["F-ordered", "non-contiguous", "read-only"])
def test_layouts_work_and_are_never_written(layout):
    X0, y = make_data()
    X = _layouts()[layout]
    y_in = y.copy()
    if layout == "read-only":
        y_in.setflags(write=False)
    before_X, before_y = X.tobytes(order="A"), y_in.tobytes()
    ref = fit_est(X0, y)
    m = fit_est(X, y_in)
    assert_allclose(m.coef_, ref.coef_, rtol=1e-12, atol=0)
    assert_allclose(m.predict(X), ref.predict(X0), rtol=1e-12, atol=1e-14)
    m.fit(X, y_in, X_val=X[:15], y_val=y_in[:15])
    dglnn_path(X, y_in, SIZE, max_iter=20, X_val=X[:15], y_val=y_in[:15], fit_intercept=True)
    DGLNNRegressorCV(groups=SIZE, max_iter=30).fit(X, y_in)
    assert X.tobytes(order="A") == before_X
    assert y_in.tobytes() == before_y
    assert_array_equal(X, X0)


# --------------------------------------------------------------------------
# sparse input
# --------------------------------------------------------------------------

SPARSE = [
    (fmt, kind)
    for fmt in ("csr", "csc", "coo", "bsr", "dia", "dok", "lil")
    for kind in ("matrix", "array")
]


def _sparse_data(seed=0):
    X, y = make_data(seed)
    X[np.abs(X) < 0.4] = 0.0  # about 30% zeros
    return X, y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("fmt,kind", SPARSE, ids=[f"{f}_{k}" for f, k in SPARSE])
def test_every_sparse_format_matches_dense(fmt, kind, fit_intercept):
    X, y = _sparse_data()
    ref = fit_est(X, y, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=sp.SparseEfficiencyWarning)
        warnings.filterwarnings("ignore", "Can't check dok sparse matrix")
        Xs = getattr(sp, f"{fmt}_{kind}")(X)
        m = fit_est(Xs, y, fit_intercept=fit_intercept)
        pred = m.predict(Xs)
    assert ref.best_iter_ == m.best_iter_
    assert rel_err(m.coef_, ref.coef_) < SPARSE_RTOL
    assert abs(m.intercept_ - ref.intercept_) <= SPARSE_RTOL * max(1.0, abs(ref.intercept_))
    assert_allclose(pred, ref.predict(X), rtol=1e-9, atol=1e-9)


def _noncanonical_csr():
    """A CSR matrix with duplicate entries and unsorted column indices in most rows."""
    rng = np.random.default_rng(5)
    n, p = N, P
    indptr = [0]
    indices, data = [], []
    for _ in range(n):
        cols = rng.choice(p, size=8, replace=False)
        dup = rng.choice(cols, size=3, replace=True)  # repeated columns
        cols = np.concatenate([cols, dup])
        rng.shuffle(cols)  # unsorted
        indices.extend(cols)
        data.extend(rng.standard_normal(cols.size))
        indptr.append(len(indices))
    arrays = (np.array(data), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int32))
    M = sp.csr_matrix(arrays, shape=(n, p))
    assert not M.has_sorted_indices
    return M


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_noncanonical_csr(fit_intercept):
    M = _noncanonical_csr()
    data, indices, indptr = M.data.copy(), M.indices.copy(), M.indptr.copy()
    dense = M.toarray()  # sums the duplicates
    assert not M.has_canonical_format
    rng = np.random.default_rng(6)
    w = np.zeros(P)
    w[:SIZE] = 1.0
    y = dense @ w + 0.1 * rng.standard_normal(N)

    ref = fit_est(dense, y, fit_intercept=fit_intercept)
    m = fit_est(M, y, fit_intercept=fit_intercept)
    assert m.best_iter_ == ref.best_iter_
    assert rel_err(m.coef_, ref.coef_) < SPARSE_RTOL
    assert_allclose(m.predict(M), ref.predict(dense), rtol=1e-9, atol=1e-9)

    p_ref = dglnn_path(dense, y, SIZE, max_iter=60, fit_intercept=fit_intercept)
    p_sp = dglnn_path(M, y, SIZE, max_iter=60, fit_intercept=fit_intercept)
    assert rel_err(p_sp.coefs, p_ref.coefs) < SPARSE_RTOL
    cv_est = DGLNNRegressorCV(groups=SIZE, max_iter=60, fit_intercept=fit_intercept, random_state=0)
    cv_ref = clone(cv_est).fit(dense, y)
    cv_sp = clone(cv_est).fit(M, y)
    assert_allclose(cv_sp.cv_curve_, cv_ref.cv_curve_, rtol=SPARSE_RTOL)

    # the caller's matrix is untouched
    assert_array_equal(M.data, data)
    assert_array_equal(M.indices, indices)
    assert_array_equal(M.indptr, indptr)


def test_noncanonical_csc_in_cv():
    # CSC is sliced by rows (folds) inside the CV kernels: unsorted row
    # indices and duplicates must not matter there either
    M = _noncanonical_csr().T.tocsr().T  # CSC view of a non-canonical CSR
    assert M.format == "csc"
    M = sp.csc_matrix((M.data, M.indices, M.indptr), shape=M.shape)
    dense = M.toarray()
    data, indices, indptr = M.data.copy(), M.indices.copy(), M.indptr.copy()
    y = dense[:, :SIZE].sum(axis=1) + 0.1 * np.random.default_rng(0).standard_normal(dense.shape[0])
    fold = np.arange(dense.shape[0]) % 4
    a = fastgs.dglnn_cv_path(dense, y, SIZE, cv=fold, max_iter=60, fit_intercept=True)
    b = fastgs.dglnn_cv_path(M, y, SIZE, cv=fold, max_iter=60, fit_intercept=True)
    assert_allclose(b.val_curves, a.val_curves, rtol=SPARSE_RTOL)
    assert_array_equal(M.data, data)
    assert_array_equal(M.indices, indices)
    assert_array_equal(M.indptr, indptr)


# --------------------------------------------------------------------------
# degenerate data
# --------------------------------------------------------------------------

# w_l = u_l^2 v_l starts at alpha^2 v_l(0) != 0, so a feature that never sees a
# gradient keeps |w| <= alpha^2: "zero" below means at most alpha^2 in size.


@pytest.mark.parametrize("storage", ["dense", "csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_zero_column_and_zero_group(storage, fit_intercept):
    X, y = make_data()
    X[:, 4] = 0.0  # one zero column in an active-size group
    X[:, 9:12] = 0.0  # an entire zero group
    Xs = X if storage == "dense" else getattr(sp, f"{storage}_matrix")(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division-by-zero RuntimeWarning
        warnings.simplefilter("ignore", ConvergenceWarning)  # short horizons on purpose
        for alg in ("alg1", "alg2", "gd"):
            alpha = 0.2 if alg == "gd" else ALPHA
            m = fit_est(Xs, y, algorithm=alg, alpha=alpha, fit_intercept=fit_intercept)
            assert np.all(np.isfinite(m.coef_)) and np.isfinite(m.intercept_)
            assert np.all(np.isfinite(m.u_))
            assert np.all(np.abs(m.coef_[9:12]) <= alpha**2)
            assert np.abs(m.coef_[4]) <= alpha**2
            path = dglnn_path(
                Xs, y, SIZE, algorithm=alg, alpha=alpha, max_iter=60, fit_intercept=fit_intercept
            )
            assert np.all(np.isfinite(path.coefs))
            assert np.all(np.abs(path.coefs[:, 9:12]) <= alpha**2)
        m = DLNNRegressor(max_iter=MAX_ITER, fit_intercept=fit_intercept, random_state=0).fit(Xs, y)
        assert np.all(np.isfinite(m.coef_))
        assert_array_equal(m.coef_[[4, 9, 10, 11]], 0.0)
        m = DGLNNRegressorCV(groups=SIZE, max_iter=60, fit_intercept=fit_intercept).fit(Xs, y)
        assert np.all(np.isfinite(m.coef_))
        assert np.all(np.abs(m.coef_[9:12]) <= ALPHA**2)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_single_zero_feature_group(fit_intercept):
    X, y = make_data()
    X[:, 7] = 0.0
    m = DGLNNRegressor(max_iter=MAX_ITER, fit_intercept=fit_intercept, random_state=0).fit(X, y)
    assert np.all(np.isfinite(m.coef_))
    assert abs(m.coef_[7]) <= ALPHA**2


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_y_all_zero(fit_intercept):
    X, _ = make_data()
    y = np.zeros(N)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)  # a 60-pass cap on purpose
        for m in (
            est(fit_intercept=fit_intercept),
            est(fit_intercept=fit_intercept, early_stopping=False),
            DGLNNRegressorCV(groups=SIZE, max_iter=60, fit_intercept=fit_intercept),
        ):
            m.fit(X, y)
            # nothing to fit: the coefficients never leave the alpha^2 start
            assert_allclose(m.coef_, 0.0, atol=ALPHA**2)
            assert abs(m.intercept_) <= 1e-10
            assert_allclose(m.predict(X), 0.0, atol=1e-10)
        m = DLNNRegressor(max_iter=MAX_ITER, fit_intercept=fit_intercept).fit(X, y)
        assert_array_equal(m.coef_, 0.0)
        assert m.intercept_ == 0.0


# --------------------------------------------------------------------------
# huge values: refuse with a hint to rescale, or fit finitely; never NaN,
# never a crash of another kind
# --------------------------------------------------------------------------


def _scaled(which, scale, dtype=np.float64):
    X, y = make_data()
    if which in ("X", "both"):
        X = X * scale
    if which in ("y", "both"):
        y = y * scale
    return X.astype(dtype), y.astype(dtype)


def _refused_or_finite(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        try:
            m = fit()
        except ValueError as err:
            assert "escal" in str(err), str(err)  # "Rescale X and y ..."
            return None
    return m


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "which,scale,dtype",
    [("X", 1e200, np.float64), ("y", 1e200, np.float64), ("both", 1e200, np.float64),
     ("y", 1e160, np.float64), ("both", 1e18, np.float32), ("y", 1e25, np.float32)],
)  # fmt: skip
def test_huge_values_estimator(which, scale, dtype, fit_intercept):
    X, y = _scaled(which, scale, dtype)
    for make in (
        lambda: est(fit_intercept=fit_intercept),
        lambda: est(fit_intercept=fit_intercept, early_stopping=False),
        lambda: DGLNNRegressorCV(groups=SIZE, max_iter=40, fit_intercept=fit_intercept),
    ):
        m = _refused_or_finite(lambda: make().fit(X, y))
        if m is not None:
            assert np.all(np.isfinite(m.coef_)), m.coef_
            assert np.isfinite(m.intercept_)
            assert np.all(np.isfinite(m.predict(X)))


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "which,scale,dtype",
    [("X", 1e200, np.float64), ("y", 1e200, np.float64), ("both", 1e200, np.float64),
     ("both", 1e18, np.float32)],
)  # fmt: skip
def test_huge_values_path(which, scale, dtype, fit_intercept):
    X, y = _scaled(which, scale, dtype)
    path = _refused_or_finite(
        lambda: dglnn_path(X, y, SIZE, max_iter=30, fit_intercept=fit_intercept)
    )
    if path is not None:
        # a path always holds at least its start, and all of it is finite
        assert len(path) >= 1
        assert np.all(np.isfinite(path.coefs))
        assert np.all(np.isfinite(path.coef))
        repr(path)


@pytest.mark.parametrize("scale,dtype", [(1e77, np.float64), (1e10, np.float32)])
def test_automatic_step_never_silently_zero(scale, dtype):
    # X^T y / n is finite here (about scale^2), so the automatic step
    # 0.05 / max_l ||X_l^T y / n|| is a positive number; it must not underflow
    # to 0 through an overflowing sum of squares (a run that then never moves)
    X, y = _scaled("both", scale, dtype)
    path = _refused_or_finite(lambda: dglnn_path(X, y, SIZE, max_iter=30))
    if path is not None:
        assert path.step_u > 0.0
        assert np.all(np.isfinite(path.coefs))


# --------------------------------------------------------------------------
# group specifications: every bad one is refused at fit
# --------------------------------------------------------------------------

BAD_GROUPS = {
    "overlap": ([[0, 1, 2, 3], [3, 4, 5, 6, 7], [8, 9, 10, 11]], ValueError, "overlap"),
    "missing feature": ([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]], ValueError, r"no group.*11"),
    "out of range": ([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11, 12]], ValueError, r"range.*12"),
    "negative": ([[-1, 0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]], ValueError, r"range.*-1"),
    "duplicate": ([[0, 0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]], ValueError, "repeats feature"),
    "empty group": ([[0, 1, 2], [], [3, 4, 5], [6, 7, 8], [9, 10, 11]], ValueError, "empty"),
    "bool entries": ([[True, False], list(range(2, 12))], TypeError, "bool"),
    "float entries": ([[0.0, 1.0, 2.0], list(range(3, 12))], TypeError, "float"),
    "bool labels": ([True, False] * 6, TypeError, "bool"),
    "float labels": (np.repeat([0.0, 1.0, 2.0, 3.0], 3), TypeError, "float"),
    "size not dividing p": (5, ValueError, "does not divide"),
    "size zero": (0, ValueError, "size"),
    "float size": (3.0, TypeError, "integer"),
    "bool spec": (True, TypeError, "bool"),
    "string spec": ("abc", TypeError, "string"),
    "labels too short": (np.repeat(np.arange(4), 3)[:-1], ValueError, "one label per"),
    "labels too long": (list(np.repeat(np.arange(4), 3)) + [0], ValueError, "one label per"),
    "mixed labels": ([0, 0, 0, "a", "a", "a", 1, 1, 1, 2, 2, 2], TypeError, "mix"),
}


@pytest.mark.parametrize("name", list(BAD_GROUPS))
def test_bad_groups_raise_at_fit(name):
    spec, err, msg = BAD_GROUPS[name]
    X, y = make_data()
    DGLNNRegressor(groups=spec)  # construction never validates (scikit-learn convention)
    with pytest.raises(err, match=msg):
        DGLNNRegressor(groups=spec, max_iter=10).fit(X, y)
    with pytest.raises(err, match=msg):
        DGLNNRegressorCV(groups=spec, max_iter=10).fit(X, y)
    with pytest.raises(err, match=msg):
        dglnn_path(X, y, spec, max_iter=10)


def test_groups_object_for_other_width():
    X, y = make_data()
    g = fastgs.make_groups(3, P + 3)
    with pytest.raises(ValueError, match=r"covers 15 features.*12"):
        DGLNNRegressor(groups=g, max_iter=10).fit(X, y)


# --------------------------------------------------------------------------
# bad parameters
# --------------------------------------------------------------------------

BAD_PARAMS = [
    ("alpha", 0.0), ("alpha", -1e-6), ("alpha", float("nan")), ("alpha", "big"),
    ("step_u", -0.1), ("step_u", 0.0), ("step_u", float("nan")), ("step_u", "fast"),
    ("step_v", -0.1), ("step_v", float("nan")),
    ("max_iter", 0), ("max_iter", -5), ("max_iter", 2.5),
    ("n_jobs", 0), ("n_jobs", -2),
    ("algorithm", "alg3"), ("algorithm", None),
    ("update", "both"), ("switch", "never"), ("switch", -1),
    ("validation_fraction", 0.0), ("validation_fraction", 1.0),
    ("fit_intercept", "yes"), ("early_stopping", 1.5),
]  # fmt: skip


@pytest.mark.parametrize("param,value", BAD_PARAMS, ids=[f"{p}={v!r}" for p, v in BAD_PARAMS])
def test_bad_parameters(param, value):
    X, y = make_data()
    with pytest.raises((ValueError, TypeError), match=param):
        DGLNNRegressor(groups=SIZE, max_iter=10, **{param: value}).fit(X, y)
    if param not in ("validation_fraction", "early_stopping", "refit"):
        with pytest.raises((ValueError, TypeError), match=param):
            DGLNNRegressorCV(groups=SIZE, max_iter=10, **{param: value}).fit(X, y)


PATH_BAD_PARAMS = [
    ("alpha", 0.0), ("alpha", -1.0), ("alpha", float("nan")), ("step_u", -0.1), ("step_v", -1.0),
    ("step_u", "fast"), ("max_iter", 0), ("max_iter", 2.5), ("algorithm", "alg3"),
    ("update", "both"), ("switch", "never"), ("tau", 0.0), ("record_every", 0),
    ("fit_intercept", "yes"),
]  # fmt: skip


@pytest.mark.parametrize(
    "param,value", PATH_BAD_PARAMS, ids=[f"{p}={v!r}" for p, v in PATH_BAD_PARAMS]
)
def test_bad_parameters_path(param, value):
    X, y = make_data()
    with pytest.raises((ValueError, TypeError), match=param):
        dglnn_path(X, y, SIZE, **{"max_iter": 10, param: value})


DLNN_BAD_PARAMS = [("depth", 1), ("step", -1.0), ("alpha", 0.0), ("max_iter", 0), ("n_jobs", 0)]


@pytest.mark.parametrize("param,value", DLNN_BAD_PARAMS)
def test_bad_parameters_dlnn(param, value):
    X, y = make_data()
    with pytest.raises((ValueError, TypeError), match=param):
        DLNNRegressor(max_iter=10, **{param: value}).fit(X, y)


@pytest.mark.parametrize("cv", [1, 10_000, 2.5, "five"])
def test_bad_cv(cv):
    X, y = make_data()
    with pytest.raises((ValueError, TypeError), match="cv"):
        DGLNNRegressorCV(groups=SIZE, cv=cv, max_iter=10).fit(X, y)


def test_too_few_samples_for_a_validation_split():
    X, y = make_data()
    with pytest.raises(ValueError, match=r"at least 4 samples"):
        est().fit(X[:3], y[:3])
    est(early_stopping=False).fit(X[:3], y[:3])  # fine without early stopping


# --------------------------------------------------------------------------
# predict
# --------------------------------------------------------------------------


@pytest.mark.parametrize("Est", [DGLNNRegressor, DLNNRegressor, DGLNNRegressorCV])
def test_predict_wrong_number_of_features(Est):
    X, y = make_data()
    m = Est(max_iter=20).fit(X, y)
    with pytest.raises(ValueError, match=r"features"):
        m.predict(X[:, :-1])
    with pytest.raises(ValueError, match=r"features"):
        m.predict(sp.csr_matrix(X[:, :-2]))


@pytest.mark.parametrize("Est", [DGLNNRegressor, DLNNRegressor, DGLNNRegressorCV])
def test_predict_before_fit(Est):
    X, _ = make_data()
    with pytest.raises(NotFittedError):
        Est().predict(X)


# --------------------------------------------------------------------------
# divergence: a huge step gives a finite result, with a warning when it matters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["alg1", "alg2"])
@pytest.mark.parametrize("step_u", [1.0, 10.0, 1e6])
@pytest.mark.parametrize("validation", ["split", "given"])
def test_huge_step_with_early_stopping(step_u, algorithm, validation):
    X, y = make_data()
    fit_kw = {"X_val": X[:15], "y_val": y[:15]} if validation == "given" else {}
    Xtr, ytr = (X[15:], y[15:]) if validation == "given" else (X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = est(step_u=step_u, algorithm=algorithm).fit(Xtr, ytr, **fit_kw)
    messages = [str(w.message) for w in caught]
    assert all(issubclass(w.category, DivergenceWarning) for w in caught), messages
    assert np.all(np.isfinite(m.coef_)) and np.isfinite(m.intercept_)
    assert np.all(np.isfinite(m.predict(X)))
    assert np.all(np.isfinite(m.validation_loss_))
    assert m.best_iter_ is not None and m.best_iter_ <= m.path_.status.last_good
    if validation == "given":
        # the warning matters only when the kept iterate is the last good one
        # (the validation loss might still have been falling); the early end
        # may also end the run before the step blows up
        status = m.path_.status
        if status.ok:
            assert m.path_.stop_reason == "no_improvement" and not caught, messages
            return
        expect_warning = m.best_iter_ >= status.last_good
        assert bool(caught) == expect_warning, (m.best_iter_, status, messages)


@pytest.mark.parametrize("algorithm", ["alg1", "alg2", "gd"])
def test_huge_step_without_early_stopping_warns(algorithm):
    X, y = make_data()
    with pytest.warns(DivergenceWarning, match="diverged"):
        alpha = 0.2 if algorithm == "gd" else ALPHA
        m = est(step_u=1e6, algorithm=algorithm, early_stopping=False, alpha=alpha).fit(X, y)
    assert np.all(np.isfinite(m.coef_)) and np.isfinite(m.intercept_)
    assert not m.status_.ok
    assert m.n_iter_ == m.status_.last_good < MAX_ITER
    assert m.best_iter_ is None


def test_huge_step_dlnn():
    X, y = make_data()
    with pytest.warns(DivergenceWarning):
        m = DLNNRegressor(step=1e6, max_iter=MAX_ITER, early_stopping=False).fit(X, y)
    assert np.all(np.isfinite(m.coef_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        m = DLNNRegressor(step=1e6, max_iter=MAX_ITER).fit(X, y)
    assert np.all(np.isfinite(m.coef_))


def test_huge_step_cv():
    X, y = make_data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = DGLNNRegressorCV(groups=SIZE, step_u=1e3, max_iter=MAX_ITER).fit(X, y)
    assert all(issubclass(w.category, DivergenceWarning) for w in caught)
    assert np.all(np.isfinite(m.coef_)) and np.isfinite(m.intercept_)
    assert np.all(np.isfinite(m.cv_curve_))


# --------------------------------------------------------------------------
# badly scaled columns
# --------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [0.01, 100.0])
@pytest.mark.parametrize("storage", ["dense", "csr", "csc"])
def test_badly_scaled_columns_warn(factor, storage):
    X, y = make_data()
    Xs = X * factor if storage == "dense" else getattr(sp, f"{storage}_matrix")(X * factor)
    for fit in (
        lambda: dglnn_path(Xs, y, 3, max_iter=5),
        lambda: fastgs.dlnn_path(Xs, y, max_iter=5),
        lambda: fastgs.dglnn_cv_path(Xs, y, 3, cv=3, max_iter=5, fit_intercept=True),
        lambda: est(max_iter=5, standardize=False).fit(Xs, y),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit()
        scale = [w for w in caught if issubclass(w.category, fastgs.ScaleWarning)]
        assert len(scale) >= 1, [str(w.message) for w in caught]
        message = str(scale[0].message)
        assert "root-mean-square" in message and "StandardScaler" in message


def test_sparse_unstandardized_columns_warn_and_scaled_do_not():
    # scipy.sparse.random columns: ~10 nonzeros in 10000 rows, RMS ~0.02
    rng = np.random.default_rng(0)
    X = sp.random(2000, 400, density=0.005, format="csr", random_state=rng)
    y = rng.standard_normal(2000)
    with pytest.warns(fastgs.ScaleWarning, match=r"median root-mean-square of 0\.0"):
        dglnn_path(X, y, 4, max_iter=3)
    from sklearn.preprocessing import StandardScaler

    Xs = StandardScaler(with_mean=False).fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastgs.ScaleWarning)
        dglnn_path(Xs, y, 4, max_iter=3)
        dglnn_path(Xs, y, 4, max_iter=3, fit_intercept=True)


def test_centered_scale_is_what_counts():
    # a large constant offset is removed by the intercept: no warning then
    X, y = make_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastgs.ScaleWarning)
        dglnn_path(X + 50.0, y, 3, max_iter=3, fit_intercept=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = dglnn_path(X + 50.0, y, 3, max_iter=3, fit_intercept=False)
    categories = {w.category for w in caught}
    assert fastgs.ScaleWarning in categories
    # ... and indeed: the unit direction step is far too large for this curvature
    assert DivergenceWarning in categories and not path.status.ok

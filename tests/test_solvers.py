"""fastgs.dglnn_path / fastgs.dlnn_path against the NumPy references in tests/reference.py."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import fastgs
import reference as ref

RTOL = 1e-10  # parity with the float64 reference
STORAGE_RTOL = 1e-12  # dense vs sparse storages of the same data
SIZE = 3
#: initial magnitudes that make ~100 iterations interesting (GD needs a larger start)
ALPHA = {"alg1": 1e-3, "alg2": 1e-3, "gd": 0.2}


def dglnn_path(*args, **kw):
    """fastgs.dglnn_path with the paper's schedule unless a test asks for another:
    the NumPy references transcribe Algorithms 1/2 as published."""
    kw.setdefault("schedule", "paper")
    kw.setdefault("n_iter_no_change", 0)  # the early end has its own tests
    return fastgs.dglnn_path(*args, **kw)


def dlnn_path(*args, **kw):
    """fastgs.dlnn_path without the early end (it has its own tests)."""
    kw.setdefault("n_iter_no_change", 0)
    return fastgs.dlnn_path(*args, **kw)


def dglnn_cv_path(*args, **kw):
    """fastgs.dglnn_cv_path with the paper's schedule unless a test asks for another."""
    kw.setdefault("schedule", "paper")
    kw.setdefault("n_iter_no_change", 0)
    return fastgs.dglnn_cv_path(*args, **kw)


# --------------------------------------------------------------------------
# data and comparison helpers
# --------------------------------------------------------------------------


def make_problem(seed=0, n=50, p=24, noise=0.05, n_val=30, density=1.0, offset=True):
    """Gaussian X (columns with nonzero means when ``offset``), two active groups
    of SIZE contiguous features, intercept 1.5 when ``offset``."""
    rng = np.random.default_rng(seed)
    shift = rng.uniform(-0.3, 0.3, p) if offset else np.zeros(p)

    def draw(m):
        A = rng.standard_normal((m, p)) + shift
        if density < 1:
            A *= rng.random((m, p)) < density
        return A

    w_true = np.zeros(p)
    w_true[0:3] = [1.5, -1.0, 2.0]
    w_true[9:12] = [-1.0, 1.0, 0.5]
    b = 1.5 if offset else 0.0
    X, Xv = draw(n), draw(n_val)
    y = X @ w_true + b + noise * rng.standard_normal(n)
    yv = Xv @ w_true + b + noise * rng.standard_normal(n_val)
    groups = [np.arange(i, i + SIZE) for i in range(0, p, SIZE)]
    return X, y, Xv, yv, groups


def explicit_steps(X, y, groups, fit_intercept=False):
    a_max = ref.auto_a_max(X, y, groups, fit_intercept)
    return 0.2 / a_max, 0.5 / a_max**2


def rows_close(actual, expected, rtol):
    """Each row (iterate) equal to the reference to rtol relative to its norm."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert np.all(np.isfinite(actual))
    a2 = np.atleast_2d(actual)
    e2 = np.atleast_2d(expected)
    err = np.linalg.norm(a2 - e2, axis=-1)
    bound = rtol * np.linalg.norm(e2, axis=-1) + 1e-300
    bad = np.flatnonzero(err > bound)
    assert bad.size == 0, f"rows {bad[:5]}: max relative error {np.max(err / (bound / rtol)):.3e}"


def values_close(actual, expected, rtol):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0)


def expected_iterations(last, record_every):
    return np.array([t for t in range(last + 1) if t % record_every == 0 or t == last])


def assert_matches(P, R, record_every=1, rtol=RTOL, has_val=False, check_u=True):
    """Every recorded field of a path against the reference."""
    its = expected_iterations(R.last_good, record_every)
    np.testing.assert_array_equal(P.iterations, its)
    assert P.iterations.dtype.kind == "i"
    rows_close(P.coefs, R.w[its], rtol)
    if check_u:
        rows_close(P.u, R.u[its], rtol)
    values_close(P.train_loss, R.train_loss[its], rtol)
    scale = np.abs(R.intercepts).max() + 1e-300
    assert np.max(np.abs(P.intercepts - R.intercepts[its])) <= rtol * max(scale, 1.0)
    np.testing.assert_array_equal(P.coef, P.coefs[-1])
    assert P.status.code == R.status
    assert P.status.last_good == R.last_good
    if R.status != ref.STATUS_OK:
        assert P.status.iteration == R.status_iter
    else:
        assert P.status.ok and P.status.iteration == -1
    if has_val:
        values_close(P.val_loss, R.val_loss[its], rtol)
        assert P.best_iter == R.best_iter
        rows_close(P.best_coef, R.best_w, rtol)
        b = R.intercepts[R.best_iter]
        assert abs(P.best_intercept - b) <= rtol * max(abs(b), 1.0)
    else:
        assert P.val_loss is None and P.best_iter is None and P.best_coef is None


def run_pair(X, y, groups, spec=SIZE, *, algorithm, update="simultaneous", switch=None,
             gamma=None, eta=None, X_val=None, y_val=None, pass_eta=True, **kw):  # fmt: skip
    """fastgs.dglnn_path and dglnn_reference with the same settings."""
    fkw = dict(kw)
    rkw = dict(kw)
    rkw.pop("record_every", None)
    if switch is not None:
        fkw["switch"] = switch
        rkw["switch"] = switch
    if gamma is not None:
        fkw["step_u"] = gamma
    if eta is not None and pass_eta:
        fkw["step_v"] = eta
    P = dglnn_path(X, y, spec, algorithm=algorithm, update=update,
                          X_val=X_val, y_val=y_val, **fkw)  # fmt: skip
    R = ref.dglnn_reference(X, y, groups, algorithm=algorithm, update=update, gamma=gamma,
                            eta=eta if pass_eta else None, X_val=X_val, y_val=y_val, **rkw)  # fmt: skip
    return P, R


# --------------------------------------------------------------------------
# DGLNN against the reference
# --------------------------------------------------------------------------

CASES = [
    ("alg1", "simultaneous", None),
    ("alg1", "sequential", None),
    ("alg2", "simultaneous", 0),
    ("alg2", "simultaneous", 17),
    ("alg2", "sequential", 17),
    ("alg2", "simultaneous", "paper"),
    ("alg2", "sequential", "paper"),
    ("alg2", "simultaneous", "auto"),
    ("gd", "simultaneous", None),
]


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("with_val", [False, True])
@pytest.mark.parametrize("algorithm, update, switch", CASES)
def test_dglnn_matches_reference(algorithm, update, switch, with_val, fit_intercept):
    # data with an intercept only when one is fitted
    X, y, Xv, yv, groups = make_problem(seed=1, offset=fit_intercept)
    gamma, eta = explicit_steps(X, y, groups, fit_intercept)
    val = dict(X_val=Xv, y_val=yv) if with_val else {}
    P, R = run_pair(
        X, y, groups, algorithm=algorithm, update=update, switch=switch, gamma=gamma, eta=eta,
        # GD's step_v is tested on its own (test_gd_explicit_step_v_is_the_direction_step)
        pass_eta=algorithm != "gd", alpha=ALPHA[algorithm], max_iter=90, tau=2e-2,
        fit_intercept=fit_intercept, **val,
    )  # fmt: skip
    assert R.status == ref.STATUS_OK
    assert_matches(P, R, has_val=with_val)
    assert P.switch_iter == R.switch_iter
    if algorithm == "alg2":
        # the switch must actually happen inside the run for the test to mean something
        assert R.switch_iter is not None and R.switch_iter < 80
    else:
        assert P.switch_iter is None
    assert P.step_u == pytest.approx(gamma, rel=1e-15)
    if algorithm == "alg2":
        assert P.step_v == pytest.approx(eta, rel=1e-15)
    # the model must move away from the start (a meaningful comparison)
    assert R.train_loss[-1] < (0.9 if switch == 0 else 0.1) * R.train_loss[0]


def test_switch_auto_differs_from_paper_and_matches_reference():
    # at higher noise the paper's rule (max over all groups) does not fire,
    # the "auto" rule (groups with u^2 >= 1% of the largest) does
    X, y, Xv, yv, groups = make_problem(seed=3, noise=0.5, offset=False)
    gamma, eta = explicit_steps(X, y, groups)
    out = {}
    for rule in ("paper", "auto"):
        P, R = run_pair(X, y, groups, algorithm="alg2", switch=rule, gamma=gamma, eta=eta,
                        alpha=1e-3, max_iter=120, tau=5e-3)  # fmt: skip
        assert_matches(P, R)
        assert P.switch_iter == R.switch_iter
        out[rule] = R.switch_iter
    assert out["paper"] is None
    assert out["auto"] is not None


def test_switch_auto_fires_when_the_training_loss_goes_up():
    # uncentered columns fit without an intercept: the mean direction makes the
    # normalized direction step overshoot; "auto" switches to the constant step
    # at the first increase of the training loss instead of diverging
    from test_estimators import make_data

    X, y = make_data()
    groups = [list(range(i, i + 4)) for i in range(0, 36, 4)]
    a_max = ref.auto_a_max(X, y, groups)
    kw = dict(alpha=1e-3, gamma=0.2 / a_max, eta=0.5 / a_max**2, max_iter=150)
    P, R = run_pair(X, y, groups, 4, algorithm="alg2", switch="auto", **kw)
    assert_matches(P, R)
    s = R.switch_iter
    assert s is not None and P.switch_iter == s
    assert R.train_loss[s] > R.train_loss[s - 1]
    assert np.all(np.diff(R.train_loss[:s]) <= 0)  # the first increase, not a later one
    assert P.status.ok
    # Algorithm 1 on the same run (no switch) diverges
    with pytest.warns(fastgs.DivergenceWarning):
        A1 = dglnn_path(X, y, 4, algorithm="alg1", step_u=kw["gamma"], alpha=1e-3,
                               max_iter=150)  # fmt: skip
    assert not A1.status.ok


def test_all_defaults():
    # algorithm="alg2", switch="auto", alpha=1e-6, auto steps, tau=5e-3
    X, y, _, _, groups = make_problem(seed=1, offset=False)
    P = dglnn_path(X, y, SIZE, max_iter=220)
    R = ref.dglnn_reference(X, y, groups, algorithm="alg2", switch="auto", alpha=1e-6,
                            tau=5e-3, max_iter=220)  # fmt: skip
    assert_matches(P, R)
    assert R.switch_iter is not None
    assert P.switch_iter == R.switch_iter


def test_switch_int_beyond_max_iter_is_alg1():
    X, y, _, _, groups = make_problem(seed=3)
    gamma, eta = explicit_steps(X, y, groups)
    P2 = dglnn_path(X, y, SIZE, algorithm="alg2", switch=500, step_u=gamma, step_v=eta,
                           alpha=1e-3, max_iter=60)  # fmt: skip
    P1 = dglnn_path(X, y, SIZE, algorithm="alg1", step_u=gamma, alpha=1e-3, max_iter=60)
    assert P2.switch_iter is None
    np.testing.assert_array_equal(P2.coefs, P1.coefs)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("algorithm", ["alg2", "gd"])
def test_auto_steps(algorithm, fit_intercept):
    X, y, Xv, yv, groups = make_problem(seed=4)
    # independent computation of the §6 rule on the (centered) data
    Xc = X - X.mean(0) if fit_intercept else X
    yc = y - y.mean() if fit_intercept else y
    c = Xc.T @ yc / len(y)
    a_max = max(np.linalg.norm(c[G]) for G in groups)
    P, R = run_pair(X, y, groups, algorithm=algorithm, switch=40, max_iter=160,
                    alpha=1e-6 if algorithm == "alg2" else ALPHA["gd"],
                    fit_intercept=fit_intercept, X_val=Xv, y_val=yv)  # fmt: skip
    assert P.step_u == pytest.approx(0.05 / a_max, rel=1e-12)
    if algorithm == "gd":
        assert P.step_v == pytest.approx(P.step_u, rel=1e-15)
    else:
        assert P.step_v == pytest.approx(0.5 / a_max**2, rel=1e-12)
    assert R.gamma == pytest.approx(P.step_u, rel=1e-12)
    assert_matches(P, R, has_val=True)
    if algorithm == "alg2":
        assert P.switch_iter == 40
    assert R.train_loss[-1] < 0.5 * R.train_loss[0]


def test_gd_explicit_step_v_is_the_direction_step():
    # dglnn_path documents step_v as GD's direction step (default: step_u)
    X, y, _, _, groups = make_problem(seed=5)
    gamma, _ = explicit_steps(X, y, groups)
    eta = 3.0 * gamma
    P, R = run_pair(X, y, groups, algorithm="gd", gamma=gamma, eta=eta, alpha=ALPHA["gd"],
                    max_iter=60)  # fmt: skip
    assert P.step_v == pytest.approx(eta)
    assert_matches(P, R)


def test_gd_balanced_start():
    X, y, _, _, groups = make_problem(seed=6)
    alpha = 1e-2
    P = dglnn_path(X, y, SIZE, algorithm="gd", alpha=alpha, max_iter=1)
    c = X.T @ y / len(y)
    w0 = np.zeros(X.shape[1])
    for G in groups:
        v = c[G] / np.linalg.norm(c[G]) * alpha / np.sqrt(2)  # ||v_l||^2 = u_l^2 / 2
        w0[G] = alpha**2 * v
    rows_close(P.coefs[0], w0, RTOL)
    np.testing.assert_array_equal(P.u[0], alpha)


@pytest.mark.parametrize(
    "max_iter, record_every", [(23, 5), (20, 5), (7, 10), (100, 7)]
)
def test_record_every(max_iter, record_every):
    X, y, Xv, yv, groups = make_problem(seed=7, noise=2.0)
    gamma, eta = explicit_steps(X, y, groups)
    P, R = run_pair(X, y, groups, algorithm="alg2", switch=12, gamma=gamma, eta=eta, alpha=1e-3,
                    max_iter=max_iter, record_every=record_every, X_val=Xv, y_val=yv)  # fmt: skip
    assert P.iterations[-1] == max_iter
    assert len(set(P.iterations.tolist())) == len(P.iterations)
    assert_matches(P, R, record_every=record_every, has_val=True)
    if (max_iter, record_every) == (100, 7):
        # the best iterate is tracked at every iteration, not only the recorded ones
        assert R.best_iter % record_every != 0 and R.best_iter != max_iter


# --------------------------------------------------------------------------
# storage, dtype and caller's arrays
# --------------------------------------------------------------------------


def _csr64(A):
    M = sp.csr_matrix(A)
    M.indices = M.indices.astype(np.int64)
    M.indptr = M.indptr.astype(np.int64)
    return M


STORAGES = {
    "F": np.asfortranarray,
    "csr_matrix": sp.csr_matrix,
    "csr_array": sp.csr_array,
    "csc_matrix": sp.csc_matrix,
    "csc_array": sp.csc_array,
    "coo_matrix": sp.coo_matrix,
    "csr_int64": _csr64,
}


@pytest.fixture(scope="module")
def sparse_problem():
    X, y, Xv, yv, groups = make_problem(seed=8, density=0.5)
    gamma, eta = explicit_steps(X, y, groups, True)
    kw = dict(algorithm="alg2", switch=15, step_u=gamma, step_v=eta, alpha=1e-3, max_iter=60,
              fit_intercept=True)  # fmt: skip
    base = dglnn_path(X, y, SIZE, X_val=Xv, y_val=yv, **kw)
    R = ref.dglnn_reference(X, y, groups, algorithm="alg2", switch=15, gamma=gamma, eta=eta,
                            alpha=1e-3, max_iter=60, fit_intercept=True, X_val=Xv, y_val=yv)  # fmt: skip
    assert_matches(base, R, has_val=True)
    return X, y, Xv, yv, kw, base


def assert_same_path(P, base, rtol=STORAGE_RTOL):
    np.testing.assert_array_equal(P.iterations, base.iterations)
    rows_close(P.coefs, base.coefs, rtol)
    rows_close(P.u, base.u, rtol)
    values_close(P.train_loss, base.train_loss, rtol)
    values_close(P.intercepts, base.intercepts, rtol)
    if base.val_loss is not None:
        values_close(P.val_loss, base.val_loss, rtol)
        assert P.best_iter == base.best_iter
        rows_close(P.best_coef, base.best_coef, rtol)
    assert P.switch_iter == base.switch_iter


@pytest.mark.parametrize("storage", list(STORAGES))
def test_storages_agree(sparse_problem, storage):
    X, y, Xv, yv, kw, base = sparse_problem
    conv = STORAGES[storage]
    Xs, Xvs = conv(X), conv(Xv)
    if storage == "csr_int64":
        assert Xs.indices.dtype == np.int64
    P = dglnn_path(Xs, y, SIZE, X_val=Xvs, y_val=yv, **kw)
    assert P.coefs.dtype == np.float64
    assert_same_path(P, base)


def test_csc_fit_is_the_csr_fit_and_leaves_x_alone(sparse_problem):
    """A single fit sweeps CSC X as CSR (converted once): the same bits as CSR
    input, with the caller's CSC matrix unchanged."""
    X, y, Xv, yv, kw, _ = sparse_problem
    Xc = sp.csc_matrix(X)
    Xc.indices = Xc.indices.astype(np.int64)
    Xc.indptr = Xc.indptr.astype(np.int64)
    before = (Xc.data.copy(), Xc.indices.copy(), Xc.indptr.copy())
    P = dglnn_path(Xc, y, SIZE, X_val=sp.csc_matrix(Xv), y_val=yv, **kw)
    Q = dglnn_path(_csr64(X), y, SIZE, X_val=sp.csr_matrix(Xv), y_val=yv, **kw)
    np.testing.assert_array_equal(P.coefs, Q.coefs)
    np.testing.assert_array_equal(P.train_loss, Q.train_loss)
    np.testing.assert_array_equal(P.val_loss, Q.val_loss)
    assert Xc.format == "csc"
    for a, b in zip((Xc.data, Xc.indices, Xc.indptr), before):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


@pytest.mark.parametrize("source", ["dense", "csr", "csc"])
@pytest.mark.parametrize("kind", ["csr", "csc"])
def test_design_as_sparse_kind(source, kind):
    from fastgs._validation import _to_scipy, check_design

    rng = np.random.default_rng(3)
    A = sp.random(7, 5, density=0.4, format="csr", random_state=rng, dtype=np.float32).toarray()
    X = {"dense": A, "csr": sp.csr_matrix(A), "csc": sp.csc_matrix(A)}[source]
    design = check_design(X, "X")
    out = design.as_sparse_kind(kind, np.int64)
    assert out.kind == kind and out.dtype == np.float32 and out.shape == (7, 5)
    assert out.arrays[1].dtype == np.int64 and out.arrays[2].dtype == np.int64
    np.testing.assert_array_equal(_to_scipy(out).toarray(), A)
    assert out.as_sparse_kind(kind) is out  # already in that storage: no copy


@pytest.mark.parametrize("kind", ["csr", "csc"])
def test_design_with_sorted_indices(kind):
    from fastgs._validation import _to_scipy, check_design

    A = sp.random(30, 20, density=0.3, format=kind, random_state=4, dtype=np.float32)
    A.indices = A.indices.astype(np.int64)
    A.indptr = A.indptr.astype(np.int64)
    design = check_design(A, "X")
    assert design.with_sorted_indices() is design  # sorted already: no copy
    messy = A.copy()
    for j in range(messy.indptr.size - 1):  # reverse every row's (column's) entries
        a, b = messy.indptr[j], messy.indptr[j + 1]
        messy.indices[a:b] = messy.indices[a:b][::-1].copy()
        messy.data[a:b] = messy.data[a:b][::-1].copy()
    messy.indices = messy.indices.astype(np.int64)  # (the copy may have narrowed them)
    messy.indptr = messy.indptr.astype(np.int64)
    messy.has_sorted_indices = False
    kept = messy.indices.copy()
    out = check_design(messy, "X").with_sorted_indices()
    np.testing.assert_array_equal(messy.indices, kept)  # the caller's matrix is untouched
    assert _to_scipy(out).has_sorted_indices and out.kind == kind and out.dtype == np.float32
    assert out.arrays[1].dtype == np.int64 and out.arrays[2].dtype == np.int64
    np.testing.assert_array_equal(_to_scipy(out).toarray(), A.toarray())
    np.testing.assert_array_equal(out.arrays[1], A.indices)


@pytest.mark.parametrize("train, val", [("dense", "csr"), ("csr", "dense"), ("csc", "csr"),
                                        ("csr_int64", "csr")])  # fmt: skip
def test_validation_storage_may_differ(sparse_problem, train, val):
    X, y, Xv, yv, kw, base = sparse_problem
    conv = {"dense": np.asarray, "csr": sp.csr_matrix, "csc": sp.csc_matrix, "csr_int64": _csr64}
    P = dglnn_path(conv[train](X), y, SIZE, X_val=conv[val](Xv), y_val=yv, **kw)
    assert_same_path(P, base)


def test_sparse_unsorted_duplicate_indices(sparse_problem):
    X, y, Xv, yv, kw, base = sparse_problem
    rng = np.random.default_rng(0)
    A = sp.csr_matrix(X)
    data, indices, indptr = [], [], [0]
    for i in range(A.shape[0]):
        cols = A.indices[A.indptr[i] : A.indptr[i + 1]]
        vals = A.data[A.indptr[i] : A.indptr[i + 1]]
        cols = np.concatenate([cols, cols[:2]])  # duplicates: the value split in two halves
        vals = np.concatenate([vals, vals[:2]])
        vals[:2] *= 0.5
        vals[-2:] *= 0.5
        order = rng.permutation(len(cols))
        indices += list(cols[order])
        data += list(vals[order])
        indptr.append(len(data))
    M = sp.csr_matrix((np.array(data), np.array(indices, dtype=np.int32),
                       np.array(indptr, dtype=np.int32)), shape=A.shape)  # fmt: skip
    assert not M.has_sorted_indices
    P = dglnn_path(M, y, SIZE, X_val=Xv, y_val=yv, **kw)
    assert_same_path(P, base)


def test_float32_close_to_float64():
    X, y, Xv, yv, groups = make_problem(seed=9, n=60, p=24)
    kw = dict(algorithm="alg2", max_iter=250, fit_intercept=True)
    P64 = dglnn_path(X, y, SIZE, X_val=Xv, y_val=yv, **kw)
    P32 = dglnn_path(X.astype(np.float32), y, SIZE, X_val=Xv.astype(np.float32),
                            y_val=yv, **kw)  # fmt: skip
    for name in ("coefs", "u", "train_loss", "val_loss", "intercepts", "best_coef", "v"):
        assert getattr(P32, name).dtype == np.float32, name
    assert P64.coefs.dtype == np.float64
    assert np.all(np.isfinite(P32.coefs))
    w64, w32 = P64.coefs[-1], P32.coefs[-1].astype(np.float64)
    assert np.linalg.norm(w32 - w64) < 1e-3 * np.linalg.norm(w64)
    assert P64.train_loss[-1] < 0.01 * P64.train_loss[0]  # it did fit


def test_noncontiguous_and_readonly_inputs():
    X, y, Xv, yv, groups = make_problem(seed=10)
    gamma, eta = explicit_steps(X, y, groups)
    kw = dict(algorithm="alg2", switch=10, step_u=gamma, step_v=eta, alpha=1e-3, max_iter=40,
              fit_intercept=True)  # fmt: skip
    base = dglnn_path(X, y, SIZE, X_val=Xv, y_val=yv, **kw)

    big = np.zeros((2 * X.shape[0], 2 * X.shape[1]))
    big[::2, ::2] = X
    Xnc = big[::2, ::2]
    ybig = np.zeros(2 * len(y))
    ybig[1::2] = y
    ync = ybig[1::2]
    assert not Xnc.flags.c_contiguous and not Xnc.flags.f_contiguous
    assert not ync.flags.c_contiguous
    P = dglnn_path(Xnc, ync, SIZE, X_val=Xv, y_val=yv, **kw)
    assert_same_path(P, base)

    Xro, yro, Xvro, yvro = (a.copy() for a in (X, y, Xv, yv))
    for a in (Xro, yro, Xvro, yvro):
        a.flags.writeable = False
    P = dglnn_path(Xro, yro, SIZE, X_val=Xvro, y_val=yvro, **kw)
    assert_same_path(P, base)

    A = sp.csr_matrix(X)
    for a in (A.data, A.indices, A.indptr):
        a.flags.writeable = False
    P = dglnn_path(A, yro, SIZE, **kw)
    rows_close(P.coefs, base.coefs, STORAGE_RTOL)


def _snapshot(obj):
    if sp.issparse(obj) and obj.format == "coo":
        return (obj.format, obj.data.copy(), obj.row.copy(), obj.col.copy())
    if sp.issparse(obj):
        return (obj.format, obj.data.copy(), obj.indices.copy(), obj.indptr.copy())
    return (np.array(obj, copy=True),)


def _same(obj, snap):
    if sp.issparse(obj) and obj.format == "coo":
        fmt, data, row, col = snap
        return (
            obj.format == fmt and obj.data.tobytes() == data.tobytes()
            and obj.row.tobytes() == row.tobytes() and obj.col.tobytes() == col.tobytes()
        )  # fmt: skip
    if sp.issparse(obj):
        fmt, data, indices, indptr = snap
        return (
            obj.format == fmt
            and obj.data.tobytes() == data.tobytes() and obj.data.dtype == data.dtype
            and obj.indices.tobytes() == indices.tobytes()
            and obj.indices.dtype == indices.dtype
            and obj.indptr.tobytes() == indptr.tobytes()
        )  # fmt: skip
    return obj.tobytes() == snap[0].tobytes() and obj.dtype == snap[0].dtype


@pytest.mark.parametrize("storage", ["dense", "dense32", "F", "csr_unsorted", "csc", "coo"])
def test_caller_arrays_not_modified(storage):
    X, y, Xv, yv, groups = make_problem(seed=11, density=0.6)
    if storage == "dense32":
        X, Xv = X.astype(np.float32), Xv.astype(np.float32)
    elif storage == "F":
        X, Xv = np.asfortranarray(X), np.asfortranarray(Xv)
    elif storage == "csr_unsorted":
        X, Xv = sp.csr_matrix(X), sp.csr_matrix(Xv)
        for M in (X, Xv):  # reverse each row's entries: unsorted indices
            for i in range(M.shape[0]):
                s = slice(M.indptr[i], M.indptr[i + 1])
                M.indices[s] = M.indices[s][::-1].copy()
                M.data[s] = M.data[s][::-1].copy()
            M.has_sorted_indices = False
    elif storage == "csc":
        X, Xv = sp.csc_matrix(X), sp.csc_matrix(Xv)
    elif storage == "coo":
        X, Xv = sp.coo_matrix(X), sp.coo_matrix(Xv)
    snaps = [_snapshot(a) for a in (X, y, Xv, yv)]
    labels = np.repeat(np.arange(8), 3)
    labels_snap = labels.copy()
    for algorithm in ("alg2", "gd"):
        P = dglnn_path(X, y, labels, algorithm=algorithm, max_iter=30, fit_intercept=True,
                              X_val=Xv, y_val=yv)  # fmt: skip
        assert np.all(np.isfinite(P.coefs))
    dlnn_path(X, y, max_iter=30, fit_intercept=True, X_val=Xv, y_val=yv)
    for a, s in zip((X, y, Xv, yv), snaps):
        assert _same(a, s)
    np.testing.assert_array_equal(labels, labels_snap)
    if storage == "csr_unsorted":
        assert not X.has_sorted_indices


# --------------------------------------------------------------------------
# divergence
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_all_finite_finds_one_bad_entry_anywhere(dtype):
    # the check is a branch-free sum of x * 0 (fastgs.solvers._all_finite);
    # huge finite entries must not overflow it, one inf or NaN at any place
    # (a vector lane or the scalar remainder) must be found
    from fastgs.solvers import _all_finite

    big = np.finfo(dtype).max
    x = np.random.default_rng(0).standard_normal(37).astype(dtype)
    x[::5] = big
    x[1::7] = -big
    assert _all_finite(x) and _all_finite(x[:0])
    for bad in (np.inf, -np.inf, np.nan):
        for i in range(x.shape[0]):
            y = x.copy()
            y[i] = bad
            assert not _all_finite(y), (bad, i)
            assert not _all_finite(y[::-1][: x.shape[0] - i]), (bad, i)


@pytest.mark.parametrize("record_every", [1, 3])
@pytest.mark.parametrize("mult, code", [(20.0, 2), (1e150, 1)])
@pytest.mark.parametrize("algorithm", ["alg1", "alg2", "gd"])
def test_dglnn_divergence(algorithm, mult, code, record_every):
    X, y, Xv, yv, groups = make_problem(seed=1, offset=False)
    a_max = ref.auto_a_max(X, y, groups)
    gamma = mult / a_max
    eta = 0.5 / a_max**2
    with pytest.warns(fastgs.DivergenceWarning, match="diverged"):
        P, R = run_pair(X, y, groups, algorithm=algorithm, switch=1, gamma=gamma, eta=eta,
                        pass_eta=algorithm != "gd", alpha=1e-3, max_iter=80,
                        record_every=record_every, X_val=Xv, y_val=yv)  # fmt: skip
    assert R.status == code  # the scenario is what it claims to be
    assert P.status.code == code and not P.status.ok
    assert np.all(np.isfinite(P.coefs)) and np.all(np.isfinite(P.u))
    assert np.all(np.isfinite(P.train_loss)) and np.all(np.isfinite(P.val_loss))
    assert P.iterations[-1] == P.status.last_good == R.last_good
    assert P.status.iteration == R.status_iter
    assert_matches(P, R, record_every=record_every, has_val=True)
    rows_close(P.coef, R.w[R.last_good], RTOL)


@pytest.mark.parametrize("algorithm", ["alg1", "alg2", "gd", "dlnn"])
def test_nonfinite_validation_loss_stops_and_restores(algorithm):
    # a validation set at 2e153 overflows its loss once |w| grows: a non-finite
    # value at some iteration t > 1 whose predecessor t - 1 is not a recorded one
    X, y, Xv, yv, groups = make_problem(seed=1, offset=False)
    Xv = Xv * 2e153
    gamma, eta = explicit_steps(X, y, groups)
    with pytest.warns(fastgs.DivergenceWarning, match="non-finite"):
        if algorithm == "dlnn":
            P = dlnn_path(X, y, alpha=1e-3, step=gamma, max_iter=200, record_every=3,
                                 X_val=Xv, y_val=yv)  # fmt: skip
            R = ref.dlnn_reference(X, y, alpha=1e-3, gamma=gamma, max_iter=200, X_val=Xv, y_val=yv)
        else:
            P, R = run_pair(X, y, groups, algorithm=algorithm, switch=10, gamma=gamma, eta=eta,
                            pass_eta=algorithm != "gd", alpha=ALPHA[algorithm], max_iter=90,
                            record_every=3, X_val=Xv, y_val=yv)  # fmt: skip
    assert R.status == ref.STATUS_NONFINITE and R.status_iter > 1
    assert (R.status_iter - 1) % 3 != 0
    assert P.status.code == ref.STATUS_NONFINITE
    assert P.status.iteration == R.status_iter and P.status.last_good == R.status_iter - 1
    assert np.all(np.isfinite(P.val_loss)) and np.all(np.isfinite(P.coefs))
    assert_matches(P, R, record_every=3, has_val=True, check_u=algorithm != "dlnn")


@pytest.mark.parametrize("depth, mult, record_every", [(2, 12.0, 1), (3, 60.0, 2), (3, 60.0, 1)])
def test_dlnn_divergence(depth, mult, record_every):
    X, y, Xv, yv, _ = make_problem(seed=1, offset=False)
    gamma = mult * ref.dlnn_reference(X, y, depth=depth, alpha=1e-2, max_iter=0).gamma
    R = ref.dlnn_reference(X, y, depth=depth, alpha=1e-2, gamma=gamma, max_iter=200,
                           X_val=Xv, y_val=yv)  # fmt: skip
    with pytest.warns(fastgs.DivergenceWarning, match="diverged"):
        P = dlnn_path(X, y, depth=depth, alpha=1e-2, step=gamma, max_iter=200,
                             record_every=record_every, X_val=Xv, y_val=yv)  # fmt: skip
    assert R.status == ref.STATUS_U_NONPOSITIVE
    assert P.status.code == R.status
    assert np.all(np.isfinite(P.coefs))
    assert P.iterations[-1] == P.status.last_good == R.last_good
    assert_matches(P, R, record_every=record_every, has_val=True, check_u=False)


# --------------------------------------------------------------------------
# DLNN
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("with_val", [False, True])
@pytest.mark.parametrize("depth, step", [(2, "auto"), (2, 3.0), (3, "auto"), (3, 5.0)])
def test_dlnn_matches_reference(depth, step, with_val, fit_intercept):
    X, y, Xv, yv, _ = make_problem(seed=12)
    val = dict(X_val=Xv, y_val=yv) if with_val else {}
    auto = ref.dlnn_reference(X, y, depth=depth, max_iter=0, fit_intercept=fit_intercept).gamma
    gamma = None if step == "auto" else step * auto
    alpha = 1e-3 if depth == 2 else 0.3
    P = dlnn_path(X, y, depth=depth, alpha=alpha, step="auto" if gamma is None else gamma,
                         max_iter=120, fit_intercept=fit_intercept, **val)  # fmt: skip
    R = ref.dlnn_reference(X, y, depth=depth, alpha=alpha, gamma=gamma, max_iter=120,
                           fit_intercept=fit_intercept, **val)  # fmt: skip
    assert P.step == pytest.approx(R.gamma, rel=1e-12)
    assert P.depth == depth
    assert R.status == ref.STATUS_OK
    assert_matches(P, R, has_val=with_val, check_u=False)
    assert R.train_loss[-1] < 0.5 * R.train_loss[0]


def test_dlnn_auto_step_depth2():
    X, y, _, _, _ = make_problem(seed=13)
    P = dlnn_path(X, y, max_iter=2)
    assert P.step == pytest.approx(0.05 / np.max(np.abs(X.T @ y / len(y))), rel=1e-12)


# --------------------------------------------------------------------------
# groups
# --------------------------------------------------------------------------


def _irregular_partition(p=16, seed=14):
    rng = np.random.default_rng(seed)
    sizes = [1, 4, 2, 5, 3, 1]
    assert sum(sizes) == p
    labels = rng.permutation(np.repeat(np.array([50, 10, 30, 20, 40, 60]), sizes))
    return rng, labels


def _problem_for_labels(labels, seed=14, n=45):
    rng = np.random.default_rng(seed)
    p = len(labels)
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    for lab, coef in [(20, 1.0), (40, -2.0)]:
        w[labels == lab] = coef
    y = X @ w + 0.05 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("algorithm", ["alg1", "alg2", "gd"])
def test_unequal_noncontiguous_groups(algorithm):
    rng, labels = _irregular_partition()
    X, y = _problem_for_labels(labels)
    uniq = np.unique(labels)
    groups = [np.flatnonzero(labels == lab) for lab in uniq]  # sorted-label order
    gamma, eta = explicit_steps(X, y, groups)
    P, R = run_pair(X, y, groups, labels, algorithm=algorithm, switch=20, gamma=gamma, eta=eta,
                    pass_eta=algorithm != "gd", alpha=ALPHA[algorithm], max_iter=80)  # fmt: skip
    np.testing.assert_array_equal(P.groups.labels, uniq)
    assert_matches(P, R)
    assert R.train_loss[-1] < 0.5 * R.train_loss[0]

    # the same partition as index lists, in another group order and member order
    order = rng.permutation(len(groups))
    lists = [list(rng.permutation(groups[l])) for l in order]
    P2, R2 = run_pair(X, y, lists, lists, algorithm=algorithm, switch=20, gamma=gamma, eta=eta,
                      pass_eta=algorithm != "gd", alpha=ALPHA[algorithm], max_iter=80)  # fmt: skip
    assert_matches(P2, R2)
    rows_close(P2.coefs, P.coefs, STORAGE_RTOL)
    rows_close(P2.u, P.u[:, order], STORAGE_RTOL)


def _many_groups(n_groups, seed, contiguous):
    """(group_ptr, group_idx) of n_groups groups of 1 to 7 features: consecutive
    features, or a random permutation of them."""
    from fastgs.groups import make_groups

    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_groups), rng.integers(1, 8, size=n_groups))
    if not contiguous:
        labels = rng.permutation(labels)
    groups = make_groups(labels, labels.shape[0])
    return groups.group_ptr, groups.kernel_index(), labels


@pytest.mark.parametrize("contiguous", [True, False])
@pytest.mark.parametrize("algorithm, switched, step_cap, direction", [
    (a, sw, cap, d) for a, sw, cap in [(0, False, 0.0), (0, False, 0.25), (1, True, 0.0), (1, True, 0.25)]
    for d in (True, False)
] + [(2, False, 0.0, True)])  # GD's update is always simultaneous  # fmt: skip
def test_update_in_blocks_of_groups_is_the_update_over_all_groups(algorithm, switched, step_cap,
                                                                 contiguous, direction):  # fmt: skip
    # the update runs its phases and the weights a block of groups at a time
    # (fastgs.solvers._update_in_blocks; the direction phase only for the
    # simultaneous update); it must give the bits of the phases one after the
    # other over all groups, at every block border, for ALG1, ALG2 after its
    # switch and GD, both magnitude steps, contiguous and scattered groups
    from fastgs import solvers

    L = 2 * solvers._STEP_BLOCK_GROUPS + 37
    group_ptr, group_idx, _ = _many_groups(L, seed=3, contiguous=contiguous)
    p = int(group_ptr[-1])
    rng = np.random.default_rng(4)
    u0 = np.exp(rng.uniform(np.log(1e-4), np.log(2.0), L))
    v0 = rng.standard_normal(p)
    fastgs.kernels.normalize_groups(v0, group_ptr, group_idx)
    g = 0.1 * rng.standard_normal(p)
    inv_scale = rng.uniform(0.5, 2.0, p)
    gamma, eta = 0.3, 0.05

    def over_all_groups(g):
        u, v, vg, w = u0.copy(), v0.copy(), np.empty(L), np.empty(p)
        if direction:
            solvers._direction_phase(algorithm, switched, u, v, g, vg, eta, group_ptr, group_idx)
        status = solvers._magnitude_phase(algorithm, u, v, g, vg, gamma, step_cap, group_ptr,
                                          group_idx)  # fmt: skip
        solvers.set_weights(u, v, group_ptr, group_idx, inv_scale, w)
        return status, (u, v, vg, w)

    def in_blocks(g):
        u, v, vg, w = u0.copy(), v0.copy(), np.empty(L), np.empty(p)
        status = solvers._update_in_blocks(algorithm, switched, direction, u, v, g, vg, gamma, eta,
                                           step_cap, group_ptr, group_idx, inv_scale, w)  # fmt: skip
        return status, (u, v, vg, w)

    status_all, want = over_all_groups(g)
    status, got = in_blocks(g)
    assert status == status_all == solvers.STATUS_OK
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(got[0], u0)
    assert np.array_equal(got[1], v0) != direction

    # a non-finite gradient entry in the last group: the status of the phases
    # over all groups (on a failure the caller restores the iterate)
    bad = g.copy()
    bad[group_idx[-1] if group_idx.shape[0] else p - 1] = np.inf
    status_all, want = over_all_groups(bad)
    status, got = in_blocks(bad)
    assert status == status_all
    assert status != solvers.STATUS_OK or not direction
    if status == solvers.STATUS_OK:
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_groups_finite_checks_the_features_of_its_groups():
    from fastgs import solvers

    for contiguous in (True, False):
        group_ptr, group_idx, labels = _many_groups(40, seed=5, contiguous=contiguous)
        p = labels.shape[0]
        v = np.ones(p)
        assert solvers._groups_finite(v, group_ptr, group_idx)
        for j in range(p):
            for bad in (np.inf, np.nan):
                v[j] = bad
                lab = labels[j]
                # the block of groups lab .. lab + 2 sees it, the block after it does not
                hi = min(lab + 3, 40)
                assert not solvers._groups_finite(v, group_ptr[lab : hi + 1], group_idx)
                assert not solvers._groups_finite(v, group_ptr, group_idx)
                if hi < 40:
                    assert solvers._groups_finite(v, group_ptr[hi:], group_idx)
                v[j] = 1.0


@pytest.mark.parametrize("algorithm", ["alg1", "alg2", "gd"])
def test_many_groups_match_reference(algorithm):
    # more groups than one block of the simultaneous update (see the test above):
    # the whole path still follows the NumPy reference
    from fastgs import solvers

    _, _, labels = _many_groups(solvers._STEP_BLOCK_GROUPS + 90, seed=6, contiguous=False)
    X, y = _problem_for_labels(labels, n=40)
    groups = [np.flatnonzero(labels == lab) for lab in np.unique(labels)]
    gamma, eta = explicit_steps(X, y, groups)
    P, R = run_pair(X, y, groups, labels, algorithm=algorithm, switch=15, gamma=gamma, eta=eta,
                    pass_eta=algorithm != "gd", alpha=ALPHA[algorithm], max_iter=30)  # fmt: skip
    assert_matches(P, R)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 30),
    p=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
    algorithm=st.sampled_from(["alg1", "alg2", "gd"]),
    update=st.sampled_from(["simultaneous", "sequential"]),
    fit_intercept=st.booleans(),
)
def test_dglnn_random_partitions_property(n, p, seed, algorithm, update, fit_intercept):
    """Random shapes, partitions (a permutation cut at random points) and data."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(p)
    cuts = np.sort(rng.choice(np.arange(1, p), size=rng.integers(0, p), replace=False))
    bounds = np.concatenate([[0], cuts, [p]]).astype(int)
    groups = [perm[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]
    X = rng.standard_normal((n, p))
    y = X @ (rng.standard_normal(p) * (rng.random(p) < 0.3)) + 0.1 * rng.standard_normal(n)
    Xv = rng.standard_normal((5, p))
    yv = rng.standard_normal(5)
    a_max = ref.auto_a_max(X, y, groups, fit_intercept)
    if not a_max > 0:  # e.g. n = 1 with an intercept: nothing to fit
        return
    gamma, eta = 0.1 / a_max, 0.5 / a_max**2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastgs.DivergenceWarning)
        P, R = run_pair(X, y, groups, [list(G) for G in groups], algorithm=algorithm,
                        update=update, switch=8, gamma=gamma, eta=eta, pass_eta=algorithm != "gd",
                        alpha=ALPHA[algorithm], max_iter=30, record_every=4,
                        fit_intercept=fit_intercept, X_val=Xv, y_val=yv)  # fmt: skip
    assert_matches(P, R, record_every=4, has_val=True, rtol=1e-9)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("algorithm", ["alg1", "alg2", "gd"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_all_zero_column_group(algorithm, fit_intercept, fmt):
    X, y, Xv, yv, groups = make_problem(seed=15, offset=False)
    X[:, 3:6] = 0.0  # group 1 (features 3, 4, 5) is all zero
    Xv[:, 3:6] = 0.0
    alpha = 1e-3
    Xin = X if fmt == "dense" else sp.csr_matrix(X)
    P = dglnn_path(Xin, y, SIZE, algorithm=algorithm, alpha=alpha, max_iter=150,
                          fit_intercept=fit_intercept, X_val=Xv, y_val=yv)  # fmt: skip
    assert P.status.ok
    for a in (P.coefs, P.u, P.train_loss, P.val_loss, P.intercepts, P.best_coef, P.v):
        assert np.all(np.isfinite(a))
    w0 = 0.0 if algorithm == "gd" else alpha**2 / np.sqrt(3)
    # renormalizing an unchanged direction may move it by an ulp, nothing more
    np.testing.assert_allclose(P.coefs[:, 3:6], w0, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(P.u[:, 1], alpha)
    R = ref.dglnn_reference(X, y, groups, algorithm=algorithm, alpha=alpha, max_iter=150,
                            fit_intercept=fit_intercept, X_val=Xv, y_val=yv,
                            switch="auto")  # fmt: skip
    assert_matches(P, R, has_val=True)
    assert P.switch_iter == R.switch_iter


@pytest.mark.parametrize("algorithm", ["alg1", "alg2"])
def test_constant_column_group_with_intercept(algorithm):
    # centered, a constant column is zero: its group must stay (nearly) at the start
    X, y, _, _, _ = make_problem(seed=16, offset=False)
    X[:, 3:6] = 2.5
    alpha = 1e-3
    P = dglnn_path(X, y, SIZE, algorithm=algorithm, alpha=alpha, max_iter=150,
                          fit_intercept=True)  # fmt: skip
    assert np.all(np.isfinite(P.coefs))
    norms = np.linalg.norm(P.coefs[:, 3:6], axis=1)
    np.testing.assert_allclose(norms, alpha**2, rtol=1e-3)
    np.testing.assert_allclose(P.u[:, 1], alpha, rtol=1e-6)


@pytest.mark.parametrize("algorithm", ["alg1", "gd"])
def test_warm_start_continues_the_path(algorithm):
    # (u0, v0) = the state at iteration 40 continues the run exactly (alg1, gd)
    X, y, _, _, groups = make_problem(seed=17)
    gamma, _ = explicit_steps(X, y, groups)
    kw = dict(algorithm=algorithm, step_u=gamma, alpha=ALPHA[algorithm])
    full = dglnn_path(X, y, SIZE, max_iter=70, **kw)
    head = dglnn_path(X, y, SIZE, max_iter=40, **kw)
    tail = dglnn_path(X, y, SIZE, max_iter=30, u0=head.u[-1], v0=head.v, **kw)
    rows_close(tail.coefs, full.coefs[40:], 1e-12)
    rows_close(tail.u, full.u[40:], 1e-12)


def test_loss_curves_cover_every_iteration_whatever_record_every():
    """train_curve/val_curve hold every iteration; train_loss/val_loss the recorded ones."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 12))
    y = X[:, :3] @ np.array([1.0, -2.0, 1.5]) + 0.1 * rng.standard_normal(40)
    Xv = rng.standard_normal((15, 12))
    yv = Xv[:, :3] @ np.array([1.0, -2.0, 1.5])
    every = dglnn_path(X, y, 3, X_val=Xv, y_val=yv, max_iter=37, record_every=1)
    sparse = dglnn_path(X, y, 3, X_val=Xv, y_val=yv, max_iter=37, record_every=5)
    np.testing.assert_array_equal(sparse.iterations, [0, 5, 10, 15, 20, 25, 30, 35, 37])
    assert sparse.train_curve.shape == (38,) and sparse.val_curve.shape == (38,)
    np.testing.assert_array_equal(sparse.train_curve, every.train_loss)
    np.testing.assert_array_equal(sparse.val_curve, every.val_loss)
    np.testing.assert_array_equal(sparse.val_loss, every.val_loss[sparse.iterations])
    # the best iterate is tracked at every iteration, recorded or not
    assert sparse.best_iter == every.best_iter == int(np.argmin(every.val_loss))
    np.testing.assert_array_equal(sparse.best_coef, every.coefs[every.best_iter])
    np.testing.assert_array_equal(sparse.best_u, every.u[every.best_iter])


def test_estimator_keeps_only_the_ends_of_the_path():
    """Early stopping must not store max_iter x p coefficients (memory O(p))."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 20))
    y = X[:, :4] @ np.ones(4) + 0.1 * rng.standard_normal(60)
    model = fastgs.DGLNNRegressor(groups=4, max_iter=300, random_state=0).fit(X, y)
    assert model.path_.coefs.shape[0] <= 3
    # every pass's validation loss, up to where the run ended
    assert model.validation_loss_.shape == (model.path_.iterations[-1] - model.path_.t0 + 1,)
    assert model.best_iter_ == int(np.argmin(model.validation_loss_))


@pytest.mark.parametrize("storage", ["dense", "csr"])
def test_fast_schedule_matches_reference(storage):
    """The compiled fast schedule equals a NumPy transcription of docs/method.rst, 'The fast schedule'."""
    import scipy.sparse as sp

    rng = np.random.default_rng(11)
    n, p = 60, 24
    X = rng.choice([-1.0, 1.0], size=(n, p))
    w_star = np.zeros(p)
    w_star[:6] = [3.0, -2.0, 2.5, 1.0, 1.5, -1.0]
    y = X @ w_star + 0.3 * rng.standard_normal(n)
    X[:, 21:24] = 0.0  # a group with X_l^T y = 0 keeps its initial u and direction
    groups = [np.arange(k, k + 3) for k in range(0, 24, 3)]
    expect = ref.dglnn_fast_reference(X, y, groups, max_iter=60)
    Xin = sp.csr_matrix(X) if storage == "csr" else X
    path = dglnn_path(Xin, y, groups, schedule="fast", algorithm="alg1", max_iter=60)
    assert path.t0 == expect.t0 > 0
    np.testing.assert_array_equal(path.iterations, expect.iterations)
    scale = np.abs(expect.coefs).max()
    np.testing.assert_allclose(path.coefs, expect.coefs, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(path.u, expect.u, rtol=1e-10)
    np.testing.assert_allclose(path.train_loss, expect.train_loss, rtol=1e-10)
    assert path.step_u == pytest.approx(expect.gamma, rel=1e-12)
    assert path.n_passes == 60 + 2  # X^T y, then one pass per evaluated iterate
    # the capped step keeps the zero group where it started
    np.testing.assert_allclose(path.u[:, -1], 1e-6, rtol=1e-12)


def test_fast_schedule_warm_start_does_not_skip():
    rng = np.random.default_rng(12)
    X = rng.standard_normal((40, 12))
    y = X[:, :3].sum(axis=1)
    path = dglnn_path(X, y, 3, schedule="fast", u0=np.full(4, 1e-3), max_iter=5)
    assert path.t0 == 0 and path.iterations[0] == 0


def test_fast_schedule_best_iter_counts_the_skip():
    rng = np.random.default_rng(13)
    X = rng.choice([-1.0, 1.0], size=(120, 60))
    w = np.zeros(60)
    w[:6] = 2.0
    y = X @ w + 0.5 * rng.standard_normal(120)
    path = dglnn_path(X[:80], y[:80], 3, X_val=X[80:], y_val=y[80:], schedule="fast")
    assert path.t0 > 0
    assert path.best_iter == path.t0 + int(np.argmin(path.val_curve))
    np.testing.assert_array_equal(path.val_curve[path.iterations - path.t0], path.val_loss)


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("scaled", [True, False])
def test_cv_gradients_report_a_nonfinite_entry(center, scaled):
    # the cross-validation sweep scales each model's gradient and checks it in
    # one loop (fastgs.solvers._folds_gradients): one overflowing entry of any
    # model, in any of its four loops, must make it report a non-finite gradient
    from fastgs import solvers
    from fastgs.losses import SQUARED_ERROR

    rng = np.random.default_rng(8)
    n, p, M = 30, 21, 3
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    fold = np.arange(n) % M
    x_offsets = 0.1 * rng.standard_normal((M, p))
    inv_scales = rng.uniform(0.5, 2.0, (M, p)) if scaled else np.empty((M, 0))
    model_sums = np.zeros((M, solvers.N_GLM_SUMS))
    model_sums[:, solvers.GLM_WEIGHT_SUM] = n - n // M
    model_sums[:, solvers.GLM_VAL_WEIGHT_SUM] = n // M
    model_sums[:, solvers.GLM_CURVATURE] = 1.0

    def gradients_finite(X, W):
        G = np.empty((M, p))
        # offset, then train_dev, val_dev, rsum, train_loss, val_loss: (M,) scratch
        offset, *sums = [np.empty(M) for _ in range(6)]
        return solvers._folds_gradients(X, y, fold, W, x_offsets, np.zeros(M), inv_scales, center,
                                        np.int64(SQUARED_ERROR), np.int64(1), np.empty(0),
                                        model_sums, offset, G, *sums, None, None)  # fmt: skip

    W = 0.1 * rng.standard_normal((M, p))
    assert gradients_finite(X, W)
    for j in (0, 7, p - 1):
        big = X.copy()
        big[:, j] = 1e200  # the residuals reach 1e200, column j's sums overflow
        W_big = W.copy()
        W_big[:, j] = 1.0
        assert not gradients_finite(big, W_big), j


@pytest.mark.parametrize("sweep", ["csc", "csr"])
@pytest.mark.parametrize("update", ["simultaneous", "sequential"])
@pytest.mark.parametrize("cv", [3, 5])
def test_cv_fold_models_follow_dglnn_path(update, cv, sweep, monkeypatch):
    """Each fold model of the K-model solver is dglnn_path on its training rows,
    validated on its own fold: sparse X through either sweep (CSC: the column
    sweeps in tiles of six models, here 4 and 6 models with the refit),
    standardized, with an intercept, both update orders (the simultaneous
    one runs each model's iteration in one piece)."""
    import scipy.sparse as sp

    # the sparse CV sweep's storage goes by a byte budget: 0 forces CSC
    monkeypatch.setattr(fastgs.path, "CV_CSR_MAX_BYTES", 0 if sweep == "csc" else 1 << 40)
    rng = np.random.default_rng(41)
    n, p = 150, 60
    X = sp.random(n, p, density=0.3, format="csc", random_state=rng, data_rvs=rng.standard_normal)
    X = (X @ sp.diags(rng.uniform(0.5, 2.0, p))).tocsc()
    w = np.zeros(p)
    w[:6] = [2.0, -1.0, 1.5, 1.0, 1.0, -2.0]
    y = X @ w + 0.3 * rng.standard_normal(n) + 1.0
    fold = np.arange(n) % cv
    # Algorithm 2 switched at pass 17: both direction steps run
    kw = dict(algorithm="alg2", switch=17, update=update, schedule="paper", fit_intercept=True,
              standardize=True, max_iter=60, n_iter_no_change=0)  # fmt: skip
    cvp = dglnn_cv_path(X, y, 3, cv=fold, **kw)
    assert cvp.val_curves.shape == (61, cv)
    for k in range(cv):
        train, val = fold != k, fold == k
        path = dglnn_path(X[train], y[train], 3, X_val=X[val], y_val=y[val], **kw)
        np.testing.assert_allclose(cvp.train_curves[:, k], path.train_curve, rtol=1e-9)
        np.testing.assert_allclose(cvp.val_curves[:, k], path.val_curve, rtol=1e-9)
        assert cvp.switch_iters[k] == path.switch_iter == 17


@pytest.mark.parametrize("storage", ["dense", "csr", "csc", "csc_unsorted"])
def test_cv_path_bit_identical_for_any_thread_count(storage):
    """The K-model sweep runs over several row chunks here, and (dense, CSC)
    the models' group updates run on threads too;
    results must not depend on how many threads ran them, and must match the
    one-chunk sweep.  CSC with unsorted indices is sorted first, whatever
    n_jobs: the same bits as sorted CSC."""
    from fastgs import solvers
    from fastgs._validation import check_design
    from fastgs.path import _cv_sweep_storage

    rng = np.random.default_rng(21)
    # folds + the refit; six models over CSC: its serial sweep is then the flat
    # one (fastgs.cv_kernels._folds_dots_csc_flat), the threaded one by columns
    M = 6 if storage.startswith("csc") else 5
    if storage == "dense":
        n, p = 160, 13200  # n*p >= 2**21: at least two row chunks
        X = rng.standard_normal((n, p))
    elif storage == "csr":
        n, p = 9000, 60
        X = sp.random(n, p, density=0.5, format="csr", random_state=21)  # nnz >> 16 p
    else:
        n, p = 3000, 14001
        X = sp.random(n, p, density=0.0035, format="csc", random_state=21)  # nnz >= 2**17
        X = X * np.sqrt(3 / 0.0035)  # columns of unit root-mean-square
        assert _cv_sweep_storage(M, p, X.dtype) == "csc"
    y = np.asarray(X[:, :6] @ np.ones(6)).ravel() + 0.1 * rng.standard_normal(n)
    sorted_X = X
    if storage == "csc_unsorted":
        X = X.copy()
        for j in range(p):  # each column's entries in reverse row order
            a, b = X.indptr[j], X.indptr[j + 1]
            X.indices[a:b] = X.indices[a:b][::-1].copy()
            X.data[a:b] = X.data[a:b][::-1].copy()
        X.has_sorted_indices = False
    work_G = check_design(sorted_X).fold_workspace(M, 2)[0]
    assert (work_G.shape[0] - 1 if storage.startswith("csc") else work_G.shape[0]) > 1  # chunks
    assert (M * p >= solvers.MODELS_THREADED_MIN_SIZE) == (storage != "csr")
    # the default (fast) schedule: the models move within 8 iterations, so a
    # difference in the last bit of a gradient shows in the curves
    kw = dict(cv=M - 1, random_state=0, max_iter=8, schedule="auto")
    if storage.startswith("csc"):
        assert check_design(X).fold_workspace(M, 1)[0].dtype == np.uint8
    runs = [dglnn_cv_path(X, y, 3, n_jobs=k, **kw) for k in (1, 2)]
    assert runs[0].train_curves[-1, 0] < 0.9 * runs[0].train_curves[0, 0]
    if storage == "csc_unsorted":
        runs.append(dglnn_cv_path(sorted_X, y, 3, n_jobs=2, **kw))
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].val_curves, other.val_curves)
        np.testing.assert_array_equal(runs[0].train_curves, other.train_curves)
        np.testing.assert_array_equal(runs[0].best_coef, other.best_coef)
    # and each fold still equals its own dglnn_path on the fold's training rows
    paper = dglnn_cv_path(X, y, 3, cv=4, random_state=0, max_iter=8, n_jobs=2)
    k = 1
    tr = paper.fold != k
    Xk = X[tr] if storage == "dense" else X[np.flatnonzero(tr)]
    Xv = X[~tr] if storage == "dense" else X[np.flatnonzero(~tr)]
    single = dglnn_path(Xk, y[tr], 3, X_val=Xv, y_val=y[~tr], max_iter=8)
    np.testing.assert_allclose(paper.val_curves[:, k], single.val_loss, rtol=1e-10)


def test_csc_cv_row_chunks_need_sorted_columns():
    """The threaded CSC sweep splits each column by rows: only where each
    column's row indices are sorted; otherwise the serial sweep (one chunk)."""
    from fastgs._validation import check_design

    X = sp.random(2000, 200, density=0.4, format="csc", random_state=3)  # nnz >= 2**17
    splits = check_design(X).fold_workspace(6, 2)[0]
    assert splits.shape == (3, 200)
    rows_below = np.asarray((X[:1000] != 0).sum(axis=0)).ravel()
    np.testing.assert_array_equal(splits[1] - X.indptr[:-1], rows_below)
    shuffled = X.copy()
    j = 7  # reverse one column's entries: the matrix is the same, its storage unsorted
    a, b = shuffled.indptr[j], shuffled.indptr[j + 1]
    shuffled.indices[a:b] = shuffled.indices[a:b][::-1].copy()
    shuffled.data[a:b] = shuffled.data[a:b][::-1].copy()
    shuffled.has_sorted_indices = False
    assert (shuffled != X).nnz == 0
    # a single chunk: no split points, the serial sweep (with its residual
    # scratch; for six models the first sweep's column increments)
    for design, threads in ((shuffled, 2), (X, 1)):
        work_G, work_s = check_design(design).fold_workspace(6, threads)
        assert work_G.dtype == np.uint8 and work_G.shape == (X.nnz,) and work_s.shape == (2000, 6)
        work_G, work_s = check_design(design).fold_workspace(5, threads)
        assert work_G is None and work_s.shape == (2000, 6)


def test_csc_flat_first_sweep_is_the_column_sweep():
    """The serial first CSC sweep of six models runs over the stored entries in
    one loop, each entry's column a running sum of column increments: the same
    bits as the loop over the columns, with empty columns at the start, at the
    end and in runs, and no increments where a run is too long for a byte."""
    from fastgs import cv_kernels

    rng = np.random.default_rng(17)
    n, p = 50, 700
    X = sp.random(n, p, density=0.08, format="csc", random_state=rng, data_rvs=rng.standard_normal)
    X = X.tolil()
    for cols in (slice(0, 3), slice(100, 140), slice(690, 700)):
        X[:, cols] = 0
    X = X.tocsc()
    X.eliminate_zeros()
    counts = np.diff(X.indptr)
    assert counts[0] == 0 and counts[-1] == 0 and (counts[100:140] == 0).all()
    W = rng.standard_normal((6, p))
    inc = cv_kernels.folds_column_increments(X.indptr, 6)
    assert inc.dtype == np.uint8 and inc.shape == (X.nnz,) and int(inc.sum()) < p
    expected = np.zeros((n, 6))
    cv_kernels._folds_dots_csc(X.data, X.indices, X.indptr[:-1], X.indptr[1:], W, expected)
    got = np.zeros((n, 6))
    cv_kernels._folds_dots_csc_flat(X.data, X.indices, inc, W, got)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(got, X @ W.T, rtol=1e-12, atol=1e-12)
    assert cv_kernels.folds_column_increments(X.indptr, 5) is None
    # 300 empty columns in a row: more than a byte counts, the column loop instead
    wide = sp.hstack([X[:, :10], sp.csc_matrix((n, 300)), X[:, 10:]]).tocsc()
    assert cv_kernels.folds_column_increments(wide.indptr, 6) is None


def test_cv_sweep_storage_goes_by_shape_not_input(monkeypatch):
    """CSR and CSC input give the same bits through either sparse CV sweep,
    and the sweep's storage follows the models' weight bytes."""
    from fastgs.path import CV_CSR_MAX_BYTES, _cv_sweep_storage

    p_edge = CV_CSR_MAX_BYTES // (2 * 6 * 8)
    assert _cv_sweep_storage(6, p_edge, np.float64) == "csr"
    assert _cv_sweep_storage(6, p_edge + 1, np.float64) == "csc"
    assert _cv_sweep_storage(6, p_edge + 1, np.float32) == "csr"
    rng = np.random.default_rng(5)
    X = sp.random(80, 30, density=0.3, format="csr", random_state=5)
    y = np.asarray(X[:, :6] @ np.ones(6)).ravel() + 0.1 * rng.standard_normal(80)
    solve = fastgs.path.solvers.dglnn_cv_solve
    swept = []  # the storage each run's solver was given: a CSR 3-tuple or a CSC 4-tuple

    def spy(design, *args):
        swept.append("csr" if len(design) == 3 else "csc")
        return solve(design, *args)

    monkeypatch.setattr(fastgs.path.solvers, "dglnn_cv_solve", spy)
    for limit, kind in ((0, "csc"), (1 << 40, "csr")):
        monkeypatch.setattr(fastgs.path, "CV_CSR_MAX_BYTES", limit)
        swept.clear()
        a, b = (dglnn_cv_path(M, y, 3, cv=5, random_state=0, max_iter=30, fit_intercept=True)
                for M in (X, X.tocsc()))  # fmt: skip
        assert swept == [kind, kind]
        np.testing.assert_array_equal(a.val_curves, b.val_curves)
        np.testing.assert_array_equal(a.best_coef, b.best_coef)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("schedule", ["paper", "fast"])
def test_cv_path_refit_in_the_same_sweep(fit_intercept, schedule):
    """The model on all rows, advanced with the folds, equals dglnn_path on all
    rows stopped at the CV-chosen iteration."""
    rng = np.random.default_rng(31)
    X = rng.choice([-1.0, 1.0], size=(90, 45))
    w = np.zeros(45)
    w[:6] = [2.0, -1.0, 1.5, 1.0, 1.0, -2.0]
    y = X @ w + 0.5 * rng.standard_normal(90) + 1.0
    cvp = dglnn_cv_path(X, y, 3, cv=3, random_state=1, max_iter=150,
                               fit_intercept=fit_intercept, schedule=schedule)  # fmt: skip
    t = cvp.best_iter
    assert t == int(np.argmin(cvp.cv_curve))
    full = dglnn_path(X, y, 3, max_iter=max(t, 1), fit_intercept=fit_intercept, schedule=schedule)
    i = 0 if t == 0 else -1
    assert cvp.refit_t0 == full.t0
    scale = np.abs(full.coefs[i]).max()
    np.testing.assert_allclose(cvp.best_coef, full.coefs[i], rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(cvp.best_u, full.u[i], rtol=1e-10)
    assert cvp.best_intercept == pytest.approx(float(full.intercepts[i]), rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(cvp.refit_train_curve[: t + 1], full.train_curve[: t + 1], rtol=1e-10)
    without = dglnn_cv_path(X, y, 3, cv=3, random_state=1, max_iter=150, refit=False,
                                   fit_intercept=fit_intercept, schedule=schedule)  # fmt: skip
    assert without.best_coef is None
    # the same fold models (the kernel pairs models, so the extra model may
    # change which ones share a loop: equal up to rounding)
    np.testing.assert_allclose(without.val_curves, cvp.val_curves, rtol=1e-12)

"""The early end: runs with validation data stop once the validation (or mean
CV) curve has stopped improving, with ``max_iter`` as a cap."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning

import fastgs
from fastgs import solvers
from fastgs.datasets import make_group_sparse_regression
from fastgs.run import DEFAULT_N_ITER_NO_CHANGE, DEFAULT_TOL, PATIENCE_FRACTION, PATIENCE_MIN

SIZE = 4
CAP = 800


def early_end_reference(curve, tol=DEFAULT_TOL, n_iter_no_change=DEFAULT_N_ITER_NO_CHANGE,
                        fraction=PATIENCE_FRACTION, least=PATIENCE_MIN):  # fmt: skip
    """The pass at which the early end stops a run whose full validation curve
    is ``curve`` (the last pass if it never fires): the first pass ending
    ``n_iter_no_change`` consecutive passes whose loss exceeds the minimum so
    far by more than ``tol`` (relative), at least ``max(least, fraction *
    t_min)`` passes after that minimum."""
    for t in range(len(curve)):
        t_min = int(np.argmin(curve[: t + 1]))
        first = t - n_iter_no_change + 1
        # the minimum *as it was* at each pass of the window
        clear = first >= 0 and all(curve[s] > np.min(curve[: s + 1]) * (1.0 + tol)
                                   for s in range(first, t + 1))  # fmt: skip
        if clear and t - t_min >= max(least, fraction * t_min):
            return t
    return len(curve) - 1


def compiled_end(curve, tol=DEFAULT_TOL, n_iter_no_change=DEFAULT_N_ITER_NO_CHANGE,
                 fraction=PATIENCE_FRACTION, least=PATIENCE_MIN):  # fmt: skip
    """The pass at which fastgs.solvers.no_improvement_end ends the curve."""
    ref = np.array([np.inf, 0.0, 0.0])
    rule = np.array([tol, float(n_iter_no_change), fraction, float(least)])
    for t, value in enumerate(curve):
        if solvers.no_improvement_end(t, value, ref, rule):
            return t
    return len(curve) - 1


def test_rule_matches_the_reference_on_random_curves():
    rng = np.random.default_rng(0)
    for trial in range(60):
        n = int(rng.integers(5, 400))
        steps = rng.normal(-0.002, 0.01, n) * rng.choice([0.1, 1.0, 5.0])
        curve = np.exp(np.cumsum(steps))
        tol = float(rng.choice([0.0, 1e-3, 5e-3, 0.02]))
        patience = int(rng.integers(1, 60))
        fraction = float(rng.choice([0.0, 0.5, 1.0]))
        least = int(rng.choice([0, 20, 75]))
        assert compiled_end(curve, tol, patience, fraction, least) == early_end_reference(
            curve, tol, patience, fraction, least), trial


def test_rule_waits_through_plateaus_and_slow_descents():
    # a plateau within tol of the minimum, then a second descent (a late
    # group entering): the run must see the second minimum
    plateau = np.concatenate([np.linspace(1.0, 0.5, 30), 0.5 * (1 + 1e-3 * np.sin(np.arange(300))),
                              np.linspace(0.5, 0.45, 20), np.linspace(0.45, 0.6, 500)])  # fmt: skip
    stop = compiled_end(plateau)
    assert np.argmin(plateau[: stop + 1]) == np.argmin(plateau) and stop < len(plateau) - 1
    # a curve that keeps creeping down never ends the run before the cap
    creeping = 1.0 + np.exp(-np.arange(3000) / 20.0) - 1e-7 * np.arange(3000)
    assert compiled_end(creeping) == len(creeping) - 1
    # a bump early in the first descent: the wait of t_min passes lets the
    # curve fall below it again
    bump = np.concatenate([np.ones(130), np.linspace(1.0, 0.93, 30), np.full(40, 0.97),
                           np.geomspace(0.97, 1e-3, 300)])  # fmt: skip
    stop = compiled_end(bump)
    assert stop == len(bump) - 1 and compiled_end(bump, fraction=0.0, least=0) < 200
    # a plateau 2% above an early minimum while the next group grows (as the
    # mean CV curve of fast_schedule.py's unequal groups, seed 204): the least
    # wait after the minimum outlasts it
    entry = np.concatenate([np.geomspace(600.0, 106.0, 9), np.full(65, 108.4),
                            np.geomspace(108.4, 0.14, 300)])  # fmt: skip
    assert compiled_end(entry) == len(entry) - 1 and compiled_end(entry, least=0) < 60
    # a clear rise ends it n_iter_no_change passes after the loss passes the
    # margin, and no earlier than the least wait after the minimum
    rise = np.concatenate([np.linspace(1.0, 0.5, 40), np.linspace(0.5, 1.0, 400)])
    first_above = 40 + int(np.argmax(rise[40:] > 0.5 * (1 + DEFAULT_TOL)))
    wait = max(PATIENCE_MIN, PATIENCE_FRACTION * 39)
    assert compiled_end(rise) == max(first_above + DEFAULT_N_ITER_NO_CHANGE - 1, 39 + wait)
    assert compiled_end(rise, fraction=0.0, least=0) == first_above + DEFAULT_N_ITER_NO_CHANGE - 1


def problem(seed=0, n=200, n_val=100):
    X, y, w, _ = make_group_sparse_regression(n + n_val, 160, group_size=SIZE,
                                              n_informative_groups=3, coef=1.0,
                                              design="gaussian", snr=4.0,
                                              random_state=seed)  # fmt: skip
    return X[:n], y[:n], X[n:], y[n:]


@pytest.mark.parametrize("schedule", ["fast", "paper"])
def test_path_ends_where_the_reference_rule_says(schedule):
    X, y, Xv, yv = problem(seed=1)
    # the paper schedule's slow start holds the clock for a few hundred passes
    cap = CAP if schedule == "fast" else 4 * CAP
    kw = dict(X_val=Xv, y_val=yv, fit_intercept=True, standardize=True, schedule=schedule,
              max_iter=cap, record_every=10**6)  # fmt: skip
    full = fastgs.dglnn_path(X, y, SIZE, n_iter_no_change=0, **kw)
    early = fastgs.dglnn_path(X, y, SIZE, **kw)
    stop = early_end_reference(full.val_curve)
    assert stop < cap  # the rule fired: a meaningful comparison
    assert full.stop_reason == "max_iter" and early.stop_reason == "no_improvement"
    assert len(early.val_curve) == stop + 1
    np.testing.assert_array_equal(early.val_curve, full.val_curve[: stop + 1])
    # the answer did not change: same chosen iterate, same coefficients
    assert early.best_iter == full.best_iter
    np.testing.assert_array_equal(early.best_coef, full.best_coef)
    assert early.iterations[-1] == early.t0 + stop
    assert early.n_passes < full.n_passes


def test_cv_path_ends_where_the_reference_rule_says():
    X, y, _, _ = problem(seed=2, n=300, n_val=0)
    kw = dict(cv=5, fit_intercept=True, standardize=True, max_iter=CAP)
    full = fastgs.dglnn_cv_path(X, y, SIZE, n_iter_no_change=0, **kw)
    early = fastgs.dglnn_cv_path(X, y, SIZE, **kw)
    stop = early_end_reference(full.cv_curve)
    assert stop < CAP
    assert early.stop_reason == "no_improvement" and full.stop_reason == "max_iter"
    assert len(early.cv_curve) == stop + 1
    np.testing.assert_array_equal(early.val_curves, full.val_curves[: stop + 1])
    assert early.best_iter == full.best_iter
    np.testing.assert_array_equal(early.best_coef, full.best_coef)


def test_dlnn_path_ends_where_the_reference_rule_says():
    X, y, Xv, yv = problem(seed=3)
    kw = dict(X_val=Xv, y_val=yv, fit_intercept=True, standardize=True, max_iter=3000,
              record_every=10**6)  # fmt: skip
    full = fastgs.dlnn_path(X, y, n_iter_no_change=0, **kw)
    early = fastgs.dlnn_path(X, y, **kw)
    stop = early_end_reference(full.val_curve)
    assert stop < 3000 and early.stop_reason == "no_improvement"
    assert len(early.val_curve) == stop + 1
    assert early.best_iter == full.best_iter


@pytest.mark.parametrize("n_iter_no_change, tol", [(10, 0.0), (5, 0.05)])
def test_rule_parameters_reach_the_solver(n_iter_no_change, tol):
    X, y, Xv, yv = problem(seed=4)
    kw = dict(X_val=Xv, y_val=yv, fit_intercept=True, max_iter=CAP, record_every=10**6)
    full = fastgs.dglnn_path(X, y, SIZE, n_iter_no_change=0, **kw)
    early = fastgs.dglnn_path(X, y, SIZE, n_iter_no_change=n_iter_no_change, tol=tol, **kw)
    stop = early_end_reference(full.val_curve, tol, n_iter_no_change)
    assert len(early.val_curve) == stop + 1


def test_a_cap_that_binds_warns_and_says_so():
    X, y, Xv, yv = problem(seed=5)
    with pytest.warns(fastgs.ConvergenceWarning, match="max_iter=8"):
        path = fastgs.dglnn_path(X, y, SIZE, X_val=Xv, y_val=yv, max_iter=8)
    assert path.stop_reason == "max_iter"
    with pytest.warns(fastgs.ConvergenceWarning, match="max_iter"):
        fastgs.dglnn_cv_path(X, y, SIZE, cv=3, max_iter=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastgs.ConvergenceWarning)
        # no early end asked for, or no validation data: a fixed horizon, no warning
        fastgs.dglnn_path(X, y, SIZE, X_val=Xv, y_val=yv, max_iter=8, n_iter_no_change=0)
        assert fastgs.dglnn_path(X, y, SIZE, max_iter=8).stop_reason == "max_iter"


@pytest.mark.parametrize("Estimator", [fastgs.DGLNNRegressor, fastgs.DGLNNRegressorCV])
def test_estimators_end_early_and_warn_at_the_cap(Estimator):
    X, y, _, _ = problem(seed=6, n=300, n_val=0)
    m = Estimator(groups=SIZE).fit(X, y)
    curve = m.cv_curve_ if Estimator is fastgs.DGLNNRegressorCV else m.validation_loss_
    chosen_on = m.cv_path_ if Estimator is fastgs.DGLNNRegressorCV else m.path_
    assert chosen_on.stop_reason == "no_improvement"
    assert len(curve) - 1 == early_end_reference(curve)  # the curve ends where the run stopped
    assert m.best_iter_ == int(np.argmin(curve))
    with pytest.warns(SklearnConvergenceWarning, match="max_iter"):
        Estimator(groups=SIZE, max_iter=6).fit(X, y)


@pytest.mark.parametrize("bad", [dict(n_iter_no_change=-1), dict(tol=2.0), dict(tol=-0.1),
                                 dict(n_iter_no_change=1.5)])  # fmt: skip
def test_bad_rule_parameters_are_refused_by_name(bad):
    X, y, Xv, yv = problem(seed=7, n=40, n_val=20)
    name = next(iter(bad))
    with pytest.raises((ValueError, TypeError), match=name):
        fastgs.dglnn_path(X, y, SIZE, X_val=Xv, y_val=yv, max_iter=3, **bad)
    with pytest.raises((ValueError, TypeError), match=name):
        fastgs.DGLNNRegressor(groups=SIZE, **bad).fit(X, y)


def test_a_bump_in_the_first_descent_does_not_end_a_dlnn_fit():
    # the paper's Figure-2 data, seed 1: DLNN's validation loss rises by 4%
    # for 40 passes at pass 160, then falls 3000-fold
    from fastgs.paper.settings import paper_setting

    X, y, w_star, _ = paper_setting("fig2", random_state=1)
    m = fastgs.DLNNRegressor().fit(X, y)
    assert m.best_iter_ > 300
    assert np.sum((m.coef_ - w_star) ** 2) < 1.0

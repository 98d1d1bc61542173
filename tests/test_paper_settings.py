"""The paper's Section 5 settings reproduce docs/method.rst, 'Reference results'.

Li, Nguyen, Hegde, Wong (ICLR 2023), Section 5: Rademacher design, Gaussian
noise with sigma = 0.5, initialization alpha = 1e-6, error ``||w - w*||_2^2``
evaluated on the recorded path.  Each setting runs on a few seeds; the bounds
leave slack around the per-seed values of docs/method.rst, 'Reference results' but stay far from
what a broken solver produces (errors of order ||w*||^2, i.e. 16..900 here).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

import fastgs

SEEDS = (0, 1, 2)
SIGMA = 0.5
ALPHA = 1e-6


def rademacher_problem(seed, n, w_star, n_val=0):
    """Training (and validation) data of the paper: X_ij = ±1, y = X w* + N(0, sigma^2).

    The training set does not depend on ``n_val`` (validation rows are drawn after it).
    """
    rng = np.random.default_rng(seed)
    p = w_star.size
    X = rng.choice([-1.0, 1.0], size=(n, p))
    y = X @ w_star + SIGMA * rng.standard_normal(n)
    if not n_val:
        return X, y
    X_val = rng.choice([-1.0, 1.0], size=(n_val, p))
    y_val = X_val @ w_star + SIGMA * rng.standard_normal(n_val)
    return X, y, X_val, y_val


def path_errors(path, w_star):
    """Squared error of every recorded iterate, (k,)."""
    return np.sum((np.asarray(path.coefs, dtype=np.float64) - w_star) ** 2, axis=1)


def first_within(errors, factor):
    """Index of the first iterate whose error is within ``factor`` of the minimum."""
    return int(np.argmax(errors <= factor * errors.min()))


def least_squares_error(X, y, w_star):
    """Error of least squares restricted to the true support (the oracle estimator)."""
    support = w_star != 0
    coef, *_ = np.linalg.lstsq(X[:, support], y, rcond=None)
    return float(np.sum((coef - w_star[support]) ** 2))


# --------------------------------------------------------------------------
# Figures 2 and 3: n = 150, p = 300, 3 groups of size 3 on the support

N23, P23, GROUP23 = 150, 300, 3


def w_star_fig2():
    w = np.zeros(P23)
    w[:9] = 10.0
    return w


def w_star_fig3():
    w = np.zeros(P23)
    w[:9] = np.linspace(5.0, 13.0, 9)
    return w


@lru_cache(maxsize=None)
def fig2_run(seed):
    w_star = w_star_fig2()
    X, y = rademacher_problem(seed, N23, w_star)
    path = fastgs.dglnn_path(
        X, y, groups=GROUP23, algorithm="alg1", schedule="paper", alpha=ALPHA, step_u=2e-3, max_iter=2000
    )
    return X, y, w_star, path


@pytest.mark.parametrize("seed", SEEDS)
def test_fig2_algorithm1_converges_and_is_stable(seed):
    X, y, w_star, path = fig2_run(seed)
    assert path.status.ok
    assert path.iterations[0] == 0 and path.iterations[-1] == 2000
    err = path_errors(path, w_star)
    best = int(np.argmin(err))

    # docs/method.rst, 'Reference results': min error 0.009-0.026 by seed
    assert 0.003 <= err[best] <= 0.05, err[best]
    # ... first reached around iteration 300 (the error curve is flat near its
    # minimum, so locate the first iterate within 5% of it)
    reached = int(path.iterations[first_within(err, 1.05)])
    assert 150 <= reached <= 700, reached
    assert 150 <= int(path.iterations[best]) <= 2000
    # early iterates are far off: the path starts at 0 (error ||w*||^2 = 900)
    assert err[0] == pytest.approx(900.0)
    assert err[100] > 1.0
    # stable: at iteration 2000 still about the least-squares-on-support error
    ls = least_squares_error(X, y, w_star)
    assert err[-1] <= 2.0 * ls, (err[-1], ls)
    # group sparsity at the best iterate: off-support entries stay tiny
    off = np.abs(path.coefs[best][w_star == 0]).max()
    assert off < 1e-2, off


@pytest.mark.parametrize("seed", SEEDS)
def test_fig2_validation_choice_is_near_oracle(seed):
    w_star = w_star_fig2()
    X, y, X_val, y_val = rademacher_problem(seed, N23, w_star, n_val=100)
    path = fastgs.dglnn_path(
        X, y, groups=GROUP23, algorithm="alg1", schedule="paper", alpha=ALPHA, step_u=2e-3, max_iter=2000,
        X_val=X_val, y_val=y_val,
    )  # fmt: skip
    assert path.best_iter is not None and path.best_coef is not None
    oracle = path_errors(path, w_star).min()
    chosen = float(np.sum((path.best_coef - w_star) ** 2))
    assert chosen <= 3.0 * oracle, (chosen, oracle)
    # the validation set does not change the training path (it only ends it,
    # early or at the cap: this high-SNR curve may still creep down at 2000)
    assert np.array_equal(path.coefs, fig2_run(seed)[3].coefs[: len(path.coefs)])


@lru_cache(maxsize=None)
def fig3_run(seed):
    w_star = w_star_fig3()
    X, y = rademacher_problem(seed, N23, w_star)
    path = fastgs.dglnn_path(
        X, y, groups=GROUP23, algorithm="alg2", switch="paper", schedule="paper", alpha=ALPHA,
        step_u=2e-3, step_v=1e-3, max_iter=2000,
    )  # fmt: skip
    return X, y, w_star, path


@pytest.mark.parametrize("seed", SEEDS)
def test_fig3_algorithm2_switches_and_converges(seed):
    X, y, w_star, path = fig3_run(seed)
    assert path.status.ok
    # docs/method.rst, 'Reference results': the paper's switch rule fires at ~300-490
    assert path.switch_iter is not None
    assert 200 <= path.switch_iter <= 700, path.switch_iter
    assert path.step_v == pytest.approx(1e-3)
    err = path_errors(path, w_star)
    best = int(np.argmin(err))
    # min error ~0.01-0.024
    assert 0.003 <= err[best] <= 0.05, err[best]
    # incremental learning: groups enter one at a time, largest first
    # (u_l^2 = ||w_l|| reaches half of ||w*_l||), all before the switch
    target = np.array([np.linalg.norm(w_star[path.groups.indices(l)]) for l in range(3)])
    enter = [int(np.argmax(path.u[:, l] ** 2 >= 0.5 * target[l])) for l in range(3)]
    assert all(e > 0 for e in enter), enter
    assert enter[2] < enter[1] < enter[0] <= path.switch_iter, enter
    # settles near least squares on the support
    ls = least_squares_error(X, y, w_star)
    assert err[-1] <= 2.0 * ls, (err[-1], ls)
    off = np.abs(path.coefs[best][w_star == 0]).max()
    assert off < 1e-2, off


# --------------------------------------------------------------------------
# Figure 4: n = 100, p = 500, 4 groups of 4 (16 entries of 1)


@lru_cache(maxsize=None)
def fig4_run(seed):
    w_star = np.zeros(500)
    w_star[:16] = 1.0
    X, y = rademacher_problem(seed, 100, w_star)
    path = fastgs.dglnn_path(X, y, groups=4, algorithm="alg2", schedule="paper", alpha=ALPHA, max_iter=500)
    base = fastgs.dlnn_path(X, y, alpha=ALPHA, max_iter=500)
    return w_star, path, base


def test_fig4_dglnn_recovers_groups():
    mins = []
    for seed in SEEDS:
        w_star, path, _ = fig4_run(seed)
        assert path.status.ok
        err = path_errors(path, w_star)
        best = int(np.argmin(err))
        mins.append(err[best])
        # the 4 support groups (0..3) are the 4 largest magnitudes at the best iterate
        top = set(np.argsort(path.u[best])[-4:].tolist())
        assert top == {0, 1, 2, 3}, (seed, top)
    # docs/method.rst, 'Reference results': DGLNN error ~0.05 (median)
    assert np.median(mins) < 0.2, mins


def test_fig4_dlnn_baseline_fails_with_few_samples():
    for seed in SEEDS:
        w_star, path, base = fig4_run(seed)
        assert base.status.ok
        assert base.iterations[-1] == 500
        dglnn_min = path_errors(path, w_star).min()
        base_err = path_errors(base, w_star)[-1]
        # docs/method.rst, 'Reference results' says >= 3; at 500 iterations the baseline is 1.5-6
        # by seed (several times worse than DGLNN in every case)
        assert base_err >= 1.0, (seed, base_err)
        assert base_err >= 5.0 * dglnn_min, (seed, base_err, dglnn_min)


# --------------------------------------------------------------------------
# Figure 5: group size 1, n = 80, p = 200, support [1, -1, 1, -1, 1]

FIG5_SUPPORT = np.array([10, 45, 90, 135, 180])
FIG5_VALUES = np.array([1.0, -1.0, 1.0, -1.0, 1.0])


@lru_cache(maxsize=None)
def fig5_run(seed):
    w_star = np.zeros(200)
    w_star[FIG5_SUPPORT] = FIG5_VALUES
    X, y = rademacher_problem(seed, 80, w_star)
    path = fastgs.dglnn_path(X, y, groups=None, schedule="paper", alpha=ALPHA, max_iter=600)
    return w_star, path


def test_fig5_degenerate_case_group_size_one():
    curves = []
    for seed in SEEDS:
        w_star, path = fig5_run(seed)
        assert path.status.ok
        assert path.iterations[-1] == 600
        log_err = np.log2(path_errors(path, w_star))
        curves.append(log_err)
        best = int(np.argmin(log_err))
        # signs right on the support at the best iterate
        assert np.array_equal(np.sign(path.coefs[best][FIG5_SUPPORT]), FIG5_VALUES), seed
        # the minimum (within a factor 2) is reached early, not at the end
        reached = int(path.iterations[first_within(2.0 ** log_err, 2.0)])
        assert 60 <= reached <= 400, (seed, reached)
    curves = np.array(curves)
    # docs/method.rst, 'Reference results': the median log2 error curve reaches about -5.8
    assert np.median(curves.min(axis=1)) <= -4.0, curves.min(axis=1)
    median_curve = np.median(curves, axis=0)
    assert median_curve.min() <= -4.0
    reached = int(np.argmax(median_curve <= median_curve.min() + 0.5))
    assert 60 <= reached <= 400, reached

"""Selected groups: fastgs.select_groups, selected_groups_/support_, SelectFromModel."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

import fastgs
from fastgs import select_groups
from fastgs.datasets import make_group_sparse_regression


def reference_select(magnitudes, start=None, min_gap=0.2, search_fraction=0.15):
    """Loop version of the rule: try every cut between sorted neighbours."""
    logs = [np.log10(m) if m > 0 else -np.inf for m in magnitudes]
    if not any(m > 0 for m in magnitudes):
        return []
    levels = sorted((v for v in logs if v > -np.inf), reverse=True)
    if start is not None:
        levels.append(min(np.log10(start), levels[-1]))
    lowest_upper = levels[0] - search_fraction * (levels[0] - levels[-1])
    best_gap, best_level = -1.0, None
    for upper, lower in zip(levels[:-1], levels[1:]):
        if upper >= lowest_upper and upper - lower >= min_gap and upper - lower > best_gap:
            best_gap, best_level = upper - lower, upper
    if best_level is None:
        return []
    return [l for l, v in enumerate(logs) if v >= best_level]


# ---------------------------------------------------------------- the rule


def test_cuts_at_the_gap_below_the_grown_groups():
    mags = [2.0, 1e-7, 0.8, 3e-9, 1e-4, 0.5]
    assert select_groups(mags, start=1e-12).tolist() == [0, 2, 5]
    assert select_groups(mags).tolist() == [0, 2, 5]


def test_a_deep_gap_among_dormant_groups_does_not_cut():
    # the widest gap (1e-6 -> 1e-11) lies far below the top: not in the search window
    mags = [1.0, 0.9, 0.3, 0.2, 1e-6, 1e-11]
    assert select_groups(mags, start=1e-12).tolist() == [0, 1, 2, 3]


def test_all_grown_with_start_selects_all():
    assert select_groups([1.0, 0.6, 0.4], start=1e-12).tolist() == [0, 1, 2]


def test_none_grown_selects_none():
    assert select_groups([1.1e-12, 1e-12, 1.05e-12], start=1e-12).size == 0
    assert select_groups([0.0, 0.0]).size == 0
    assert select_groups([]).size == 0


def test_alike_magnitudes_without_start_select_none():
    assert select_groups([1.0, 0.9, 1.1]).size == 0


def test_a_zero_magnitude_is_dormant():
    assert select_groups([0.0, 1.0, 1e-9, 0.7]).tolist() == [1, 3]


def test_scale_free_and_order_equivariant():
    rng = np.random.default_rng(3)
    mags = np.concatenate([rng.uniform(0.3, 3, 4), 10.0 ** rng.uniform(-11, -2, 40)])
    base = set(select_groups(mags, start=1e-12).tolist())
    assert set(select_groups(1e5 * mags, start=1e-7).tolist()) == base
    perm = rng.permutation(mags.size)
    assert set(perm[select_groups(mags[perm], start=1e-12)].tolist()) == base
    assert base == {0, 1, 2, 3}


@settings(deadline=None, max_examples=200)
@given(
    st.lists(st.one_of(st.floats(-14, 2), st.just(-np.inf)), min_size=1, max_size=30),
    st.one_of(st.none(), st.floats(-16, -6)),
    st.floats(0.05, 3.0),
    st.floats(0.05, 1.0),
)
def test_matches_the_loop_reference(log_mags, log_start, min_gap, fraction):
    mags = 10.0 ** np.array(log_mags)
    start = None if log_start is None else 10.0**log_start
    got = select_groups(mags, start=start, min_gap=min_gap, search_fraction=fraction)
    assert got.tolist() == reference_select(mags, start, min_gap, fraction)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(magnitudes=[[1.0, 2.0]]), "magnitudes must be one-dimensional"),
        (dict(magnitudes=[1.0, -1.0]), "magnitudes must be finite and nonnegative"),
        (dict(magnitudes=[1.0, np.nan]), "magnitudes must be finite and nonnegative"),
        (dict(magnitudes=[1.0], start=0.0), "start must be a positive"),
        (dict(magnitudes=[1.0], start=np.inf), "start must be a positive"),
        (dict(magnitudes=[1.0], min_gap=0), "min_gap must be a positive"),
        (dict(magnitudes=[1.0], search_fraction=1.5), r"search_fraction must be in \(0, 1\]"),
        (dict(magnitudes=[1.0], search_fraction=0.0), r"search_fraction must be in \(0, 1\]"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    mags = kwargs.pop("magnitudes")
    with pytest.raises(ValueError, match=match):
        select_groups(mags, **kwargs)


def test_exported():
    assert "select_groups" in fastgs.__all__
    assert fastgs.select_groups is select_groups


# ---------------------------------------------------------- the estimators

# held-out settings: none of them was among the random settings the rule's
# constants were chosen on (bench/selection_rule.py --seed 1)
HELD_OUT = [
    dict(n_samples=200, n_features=600, group_size=3, n_informative_groups=4, snr=10.0),
    dict(n_samples=150, n_features=480, group_size=6, n_informative_groups=3, snr=5.0),
    dict(n_samples=300, n_features=900, group_size=2, n_informative_groups=6, snr=20.0),
    dict(n_samples=120, n_features=350, group_size=7, n_informative_groups=2, snr=8.0),
]


def held_out_fits(make_estimator, seeds=(11, 12, 13)):
    """(true groups found in every fit?, mean false groups per fit) over HELD_OUT x seeds."""
    all_found, false = True, []
    for i, setting in enumerate(HELD_OUT):
        for seed in seeds:
            rng = np.random.default_rng(1000 * i + seed)
            k, size = setting["n_informative_groups"], setting["group_size"]
            coef = rng.choice([-1.0, 1.0], k * size) * rng.uniform(0.5, 2.0, k * size)
            X, y, w, groups = make_group_sparse_regression(
                **setting, coef=coef, design="gaussian", shuffle_groups=True, random_state=rng
            )
            est = make_estimator(groups, seed).fit(X, y)
            truth = {l for l in range(groups.n_groups) if np.any(w[groups.indices(l)] != 0)}
            chosen = set(est.selected_groups_.tolist())
            all_found &= truth <= chosen
            false.append(len(chosen - truth))
            assert np.array_equal(est.support_, np.isin(groups.feature_group, est.selected_groups_))
    return all_found, float(np.mean(false))


def test_cv_estimator_selects_the_true_groups_on_held_out_settings():
    all_found, mean_false = held_out_fits(lambda g, s: fastgs.DGLNNRegressorCV(groups=g))
    assert all_found
    assert mean_false <= 1.0


def test_single_split_estimator_selects_the_true_groups_on_held_out_settings():
    all_found, mean_false = held_out_fits(
        lambda g, s: fastgs.DGLNNRegressor(groups=g, random_state=s)
    )
    assert all_found
    assert mean_false <= 1.0


def test_selected_groups_follow_the_users_group_order():
    # groups given as labels in a shuffled order: indices refer to groups_ and u_
    X, y, w, groups = make_group_sparse_regression(150, 300, group_size=3, n_informative_groups=3,
                                                   snr=10.0, design="gaussian",
                                                   shuffle_groups=True, random_state=5)  # fmt: skip
    new_names = np.random.default_rng(0).permutation(groups.n_groups) * 10 + 3
    labels = new_names[groups.feature_group]  # the same partition, other names
    est = fastgs.DGLNNRegressorCV(groups=labels).fit(X, y)
    true_labels = set(np.unique(labels[w != 0]).tolist())
    assert set(est.groups_.labels[est.selected_groups_].tolist()) == true_labels
    assert np.array_equal(est.support_, w != 0)


def test_dlnn_support():
    X, y, w, _ = make_group_sparse_regression(150, 200, group_size=1, n_informative_groups=5,
                                              coef=np.array([1.0, -1.0, 1.5, -2.0, 1.0]),
                                              noise=0.5, random_state=2)  # fmt: skip
    # run to the validation minimum (no early end): DLNN's coordinates enter one
    # by one, and the default early end can stop while some are still growing
    est = fastgs.DLNNRegressor(random_state=0, n_iter_no_change=0).fit(X, y)
    assert est.support_.dtype == bool and est.support_.shape == (200,)
    assert np.all(est.support_[w != 0])
    assert np.sum(est.support_ & (w == 0)) <= 2


def test_select_from_model_in_a_pipeline():
    X, y, w, _ = make_group_sparse_regression(200, 600, group_size=4, n_informative_groups=3,
                                              snr=10.0, design="gaussian", random_state=7)  # fmt: skip
    X_test, y_test = X[150:], y[150:]
    X, y = X[:150], y[:150]
    selector = SelectFromModel(fastgs.DGLNNRegressorCV(groups=4), importance_getter="support_",
                               threshold=0.5)  # fmt: skip
    pipe = make_pipeline(selector, LinearRegression()).fit(X, y)
    support = pipe[0].get_support()
    assert np.array_equal(support, pipe[0].estimator_.support_)
    assert np.array_equal(support, w != 0)
    assert pipe[0].transform(X_test).shape == (50, int(np.sum(w != 0)))
    assert pipe.score(X_test, y_test) > 0.8

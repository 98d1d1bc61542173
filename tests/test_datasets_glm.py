"""The GLM data generators: make_group_sparse_classification, make_group_sparse_poisson."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fastgs.datasets import (
    make_group_sparse_classification,
    make_group_sparse_poisson,
    make_group_sparse_regression,
)

GENERATORS = [make_group_sparse_classification, make_group_sparse_poisson]


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


@pytest.mark.parametrize("make", GENERATORS)
def test_shapes_groups_and_support(make):
    X, y, w, groups = make(120, 40, group_size=4, n_informative_groups=3, random_state=0)
    assert X.shape == (120, 40) and y.shape == (120,) and w.shape == (40,)
    assert groups.n_groups == 10 and np.all(groups.sizes == 4)
    # the informative groups are the first three, every entry of them nonzero
    assert np.all(w[:12] != 0) and np.all(w[12:] == 0)


def test_classification_default_scale_gives_the_documented_predictor_std():
    # magnitude 4 / sqrt(support size) for unit-variance entries: std(X w*) = 4
    X, _, w, _ = make_group_sparse_classification(20000, 20, group_size=5, n_informative_groups=2,
                                                  random_state=1)  # fmt: skip
    assert np.allclose(np.abs(w[:10]), 4.0 / np.sqrt(10))
    assert np.std(X @ w) == pytest.approx(4.0, rel=0.03)


def test_poisson_default_scale_gives_the_documented_predictor_std():
    X, y, w, _ = make_group_sparse_poisson(20000, 20, group_size=5, n_informative_groups=2,
                                           random_state=1)  # fmt: skip
    assert np.allclose(np.abs(w[:10]), 1.0 / np.sqrt(10))
    assert np.std(X @ w) == pytest.approx(1.0, rel=0.03)
    # the counts follow the model: mean count = E exp(eta) = exp(1/2) for a N(0, 1) predictor
    assert y.mean() == pytest.approx(np.exp(0.5), rel=0.05)


def test_labels_follow_the_logistic_model():
    # binned by the true probability, the frequency of y = 1 matches it
    X, y, w, _ = make_group_sparse_classification(40000, 20, group_size=4, n_informative_groups=2,
                                                  intercept=0.5, random_state=2)  # fmt: skip
    prob = _sigmoid(X @ w + 0.5)
    bins = np.digitize(prob, [0.2, 0.4, 0.6, 0.8])
    for b in range(5):
        assert y[bins == b].mean() == pytest.approx(prob[bins == b].mean(), abs=0.02)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_labels_are_balanced_and_the_problem_is_learnable(seed):
    X, y, w, _ = make_group_sparse_classification(2000, 400, random_state=seed)
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert 0.35 < y.mean() < 0.65
    # the Bayes classifier is right about 87% of the time: neither trivial nor hopeless
    accuracy = np.mean((X @ w > 0) == (y == 1))
    assert 0.8 < accuracy < 0.95


def test_intercept_unbalances_the_classes():
    _, y, _, _ = make_group_sparse_classification(4000, 40, intercept=3.0, random_state=0)
    assert y.mean() > 0.7


def test_multiclass_labels_and_grouped_support():
    X, y, W, _ = make_group_sparse_classification(3000, 24, group_size=3, n_informative_groups=2,
                                                  n_classes=4, random_state=0)  # fmt: skip
    assert W.shape == (24, 4) and set(np.unique(y)) == {0, 1, 2, 3}
    # a group is in or out for every class
    assert np.all(W[:6] != 0) and np.all(W[6:] == 0)
    counts = np.bincount(y, minlength=4) / y.size
    assert counts.min() > 0.1
    # the most probable class under the true model is the most frequent label
    assert np.mean(np.argmax(X @ W, axis=1) == y) > 0.5


@pytest.mark.parametrize("make", GENERATORS)
def test_same_seed_same_draw_other_seed_other_draw(make):
    a = make(60, 24, group_size=4, n_informative_groups=2, random_state=7)
    b = make(60, 24, group_size=4, n_informative_groups=2, random_state=7)
    c = make(60, 24, group_size=4, n_informative_groups=2, random_state=8)
    for left, right in zip(a[:3], b[:3]):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a[0], c[0])
    rng_draw = make(60, 24, group_size=4, n_informative_groups=2,
                    random_state=np.random.default_rng(7))  # fmt: skip
    np.testing.assert_array_equal(rng_draw[0], a[0])


@pytest.mark.parametrize("make", GENERATORS)
def test_sparse_design_is_csr_with_the_requested_density(make):
    X, y, w, _ = make(2000, 400, density=0.02, random_state=0)
    assert sp.issparse(X) and X.format == "csr"
    assert X.nnz == pytest.approx(0.02 * 2000 * 400, rel=0.01)
    # standard normal nonzeros; with density d the default magnitude is scaled by 1/sqrt(d)
    assert abs(X.data.mean()) < 0.05 and X.data.std() == pytest.approx(1.0, rel=0.05)
    dense = make(2000, 400, random_state=0)[2]
    np.testing.assert_allclose(np.abs(w[w != 0]), np.abs(dense[dense != 0]) / np.sqrt(0.02))
    again = make(2000, 400, density=0.02, random_state=0)[0]
    assert (X != again).nnz == 0


@pytest.mark.parametrize("make", GENERATORS)
def test_rademacher_design_and_float32(make):
    X, y, w, _ = make(50, 8, group_size=2, n_informative_groups=1, design="rademacher",
                      dtype=np.float32, random_state=0)  # fmt: skip
    assert X.dtype == np.float32 and w.dtype == np.float32
    assert set(np.unique(X).tolist()) == {-1.0, 1.0}
    Xs, _, _, _ = make(50, 8, group_size=2, n_informative_groups=1, design="rademacher",
                       density=0.5, random_state=0)  # fmt: skip
    assert set(np.unique(Xs.data).tolist()) == {-1.0, 1.0}


@pytest.mark.parametrize("make", GENERATORS)
def test_coef_float_and_array(make):
    _, _, w, _ = make(30, 12, group_size=3, n_informative_groups=2, coef=0.7, random_state=0)
    np.testing.assert_allclose(np.abs(w[:6]), 0.7)
    assert len(set(np.sign(w[:6]))) == 2  # random signs (a fixed seed: both appear)
    values = np.array([0.1, -0.2, 0.3, 0.4, -0.5, 0.6])
    _, _, w, _ = make(30, 12, group_size=3, n_informative_groups=2, coef=values, random_state=0)
    np.testing.assert_array_equal(w[:6], values)


def test_poisson_counts_are_non_negative_integers():
    _, y, _, _ = make_group_sparse_poisson(500, 40, intercept=1.0, random_state=3)
    assert y.min() >= 0 and np.all(y == np.round(y)) and y.max() > 3


def test_regression_draw_is_unchanged_by_the_shared_design_code():
    # the generators share the X draw; the regression data of a seed must not move
    X, y, w, _ = make_group_sparse_regression(4, 6, group_size=2, n_informative_groups=1,
                                              design="gaussian", random_state=0)  # fmt: skip
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(X, rng.standard_normal((4, 6)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_samples=0), "n_samples"),
        (dict(n_features=-3), "n_features"),
        (dict(group_size=0), "group_size"),
        (dict(group_size=7), "group_size=7 must divide n_features=40"),
        (dict(n_informative_groups=11), "n_informative_groups=11 exceeds"),
        (dict(design="uniform"), "design"),
        (dict(density=0.0), "density"),
        (dict(density=1.5), "density"),
        (dict(coef=-1.0), "coef"),
        (dict(coef=np.ones(5)), r"coef must be .* shape \(20,\)"),
        (dict(intercept=np.nan), "intercept"),
        (dict(dtype=np.int64), "dtype"),
    ],
)
@pytest.mark.parametrize("make", GENERATORS)
def test_bad_arguments_are_refused_by_name(make, kwargs, match):
    args = dict(n_samples=30, n_features=40, group_size=4, n_informative_groups=5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        make(args.pop("n_samples"), args.pop("n_features"), **args)


def test_bad_n_classes_and_multiclass_intercept_are_refused():
    with pytest.raises(ValueError, match="n_classes"):
        make_group_sparse_classification(30, 40, n_classes=1)
    with pytest.raises(ValueError, match=r"intercept must be .* shape \(3,\)"):
        make_group_sparse_classification(30, 40, n_classes=3, intercept=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"coef must be .* shape \(20, 3\)"):
        make_group_sparse_classification(30, 40, n_classes=3, coef=np.ones(20))


def test_poisson_refuses_an_exploding_predictor():
    with pytest.raises(ValueError, match="linear predictor up to"):
        make_group_sparse_poisson(200, 40, coef=10.0, random_state=0)

"""Tests of :func:`fastgs.make_groups` and :class:`fastgs.Groups`.

The canonical encoding (docs/method.rst, 'Groups'): ``group_ptr`` int64 (L + 1,),
starting at 0, ending at p, strictly increasing; ``group_idx`` int64, a
permutation of ``range(p)``; group ``l`` holds
``group_idx[group_ptr[l]:group_ptr[l + 1]]``.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastgs
from fastgs import Groups, make_groups

# --------------------------------------------------------------------------
# helpers


def assert_canonical(g: Groups, p: int) -> None:
    """``g`` is a valid CSR encoding of a partition of ``range(p)``."""
    L = len(g)
    assert g.n_features == p
    assert g.n_groups == L
    assert g.group_ptr.dtype == np.int64
    assert g.group_idx.dtype == np.int64
    assert g.group_ptr.shape == (L + 1,)
    assert g.group_idx.shape == (p,)
    assert g.group_ptr[0] == 0
    assert g.group_ptr[-1] == p
    assert np.all(np.diff(g.group_ptr) > 0)
    assert np.array_equal(np.sort(g.group_idx), np.arange(p))
    # derived views agree with the encoding
    sizes = g.sizes
    assert sizes.dtype == np.int64
    assert np.array_equal(sizes, np.diff(g.group_ptr))
    fg = g.feature_group
    assert fg.dtype == np.int64
    assert fg.shape == (p,)
    for l in range(L):
        idx = g.indices(l)
        assert np.array_equal(idx, g.group_idx[g.group_ptr[l] : g.group_ptr[l + 1]])
        assert idx.size == sizes[l]
        assert np.all(fg[idx] == l)
    assert [list(a) for a in g] == [list(g.indices(l)) for l in range(L)]


def group_sets(g: Groups) -> list[frozenset]:
    """The groups of ``g``, in group order, as sets of feature indices."""
    return [frozenset(int(i) for i in g.indices(l)) for l in range(len(g))]


def message_of(excinfo) -> str:
    return str(excinfo.value)


# --------------------------------------------------------------------------
# valid specifications


@pytest.mark.parametrize("p", [1, 2, 7, 30])
def test_none_gives_one_group_per_feature(p):
    g = make_groups(None, p)
    assert_canonical(g, p)
    assert len(g) == p
    assert np.array_equal(g.group_ptr, np.arange(p + 1))
    assert np.array_equal(g.group_idx, np.arange(p))
    assert np.array_equal(g.sizes, np.ones(p))
    assert np.array_equal(g.feature_group, np.arange(p))


@pytest.mark.parametrize("size, p", [(1, 5), (3, 12), (4, 4), (5, 500), (2, 10)])
def test_int_size_gives_contiguous_groups(size, p):
    g = make_groups(size, p)
    assert_canonical(g, p)
    assert len(g) == p // size
    assert np.array_equal(g.sizes, np.full(p // size, size))
    for l in range(p // size):
        assert np.array_equal(g.indices(l), np.arange(l * size, (l + 1) * size))
    assert np.array_equal(g.feature_group, np.arange(p) // size)


def test_numpy_int_size_is_accepted():
    assert make_groups(np.int64(3), 9) == make_groups(3, 9)
    assert make_groups(np.int32(3), 9) == make_groups(3, 9)


def test_int_labels_noncontiguous_any_order():
    labels = np.array([7, -2, 7, 3, -2, 3, 3, 7])
    g = make_groups(labels, 8)
    assert_canonical(g, 8)
    # groups are ordered by sorted label: -2, 3, 7
    assert group_sets(g) == [frozenset({1, 4}), frozenset({3, 5, 6}), frozenset({0, 2, 7})]
    assert list(g.labels) == [-2, 3, 7]
    assert np.array_equal(g.feature_group, [2, 0, 2, 1, 0, 1, 1, 2])


def test_string_labels_ordered_by_sorted_label():
    labels = ["b", "a", "b", "c", "a"]
    g = make_groups(labels, 5)
    assert_canonical(g, 5)
    assert group_sets(g) == [frozenset({1, 4}), frozenset({0, 2}), frozenset({3})]
    assert list(g.labels) == ["a", "b", "c"]
    # numpy string array and list give the same groups
    assert make_groups(np.array(labels), 5) == g


def test_label_list_equals_label_array():
    labels = [2, 0, 1, 0, 2, 1]
    assert make_groups(labels, 6) == make_groups(np.array(labels), 6)
    assert make_groups(tuple(labels), 6) == make_groups(np.array(labels), 6)


@pytest.mark.parametrize(
    "labels, plain",
    [
        ([0, np.int64(0), 1, np.int32(1)], [0, 0, 1, 1]),
        (["a", np.str_("a"), "b", "b"], ["a", "a", "b", "b"]),
    ],
    ids=["python-and-numpy-ints", "python-and-numpy-strings"],
)
def test_label_list_mixing_python_and_numpy_scalars(labels, plain):
    # Labels computed with numpy (np.int64, np.str_) mixed with literals are
    # still integer (string) labels and must be accepted.
    assert make_groups(labels, 4) == make_groups(plain, 4)


def test_index_lists_ragged_any_order():
    spec = [[5, 0], [3], [1, 6, 2, 4]]
    g = make_groups(spec, 7)
    assert_canonical(g, 7)
    # group order is the order given
    assert group_sets(g) == [frozenset({0, 5}), frozenset({3}), frozenset({1, 2, 4, 6})]
    assert np.array_equal(g.sizes, [2, 1, 4])
    assert np.array_equal(g.feature_group, [0, 2, 2, 1, 2, 0, 2])


@pytest.mark.parametrize("container", ["list", "tuple", "ndarray", "ndarray-int32", "mixed"])
def test_index_lists_container_types(container):
    base = [[5, 0], [3], [1, 6, 2, 4]]
    if container == "list":
        spec = base
    elif container == "tuple":
        spec = tuple(tuple(m) for m in base)
    elif container == "ndarray":
        spec = [np.array(m) for m in base]
    elif container == "ndarray-int32":
        spec = [np.array(m, dtype=np.int32) for m in base]
    else:
        spec = [np.array(base[0]), tuple(base[1]), base[2]]
    g = make_groups(spec, 7)
    assert_canonical(g, 7)
    assert group_sets(g) == [frozenset(m) for m in base]


def test_two_dimensional_int_array_is_index_lists():
    spec = np.array([[4, 0, 2], [1, 5, 3]])
    g = make_groups(spec, 6)
    assert_canonical(g, 6)
    assert group_sets(g) == [frozenset({0, 2, 4}), frozenset({1, 3, 5})]
    assert g == make_groups([[4, 0, 2], [1, 5, 3]], 6)


def test_groups_instance_passes_through():
    g = make_groups([[2, 0], [1, 3]], 4)
    h = make_groups(g, 4)
    assert h == g
    assert_canonical(h, 4)


def test_equality():
    a = make_groups(2, 6)
    assert a == make_groups([[0, 1], [2, 3], [4, 5]], 6)
    assert a == make_groups([0, 0, 1, 1, 2, 2], 6)
    assert a != make_groups(3, 6)
    assert a != make_groups(None, 6)
    assert a != make_groups(2, 8)
    assert (a == "not groups") is False


def test_pickle_round_trip():
    g = make_groups(["x", "z", "y", "x", "z"], 5)
    h = pickle.loads(pickle.dumps(g))
    assert h == g
    assert list(h.labels) == list(g.labels)
    assert np.array_equal(h.feature_group, g.feature_group)
    assert_canonical(h, 5)
    assert not h.group_ptr.flags.writeable
    assert not h.group_idx.flags.writeable


def test_encoding_is_read_only():
    g = make_groups([[2, 0], [1, 3, 4]], 5)
    with pytest.raises(ValueError):
        g.group_ptr[0] = 1
    with pytest.raises(ValueError):
        g.group_idx[0] = 7
    with pytest.raises(ValueError):
        g.indices(1)[0] = 7
    with pytest.raises(ValueError):
        g.feature_group[0] = 1
    assert_canonical(g, 5)


def test_encoding_does_not_alias_user_arrays():
    members = [np.array([2, 0], dtype=np.int64), np.array([1, 3, 4], dtype=np.int64)]
    g = make_groups(members, 5)
    members[0][0] = 4  # the user's arrays stay writeable and independent
    assert group_sets(g) == [frozenset({0, 2}), frozenset({1, 3, 4})]
    labels = np.array([1, 0, 1, 0, 0])
    h = make_groups(labels, 5)
    labels[:] = 0
    assert group_sets(h) == [frozenset({1, 3, 4}), frozenset({0, 2})]


# --------------------------------------------------------------------------
# property tests: random partitions round-trip


@st.composite
def partitions(draw, max_p=40):
    """(p, groups): a random permutation of range(p) cut at random points."""
    p = draw(st.integers(1, max_p))
    perm = draw(st.permutations(range(p)))
    cuts = sorted(draw(st.sets(st.integers(1, p - 1), max_size=p - 1))) if p > 1 else []
    bounds = [0, *cuts, p]
    return p, [list(perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


@settings(max_examples=150, deadline=None)
@given(partitions(), st.sampled_from(["list", "tuple", "ndarray"]))
def test_property_index_lists_round_trip(part, container):
    p, groups = part
    if container == "tuple":
        spec = [tuple(m) for m in groups]
    elif container == "ndarray":
        spec = [np.array(m, dtype=np.int64) for m in groups]
    else:
        spec = groups
    g = make_groups(spec, p)
    assert_canonical(g, p)
    assert len(g) == len(groups)
    # same groups, in the order given
    assert group_sets(g) == [frozenset(m) for m in groups]
    assert pickle.loads(pickle.dumps(g)) == g


@settings(max_examples=150, deadline=None)
@given(partitions(), st.data())
def test_property_labels_round_trip(part, data):
    p, groups = part
    L = len(groups)
    kind = data.draw(st.sampled_from(["int", "str"]))
    if kind == "int":
        names = data.draw(st.lists(st.integers(-1000, 1000), min_size=L, max_size=L, unique=True))
    else:
        names = data.draw(
            st.lists(st.text("abcxyz", min_size=1, max_size=4), min_size=L, max_size=L, unique=True)
        )
    labels = [None] * p
    for name, members in zip(names, groups):
        for i in members:
            labels[i] = name
    g = make_groups(np.array(labels), p)
    assert_canonical(g, p)
    # the partition is the input partition, ordered by sorted label
    order = sorted(range(L), key=lambda k: names[k])
    assert group_sets(g) == [frozenset(groups[k]) for k in order]
    assert list(g.labels) == sorted(names)
    # labels -> same encoding as the index lists built from them
    arr = np.array(labels)
    lists = [np.flatnonzero(arr == name) for name in sorted(names)]
    assert make_groups(lists, p) == g
    # a plain Python list of labels gives the same groups
    assert make_groups(labels, p) == g


# --------------------------------------------------------------------------
# invalid specifications: each raises with a message that names the problem
# and the offending features or groups

# (id, spec, n_features, exception, [regexes that must all match the message])
BAD_SPECS = [
    # feature 8 is in groups 2 and 3
    ("overlap", [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11, 8]], 12, ValueError,
     [r"(?i)overlap|more than one group", r"\b8\b", r"\b2\b\D+\b3\b"]),
    ("missing-feature", [[0, 1, 2, 3], [5, 6]], 7, ValueError,
     [r"(?i)no group|missing|not covered|cover", r"\b4\b"]),
    ("out-of-range", [[0, 1, 2], [3, 4, 9]], 6, ValueError,
     [r"(?i)range", r"\b9\b"]),
    ("negative-index", [[0, 1, 2], [3, -4, 5]], 6, ValueError,
     [r"(?i)range|negative", r"-4\b"]),
    ("duplicate-in-group", [[0, 1, 2], [3, 4, 4, 5]], 6, ValueError,
     [r"(?i)repeat|duplicate|more than once", r"\b4\b"]),
    ("empty-group", [[0, 1, 2], [], [3, 4, 5]], 6, ValueError,
     [r"(?i)empty", r"\b1\b"]),
    ("bool-entries", [[0, 1], [True, False]], 4, TypeError,
     [r"(?i)bool", r"\b1\b"]),
    ("float-entries", [[0, 1], [2.0, 3.0]], 4, TypeError,
     [r"(?i)float", r"\b1\b"]),
    ("float-entry-among-ints", [[0, 1], [2, 3.5]], 4, TypeError,
     [r"(?i)float", r"\b1\b"]),
    ("float-2d-array", np.array([[0.0, 1.0], [2.0, 3.0]]), 4, TypeError,
     [r"(?i)float"]),
    ("bool-labels", np.array([True, False, True, False]), 4, TypeError,
     [r"(?i)bool"]),
    ("float-labels", np.array([0.0, 0.0, 1.0, 1.0]), 4, TypeError,
     [r"(?i)float"]),
    ("float-label-list", [0.0, 0.0, 1.0, 1.0], 4, TypeError,
     [r"(?i)float"]),
    # feature 5 carries a float label among int labels
    ("float-label-among-ints", [0, 0, 1, 1, 2, 2.5, 3, 3], 8, TypeError,
     [r"(?i)float", r"\b5\b"]),
    # feature 6 carries a bool label among int labels
    ("bool-label-among-ints", [0, 0, 1, 1, 2, 2, True, 3], 8, TypeError,
     [r"(?i)bool", r"\b6\b"]),
    ("size-not-dividing", 4, 6, ValueError,
     [r"(?i)divide", r"\b4\b", r"\b6\b"]),
    ("size-zero", 0, 6, ValueError, [r"(?i)size", r"\b0\b"]),
    ("size-negative", -2, 6, ValueError, [r"(?i)size", r"-2\b"]),
    ("labels-too-short", [0, 0, 1], 4, ValueError,
     [r"(?i)label|length", r"\b3\b", r"\b4\b"]),
    ("labels-too-long", np.array([0, 0, 1, 1, 2]), 4, ValueError,
     [r"(?i)label|length", r"\b5\b", r"\b4\b"]),
    ("3d-array", np.zeros((2, 2, 1), dtype=np.int64), 4, ValueError,
     [r"(?i)3-?D|dim"]),
    ("string", "abcd", 4, TypeError, [r"(?i)str"]),
    ("float-size", 2.0, 4, TypeError, [r"(?i)integer|int\b", r"2\.0"]),
    ("groups-n-features-mismatch", make_groups(2, 4), 6, ValueError,
     [r"\b4\b", r"\b6\b"]),
    ("empty-list", [], 4, ValueError, [r"(?i)empty"]),
    # entry 5 is a scalar among index lists
    ("mixing-scalars-and-lists", [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], 10, [11]], 12,
     TypeError, [r"(?i)mix|scalar", r"\b(5|10)\b"]),
]  # fmt: skip


@pytest.mark.parametrize(
    "spec, p, exc, patterns", [c[1:] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS]
)
def test_bad_spec_raises_with_informative_message(spec, p, exc, patterns):
    with pytest.raises(exc, match=patterns[0]) as excinfo:
        make_groups(spec, p)
    msg = message_of(excinfo)
    for pat in patterns[1:]:
        assert re.search(pat, msg), f"message {msg!r} does not match {pat!r}"


@pytest.fixture
def no_fitting(monkeypatch):
    """Make any compiled pass over X fail, to show errors come before fitting."""

    def forbidden(*args, **kwargs):
        raise AssertionError("a solver ran before the group specification was validated")

    monkeypatch.setattr(fastgs.path.solvers, "dglnn_solve", forbidden)
    monkeypatch.setattr(fastgs.path.solvers, "loss_and_gradient", forbidden)


@pytest.mark.parametrize(
    "spec, p, exc, patterns", [c[1:] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS]
)
def test_bad_spec_raises_same_error_in_dglnn_path(spec, p, exc, patterns, no_fitting):
    with pytest.raises((ValueError, TypeError)) as expected:
        make_groups(spec, p)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, p))
    y = rng.standard_normal(6)
    with pytest.raises(exc, match=patterns[0]) as excinfo:
        fastgs.dglnn_path(X, y, groups=spec, max_iter=5)
    assert type(excinfo.value) is type(expected.value)
    assert str(excinfo.value) == str(expected.value)


def test_valid_spec_in_dglnn_path_is_used():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10, 6))
    y = rng.standard_normal(10)
    spec = ["b", "a", "b", "c", "a", "c"]
    path = fastgs.dglnn_path(X, y, groups=spec, max_iter=3)
    assert path.groups == make_groups(spec, 6)
    assert path.u.shape == (4, 3)


@pytest.mark.parametrize(
    "spec, p, contiguous",
    [(3, 9, True), (None, 4, True), ([0, 0, 1, 1], 4, True), ([1, 1, 0, 0], 4, False),
     ([[2, 3], [0, 1]], 4, False), ([[0, 2], [1, 3]], 4, False)],
)
def test_kernel_index_is_empty_exactly_for_contiguous_groups(spec, p, contiguous):
    grp = make_groups(spec, p)
    assert grp.contiguous is contiguous
    idx = grp.kernel_index()
    if contiguous:
        assert idx.shape == (0,)
    else:
        np.testing.assert_array_equal(idx, grp.group_idx)
    # the same Numba type either way (int64, read-only): no second compilation
    assert idx.dtype == np.int64 and not idx.flags.writeable


def test_fit_with_permuted_groups_matches_contiguous():
    """The solvers' direct path (contiguous groups, empty kernel index) and
    the indexed path give the same fit when the columns of X are permuted
    along with their groups."""
    import fastgs

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 12))
    y = X[:, :3].sum(axis=1) + 0.1 * rng.standard_normal(40)
    perm = rng.permutation(12)
    a = fastgs.dglnn_path(X, y, 3, max_iter=50, record_every=50)
    labels = perm // 3  # column j of X[:, perm] is column perm[j] of X
    assert not make_groups(labels, 12).contiguous
    b = fastgs.dglnn_path(X[:, perm], y, labels, max_iter=50, record_every=50)
    np.testing.assert_allclose(b.coef, a.coef[perm], rtol=1e-10, atol=1e-12)

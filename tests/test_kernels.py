"""Kernels of fastgs.kernels against the NumPy references in tests/reference.py."""

from __future__ import annotations

import numba
import numpy as np

from fastgs.losses import LOSSES
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference as ref
import fastgs
from fastgs import kernels as K

RTOL64 = 1e-10
RTOL32 = 1e-4
HYP = settings(max_examples=25, deadline=None)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def assert_rel(actual, expected, rtol, scale=0.0):
    """||actual - expected|| <= rtol * max(||expected||, scale)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    assert np.all(np.isfinite(actual))
    err = np.linalg.norm(actual - expected)
    bound = rtol * max(np.linalg.norm(expected), scale) + 1e-300
    assert err <= bound, f"error {err:.3e} > {bound:.3e}"


def partition_arrays(groups, p):
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(G) for G in groups])
    idx = np.concatenate(groups).astype(np.int64)
    assert ptr[-1] == p and np.array_equal(np.sort(idx), np.arange(p))
    return ptr, idx


def random_partition(rng, p):
    perm = rng.permutation(p)
    n_cuts = rng.integers(0, p)
    cuts = np.sort(rng.choice(np.arange(1, p), size=n_cuts, replace=False)) if p > 1 else []
    bounds = np.concatenate([[0], cuts, [p]]).astype(int)
    return [perm[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]


@st.composite
def partitions(draw, max_p=14):
    """A random permutation of range(p) cut at random points."""
    p = draw(st.integers(1, max_p))
    perm = np.array(draw(st.permutations(list(range(p)))), dtype=np.int64)
    cuts = draw(st.lists(st.integers(1, p - 1), unique=True, max_size=p - 1)) if p > 1 else []
    bounds = [0] + sorted(cuts) + [p]
    return [perm[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]


def messy_sparse(A, rng, index_dtype, major="row"):
    """CSR (major='row') or CSC (major='col') arrays of A with unsorted indices,
    duplicate entries, explicit zeros and empty rows/columns.

    Returns (data, indices, indptr, A_eff) where A_eff is the dense matrix the
    entries sum to (duplicates summed).
    """
    M = A if major == "row" else A.T
    A_eff = np.zeros_like(M)
    data, indices, indptr = [], [], [0]
    for i in range(M.shape[0]):
        entries = []
        for j in np.flatnonzero(M[i]):
            x = M[i, j]
            if rng.random() < 0.4:  # split into two duplicate entries
                a = rng.standard_normal()
                entries += [(j, a), (j, x - a)]
            else:
                entries.append((j, x))
        if M.shape[1] and rng.random() < 0.3:
            entries.append((int(rng.integers(M.shape[1])), 0.0))  # explicit zero
        for k in rng.permutation(len(entries)):
            j, x = entries[k]
            indices.append(j)
            data.append(x)
            A_eff[i, j] += x
        indptr.append(len(data))
    A_eff = A_eff if major == "row" else A_eff.T
    return (
        np.array(data, dtype=np.float64),
        np.array(indices, dtype=index_dtype),
        np.array(indptr, dtype=index_dtype),
        A_eff,
    )


def sparse_matrix(rng, n, p, density=0.4):
    A = rng.standard_normal((n, p)) * (rng.random((n, p)) < density)
    if n > 2:
        A[1] = 0.0  # an empty row
    if p > 2:
        A[:, 2] = 0.0  # an empty column
    return A


def check_residual_gradient(r, g, X, y, w, rtol):
    r_ref, g_ref = ref.residual_gradient(X, y, w)
    scale_r = np.linalg.norm(y) + np.linalg.norm(X) * np.linalg.norm(w)
    assert_rel(r, r_ref, rtol, 1e-3 * scale_r)
    assert_rel(g, g_ref, rtol, 1e-3 * np.linalg.norm(X) * np.linalg.norm(r_ref))


# --------------------------------------------------------------------------
# kernels that touch X
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 9, 13])
def test_residual_gradient_dense_rows_not_multiple_of_4(n):
    rng = np.random.default_rng(n)
    p = 7
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    w = rng.standard_normal(p)
    r = np.full(n, np.nan)
    g = np.full(p, np.nan)  # must be overwritten, not accumulated into
    K.residual_gradient_dense(X, y, w, r, g)
    check_residual_gradient(r, g, X, y, w, RTOL64)
    r2 = np.full(n, np.nan)
    K.residual_dense(X, y, w, r2)
    assert_rel(r2, y - X @ w, RTOL64)


def test_residual_gradient_dense_stale_outputs_are_overwritten():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 5))
    y = rng.standard_normal(6)
    w = rng.standard_normal(5)
    r = np.empty(6)
    g = np.empty(5)
    K.residual_gradient_dense(X, y, w, r, g)
    r1, g1 = r.copy(), g.copy()
    g[:] = 123.0
    r[:] = -7.0
    K.residual_gradient_dense(X, y, w, r, g)
    np.testing.assert_array_equal(r, r1)
    np.testing.assert_array_equal(g, g1)


def test_residual_gradient_dense_float32():
    rng = np.random.default_rng(1)
    n, p = 11, 9
    X = rng.standard_normal((n, p)).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    w = rng.standard_normal(p).astype(np.float32)
    r = np.empty(n, dtype=np.float32)
    g = np.empty(p, dtype=np.float32)
    K.residual_gradient_dense(X, y, w, r, g)
    assert r.dtype == np.float32 and g.dtype == np.float32
    check_residual_gradient(r, g, X, y, w, RTOL32)
    r2 = np.empty(n, dtype=np.float32)
    K.residual_dense(X, y, w, r2)
    assert_rel(r2, ref.residual_gradient(X, y, w)[0], RTOL32)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("n, p", [(1, 1), (3, 5), (9, 6), (20, 13)])
def test_residual_gradient_csr_unsorted_duplicates(index_dtype, n, p):
    rng = np.random.default_rng(100 * n + p)
    A = sparse_matrix(rng, n, p)
    data, indices, indptr, A_eff = messy_sparse(A, rng, index_dtype, "row")
    y = rng.standard_normal(n)
    w = rng.standard_normal(p)
    r = np.full(n, np.nan)
    g = np.full(p, np.nan)
    K.residual_gradient_csr(data, indices, indptr, y, w, r, g)
    check_residual_gradient(r, g, A_eff, y, w, RTOL64)
    # must also equal the dense kernel on the summed matrix
    rd = np.empty(n)
    gd = np.empty(p)
    K.residual_gradient_dense(np.ascontiguousarray(A_eff), y, w, rd, gd)
    assert_rel(r, rd, 1e-12, 1e-12 * np.linalg.norm(y))
    assert_rel(g, gd, 1e-12, 1e-12 * np.linalg.norm(A_eff) * np.linalg.norm(rd))
    r2 = np.full(n, np.nan)
    K.residual_csr(data, indices, indptr, y, w, r2)
    assert_rel(r2, y - A_eff @ w, RTOL64, 1e-3 * np.linalg.norm(y))


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("n, p", [(1, 1), (3, 5), (9, 6), (20, 13)])
def test_residual_gradient_csc_unsorted_duplicates(index_dtype, n, p):
    rng = np.random.default_rng(7 * n + p)
    A = sparse_matrix(rng, n, p)
    data, indices, indptr, A_eff = messy_sparse(A, rng, index_dtype, "col")
    y = rng.standard_normal(n)
    w = rng.standard_normal(p)
    w[0] = 0.0  # the CSC scatter may skip zero weights; the result must not change
    r = np.full(n, np.nan)
    g = np.full(p, np.nan)
    K.residual_gradient_csc(data, indices, indptr, y, w, r, g)
    check_residual_gradient(r, g, A_eff, y, w, RTOL64)
    r2 = np.full(n, np.nan)
    K.residual_csc(data, indices, indptr, y, w, r2)
    assert_rel(r2, y - A_eff @ w, RTOL64, 1e-3 * np.linalg.norm(y))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_residual_gradient_sparse_float32(fmt):
    rng = np.random.default_rng(5)
    n, p = 10, 8
    A = sparse_matrix(rng, n, p)
    data, indices, indptr, A_eff = messy_sparse(A, rng, np.int32, "row" if fmt == "csr" else "col")
    data = data.astype(np.float32)
    A_eff32 = np.zeros((n, p))
    # the float32 entries, summed in float64: what the float32 kernel approximates
    if fmt == "csr":
        rows = np.repeat(np.arange(n), np.diff(indptr))
        np.add.at(A_eff32, (rows, indices), data.astype(np.float64))
    else:
        cols = np.repeat(np.arange(p), np.diff(indptr))
        np.add.at(A_eff32, (indices, cols), data.astype(np.float64))
    assert np.allclose(A_eff32, A_eff, atol=1e-5)
    y = rng.standard_normal(n).astype(np.float32)
    w = rng.standard_normal(p).astype(np.float32)
    r = np.empty(n, dtype=np.float32)
    g = np.empty(p, dtype=np.float32)
    rr = np.empty(n, dtype=np.float32)
    if fmt == "csr":
        K.residual_gradient_csr(data, indices, indptr, y, w, r, g)
        K.residual_csr(data, indices, indptr, y, w, rr)
    else:
        K.residual_gradient_csc(data, indices, indptr, y, w, r, g)
        K.residual_csc(data, indices, indptr, y, w, rr)
    assert r.dtype == g.dtype == rr.dtype == np.float32
    check_residual_gradient(r, g, A_eff32, y, w, RTOL32)
    assert_rel(rr, ref.residual_gradient(A_eff32, y, w)[0], RTOL32)


@HYP
@given(
    n=st.integers(1, 12),
    p=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
)
def test_fused_kernels_property(n, p, seed, scale):
    rng = np.random.default_rng(seed)
    X = scale * rng.standard_normal((n, p))
    y = scale * rng.standard_normal(n)
    w = rng.standard_normal(p)
    r = np.empty(n)
    g = np.empty(p)
    K.residual_gradient_dense(X, y, w, r, g)
    check_residual_gradient(r, g, X, y, w, RTOL64)

    A = sparse_matrix(rng, n, p) * scale
    data, indices, indptr, A_eff = messy_sparse(A, rng, np.int64, "row")
    K.residual_gradient_csr(data, indices, indptr, y, w, r, g)
    check_residual_gradient(r, g, A_eff, y, w, RTOL64)
    data, indices, indptr, A_eff = messy_sparse(A, rng, np.int64, "col")
    K.residual_gradient_csc(data, indices, indptr, y, w, r, g)
    check_residual_gradient(r, g, A_eff, y, w, RTOL64)


@pytest.mark.parametrize("n", [1, 3, 4, 5, 8, 11])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_sweep_long_rows_every_block_shape(n, dtype):
    """Rows long enough for the software-pipelined dense sweep (eight rows
    over K._PIPELINE_MIN_BYTES), with and without a partial last block."""
    p = K._PIPELINE_MIN_BYTES // (8 * np.dtype(dtype).itemsize) + 5
    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, p)).astype(dtype)
    y = rng.standard_normal(n).astype(dtype)
    w = (rng.standard_normal(p) / np.sqrt(p)).astype(dtype)
    r = np.empty(n, dtype)
    g = np.empty(p, dtype)
    K.residual_gradient_dense(X, y, w, r, g)
    X64, y64, w64 = X.astype(float), y.astype(float), w.astype(float)
    tol = RTOL64 if dtype == np.float64 else RTOL32
    assert_rel(r, y64 - X64 @ w64, tol)
    assert_rel(g, X64.T @ (y64 - X64 @ w64), tol)


# --------------------------------------------------------------------------
# kernels over groups
# --------------------------------------------------------------------------


@HYP
@given(groups=partitions(), seed=st.integers(0, 2**32 - 1))
def test_group_kernels_property(groups, seed):
    rng = np.random.default_rng(seed)
    p = sum(len(G) for G in groups)
    L = len(groups)
    ptr, idx = partition_arrays(groups, p)
    v = rng.standard_normal(p)
    g = rng.standard_normal(p)
    u = rng.random(L) + 0.1
    if L > 1:
        v[groups[0]] = 0.0  # a zero-norm group

    out = np.full(L, np.nan)
    K.group_norms(v, ptr, idx, out)
    assert_rel(out, ref.group_norms(v, groups), RTOL64)

    K.group_inner(v, g, ptr, idx, out)
    assert_rel(out, ref.group_inner(v, g, groups), RTOL64, np.linalg.norm(v) * np.linalg.norm(g))

    z = v.copy()
    assert K.normalize_groups(z, ptr, idx) is None
    assert_rel(z, ref.normalize_groups(v, groups), RTOL64)

    w = np.full(p, np.nan)
    K.expand_group_weights(u, v, ptr, idx, w)
    assert_rel(w, ref.expand_group_weights(u, v, groups), RTOL64)

    vn = ref.normalize_groups(rng.standard_normal(p), groups)
    v1 = vn.copy()
    K.weight_normalized_direction_step(u, v1, g, ptr, idx)
    assert_rel(v1, ref.weight_normalized_direction_step(u, vn, g, groups), RTOL64)

    eta = float(rng.random() * 5)
    v2 = vn.copy()
    K.constant_direction_step(u, v2, g, eta, ptr, idx)
    assert_rel(v2, ref.constant_direction_step(u, vn, g, eta, groups), RTOL64)

    vg = rng.standard_normal(L)
    gamma = float(rng.random() * 0.4)
    u1 = u.copy()
    status = K.magnitude_step(u1, vg, gamma)
    u_ref, ok = ref.magnitude_step(u, vg, gamma)
    assert status == (K.STATUS_OK if ok else K.STATUS_U_NONPOSITIVE)
    assert_rel(u1, u_ref, RTOL64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sizes", [[3, 3, 3], [1, 4, 2, 5], [7]])
def test_group_kernels_contiguous_empty_index(sizes, dtype):
    """Contiguous groups given by an empty group_idx: the explicit index
    0..p-1's results (to rounding: LLVM may vectorize the direct loops'
    sums differently) and the NumPy reference."""
    rng = np.random.default_rng(len(sizes))
    p = sum(sizes)
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    full = np.arange(p, dtype=np.int64)
    empty = fastgs.make_groups(sizes[0], sizes[0]).kernel_index()  # the read-only empty index
    assert empty.shape == (0,) and not empty.flags.writeable
    groups = [full[ptr[l]:ptr[l + 1]] for l in range(len(sizes))]
    u = (rng.random(len(sizes)) + 0.5).astype(dtype)
    v = rng.standard_normal(p).astype(dtype)
    g = rng.standard_normal(p).astype(dtype)
    tol = RTOL64 if dtype == np.float64 else RTOL32
    outs = []
    for idx in (full, empty):
        out = {"norms": np.empty(len(sizes), dtype), "inner": np.empty(len(sizes), dtype),
               "w": np.empty(p, dtype), "z": v.copy(), "v1": v.copy(), "v2": v.copy()}
        K.group_norms(v, ptr, idx, out["norms"])
        K.group_inner(v, g, ptr, idx, out["inner"])
        K.expand_group_weights(u, v, ptr, idx, out["w"])
        K.normalize_groups(out["z"], ptr, idx)
        K.weight_normalized_direction_step(u, out["v1"], g, ptr, idx)
        K.constant_direction_step(u, out["v2"], g, 0.7, ptr, idx)
        outs.append(out)
    for key in outs[0]:
        assert_rel(outs[1][key], outs[0][key], 1e-14 if dtype == np.float64 else 1e-6)
    v64, g64, u64 = v.astype(float), g.astype(float), u.astype(float)
    assert_rel(outs[1]["norms"], ref.group_norms(v64, groups), tol)
    assert_rel(outs[1]["w"], ref.expand_group_weights(u64, v64, groups), tol)
    assert_rel(outs[1]["z"], ref.normalize_groups(v64, groups), tol)
    assert_rel(outs[1]["v1"], ref.normalize_groups(u64.repeat(sizes) ** 2 * v64 + g64, groups), tol)


def _groups_fixture(p=11, seed=3):
    rng = np.random.default_rng(seed)
    groups = [np.array([4, 0, 9]), np.array([2]), np.array([7, 1, 10, 5]), np.array([3, 8, 6])]
    ptr, idx = partition_arrays(groups, p)
    return rng, groups, ptr, idx


def test_group_norms_inner_float32():
    rng, groups, ptr, idx = _groups_fixture()
    v = rng.standard_normal(11).astype(np.float32)
    g = rng.standard_normal(11).astype(np.float32)
    out = np.empty(4, dtype=np.float32)
    K.group_norms(v, ptr, idx, out)
    assert out.dtype == np.float32
    assert_rel(out, ref.group_norms(v.astype(np.float64), groups), RTOL32)
    K.group_inner(v, g, ptr, idx, out)
    assert_rel(out, ref.group_inner(v.astype(np.float64), g.astype(np.float64), groups), RTOL32, 1.0)


def test_normalize_groups_zero_group_unchanged_and_float32():
    rng, groups, ptr, idx = _groups_fixture()
    z = rng.standard_normal(11)
    z[groups[2]] = 0.0
    z0 = z.copy()
    K.normalize_groups(z, ptr, idx)
    assert np.all(np.isfinite(z))
    np.testing.assert_array_equal(z[groups[2]], 0.0)
    for l, G in enumerate(groups):
        if l != 2:
            assert abs(np.linalg.norm(z[G]) - 1.0) < 1e-14
            assert_rel(z[G], z0[G] / np.linalg.norm(z0[G]), RTOL64)
    z32 = z0.astype(np.float32)
    K.normalize_groups(z32, ptr, idx)
    assert z32.dtype == np.float32
    assert_rel(z32, ref.normalize_groups(z0.astype(np.float32).astype(np.float64), groups), RTOL32)


def test_expand_group_weights_float32():
    rng, groups, ptr, idx = _groups_fixture()
    u = (rng.random(4) + 0.5).astype(np.float32)
    v = rng.standard_normal(11).astype(np.float32)
    w = np.empty(11, dtype=np.float32)
    K.expand_group_weights(u, v, ptr, idx, w)
    assert_rel(w, ref.expand_group_weights(u.astype(float), v.astype(float), groups), RTOL32)


def test_weight_normalized_direction_step_zero_z_keeps_v():
    rng, groups, ptr, idx = _groups_fixture()
    u = np.array([0.5, 2.0, 0.0, 0.25])  # powers of two: u^2 v is exact
    v = ref.normalize_groups(rng.standard_normal(11), groups)
    g = rng.standard_normal(11)
    g[groups[0]] = -(u[0] ** 2) * v[groups[0]]  # z_0 = 0 exactly
    g[groups[2]] = 0.0  # u_2 = 0 and g_2 = 0: z_2 = 0
    v_new = v.copy()
    K.weight_normalized_direction_step(u, v_new, g, ptr, idx)
    assert np.all(np.isfinite(v_new))
    np.testing.assert_array_equal(v_new[groups[0]], v[groups[0]])
    np.testing.assert_array_equal(v_new[groups[2]], v[groups[2]])
    assert_rel(v_new, ref.weight_normalized_direction_step(u, v, g, groups), RTOL64)
    assert not np.allclose(v_new[groups[3]], v[groups[3]])  # the others did move


def test_direction_steps_float32():
    rng, groups, ptr, idx = _groups_fixture()
    u = (rng.random(4) + 0.5).astype(np.float32)
    v = ref.normalize_groups(rng.standard_normal(11), groups).astype(np.float32)
    g = rng.standard_normal(11).astype(np.float32)
    u64, v64, g64 = (a.astype(np.float64) for a in (u, v, g))
    v1 = v.copy()
    K.weight_normalized_direction_step(u, v1, g, ptr, idx)
    assert v1.dtype == np.float32
    assert_rel(v1, ref.weight_normalized_direction_step(u64, v64, g64, groups), RTOL32)
    v2 = v.copy()
    K.constant_direction_step(u, v2, g, np.float32(0.7), ptr, idx)
    assert v2.dtype == np.float32
    assert_rel(v2, ref.constant_direction_step(u64, v64, g64, 0.7, groups), RTOL32)


def test_constant_direction_step_zero_z_keeps_v():
    rng, groups, ptr, idx = _groups_fixture()
    u = np.array([1.0, 0.5, 2.0, 1.0])
    eta = 0.5
    v = ref.normalize_groups(rng.standard_normal(11), groups)
    g = rng.standard_normal(11)
    g[groups[2]] = -v[groups[2]] / (eta * u[2] ** 2)  # exact: powers of two
    v_new = v.copy()
    K.constant_direction_step(u, v_new, g, eta, ptr, idx)
    assert np.all(np.isfinite(v_new))
    np.testing.assert_array_equal(v_new[groups[2]], v[groups[2]])
    assert_rel(v_new, ref.constant_direction_step(u, v, g, eta, groups), RTOL64)
    # eta = 0: nothing changes (directions are already unit)
    v0 = v.copy()
    K.constant_direction_step(u, v0, g, 0.0, ptr, idx)
    assert_rel(v0, v, 1e-15)


def test_magnitude_step_ok_and_float32():
    u = np.array([1e-6, 0.5, 2.0])
    vg = np.array([0.3, -0.2, 1.5])
    u1 = u.copy()
    assert K.magnitude_step(u1, vg, 0.1) == K.STATUS_OK
    assert_rel(u1, u * (1 + 0.2 * vg), RTOL64)
    u32 = u.astype(np.float32)
    assert K.magnitude_step(u32, vg.astype(np.float32), np.float32(0.1)) == K.STATUS_OK
    assert u32.dtype == np.float32
    assert_rel(u32, u * (1 + 0.2 * vg), RTOL32)


@pytest.mark.parametrize("bad_vg", [-1.0, -5.0, np.nan])
def test_magnitude_step_nonpositive_leaves_u_unchanged(bad_vg):
    assert len({K.STATUS_OK, K.STATUS_NONFINITE, K.STATUS_U_NONPOSITIVE}) == 3
    u = np.array([0.3, 1.0, 2.0, 0.7])
    # gamma = 0.5: factor 1 + vg; the bad group is not the first one
    vg = np.array([0.2, 0.1, bad_vg, 0.4])
    u1 = u.copy()
    status = K.magnitude_step(u1, vg, 0.5)
    assert status == K.STATUS_U_NONPOSITIVE
    np.testing.assert_array_equal(u1, u)
    _, ok = ref.magnitude_step(u, vg, 0.5)
    assert not ok


# --------------------------------------------------------------------------
# embedding in the user's own njit code
# --------------------------------------------------------------------------


@numba.njit
def _user_alg1_step(X, data, indices, indptr, cdata, cindices, cindptr, y, u, v, gamma, ptr, idx):
    n, p = X.shape
    L = u.shape[0]
    w = np.empty(p)
    K.expand_group_weights(u, v, ptr, idx, w)
    r = np.empty(n)
    g = np.empty(p)
    K.residual_gradient_dense(X, y, w, r, g)
    r2 = np.empty(n)
    g2 = np.empty(p)
    K.residual_gradient_csr(data, indices, indptr, y, w, r2, g2)
    r3 = np.empty(n)
    g3 = np.empty(p)
    K.residual_gradient((cdata, cindices, cindptr, n), y, w, r3, g3)
    r4 = np.empty(n)
    K.residual((data, indices, indptr), y, w, r4)
    loss = 0.5 * (r @ r) / n
    for j in range(p):
        g[j] /= n
    K.weight_normalized_direction_step(u, v, g, ptr, idx)
    vg = np.empty(L)
    K.group_inner(v, g, ptr, idx, vg)
    status = K.magnitude_step(u, vg, gamma)
    return loss, status, r, g2, g3, r4


def test_kernels_callable_from_user_njit():
    import scipy.sparse as sp

    rng = np.random.default_rng(11)
    n, p = 9, 6
    X = sparse_matrix(rng, n, p, density=0.7)
    A = sp.csr_matrix(X)
    C = sp.csc_matrix(X)
    y = rng.standard_normal(n)
    groups = [np.array([0, 3]), np.array([1, 2, 5]), np.array([4])]
    ptr, idx = partition_arrays(groups, p)
    u = np.array([0.5, 1.0, 0.8])
    v = ref.normalize_groups(rng.standard_normal(p), groups)
    u1, v1 = u.copy(), v.copy()
    loss, status, r, g2, g3, r4 = _user_alg1_step(
        X, A.data, A.indices, A.indptr, C.data, C.indices, C.indptr, y, u1, v1, 0.1, ptr, idx
    )
    w = ref.expand_group_weights(u, v, groups)
    r_ref, g_ref = ref.residual_gradient(X, y, w)
    assert status == K.STATUS_OK
    assert abs(loss - 0.5 * r_ref @ r_ref / n) <= 1e-12 * (r_ref @ r_ref)
    assert_rel(r, r_ref, RTOL64)
    assert_rel(r4, r_ref, RTOL64)
    assert_rel(g2, g_ref, RTOL64)
    assert_rel(g3, g_ref, RTOL64)
    v_ref = ref.weight_normalized_direction_step(u, v, g_ref / n, groups)
    u_ref, ok = ref.magnitude_step(u, ref.group_inner(v_ref, g_ref / n, groups), 0.1)
    assert ok
    assert_rel(v1, v_ref, RTOL64)
    assert_rel(u1, u_ref, RTOL64)


@pytest.mark.parametrize("storage", ["dense", "csr", "csc", "dense_chunked", "csr_chunked", "csc_chunked"])
@pytest.mark.parametrize("n", [3, 13, 40])
# the dense sweep takes models three, then two, then one at a time; the CSC
# sweeps six at a time (12, 13: two tiles, the second full or with one model)
@pytest.mark.parametrize("K", [1, 2, 3, 4, 5, 6, 7, 12, 13])
def test_residual_gradient_folds_matches_reference(storage, n, K):
    _check_folds_kernel(storage, n, K, "squared_error", weighted=False)


@pytest.mark.parametrize("storage", ["dense", "csr", "csc", "dense_chunked", "csr_chunked", "csc_chunked"])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "poisson"])
def test_residual_gradient_folds_losses_and_weights(storage, loss):
    _check_folds_kernel(storage, 13, 4, loss, weighted=True)


def _check_folds_kernel(storage, n, K, loss, weighted):
    import scipy.sparse as sp

    from fastgs import cv_kernels as K_

    rng = np.random.default_rng(n)
    p = 2100  # > one column chunk of the dense sweep
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.3)
    y = rng.standard_normal(n)
    if loss == "log_loss":
        y = (y > 0).astype(float)
    elif loss == "poisson":
        y = np.floor(np.abs(y) * 3)
    fold = (np.arange(n) % K).astype(np.int64)
    W = rng.standard_normal((K, p)) * (0.02 if loss != "squared_error" else 1.0)
    offset = rng.standard_normal(K)
    sw = rng.random(n) * 3 if weighted else None
    sw_arg = sw if weighted else np.empty(0)
    code = np.int64(LOSSES[loss])
    expect = ref.residual_gradient_folds(X, y, fold, W, offset, loss, sw)
    G = np.empty((K, p))
    out = [np.empty(K) for _ in range(3)]
    if storage.startswith("dense"):
        args = (X,)
    else:
        M = sp.csr_matrix(X) if storage.startswith("csr") else sp.csc_matrix(X)
        args = (M.data, M.indices, M.indptr)
    if storage == "csc_chunked":
        # three row chunks: where each column's entries of rows >= c n / 3 start
        indptr, indices = M.indptr, M.indices
        splits = np.empty((4, p), dtype=np.int64)
        for c in range(4):
            for j in range(p):
                col = indices[indptr[j] : indptr[j + 1]]
                splits[c, j] = indptr[j] + np.count_nonzero(col < (c * n) // 3)
        R = np.full((n, K), np.nan)  # scratch: whatever it holds is overwritten
        K_.residual_gradient_folds_csc_chunked(*args, y, fold, W, offset, G, *out, code, np.int64(1), sw_arg, splits, R)
        G_serial = np.empty_like(G)
        K_.residual_gradient_folds_csc(*args, y, fold, W, offset, G_serial, *[np.empty(K) for _ in range(3)],
                                  code, np.int64(1), sw_arg)
        np.testing.assert_array_equal(G, G_serial)  # the same bits as the serial sweep
        G_one = np.empty_like(G)  # one chunk: the serial sweeps, on the (NaN-filled) scratch
        R[:] = np.nan
        K_.residual_gradient_folds_csc_chunked(*args, y, fold, W, offset, G_one, *[np.empty(K) for _ in range(3)],
                                               code, np.int64(1), sw_arg, splits[[0, 3]], R)  # fmt: skip
        np.testing.assert_array_equal(G_one, G_serial)
    elif storage.endswith("chunked"):
        chunks = 2
        fn = getattr(K_, f"residual_gradient_folds_{storage}")
        fn(*args, y, fold, W, offset, G, *out, code, np.int64(1), sw_arg, np.empty((chunks, K, p)),
           np.empty((chunks, 3, K)))
    else:
        getattr(K_, f"residual_gradient_folds_{storage}")(*args, y, fold, W, offset, G, *out, code, np.int64(1), sw_arg)
    scale = np.abs(expect[0]).max()
    np.testing.assert_allclose(G, expect[0], rtol=0, atol=1e-10 * scale)
    for got, want in zip(out, expect[1:]):
        np.testing.assert_allclose(got, want, rtol=1e-10)


@numba.njit
def _generic_sweeps(design, y, w, r, g, work, code, sw, fold, W, offset, G, sums, work_G, work_s):
    """The storage-generic entry points, as a solver calls them."""
    total = K.residual_gradient_loss(design, y, w, r, g, work, code, 0.25, sw)
    fastgs.cv_kernels.residual_gradient_folds(design, y, fold, W, offset, G, sums[0], sums[1],
                                              sums[2], code, np.int64(1), sw, work_G, work_s)  # fmt: skip
    return total


@pytest.mark.parametrize("storage", ["dense", "csr"])
def test_serial_chunks_are_the_threaded_chunks_on_one_thread(storage):
    """A workspace in SerialChunks runs the row chunks in order from the serial
    build: the bits of the threaded sweep, values of the NumPy reference, and
    the build compiles no parallel region."""
    import scipy.sparse as sp

    from fastgs import cv_kernels as CV

    rng = np.random.default_rng(17)
    n, p, chunks, M = 37, 2100, 3, 4  # p: more than one column block of the chunk sum
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.3)
    design = X if storage == "dense" else (lambda A: (A.data, A.indices, A.indptr))(sp.csr_matrix(X))
    y, w, sw = rng.standard_normal(n), 0.1 * rng.standard_normal(p), rng.random(n)
    fold = (np.arange(n) % M).astype(np.int64)
    W, offset = rng.standard_normal((M, p)), rng.standard_normal(M)
    code = np.int64(LOSSES["squared_error"])
    runs = []
    for wrap in (lambda a: a, K.SerialChunks):
        r, g, G = np.empty(n), np.empty(p), np.empty((M, p))
        sums = np.empty((3, M))
        total = _generic_sweeps(design, y, w, r, g, wrap(np.full((chunks, p), np.nan)), code, sw,
                                fold, W, offset, G, sums, wrap(np.full((chunks, M, p), np.nan)),
                                np.full((chunks, 3, M), np.nan))  # fmt: skip
        runs.append((total, r, g, G, sums))
    for threaded, serial in zip(*runs):
        np.testing.assert_array_equal(serial, threaded)
    total, r, g, G, sums = runs[1]
    r_want = sw * (y - X @ w - 0.25)
    assert_rel(r, r_want, RTOL64)
    assert_rel(g, X.T @ r_want, RTOL64)
    assert total == pytest.approx(0.5 * np.sum(sw * (y - X @ w - 0.25) ** 2), rel=1e-12)
    expect = ref.residual_gradient_folds(X, y, fold, W, offset, "squared_error", sw)
    assert_rel(G, expect[0], RTOL64)
    np.testing.assert_allclose(sums, np.array(expect[1:]), rtol=1e-10)
    # residual_gradient (squared error, no offset, no weights) takes the wrapper too
    r1, g1 = np.empty(n), np.empty(p)
    _residual_gradient_generic(design, y, w, r1, g1, K.SerialChunks(np.empty((chunks, p))))
    assert_rel(g1, X.T @ (y - X @ w), RTOL64)
    # one source, two builds
    pairs = ((K._residual_gradient_loss_dense_chunked_serial, K.residual_gradient_loss_dense_chunked),
             (K._residual_gradient_loss_csr_chunked_serial, K.residual_gradient_loss_csr_chunked),
             (CV._residual_gradient_folds_dense_chunked_serial, CV.residual_gradient_folds_dense_chunked),
             (CV._residual_gradient_folds_csr_chunked_serial, CV.residual_gradient_folds_csr_chunked))  # fmt: skip
    for build, threaded in pairs:
        assert build.py_func.__code__ is threaded.py_func.__code__
        assert threaded.targetoptions["parallel"] and not build.targetoptions.get("parallel")
        assert build.py_func.__qualname__ == threaded.py_func.__qualname__ + "_serial"

@numba.njit
def _residual_gradient_generic(design, y, w, r, g, work):
    K.residual_gradient(design, y, w, r, g, work)

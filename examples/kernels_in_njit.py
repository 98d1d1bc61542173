"""
Kernels in your own Numba code
==============================

:mod:`fastgs.kernels` holds fastgs' compiled building blocks as plain
``numba.njit`` functions. Here they are assembled into Algorithm 1 of the
paper (weight normalization, simultaneous update), written as your own
``@njit`` loop, and checked against :func:`fastgs.dglnn_path` with the same
settings.
"""

import numba
import numpy as np

import fastgs
from fastgs.datasets import make_group_sparse_regression
from fastgs.kernels import (
    STATUS_OK,
    expand_group_weights,
    group_inner,
    magnitude_step,
    residual_gradient_dense,
    weight_normalized_direction_step,
)

X, y, w_star, groups = make_group_sparse_regression(120, 240, group_size=4, n_informative_groups=3,
                                                    coef=2.0, random_state=0)  # fmt: skip


@numba.njit
def algorithm1(X, y, alpha, gamma, n_iter, group_ptr, group_idx):
    """Algorithm 1 with the simultaneous update; returns w after n_iter iterations."""
    n, p = X.shape
    L = group_ptr.shape[0] - 1
    u = np.full(L, alpha)
    v = np.empty(p)
    for l in range(L):  # unit directions, all entries equal
        size = group_ptr[l + 1] - group_ptr[l]
        for k in range(group_ptr[l], group_ptr[l + 1]):
            v[group_idx[k]] = 1.0 / np.sqrt(size)
    w = np.zeros(p)
    expand_group_weights(u, v, group_ptr, group_idx, w)
    r, g, vg = np.empty(n), np.empty(p), np.empty(L)
    for _ in range(n_iter):
        residual_gradient_dense(X, y, w, r, g)  # r = y - X w, g = X^T r
        g /= n  # the loss is 1/(2n) ||y - X w||^2
        weight_normalized_direction_step(u, v, g, group_ptr, group_idx)
        group_inner(v, g, group_ptr, group_idx, vg)
        if magnitude_step(u, vg, gamma) != STATUS_OK:
            break
        expand_group_weights(u, v, group_ptr, group_idx, w)
    return w


# %%
# The same run by fastgs
# ----------------------
# ``schedule="paper"`` with a fixed step is Algorithm 1 exactly as above.

alpha, gamma, n_iter = 1e-6, 0.02, 300
mine = algorithm1(X, y, alpha, gamma, n_iter, groups.group_ptr, groups.group_idx)
path = fastgs.dglnn_path(X, y, groups, algorithm="alg1", schedule="paper", alpha=alpha,
                         step_u=gamma, max_iter=n_iter)  # fmt: skip
print("largest difference from dglnn_path:", np.max(np.abs(mine - path.coefs[-1])))
print("squared error of the estimate:     ", np.sum((mine - w_star) ** 2))
assert np.allclose(mine, path.coefs[-1], rtol=1e-8, atol=1e-10)

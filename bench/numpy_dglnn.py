"""Plain NumPy DGLNN, Algorithm 1 with the simultaneous update: the speed baseline.

This is the straightforward implementation a user would write for arbitrary
groups given as index arrays (docs/method.rst, 'Algorithm 1: weight normalization', ``update="simultaneous"``):
a Python loop over iterations, a Python loop over groups inside it, and
every iterate ``w(t)`` recorded.  It is deliberately *not* optimized
(no vectorization across groups): it is the "plain NumPy loop of the same
algorithm" that ``fastgs.dglnn_path`` is compared with in ``bench/``.

Each iteration t (loss ``1/(2n) ||y - X w||^2``)::

    g   = X.T @ (y - X @ w) / n
    for each group l:
        z_l = u_l^2 v_l + g_l ;  v_l = z_l / ||z_l||      (kept if ||z_l|| = 0)
        u_l = u_l * (1 + 2 gamma <v_l, g_l>)
        w_l = u_l^2 v_l

Start: ``u_l = alpha``, ``v_l = 1/sqrt(p_l)`` (all entries), as fastgs does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dglnn_numpy", "contiguous_groups"]


def contiguous_groups(n_features: int, size: int) -> list[np.ndarray]:
    """Index arrays of contiguous groups ``[0..size-1], [size..2 size-1], ...``."""
    return [np.arange(start, start + size) for start in range(0, n_features, size)]


def dglnn_numpy(X, y, groups, gamma, *, alpha=1e-6, max_iter=2000):
    """Run DGLNN Algorithm 1 (simultaneous update) for ``max_iter`` iterations.

    Parameters
    ----------
    X : (n, p) ndarray (or anything with ``@`` and ``.T``, e.g. scipy.sparse)
    y : (n,) ndarray
    groups : list of integer index arrays partitioning ``range(p)``
    gamma : magnitude step size
    alpha : initial magnitude ``u(0)``
    max_iter : number of iterations (passes over X)

    Returns
    -------
    coefs : (max_iter + 1, p) ndarray, ``coefs[t] = w(t)``
    u : (L,) final magnitudes
    v : (p,) final directions
    """
    n, p = X.shape
    dtype = np.result_type(X.dtype, np.float32)
    u = np.full(len(groups), alpha, dtype=dtype)
    v = np.zeros(p, dtype=dtype)
    w = np.zeros(p, dtype=dtype)
    for l, idx in enumerate(groups):
        v[idx] = 1.0 / np.sqrt(len(idx))
        w[idx] = u[l] ** 2 * v[idx]
    coefs = np.empty((max_iter + 1, p), dtype=dtype)
    coefs[0] = w
    for t in range(max_iter):
        g = X.T @ (y - X @ w) / n
        for l, idx in enumerate(groups):
            g_l = g[idx]
            z = u[l] ** 2 * v[idx] + g_l
            norm = np.linalg.norm(z)
            if norm > 0:
                v[idx] = z / norm
            u[l] *= 1 + 2 * gamma * (v[idx] @ g_l)
            w[idx] = u[l] ** 2 * v[idx]
        coefs[t + 1] = w
    return coefs, u, v

"""Slow, obviously-correct NumPy references for fastgs (tests only).

Written from the update equations of ``docs/method.rst`` and the documented behaviour of
the public API; nothing here imports or calls fastgs.  Groups are given as a
list of integer index arrays (one per group, in group order).

Conventions (docs/method.rst, 'The model and the loss'): loss ``1/(2n) ||y - X w||^2``, correlation
``g = X^T r / n``; iterate ``t`` is evaluated at ``w(t)`` before its update;
iterates ``t = 0..max_iter``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

SWITCH_EPS = 1e-12
#: fastgs' "auto" switch rule looks at groups with u^2 >= this fraction of max u^2
AUTO_ACTIVE_FRACTION = 1e-2
KAPPA = 0.05
ETA_FACTOR = 0.5

STATUS_OK = 0
STATUS_NONFINITE = 1
STATUS_U_NONPOSITIVE = 2


# --------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------


def residual_gradient(X, y, w):
    """``r = y - X w`` and ``g = X^T r`` (unscaled), dense X."""
    X = np.asarray(X, dtype=np.float64)
    r = np.asarray(y, dtype=np.float64) - X @ np.asarray(w, dtype=np.float64)
    return r, X.T @ r


def group_norms(v, groups):
    return np.array([np.sqrt(np.sum(np.asarray(v)[G] ** 2)) for G in groups])


def group_inner(v, g, groups):
    v = np.asarray(v)
    g = np.asarray(g)
    return np.array([np.sum(v[G] * g[G]) for G in groups])


def normalize_groups(z, groups):
    """Each group scaled to unit norm; a zero-norm group is left as it is."""
    out = np.array(z, dtype=np.float64)
    for G in groups:
        nrm = np.sqrt(np.sum(out[G] ** 2))
        if nrm > 0:
            out[G] = out[G] / nrm
    return out


def expand_group_weights(u, v, groups):
    """``w[G_l] = u_l^2 v[G_l]``."""
    w = np.zeros(len(v))
    for l, G in enumerate(groups):
        w[G] = u[l] ** 2 * np.asarray(v)[G]
    return w


def weight_normalized_direction_step(u, v, g, groups):
    """docs/method.rst, 'Algorithm 1: weight normalization' step 2: ``z_l = u_l^2 v_l + g_l``, ``v_l = z_l/||z_l||``."""
    out = np.array(v, dtype=np.float64)
    for l, G in enumerate(groups):
        z = u[l] ** 2 * out[G] + np.asarray(g)[G]
        nrm = np.sqrt(np.sum(z**2))
        if nrm > 0:
            out[G] = z / nrm
    return out


def constant_direction_step(u, v, g, eta, groups):
    """docs/method.rst, 'Algorithm 2: constant direction step': ``z_l = v_l + eta u_l^2 g_l``, ``v_l = z_l/||z_l||``."""
    out = np.array(v, dtype=np.float64)
    for l, G in enumerate(groups):
        z = out[G] + eta * u[l] ** 2 * np.asarray(g)[G]
        nrm = np.sqrt(np.sum(z**2))
        if nrm > 0:
            out[G] = z / nrm
    return out


def magnitude_step(u, vg, gamma):
    """``u_l (1 + 2 gamma vg_l)``; returns (new u, ok) with ok False (and u
    unchanged) when some factor is not strictly positive."""
    factor = 1.0 + 2.0 * gamma * np.asarray(vg, dtype=np.float64)
    u = np.array(u, dtype=np.float64)
    if not np.all(factor > 0):
        return u, False
    return u * factor, True


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _prepare(X, y, X_val, y_val, fit_intercept):
    X = np.array(X, dtype=np.float64)
    y = np.array(y, dtype=np.float64)
    if fit_intercept:
        x_mean = X.mean(axis=0)
        y_mean = y.mean()
    else:
        x_mean = np.zeros(X.shape[1])
        y_mean = 0.0
    Xc = X - x_mean
    yc = y - y_mean
    if X_val is not None:
        Xv = np.array(X_val, dtype=np.float64) - x_mean  # the TRAINING means
        yv = np.array(y_val, dtype=np.float64) - y_mean
    else:
        Xv = yv = None
    return Xc, yc, Xv, yv, x_mean, y_mean


def _evaluate(Xc, yc, Xv, yv, w):
    n = Xc.shape[0]
    r = yc - Xc @ w
    g = Xc.T @ r / n
    loss = np.sum(0.5 * r * r) / n
    val = np.nan
    if Xv is not None:
        rv = yv - Xv @ w
        val = np.sum(0.5 * rv * rv) / Xv.shape[0]
    return loss, val, g


def _finite(*arrays):
    return all(np.all(np.isfinite(a)) for a in arrays)


def _switch_fires(u_old, u_new, tau, rule):
    if rule == "paper":
        active = np.ones(len(u_new), dtype=bool)
    else:  # "auto"
        active = u_new**2 >= AUTO_ACTIVE_FRACTION * np.max(u_new) ** 2
    rel = np.abs(u_new - u_old) / (np.abs(u_old) + SWITCH_EPS)
    return np.max(rel[active], initial=0.0) < tau


def _finish(rec, x_mean, y_mean, **extra):
    out = SimpleNamespace(**{k: np.array(v) for k, v in rec.items()}, **extra)
    out.intercepts = y_mean - out.w @ x_mean
    return out


# --------------------------------------------------------------------------
# solvers
# --------------------------------------------------------------------------


def auto_a_max(X, y, groups, fit_intercept=False):
    """``max_l ||X_l^T y / n||`` on the (centered, if fit_intercept) data."""
    Xc, yc, _, _, _, _ = _prepare(X, y, None, None, fit_intercept)
    c = Xc.T @ yc / Xc.shape[0]
    return float(np.max(group_norms(c, groups)))


def dglnn_reference(
    X, y, groups, *, algorithm="alg1", update="simultaneous", alpha=1e-6,
    gamma=None, eta=None, max_iter=100, switch="paper", tau=5e-3,
    X_val=None, y_val=None, fit_intercept=False,
):  # fmt: skip
    """DGLNN by the update equations of docs/method.rst ('Algorithm 1: weight
    normalization', 'Algorithm 2: constant direction step', 'Plain gradient descent').

    gamma/eta None mean the §6 defaults (``eta = gamma`` for "gd", where eta
    is the v step).  ``switch``: "paper", "auto" or an int iteration (the
    constant direction step is used for the updates t >= switch).

    Returns a namespace with ``w`` (T, p), ``u`` (T, L), ``train_loss``,
    ``val_loss``, ``intercepts`` for the good iterates ``t = 0..last_good``,
    and ``best_iter``, ``best_w``, ``switch_iter``, ``status``,
    ``status_iter``, ``last_good``, ``gamma``, ``eta``.
    """
    groups = [np.asarray(G, dtype=np.int64) for G in groups]
    Xc, yc, Xv, yv, x_mean, y_mean = _prepare(X, y, X_val, y_val, fit_intercept)
    n, p = Xc.shape
    L = len(groups)
    c0 = Xc.T @ yc / n
    a = group_norms(c0, groups)
    a_max = float(np.max(a)) if np.max(a) > 0 else 1.0
    if gamma is None:
        gamma = KAPPA / a_max
    if eta is None:
        eta = gamma if algorithm == "gd" else ETA_FACTOR / a_max**2

    u = np.full(L, float(alpha))
    v = np.zeros(p)
    for l, G in enumerate(groups):
        if algorithm == "gd":
            # balanced start: v_l ∝ X_l^T y / n with ||v_l||^2 = u_l^2 / 2
            if a[l] > 0:
                v[G] = c0[G] * (u[l] / np.sqrt(2.0)) / a[l]
        else:
            v[G] = 1.0 / np.sqrt(len(G))

    switch_iter = None
    if algorithm == "alg2" and not isinstance(switch, str) and switch <= 0:
        switch_iter = 0
    rec = dict(w=[], u=[], train_loss=[], val_loss=[])
    best_iter, best_val, best_w = None, np.inf, None
    status, status_iter = STATUS_OK, -1
    w = expand_group_weights(u, v, groups)
    with np.errstate(all="ignore"):
        for t in range(max_iter + 1):
            loss, val, g = _evaluate(Xc, yc, Xv, yv, w)
            if not _finite([loss], g) or (Xv is not None and not np.isfinite(val)):
                status, status_iter = STATUS_NONFINITE, t
                break
            rec["w"].append(w)
            rec["u"].append(u)
            rec["train_loss"].append(loss)
            rec["val_loss"].append(val)
            if Xv is not None and val < best_val:
                best_iter, best_val, best_w = t, val, w
            if (algorithm == "alg2" and switch == "auto" and switch_iter is None and t > 0
                    and loss > rec["train_loss"][-2]):
                switch_iter = t  # "auto" also switches when the training loss goes up
            if t == max_iter:
                break
            if algorithm == "gd":
                vg = group_inner(v, g, groups)
                v_new = v.copy()
                for l, G in enumerate(groups):
                    v_new[G] = v[G] + eta * u[l] ** 2 * g[G]  # old u
                u_new, ok = magnitude_step(u, vg, gamma)  # old v
                if not ok:
                    status, status_iter = STATUS_U_NONPOSITIVE, t
                    break
                if not _finite(v_new):
                    status, status_iter = STATUS_NONFINITE, t
                    break
            else:
                if switch_iter is not None and t >= switch_iter:
                    v_new = constant_direction_step(u, v, g, eta, groups)
                else:
                    v_new = weight_normalized_direction_step(u, v, g, groups)
                if update == "sequential":
                    _, _, g = _evaluate(Xc, yc, None, None, expand_group_weights(u, v_new, groups))
                u_new, ok = magnitude_step(u, group_inner(v_new, g, groups), gamma)
                if not ok:
                    status, status_iter = STATUS_U_NONPOSITIVE, t
                    break
                if not _finite(v_new):
                    status, status_iter = STATUS_NONFINITE, t
                    break
                if algorithm == "alg2" and switch_iter is None:
                    if isinstance(switch, str):
                        fire = _switch_fires(u, u_new, tau, switch)
                    else:
                        fire = t + 1 >= switch
                    if fire:
                        switch_iter = t + 1
            u, v = u_new, v_new
            w = expand_group_weights(u, v, groups)
    last_good = len(rec["w"]) - 1
    return _finish(
        rec, x_mean, y_mean, best_iter=best_iter, best_w=best_w, switch_iter=switch_iter,
        status=status, status_iter=status_iter, last_good=last_good, gamma=gamma, eta=eta,
    )  # fmt: skip


def dlnn_reference(
    X, y, *, depth=2, alpha=1e-6, gamma=None, max_iter=100,
    X_val=None, y_val=None, fit_intercept=False,
):  # fmt: skip
    """Diagonal linear network ``w = a^N - b^N`` (docs/method.rst, 'The DLNN baseline'):
    ``a <- a + gamma N a^(N-1) g``, ``b <- b - gamma N b^(N-1) g``, a(0)=b(0)=alpha.

    gamma None: ``0.05 / (N^2/4 * a_max^((2N-2)/N))``, ``a_max = ||X^T y/n||_inf``
    (fastgs' documented default).  A step making some a or b non-positive stops
    the run (status 2).  Same output fields as :func:`dglnn_reference`
    (without u/switch).
    """
    Xc, yc, Xv, yv, x_mean, y_mean = _prepare(X, y, X_val, y_val, fit_intercept)
    n, p = Xc.shape
    if gamma is None:
        a_max = float(np.max(np.abs(Xc.T @ yc / n)))
        a_max = a_max if a_max > 0 else 1.0
        gamma = KAPPA / ((depth**2 / 4.0) * a_max ** ((2.0 * depth - 2.0) / depth))
    a = np.full(p, float(alpha))
    b = np.full(p, float(alpha))
    rec = dict(w=[], train_loss=[], val_loss=[])
    best_iter, best_val, best_w = None, np.inf, None
    status, status_iter = STATUS_OK, -1
    with np.errstate(all="ignore"):
        for t in range(max_iter + 1):
            w = a**depth - b**depth
            loss, val, g = _evaluate(Xc, yc, Xv, yv, w)
            if not _finite([loss], g) or (Xv is not None and not np.isfinite(val)):
                status, status_iter = STATUS_NONFINITE, t
                break
            rec["w"].append(w)
            rec["train_loss"].append(loss)
            rec["val_loss"].append(val)
            if Xv is not None and val < best_val:
                best_iter, best_val, best_w = t, val, w
            if t == max_iter:
                break
            a_new = a + gamma * depth * a ** (depth - 1) * g
            b_new = b - gamma * depth * b ** (depth - 1) * g
            if not (np.all(a_new > 0) and np.all(b_new > 0)):
                status, status_iter = STATUS_U_NONPOSITIVE, t
                break
            a, b = a_new, b_new
    last_good = len(rec["w"]) - 1
    return _finish(
        rec, x_mean, y_mean, best_iter=best_iter, best_w=best_w, status=status,
        status_iter=status_iter, last_good=last_good, gamma=gamma,
    )  # fmt: skip


def dglnn_fast_reference(X, y, groups, *, alpha=1e-6, kappa=0.2, skip_fraction=1e-2,
                         step_cap=0.25, max_iter=50):  # fmt: skip
    """The fast schedule (docs/method.rst, 'The fast schedule') with Algorithm 1's direction step.

    Returns a namespace with ``t0`` (the skipped iterations), and per evaluated
    pass: ``iterations`` (t0 + 0..max_iter), ``coefs``, ``u``, ``train_loss``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    corr = X.T @ y / n
    a = np.array([np.linalg.norm(corr[G]) for G in groups])
    a_max = a.max()
    gamma = kappa / a_max
    # first integer t0 with alpha^2 exp(4 gamma a_max t0) >= skip_fraction * a_max
    t0 = int(np.ceil(np.log(skip_fraction * a_max / alpha**2) / (4 * gamma * a_max)))
    t0 = max(t0, 0)
    u = np.full(len(groups), alpha)
    v = np.zeros(X.shape[1])
    for l, G in enumerate(groups):
        if a[l] > 0:
            u[l] = alpha * np.exp(2 * gamma * a[l] * t0)
            v[G] = corr[G] / np.linalg.norm(corr[G])
        else:
            v[G] = 1 / np.sqrt(len(G))
    rec = SimpleNamespace(t0=t0, iterations=[], coefs=[], u=[], train_loss=[], gamma=gamma)
    for t in range(max_iter + 1):
        w = expand_group_weights(u, v, groups)
        r = y - X @ w
        g = X.T @ r / n
        rec.iterations.append(t0 + t)
        rec.coefs.append(w)
        rec.u.append(u.copy())
        rec.train_loss.append(0.5 * r @ r / n)
        if t == max_iter:
            break
        v = weight_normalized_direction_step(u, v, g, groups)
        vg = group_inner(v, g, groups)
        step = np.minimum(gamma, step_cap / u**2)
        u = u * np.exp(2 * step * vg)
    for name in ("iterations", "coefs", "u", "train_loss"):
        setattr(rec, name, np.array(getattr(rec, name)))
    return rec


def residual_gradient_folds(X, y, fold, W, offset, loss="squared_error", sample_weight=None):
    """K models at once: ``r_ik = s_i (y_i - mu(x_i.W[k] + offset[k]))``; model k
    trains on the rows with fold != k and validates on fold == k.  Returns
    (G, train_dev, val_dev, rsum): G[k] = X_train^T r, the weighted sums of
    half deviances over the training and validation rows, and the training
    residuals' sum."""
    X = np.asarray(X, dtype=np.float64)
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    K = W.shape[0]
    G = np.zeros((K, X.shape[1]))
    train, val, rsum = np.zeros(K), np.zeros(K), np.zeros(K)
    for k in range(K):
        eta = X @ W[k] + offset[k]
        r = s * (y - mean_function(loss, eta))
        dev = s * half_deviance(loss, y, eta)
        tr = fold != k
        G[k] = X[tr].T @ r[tr]
        train[k] = dev[tr].sum()
        val[k] = dev[~tr].sum()
        rsum[k] = r[tr].sum()
    return G, train, val, rsum


# --------------------------------------------------------------------------
# losses (docs/method.rst, 'Losses beyond least squares')
# --------------------------------------------------------------------------


def mean_function(loss, eta):
    """The mean of the target at the linear predictor eta (the inverse link)."""
    eta = np.asarray(eta, dtype=np.float64)
    if loss == "log_loss":
        return 1.0 / (1.0 + np.exp(-eta))
    if loss == "poisson":
        return np.exp(eta)
    return eta


def half_deviance(loss, y, eta):
    """Each row's half deviance: (y - eta)^2 / 2; for log_loss
    ``-y log p - (1 - y) log(1 - p)`` minus its value at p = y; for poisson
    ``mu - y log mu - (y - y log y)``."""
    y = np.asarray(y, dtype=np.float64)
    eta = np.asarray(eta, dtype=np.float64)
    if loss == "log_loss":
        p = mean_function(loss, eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0.0)
            y1 = 1 - y
            y1log = np.where(y1 > 0, y1 * np.log(np.where(y1 > 0, y1, 1)), 0.0)
        return -(y * np.log(p) + (1 - y) * np.log1p(-p)) + ylogy + y1log
    if loss == "poisson":
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0.0)
        return mu - y * eta + ylogy - y
    return 0.5 * (y - eta) ** 2


def glm_dglnn_reference(X, y, groups, *, loss, algorithm="alg1", switch=None, alpha=1e-6,
                        max_iter=50, fit_intercept=False, sample_weight=None, X_val=None,
                        y_val=None, sample_weight_val=None):  # fmt: skip
    """DGLNN on any loss, paper schedule, simultaneous update, automatic steps,
    written from docs/method.rst ('Algorithm 1: weight normalization',
    'Algorithm 2: constant direction step', 'Automatic step sizes', 'Losses
    beyond least squares'): the weighted mean half deviance, the gradient
    divided by the loss's curvature (1, 1/4, the null model's mean), the
    intercept of the other losses moved after each pass (Poisson: its exact
    minimizer; logistic: a step of 4 times the mean residual); columns
    centered by their weighted means with ``fit_intercept``.  ``switch``: the
    iteration where Algorithm 2's constant step starts.

    Returns a namespace with ``w`` (T, p), ``intercepts`` (T,), ``train_loss``,
    ``val_loss`` (T,) for t = 0..max_iter.
    """
    groups = [np.asarray(G, dtype=np.int64) for G in groups]
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = X.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    W = s.sum()
    x_mean = (s @ X) / W if fit_intercept else np.zeros(p)
    y_mean = (s @ y) / W
    Xc = X - x_mean
    if X_val is not None:
        Xv = np.asarray(X_val, dtype=np.float64) - x_mean
        yv = np.asarray(y_val, dtype=np.float64)
        sv = np.ones(len(yv)) if sample_weight_val is None else np.asarray(sample_weight_val, float)
    squared = loss == "squared_error"
    if squared:
        b = y_mean if fit_intercept else 0.0
        curvature = 1.0
    elif loss == "log_loss":
        b = np.log(y_mean / (1 - y_mean)) if fit_intercept else 0.0
        curvature = 0.25
    else:
        b = np.log(y_mean) if fit_intercept else 0.0
        curvature = y_mean if fit_intercept else 1.0

    def evaluate(w, b):
        eta = Xc @ w + b
        r = s * (y - mean_function(loss, eta))
        g = Xc.T @ r / (W * curvature)
        train = (s * half_deviance(loss, y, eta)).sum() / W
        val = np.nan
        if X_val is not None:
            val = (sv * half_deviance(loss, yv, Xv @ w + b)).sum() / sv.sum()
        return train, val, g, r.sum()

    L = len(groups)
    u = np.full(L, float(alpha))
    v = np.zeros(p)
    for l, G in enumerate(groups):
        v[G] = 1.0 / np.sqrt(len(G))
    _, _, g0, _ = evaluate(np.zeros(p), b)
    a_max = float(np.max(group_norms(g0, groups)))
    gamma = KAPPA / a_max
    eta_step = ETA_FACTOR / a_max**2
    rec = dict(w=[], intercepts=[], train_loss=[], val_loss=[])
    w = expand_group_weights(u, v, groups)
    for t in range(max_iter + 1):
        train, val, g, rsum = evaluate(w, b)
        rec["w"].append(w)
        rec["intercepts"].append(b - x_mean @ w)
        rec["train_loss"].append(train)
        rec["val_loss"].append(val)
        if t == max_iter:
            break
        if algorithm == "alg2" and switch is not None and t >= switch:
            v_new = constant_direction_step(u, v, g, eta_step, groups)
        else:
            v_new = weight_normalized_direction_step(u, v, g, groups)
        u, _ = magnitude_step(u, group_inner(v_new, g, groups), gamma)
        v = v_new
        w = expand_group_weights(u, v, groups)
        if fit_intercept and loss == "poisson":
            b += np.log((s @ y) / ((s @ y) - rsum))
        elif fit_intercept and loss == "log_loss":
            b += 4.0 * rsum / W
    return SimpleNamespace(**{k: np.array(v_) for k, v_ in rec.items()}, gamma=gamma, eta=eta_step)


def column_scales(X, fit_intercept):
    """Root-mean-square of each column of X (centered with ``fit_intercept``);
    1 for constant columns."""
    X = np.asarray(X, dtype=np.float64)
    Xc = X - X.mean(axis=0) if fit_intercept else X
    scale = np.sqrt(np.mean(Xc**2, axis=0))
    return np.where(scale > 1e-7 * np.sqrt(np.mean(X**2, axis=0)), scale, 1.0)


def standardized(reference, X, y, *, fit_intercept=False, X_val=None, y_val=None, **kw):
    """A reference fit with standardized columns, the obvious way: fit on
    ``X / s`` (and ``X_val / s``) and report the weights on the original scale
    ``w / s`` (the intercepts are unchanged: ``w_s . mean(X / s) = w . mean(X)``)."""
    s = column_scales(X, fit_intercept)
    Xv = None if X_val is None else np.asarray(X_val, dtype=np.float64) / s
    out = reference(np.asarray(X, dtype=np.float64) / s, y, X_val=Xv, y_val=y_val,
                    fit_intercept=fit_intercept, **kw)  # fmt: skip
    out.w = out.w / s
    if out.best_w is not None:
        out.best_w = out.best_w / s
    out.scale = s
    return out

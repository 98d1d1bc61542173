"""Does schedule="fast" reach the same estimate in fewer passes over X?  (issue: fast schedule)

For each setting and seed, fits ``dglnn_path`` with ``schedule="paper"``
(default horizon 2000) and ``schedule="fast"`` (default horizon 400), both
with a validation set, and reports:

- passes over X to the validation-best iterate (the X^T y pass included; for
  "fast" the skipped iterations cost nothing) and the ratio paper/fast;
- wall time of each whole fit;
- error ``||w_best - w*||^2`` of fast relative to paper (geometric mean, median,
  worst seed), and whether each recovered the true group support at its
  validation-best iterate (groups with ``||w_l||^2 >= 1e-4 max_l ||w_l||^2``);
- runs that stopped early (divergence) within the horizon.

    python bench/fast_schedule.py [--seeds 8] [--algorithm alg1|alg2] [--cv]

``--cv`` compares the cross-validated estimator (``DGLNNRegressorCV``, 5 folds,
the chosen stopping point and the refit) instead of validation-stopped paths.

The decision rule of the issue: make "fast" the default if over all settings
the median speed-up is >= 5x, the error ratio has geometric mean <= 1.05 and
worst seed <= 2.5.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp

import fastgs
from fastgs.datasets import make_group_sparse_regression
from fastgs.paper.settings import paper_setting


def _split(X, y, n):
    return X[:n], y[:n], X[n:], y[n:]


def make(setting, seed):
    """X, y, X_val, y_val, w*, groups for one setting (100 validation rows)."""
    nv = 100
    if setting in ("fig2", "fig3", "fig4", "fig5"):
        return paper_setting(setting, seed, nv)
    if setting.startswith("snr"):
        X, y, w, g = make_group_sparse_regression(150 + nv, 300, group_size=4, n_informative_groups=3,
                                                  coef=10.0, design="gaussian", snr=float(setting[3:]),
                                                  random_state=seed)  # fmt: skip
        return (*_split(X, y, 150), w, g)
    if setting == "large":
        X, y, w, g = make_group_sparse_regression(1000 + nv, 10000, group_size=10, n_informative_groups=10,
                                                  coef=1.0, design="gaussian", noise=1.0,
                                                  random_state=seed)  # fmt: skip
        return (*_split(X, y, 1000), w, g)
    if setting == "shuffled-groups":
        X, y, w, g = make_group_sparse_regression(150 + nv, 300, group_size=3, n_informative_groups=3,
                                                  coef=10.0, shuffle_groups=True, random_state=seed)  # fmt: skip
        return (*_split(X, y, 150), w, g)
    if setting == "unequal-groups":
        rng = np.random.default_rng(seed)
        p = 300
        cuts = np.sort(rng.choice(np.arange(1, p), size=79, replace=False))
        labels = np.empty(p, dtype=np.int64)
        perm = rng.permutation(p)
        labels[perm] = np.searchsorted(cuts, np.arange(p), side="right")
        g = fastgs.make_groups(labels, p)
        w = np.zeros(p)
        for l in rng.choice(g.n_groups, 3, replace=False):
            w[g.indices(l)] = rng.choice([-1.0, 1.0], g.sizes[l]) * 8.0
        X = rng.choice([-1.0, 1.0], size=(150 + nv, p))
        y = X @ w + 0.5 * rng.standard_normal(150 + nv)
        return (*_split(X, y, 150), w, g)
    if setting == "sparse-csr":
        rng = np.random.default_rng(seed)
        n, p = 400, 600
        Xs = sp.random(n + nv, p, density=0.1, format="csr", random_state=seed,
                       data_rvs=lambda k: rng.choice([-1.0, 1.0], k) * np.sqrt(10.0))  # fmt: skip
        w = np.zeros(p)
        w[:12] = 3.0
        y = Xs @ w + 0.5 * rng.standard_normal(n + nv)
        return Xs[:n], y[:n], Xs[n:], y[n:], w, fastgs.make_groups(4, p)
    if setting == "float32":
        X, y, Xv, yv, w, g = paper_setting("fig4", seed, nv)
        return X.astype(np.float32), y.astype(np.float32), Xv.astype(np.float32), yv.astype(np.float32), w, g
    if setting.startswith("scale"):
        factor = float(setting[5:])
        X, y, Xv, yv, w, g = paper_setting("fig2", seed, nv)
        noise_tr = y - X @ w
        noise_va = yv - Xv @ w
        return X, X @ (w * factor) + noise_tr * factor, Xv, Xv @ (w * factor) + noise_va * factor, w * factor, g
    raise ValueError(setting)


SETTINGS = ["fig2", "fig3", "fig4", "fig5", "snr2", "snr5", "snr20", "large",
            "unequal-groups", "shuffled-groups", "sparse-csr", "float32", "scale0.01", "scale100"]  # fmt: skip


def support_ok(coef, w, groups):
    norms = np.array([np.sum(np.asarray(coef, dtype=np.float64)[idx] ** 2) for idx in groups])
    true = np.array([np.any(w[idx] != 0) for idx in groups])
    return bool(np.array_equal(norms >= 1e-4 * norms.max(), true))


def schedule_kwargs(schedule, algorithm, tau):
    """The options of one side of the comparison: "paper" as published, "fast"
    with the algorithm (and switch tolerance) under study."""
    kw = dict(schedule=schedule)
    if schedule == "fast":
        kw["algorithm"] = algorithm
        if tau is not None:
            kw["tau"] = tau
    return kw


def run(setting, seed, algorithm, tau=None):
    X, y, Xv, yv, w, g = make(setting, seed)
    out = {}
    for sch in ("paper", "fast"):
        kw = schedule_kwargs(sch, algorithm, tau)
        t = time.perf_counter()
        path = fastgs.dglnn_path(X, y, g, X_val=Xv, y_val=yv, record_every=10**9, **kw)
        secs = time.perf_counter() - t
        passes = path.best_iter - path.t0 + 1  # + the X^T y pass
        err = float(np.sum((np.asarray(path.best_coef, dtype=np.float64) - w) ** 2))
        out[sch] = dict(passes=passes, secs=secs, err=err, support=support_ok(path.best_coef, w, g),
                        stopped=not path.status.ok)  # fmt: skip
    return out


def run_cv(setting, seed, algorithm, tau=None):
    """The same comparison for the CV estimator (5 folds, refit in the same sweep)
    on the training rows: passes = the CV-chosen stopping point."""
    X, y, _, _, w, g = make(setting, seed)
    out = {}
    for sch in ("paper", "fast"):
        kw = schedule_kwargs(sch, algorithm, tau)
        t = time.perf_counter()
        m = fastgs.DGLNNRegressorCV(groups=g, cv=5, fit_intercept=False, random_state=seed, **kw)
        m.fit(X, y)
        secs = time.perf_counter() - t
        err = float(np.sum((np.asarray(m.coef_, dtype=np.float64) - w) ** 2))
        out[sch] = dict(passes=m.best_iter_ + 1, secs=secs, err=err, support=support_ok(m.coef_, w, g),
                        stopped=not m.status_.ok)  # fmt: skip
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--algorithm", default="auto")
    ap.add_argument("--tau", type=float, default=None, help="switch tolerance for 'fast'")
    ap.add_argument("--settings", nargs="*", default=SETTINGS)
    ap.add_argument("--cv", action="store_true",
                    help="compare DGLNNRegressorCV (5-fold) instead of validation-stopped paths")
    args = ap.parse_args(argv)
    run = run_cv if args.cv else globals()["run"]
    warnings.simplefilter("ignore", fastgs.DivergenceWarning)
    for s in args.settings:  # compile every specialization before timing
        run(s, 0, args.algorithm, args.tau)
    what = "DGLNNRegressorCV, 5 folds" if args.cv else "validation-stopped paths"
    print(f"fast schedule ({what}): algorithm={args.algorithm}, tau={args.tau or 'default'}; "
          f"{args.seeds} seeds (large: half)\n")
    print("| setting | passes to best paper | fast | speed-up (median) | wall-time speed-up | "
          "err ratio geo-mean | median | worst | support paper / fast | stopped early paper / fast |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    all_speed, all_ratio = [], []
    for s in args.settings:
        seeds = range(max(args.seeds // 2, 2) if s == "large" else args.seeds)
        rows = [run(s, seed, args.algorithm, args.tau) for seed in seeds]
        pp = np.array([r["paper"]["passes"] for r in rows], float)
        pf = np.array([r["fast"]["passes"] for r in rows], float)
        sp_ = pp / pf
        tw = np.array([r["paper"]["secs"] / r["fast"]["secs"] for r in rows])
        ratio = np.array([r["fast"]["err"] / r["paper"]["err"] for r in rows])
        all_speed += sp_.tolist()
        all_ratio += ratio.tolist()
        sup = (sum(r["paper"]["support"] for r in rows), sum(r["fast"]["support"] for r in rows))
        stop = (sum(r["paper"]["stopped"] for r in rows), sum(r["fast"]["stopped"] for r in rows))
        print(f"| {s} | {np.median(pp):.0f} | {np.median(pf):.0f} | {np.median(sp_):.1f}x | "
              f"{np.median(tw):.1f}x | {np.exp(np.mean(np.log(ratio))):.2f} | {np.median(ratio):.2f} | "
              f"{ratio.max():.2f} | {sup[0]}/{len(rows)} / {sup[1]}/{len(rows)} | "
              f"{stop[0]} / {stop[1]} |")
    all_speed, all_ratio = np.array(all_speed), np.array(all_ratio)
    geo = float(np.exp(np.mean(np.log(all_ratio))))
    print(f"\nall runs: median speed-up {np.median(all_speed):.1f}x (passes to the validation-best "
          f"iterate), error ratio geometric mean {geo:.2f}, worst {all_ratio.max():.2f}")
    met = np.median(all_speed) >= 5 and geo <= 1.05 and all_ratio.max() <= 2.5
    print(f"decision rule (median >= 5x, geo-mean <= 1.05, worst <= 2.5): {'MET' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

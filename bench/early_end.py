"""Does the early end keep the chosen stopping point?  (issue: time to answer)

Runs ``dglnn_path`` with a validation set and ``dglnn_cv_path`` (5 folds) with
the early end off and a long horizon (3000 passes) on the settings of
``bench/fast_schedule.py`` (those the rule was tuned on) and on held-out
settings (those it is checked on), then replays candidate early-end rules on
the curves: a rule ends the run at pass ``s``; the run's chosen pass is then
the argmin of the curve up to ``s``.  Reports, per rule and curve kind, the
share of runs whose chosen pass is unchanged against the full horizon, the
share whose chosen loss is within 0.5% of the full-horizon minimum, and the
passes run (median, 90th percentile).

    python bench/early_end.py --seeds 6                  # collect and evaluate
    python bench/early_end.py --load curves.npz          # evaluate saved curves
    python bench/early_end.py --first-seed 100 --skip-tuning   # fresh held-out seeds
    python bench/early_end.py --more --first-seed 200    # also DLNN and logistic curves
    python bench/early_end.py --load a.npz b.npz --alternatives   # rules that end sooner

The rules are replayed with the solvers' own ``no_improvement_end``.
``--alternatives`` also replays, in NumPy, rule families that end runs sooner
and were measured but not taken (a plateau end, an end after a long stretch
without a new minimum, a second and smaller margin after a longer wait), each
combined with the default rule.
"""

from __future__ import annotations

import argparse
import itertools
import warnings

import numpy as np

import fastgs
from fastgs.datasets import make_group_sparse_classification, make_group_sparse_regression
from fastgs.run import DEFAULT_N_ITER_NO_CHANGE, DEFAULT_TOL, PATIENCE_FRACTION, PATIENCE_MIN
from fastgs.solvers import no_improvement_end

from fast_schedule import SETTINGS as TUNING_SETTINGS
from fast_schedule import make

#: held-out settings: (n, p, group size, informative groups, SNR), 250 validation rows
HELD_OUT = [
    (160, 400, 4, 4, 5.0), (250, 1000, 5, 5, 10.0), (400, 2000, 4, 6, 3.0), (120, 300, 3, 3, 20.0),
    (500, 1000, 10, 4, 2.0), (300, 600, 6, 5, 1.0), (1000, 3000, 5, 8, 4.0), (200, 5000, 4, 3, 8.0),
]  # fmt: skip


def held_out(index, seed):
    n, p, size, k, snr = HELD_OUT[index]
    X, y, w, g = make_group_sparse_regression(n + 250, p, group_size=size, n_informative_groups=k,
                                              coef=1.0, design="gaussian", snr=snr,
                                              random_state=1000 + seed)  # fmt: skip
    return X[:n], y[:n], X[n:], y[n:], w, g


def collect(args):
    cases = [] if args.skip_tuning else [("tune", s) for s in TUNING_SETTINGS if s not in args.skip]
    cases += [("held", i) for i in range(len(HELD_OUT))]
    out = {}
    for kind, setting in cases:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            X, y, Xv, yv, w, g = make(setting, seed) if kind == "tune" else held_out(setting, seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                path = fastgs.dglnn_path(X, y, g, X_val=Xv, y_val=yv, fit_intercept=True,
                                         standardize=True, max_iter=args.horizon, record_every=10**9,
                                         n_iter_no_change=0)  # fmt: skip
                cvp = fastgs.dglnn_cv_path(X, y, g, cv=5, fit_intercept=True, standardize=True,
                                           max_iter=args.horizon, refit=False, n_iter_no_change=0)
            key = f"{kind}:{setting}:{seed}"
            if args.more:
                out.update(more_curves(key, kind, setting, seed, X, y, Xv, yv, g, args.horizon))
            out[key + ":val"] = np.asarray(path.val_curve, dtype=np.float64)
            out[key + ":train"] = np.asarray(path.train_curve, dtype=np.float64)
            out[key + ":cv"] = np.asarray(cvp.cv_curve, dtype=np.float64)
            out[key + ":cvtrain"] = np.asarray(cvp.train_curves.mean(axis=1), dtype=np.float64)
            print(key, "chosen pass: validation", int(np.argmin(path.val_curve)), "CV",
                  int(np.argmin(cvp.cv_curve)), flush=True)  # fmt: skip
    if args.out:
        np.savez_compressed(args.out, **out)
    return out


def more_curves(key, kind, setting, seed, X, y, Xv, yv, groups, horizon):
    """The validation curves of the other estimators' paths: DLNN (no groups,
    the paper schedule) on the same data, and the logistic DGLNN on a binary
    problem of the held-out settings' shape."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dlnn = fastgs.dlnn_path(X, y, X_val=Xv, y_val=yv, fit_intercept=True, standardize=True,
                                max_iter=horizon, record_every=10**9, n_iter_no_change=0)  # fmt: skip
        out = {key + ":dlnn": np.asarray(dlnn.val_curve, dtype=np.float64)}
        if kind == "held":
            n, p, size, k, _ = HELD_OUT[setting]
            Xc, yc, _, gc = make_group_sparse_classification(n + 250, p, group_size=size,
                                                             n_informative_groups=k,
                                                             random_state=2000 + seed)  # fmt: skip
            logit = fastgs.dglnn_path(Xc[:n], yc[:n], gc, X_val=Xc[n:], y_val=yc[n:],
                                      loss="log_loss", fit_intercept=True, standardize=True,
                                      max_iter=horizon, record_every=10**9, n_iter_no_change=0)  # fmt: skip
            out[key + ":logit"] = np.asarray(logit.val_curve, dtype=np.float64)
    return out


def end_pass(curve, tol, n_iter_no_change, fraction, least=PATIENCE_MIN):
    """The pass at which the early end (fastgs.solvers.no_improvement_end)
    stops a run with this full validation curve; its last pass if never."""
    ref = np.array([np.inf, 0.0, 0.0])
    rule = np.array([tol, float(n_iter_no_change), fraction, float(least)])
    for t, value in enumerate(curve):
        if no_improvement_end(t, value, ref, rule):
            return t
    return len(curve) - 1


def evaluate(curves):
    runs = sorted({k.rsplit(":", 1)[0] for k in curves})
    print("| curve | tol | n_iter_no_change | patience fraction | settings | runs | chosen pass unchanged "
          "| within 0.5% | passes: median | p90 | at the cap |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    kinds = [k for k in ("val", "cv", "dlnn", "logit") if any(c.endswith(":" + k) for c in curves)]
    grid = itertools.product(kinds, (5e-3, 1e-2, 2e-2), (10, 30, 100), (0.5, 1.0))
    for kind, tol, patience, fraction in grid:
        for subset, label in (("tune", "fast_schedule.py"), ("held", "held-out")):
            same, near, stops, capped = [], [], [], []
            for run in runs:
                if not run.startswith(subset) or f"{run}:{kind}" not in curves:
                    continue
                c = curves[f"{run}:{kind}"]
                c = c[np.isfinite(c)]
                s = end_pass(c, tol, patience, fraction)
                early, full = int(np.argmin(c[: s + 1])), int(np.argmin(c))
                same.append(early == full)
                near.append(c[early] <= 1.005 * c[full])
                stops.append(s)
                capped.append(s == len(c) - 1)
            if not stops:
                continue
            default = (tol, patience, fraction) == (DEFAULT_TOL, DEFAULT_N_ITER_NO_CHANGE,
                                                    PATIENCE_FRACTION)  # fmt: skip
            mark = " (default)" if default else ""
            print(f"| {kind} | {tol:g} | {patience}{mark} | {fraction:g} | {label} | {len(same)} "
                  f"| {np.mean(same):.1%} | {np.mean(near):.1%} | {np.median(stops):.0f} "
                  f"| {np.quantile(stops, 0.9):.0f} | {sum(capped)} |")


def plateau_end(curve, delta, least=PATIENCE_MIN):
    """End once the minimum has improved by less than a factor ``1 + delta``
    for max(least, t_a) passes, t_a the pass where that last happened."""
    anchor, t_anchor = np.inf, 0
    for t, value in enumerate(curve):
        if value < anchor / (1 + delta):
            anchor, t_anchor = value, t
        if t - t_anchor >= max(least, t_anchor):
            return t
    return len(curve) - 1


def no_new_minimum_end(curve, least, factor):
    """End after max(least, factor * t_min) passes without a new minimum."""
    best, t_min = np.inf, 0
    for t, value in enumerate(curve):
        if value < best:
            best, t_min = value, t
        if t - t_min >= max(least, factor * t_min):
            return t
    return len(curve) - 1


def small_margin_end(curve, tol, n_iter_no_change, least, factor):
    """A second margin: more than ``tol`` above the minimum for
    ``n_iter_no_change`` passes, at least max(least, factor * t_min) after it."""
    best, t_min, above = np.inf, 0, 0
    for t, value in enumerate(curve):
        if value < best:
            best, t_min = value, t
        above = above + 1 if value > (1 + tol) * best else 0
        if above >= n_iter_no_change and t - t_min >= max(least, factor * t_min):
            return t
    return len(curve) - 1


ALTERNATIVES = [
    ("default only", None),
    ("plateau, delta 1e-4", lambda c: plateau_end(c, 1e-4)),
    ("plateau, delta 1e-3", lambda c: plateau_end(c, 1e-3)),
    ("no new minimum for max(300, 8 t_min)", lambda c: no_new_minimum_end(c, 300, 8)),
    ("0.5% for 30 passes, after max(300, 4 t_min)", lambda c: small_margin_end(c, 5e-3, 30, 300, 4)),
    ("0.2% for 30 passes, after max(300, 8 t_min)", lambda c: small_margin_end(c, 2e-3, 30, 300, 8)),
]


def alternatives(curves):
    """Each alternative combined with the default rule (whichever ends first):
    runs whose chosen pass is unchanged, per curve kind, and median passes;
    last column: the median passes of the Figure-2 CV curves."""
    kinds = [k for k in ("val", "cv", "dlnn", "logit") if any(c.endswith(":" + k) for c in curves)]
    print("\n| rule (with the default) | " + " | ".join(f"{k}: unchanged | {k}: median passes" for k in kinds)
          + " | Fig. 2 CV: median passes |")  # fmt: skip
    print("|---|" + "---:|---:|" * len(kinds) + "---:|")
    for label, rule in ALTERNATIVES:
        cells, fig2 = [], []
        for kind in kinds:
            same, stops = [], []
            for key, curve in curves.items():
                if not key.endswith(":" + kind):
                    continue
                c = curve[np.isfinite(curve)]
                s = end_pass(c, DEFAULT_TOL, DEFAULT_N_ITER_NO_CHANGE, PATIENCE_FRACTION)
                if rule is not None:
                    s = min(s, rule(c))
                same.append(int(np.argmin(c[: s + 1])) == int(np.argmin(c)))
                stops.append(s)
                if kind == "cv" and key.startswith("tune:fig2:"):
                    fig2.append(s)
            cells.append(f"{sum(same)}/{len(same)} | {np.median(stops):.0f}")
        f2 = f"{np.median(fig2):.0f}" if fig2 else "—"
        print(f"| {label} | " + " | ".join(cells) + f" | {f2} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--horizon", type=int, default=3000)
    ap.add_argument("--out", default=None, help="save the curves to this .npz file")
    ap.add_argument("--load", nargs="+", default=None, help="evaluate curves saved with --out (one or more files)")
    ap.add_argument("--skip", nargs="*", default=["large"])
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first_seed .. first_seed + seeds - 1")
    ap.add_argument("--skip-tuning", action="store_true", help="held-out settings only")
    ap.add_argument("--alternatives", action="store_true",
                    help="also replay rule families that end sooner (measured, not taken)")  # fmt: skip
    ap.add_argument("--more", action="store_true",
                    help="also DLNN's validation curves and logistic DGLNN ones (held-out shapes)")
    args = ap.parse_args()
    curves = {}
    for path in args.load or []:
        curves.update(np.load(path))
    if not args.load:
        curves = collect(args)
    evaluate(curves)
    if args.alternatives:
        alternatives(curves)


if __name__ == "__main__":
    main()

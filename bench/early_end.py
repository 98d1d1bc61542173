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

The rules are replayed with the solvers' own ``no_improvement_end``.
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--horizon", type=int, default=3000)
    ap.add_argument("--out", default=None, help="save the curves to this .npz file")
    ap.add_argument("--load", default=None, help="evaluate curves saved with --out")
    ap.add_argument("--skip", nargs="*", default=["large"])
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first_seed .. first_seed + seeds - 1")
    ap.add_argument("--skip-tuning", action="store_true", help="held-out settings only")
    ap.add_argument("--more", action="store_true",
                    help="also DLNN's validation curves and logistic DGLNN ones (held-out shapes)")
    args = ap.parse_args()
    curves = dict(np.load(args.load)) if args.load else collect(args)
    evaluate(curves)


if __name__ == "__main__":
    main()

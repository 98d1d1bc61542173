"""How much does the CV-chosen stopping point depend on the fold draw, and which choice rule is robust?

For held-out settings (Gaussian X, group-sparse w*, several SNRs) and seeds, fits the
full DGLNN path on all rows and ``dglnn_cv_path`` (5 folds) for five fold draws, then
applies candidate rules to the per-fold validation curves:

- ``min``: the argmin of the mean CV curve (fastgs's rule);
- ``se_early`` / ``se_late`` / ``se_mid``: the first / last / middle iterate of the
  contiguous run around the minimum within one standard error of it;
- ``fold_median``: the median of the folds' own argmins;
- ``smooth5`` / ``smooth15``: argmin of the log mean curve smoothed over 11 / 31 passes;
- ``rel3_mid``: the middle of the run within 3% of the minimum;

each alone (R=1) and with the curves of R fold draws pooled (repeated K-fold, R x the
sweep cost).  For each rule it reports the coefficient error of the all-rows model at
the chosen pass relative to the oracle least squares on the true groups (median, 90th
percentile, worst over settings x seeds x draws), the spread of the chosen pass over
draws (max / min), and whether the true groups rank first at the chosen pass.

    python bench/cv_choice.py [--seeds 4]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import fastgs
from fastgs.datasets import make_group_sparse_regression
from fastgs._machine import cpu_model

SETTINGS = [  # (n, p, group size, informative groups, SNR)
    (160, 400, 4, 4, 5.0), (250, 1000, 5, 5, 10.0), (400, 2000, 4, 6, 3.0),
    (120, 300, 3, 3, 20.0), (500, 1000, 10, 4, 2.0), (300, 600, 6, 5, 1.0),
]  # fmt: skip
DRAWS = 5
HORIZON = 400


def oracle_error(X, y, w):
    """||w_ols - w*|| of least squares (with intercept) on the true support."""
    support = np.flatnonzero(w)
    Xs = X[:, support] - X[:, support].mean(axis=0)
    b = np.linalg.lstsq(Xs, y - y.mean(), rcond=None)[0]
    est = np.zeros_like(w)
    est[support] = b
    return float(np.linalg.norm(est - w))


def collect(seeds):
    rows = []
    for si, (n, p, size, k, snr) in enumerate(SETTINGS):
        for seed in range(seeds):
            X, y, w, _ = make_group_sparse_regression(n, p, group_size=size, n_informative_groups=k,
                                                      coef=1.0, design="gaussian", snr=snr,
                                                      random_state=100 + seed)  # fmt: skip
            kw = dict(fit_intercept=True, standardize=True, max_iter=HORIZON, n_iter_no_change=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                full = fastgs.dglnn_path(X, y, size, record_every=1, **kw)
                curves = [fastgs.dglnn_cv_path(X, y, size, cv=5, random_state=d, refit=False,
                                               **kw).val_curves for d in range(DRAWS)]  # fmt: skip
            rows.append(dict(setting=si, curves=curves, coefs=full.coefs, w=w, size=size,
                             oracle=oracle_error(X, y, w)))  # fmt: skip
    return rows


def _plateau(c, width):
    """(first, last) iterate of the contiguous run around the argmin of the mean
    curve whose values stay within ``width(mean, se, i)`` of the minimum."""
    m = c.mean(axis=1)
    i = int(np.argmin(m))
    bound = width(m, c.std(axis=1, ddof=1) / np.sqrt(c.shape[1]), i)
    lo = hi = i
    while lo > 0 and m[lo - 1] <= bound:
        lo -= 1
    while hi + 1 < len(m) and m[hi + 1] <= bound:
        hi += 1
    return lo, hi


def _smoothed_argmin(c, half):
    lm = np.log(c.mean(axis=1))
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    return int(np.argmin(np.convolve(np.pad(lm, half, mode="edge"), kernel, mode="valid")))


def _one_se(m, se, i):
    return m[i] + se[i]


RULES = {
    "min": lambda c: int(np.argmin(c.mean(axis=1))),
    "se_early": lambda c: _plateau(c, _one_se)[0],
    "se_late": lambda c: _plateau(c, _one_se)[1],
    "se_mid": lambda c: sum(_plateau(c, _one_se)) // 2,
    "fold_median": lambda c: int(np.median(np.argmin(c, axis=0))),
    "smooth5": lambda c: _smoothed_argmin(c, 5),
    "smooth15": lambda c: _smoothed_argmin(c, 15),
    "rel3_mid": lambda c: sum(_plateau(c, lambda m, se, i: m[i] * 1.03)) // 2,
}


def evaluate(rows, rule, repeats):
    ratios, spreads, ranked = [], [], []
    for r in rows:
        picks = []
        for d in range(DRAWS):
            pooled = [r["curves"][(d + j) % DRAWS] for j in range(repeats)]
            T = min(c.shape[0] for c in pooled)
            pick = min(rule(np.hstack([c[:T] for c in pooled])), r["coefs"].shape[0] - 1)
            picks.append(pick)
            coef = r["coefs"][pick]
            ratios.append(np.linalg.norm(coef - r["w"]) / r["oracle"])
            norms = np.linalg.norm(coef.reshape(-1, r["size"]), axis=1)
            true = np.linalg.norm(r["w"].reshape(-1, r["size"]), axis=1) > 0
            ranked.append(norms[true].min() > norms[~true].max())
        spreads.append(max(picks) / max(min(picks), 1))
    ratios = np.array(ratios)
    return (np.median(ratios), np.quantile(ratios, 0.9), ratios.max(), np.median(spreads),
            max(spreads), np.mean(ranked))  # fmt: skip


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args()
    rows = collect(args.seeds)
    print(f"CPU: {cpu_model()}; {len(SETTINGS)} settings x {args.seeds} seeds x {DRAWS} fold draws")
    print("| rule | R | error / oracle: median | p90 | worst | pick spread: median | worst "
          "| true groups ranked first |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, rule in RULES.items():
        for repeats in (1, 2, 3):
            med, p90, worst, s_med, s_max, ranked = evaluate(rows, rule, repeats)
            print(f"| {name} | {repeats} | {med:.3f} | {p90:.3f} | {worst:.3f} | {s_med:.2f} "
                  f"| {s_max:.2f} | {ranked:.0%} |")  # fmt: skip


if __name__ == "__main__":
    main()

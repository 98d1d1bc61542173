"""Which switch rule for Algorithm 2?  (docs/method.rst, 'Algorithm 2: constant direction step')

Compares Algorithm 1, Algorithm 2 with the paper's switch rule and Algorithm 2
with fastgs' default ("auto") rule on the paper's settings and on the Gaussian
SNR setting (n=150, p=300, 3 groups of 4, entries 10), with a 100-sample
validation set.  Reports per setting (median over seeds): the oracle error
(min over the path of ||w - w*||^2), the validation-chosen error, the switch
iterations, and how many runs diverged before max_iter.

    python bench/switch_rule.py [--seeds 6] [--max-iter 3000]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import fastgs
from fastgs.datasets import make_group_sparse_regression
from fastgs.paper.settings import paper_setting

SETTINGS = ["fig3", "fig4", "snr1", "snr2", "snr5", "snr10", "snr30"]
RULES = {
    "alg1": dict(algorithm="alg1"),
    "alg2 paper": dict(algorithm="alg2", switch="paper"),
    "alg2 auto": dict(algorithm="alg2", switch="auto"),
}


def data(setting, seed, n_val=100):
    if setting.startswith("snr"):
        X, y, w, groups = make_group_sparse_regression(
            150 + n_val, 300, group_size=4, n_informative_groups=3, coef=10.0,
            design="gaussian", snr=float(setting[3:]), random_state=seed,
        )  # fmt: skip
        return X[:150], y[:150], X[150:], y[150:], w, groups
    return paper_setting(setting, seed, n_val)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--max-iter", type=int, default=3000)
    args = ap.parse_args(argv)
    print(f"max_iter={args.max_iter}, seeds={args.seeds}, automatic step sizes\n")
    print("| setting | rule | oracle err | val-chosen err | switch iters | diverged |")
    print("|---|---|---|---|---|---|")
    for setting in SETTINGS:
        for name, kw in RULES.items():
            orc, val, sw, div = [], [], [], 0
            for seed in range(args.seeds):
                X, y, Xv, yv, w, groups = data(setting, seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", fastgs.DivergenceWarning)
                    path = fastgs.dglnn_path(X, y, groups, X_val=Xv, y_val=yv, max_iter=args.max_iter,
                                             schedule="paper", **kw)  # fmt: skip
                orc.append(((path.coefs - w) ** 2).sum(1).min())
                val.append(((path.best_coef - w) ** 2).sum())
                sw.append(path.switch_iter)
                div += not path.status.ok
            fired = [s for s in sw if s is not None]
            sw_txt = "-" if name == "alg1" else (
                f"{len(fired)}/{len(sw)} fired" + (f", {min(fired)}..{max(fired)}" if fired else "")
            )
            print(f"| {setting} | {name} | {np.median(orc):.4g} | {np.median(val):.4g} | {sw_txt} | {div}/{args.seeds} |")


if __name__ == "__main__":
    main()

"""Shared runner of the real-data examples (a helper module, not an example).

Each example supplies its data (X as a DataFrame, y) and a scikit-learn
transformer that expands every original variable into a block of columns (a
spline basis of a numeric variable, the dummies of a categorical one) named
``<variable>__<column>``; a block is one group.  Over repeated random 75/25
splits, on the held-out quarter, three methods are compared:

- fastgs ``DGLNNRegressorCV`` with its default settings; its groups are
  ``selected_groups_``;
- group lasso (skglm ``GroupLasso``, group weights sqrt(group size)), lambda
  by 5-fold CV on the training part over ``N_LAMBDAS`` values from
  lambda_max down to 1e-3 lambda_max with warm starts, then refit on the
  training part; its groups are those with nonzero coefficients;
- least squares on all the expanded columns (no selection);

and, to tell selection from shrinkage, least squares refit on the groups
each of the two selecting methods chose.

The expanded columns are standardized on the training part (all methods see
the same columns).  Fit times exclude JIT compilation (one untimed warm-up
fit of every method first) and run on one thread.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

import fastgs
from fastgs._machine import cpu_model

K_FOLDS = 5
N_LAMBDAS = 20
LAMBDA_MIN_RATIO = 1e-3
SEPARATOR = "__"


def per_variable(splines=(), categorical=(), as_is=(), knots="quantile"):
    """A transformer with one block of columns per variable, named after it.

    ``splines``: numeric variables expanded into 6 cubic B-splines
    (``n_knots=5``, no bias column); ``categorical``: variables expanded into
    their dummies (the first level dropped, as in least squares with an
    intercept); ``as_is``: variables kept as one column.
    """
    blocks = [(v, SplineTransformer(n_knots=5, degree=3, knots=knots, include_bias=False), [v])
              for v in splines]
    blocks += [(v, OneHotEncoder(drop="first", sparse_output=False), [v]) for v in categorical]
    blocks += [(v, "passthrough", [v]) for v in as_is]
    return ColumnTransformer(blocks, verbose_feature_names_out=True)


def group_of(feature_names):
    """The original variable of each expanded column ('bmi__sp_3' -> 'bmi')."""
    return np.array([name.split(SEPARATOR)[0] for name in feature_names])


def fit_dglnn(X, y, labels, seed):
    """fastgs DGLNNRegressorCV, default settings; (model, selected variables)."""
    model = fastgs.DGLNNRegressorCV(groups=labels).fit(X, y)
    return model, set(model.groups_.labels[model.selected_groups_].tolist())


def fit_group_lasso(X, y, labels, seed):
    """skglm GroupLasso, lambda by K-fold CV with warm starts, refit on (X, y)."""
    from skglm import GroupLasso

    names = list(dict.fromkeys(labels))
    groups = [np.flatnonzero(labels == name).tolist() for name in names]
    weights = np.sqrt([len(g) for g in groups])
    grad = X.T @ (y - y.mean()) / len(y)
    lam_max = max(np.linalg.norm(grad[g]) / w for g, w in zip(groups, weights))
    lambdas = lam_max * np.geomspace(1.0, LAMBDA_MIN_RATIO, N_LAMBDAS)

    def new_model():
        return GroupLasso(groups=groups, weights=weights, warm_start=True, fit_intercept=True)

    mse = np.zeros((K_FOLDS, N_LAMBDAS))
    for k, (train, test) in enumerate(KFold(K_FOLDS, shuffle=True, random_state=seed).split(X)):
        model = new_model()
        for j, lam in enumerate(lambdas):
            model.set_params(alpha=lam).fit(X[train], y[train])
            mse[k, j] = np.mean((y[test] - model.predict(X[test])) ** 2)
    best = int(np.argmin(mse.mean(axis=0)))
    model = new_model()
    for lam in lambdas[: best + 1]:
        model.set_params(alpha=lam).fit(X, y)
    coef = np.asarray(model.coef_).ravel()
    return model, {name for name, g in zip(names, groups) if np.any(coef[g] != 0)}


def fit_least_squares(X, y, labels, seed):
    """Least squares on every expanded column (selects everything)."""
    return LinearRegression().fit(X, y), set(labels.tolist())


METHODS = {
    "fastgs DGLNNRegressorCV (defaults)": fit_dglnn,
    "group lasso, skglm, λ by 5-fold CV": fit_group_lasso,
    "least squares, all columns": fit_least_squares,
}
#: least squares refit on the groups chosen by these methods
REFITS = {"least squares on fastgs's groups": "fastgs DGLNNRegressorCV (defaults)",
          "least squares on the group lasso's groups": "group lasso, skglm, λ by 5-fold CV"}


def refit_r2(Z_tr, y_tr, Z_te, y_te, labels, chosen):
    """Held-out R² of least squares on the columns of the ``chosen`` groups."""
    cols = np.isin(labels, sorted(chosen))
    if not cols.any():
        return r2_score(y_te, np.full(len(y_te), y_tr.mean()))
    model = LinearRegression().fit(Z_tr[:, cols], y_tr)
    return r2_score(y_te, model.predict(Z_te[:, cols]))


def run(X_all, y_all, make_features, n_splits):
    """Every method on ``n_splits`` random 75/25 splits: per-method records."""
    records = {name: [] for name in [*METHODS, *REFITS]}
    names = None
    for split in range(-1, n_splits):  # split -1: the untimed warm-up
        X_tr, X_te, y_tr, y_te = train_test_split(X_all, y_all, test_size=0.25,
                                                  random_state=max(split, 0))  # fmt: skip
        features = make_pipeline(make_features(), StandardScaler()).fit(X_tr)
        Z_tr, Z_te = features.transform(X_tr), features.transform(X_te)
        labels = group_of(features[0].get_feature_names_out())
        names = list(dict.fromkeys(labels))
        for name, fit in METHODS.items():
            start = time.perf_counter()
            model, chosen = fit(Z_tr, y_tr, labels, max(split, 0))
            seconds = time.perf_counter() - start
            if split >= 0:
                r2 = r2_score(y_te, model.predict(Z_te))
                records[name].append({"r2": r2, "chosen": chosen, "seconds": seconds})
        if split >= 0:
            for name, source in REFITS.items():
                chosen = records[source][-1]["chosen"]
                r2 = refit_r2(Z_tr, y_tr, Z_te, y_te, labels, chosen)
                records[name].append({"r2": r2, "chosen": chosen, "seconds": np.nan})
    return records, names, Z_tr.shape


def summary_table(records, n_groups, n_splits):
    """Held-out R² (median, IQR), median groups chosen, median fit time."""
    lines = [f"| method ({n_splits} splits) | median R² | IQR of R² "
             f"| median groups chosen (of {n_groups}) | median fit s |",
             "|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, rows in records.items():
        r2 = np.array([r["r2"] for r in rows])
        q1, q3 = np.percentile(r2, [25, 75])
        lines.append(f"| {name} | {np.median(r2):.3f} | {q1:.3f} – {q3:.3f} "
                     f"| {np.median([len(r['chosen']) for r in rows]):g} "
                     f"| {_seconds(rows)} |")  # fmt: skip
    return "\n".join(lines)


def _seconds(rows):
    seconds = [r["seconds"] for r in rows]
    return "–" if np.isnan(seconds).all() else f"{np.median(seconds):.3f}"


def frequency_table(records, names):
    """How often each original variable is chosen, per selecting method."""
    methods = [m for m in METHODS if m != "least squares, all columns"]
    n = len(records[methods[0]])
    lines = ["| variable | " + " | ".join(methods) + " |", "|---|" + "---:|" * len(methods)]
    for var in names:
        counts = [sum(var in r["chosen"] for r in records[m]) for m in methods]
        lines.append(f"| {var} | " + " | ".join(f"{c}/{n}" for c in counts) + " |")
    return "\n".join(lines)


def main(description, load, make_features, default_splits, argv=None):
    """Command line of an example: ``--splits``; prints the two tables."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--splits", type=int, default=default_splits,
                    help="number of random 75/25 train/test splits")  # fmt: skip
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)  # fastgs runs one Numba thread unless n_jobs says otherwise
    X_all, y_all = load()
    records, names, shape = run(X_all, y_all, make_features, args.splits)
    print(f"{description}: {len(y_all)} rows, training part {shape[0]} x {shape[1]} columns "
          f"in {len(names)} groups; {cpu_model()}, one thread.\n")  # fmt: skip
    print(summary_table(records, len(names), args.splits))
    print()
    print(frequency_table(records, names))

<<<<<<< HEAD
"""
Real data: diabetes with spline groups
======================================

scikit-learn's diabetes data with a spline basis per feature.
=======
"""Diabetes progression: spline groups of ten clinical variables
===============================================================
>>>>>>> select

scikit-learn's diabetes data (442 patients, shipped with scikit-learn): the
target is a measure of disease progression one year after baseline.  Each
of the nine continuous variables (age, bmi, bp, s1..s6) is expanded into 6
cubic B-splines and forms one group; the binary ``sex`` is a group of its
own (one column), so 55 columns in 10 groups.

Over repeated random 75/25 splits, fastgs ``DGLNNRegressorCV`` (defaults)
is compared on the held-out quarter with the CV-tuned group lasso (skglm)
and least squares on all columns; see ``examples/_compare.py`` for the
protocol.  Prints held-out R², the number of groups chosen, fit times, and
how often each variable is chosen.

Usage (from the repository root; needs ``pip install skglm``)::

<<<<<<< HEAD
    python examples/diabetes_splines.py [--splits 20] [--quick]

``--quick`` (what the documentation build runs) uses 3 splits and a coarser
lambda grid for the group lasso (20 values).

Prints Markdown tables: held-out R² (median, IQR), median number of groups
chosen, fit time (one thread, after an untimed warm-up fit of every method,
so without JIT compilation), and how often each feature is chosen.
=======
    python examples/diabetes_splines.py [--splits 5]
>>>>>>> select
"""

from sklearn.datasets import load_diabetes

from _compare import main, per_variable

SPLINES = ["age", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


<<<<<<< HEAD
def spline_features():
    """The transformer (splines per continuous feature, sex as is, then scaling)."""
    splines = SplineTransformer(n_knots=5, degree=3, knots="quantile", include_bias=False)
    columns = ColumnTransformer(
        [("spline", splines, ["age", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]),
         ("sex", "passthrough", ["sex"])],
        verbose_feature_names_out=False,
    )  # fmt: skip
    return make_pipeline(columns, StandardScaler())


def group_labels(feature_names):
    """Original feature name of each expanded column ('bmi_sp_3' -> 'bmi')."""
    return np.array([name.split("_sp_")[0] for name in feature_names])


def chosen_features(coef, labels, relative=None):
    """Features whose group of coefficients is nonzero (or > relative * max norm)."""
    names = list(dict.fromkeys(labels))
    norms = np.array([np.linalg.norm(coef[labels == f]) for f in names])
    cut = 0.0 if relative is None or norms.max() == 0 else relative * norms.max()
    return {f for f, v in zip(names, norms) if v > cut}


# --------------------------------------------------------------------- methods


def fit_dglnn(X, y, labels, seed, schedule):
    """fastgs DGLNNRegressorCV (groups = original features)."""
    cv = KFold(K_FOLDS, shuffle=True, random_state=seed)
    model = fastgs.DGLNNRegressorCV(groups=labels, cv=cv, schedule=schedule).fit(X, y)
    return model, chosen_features(model.coef_, labels, THRESHOLD)


def fit_dlnn(X, y, labels, seed):
    """fastgs DLNNRegressor (ignores the groups)."""
    model = fastgs.DLNNRegressor(random_state=seed).fit(X, y)
    return model, chosen_features(model.coef_, labels, THRESHOLD)


N_LAMBDAS = 50  # the group lasso's lambda grid (--quick: 20)


def fit_group_lasso(X, y, labels, seed, n_lambdas=None, min_ratio=1e-3):
    """skglm GroupLasso with lambda by K-fold CV (warm starts), refit on (X, y)."""
    from skglm import GroupLasso

    n_lambdas = N_LAMBDAS if n_lambdas is None else n_lambdas
    names = list(dict.fromkeys(labels))
    groups = [list(np.flatnonzero(labels == f)) for f in names]
    weights = np.sqrt([len(g) for g in groups])
    grad = X.T @ (y - y.mean()) / len(y)
    lam_max = max(np.linalg.norm(grad[g]) / w for g, w in zip(groups, weights))
    lambdas = lam_max * np.geomspace(1.0, min_ratio, n_lambdas)

    def new_model():
        return GroupLasso(groups=groups, weights=weights, warm_start=True, fit_intercept=True)

    mse = np.zeros((K_FOLDS, n_lambdas))
    for k, (train, test) in enumerate(KFold(K_FOLDS, shuffle=True, random_state=seed).split(X)):
        model = new_model()
        for j, lam in enumerate(lambdas):
            model.set_params(alpha=lam).fit(X[train], y[train])
            mse[k, j] = np.mean((y[test] - model.predict(X[test])) ** 2)
    best = int(np.argmin(mse.mean(axis=0)))
    model = new_model()
    for lam in lambdas[: best + 1]:
        model.set_params(alpha=lam).fit(X, y)
    return model, chosen_features(model.coef_, labels)


def fit_ols_raw(X_raw, y):
    """Least squares on the 10 raw features (no splines, no selection)."""
    return LinearRegression().fit(X_raw, y), None


METHODS = {
    "DGLNN-CV (fastgs, schedule=fast)": lambda X, y, lab, s: fit_dglnn(X, y, lab, s, "fast"),
    "DGLNN-CV (fastgs, schedule=paper)": lambda X, y, lab, s: fit_dglnn(X, y, lab, s, "paper"),
    "group lasso CV (skglm)": fit_group_lasso,
    "DLNN (fastgs, no groups)": fit_dlnn,
}


# ------------------------------------------------------------------ experiment


def warm_up(X, y):
    """Fit every method once, untimed, so that fit times exclude JIT compilation."""
    features = spline_features().fit(X)
    Z = features.transform(X)
    labels = group_labels(features.get_feature_names_out())
    for fit in METHODS.values():
        fit(Z, y, labels, 0)


def run(n_splits):
    """Fit every method on ``n_splits`` random 75/25 splits; per-method records."""
=======
def load():
>>>>>>> select
    data = load_diabetes(scaled=False, as_frame=True)
    return data.frame.drop(columns="target"), data.frame["target"].to_numpy()


<<<<<<< HEAD
def summary_table(records, n_splits):
    """Held-out R² (median, IQR), median groups chosen, median fit time."""
    head = (f"| method ({n_splits} splits) | median R² | IQR of R² "
            "| median groups chosen (of 10) | median fit s |")  # fmt: skip
    lines = [head, "|---|---:|---:|---:|---:|"]
    for name, rows in records.items():
        r2 = np.array([r["r2"] for r in rows])
        q1, q3 = np.percentile(r2, [25, 75])
        n_groups = ("–" if rows[0]["chosen"] is None
                    else f"{np.median([len(r['chosen']) for r in rows]):g}")  # fmt: skip
        lines.append(f"| {name} | {np.median(r2):.3f} | {q1:.3f} – {q3:.3f} | {n_groups} "
                     f"| {np.median([r['seconds'] for r in rows]):.3f} |")  # fmt: skip
    return "\n".join(lines)


def frequency_table(records, features):
    """How often each original feature is chosen, per method."""
    methods = [m for m, rows in records.items() if rows[0]["chosen"] is not None]
    lines = ["| feature | " + " | ".join(methods) + " |",
             "|---|" + "---:|" * len(methods)]  # fmt: skip
    for f in features:
        counts = [sum(f in r["chosen"] for r in records[m]) for m in methods]
        lines.append(f"| {f} | " + " | ".join(f"{c}/{len(records[methods[0]])}" for c in counts) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description="DGLNN vs group lasso vs DLNN on diabetes splines")
    ap.add_argument("--splits", type=int, default=20, help="number of random train/test splits")
    ap.add_argument("--quick", action="store_true",
                    help="3 splits and a 20-value lambda grid (the documentation build)")
    args = ap.parse_args(argv)
    if args.quick:
        global N_LAMBDAS
        N_LAMBDAS = 20
        args.splits = 3
    records, features = run(args.splits)
    print(summary_table(records, args.splits))
    print()
    print(frequency_table(records, features))
=======
def features():
    return per_variable(splines=SPLINES, as_is=["sex"])
>>>>>>> select


if __name__ == "__main__":
    main("scikit-learn diabetes, splines per variable", load, features, default_splits=5)

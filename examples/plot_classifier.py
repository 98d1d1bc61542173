"""
Group-sparse classification: breast cancer measurements
=======================================================

scikit-learn's breast cancer data (569 tumours, shipped with scikit-learn)
describe each tumour by ten measurements of its cell nuclei (radius,
texture, perimeter, area, ...), each summarized three ways over the image:
the mean, the standard error and the worst value. The 30 columns therefore
form 10 natural groups of 3, one per measurement, and a group-sparse model
answers "which measurements does the diagnosis need?".

Over repeated stratified 75/25 train/test splits, on the held-out quarter,
this example compares

- fastgs :class:`~fastgs.DGLNNClassifierCV` with its defaults (the stopping
  point by 5-fold cross-validation of the log-loss); its groups are
  ``selected_groups_``;
- scikit-learn's ``LogisticRegressionCV`` with an L1 penalty (sparse in
  single columns; liblinear) and with an L2 penalty (no selection;
  newton-cholesky), ``C`` by 5-fold cross-validation of the log-loss over 16
  values from 1e-3 to 100;
- if skglm is installed, the group-lasso logistic regression (skglm
  ``LogisticGroup`` with ``WeightedGroupL2``, group weights sqrt(3)), its
  penalty by 5-fold cross-validation of the log-loss over 16 values from the
  smallest that keeps every group out down to 1e-3 times it, with warm
  starts, then refit on the training part.

The baselines see standardized columns (``StandardScaler`` fitted on the
training part); fastgs standardizes internally. The method is written up in
:doc:`/method`, section 'Losses beyond least squares'.

Usage (from the repository root)::

    python examples/plot_classifier.py [--splits 20]
"""

import argparse
import inspect
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from numba.core.errors import NumbaPerformanceWarning
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

import fastgs
from fastgs._machine import cpu_model
from fastgs.plotting import plot_cv_curve

parser = argparse.ArgumentParser(description="DGLNNClassifierCV on the breast cancer data.")
parser.add_argument("--splits", type=int, default=20, help="random train/test splits (default 20)")
args = parser.parse_args()

data = load_breast_cancer()
X, y = data.data, data.target  # y = 1: benign
# 'mean radius', 'radius error', 'worst radius' -> the group 'radius'
measurement = np.array([name.replace("mean ", "").replace(" error", "").replace("worst ", "")
                        for name in data.feature_names])  # fmt: skip
names = list(dict.fromkeys(measurement))
print(f"{X.shape[0]} tumours, {X.shape[1]} columns in {len(names)} groups of 3: {', '.join(names)}")

# %%
# The methods
# -----------
# Each function fits on the training part and returns the probabilities of
# the positive class on the test part and the groups the model uses.

K_FOLDS = 5
#: the inverse penalties LogisticRegressionCV tries (stronger to weaker)
C_GRID = np.logspace(-3, 2, 16)
#: the group-lasso penalties skglm tries: from the largest useful one down by 1e-3
N_LAMBDAS = 16


def fit_fastgs(X_tr, y_tr, X_te):
    model = fastgs.DGLNNClassifierCV(groups=measurement, cv=K_FOLDS).fit(X_tr, y_tr)
    chosen = model.groups_.labels[model.selected_groups_]
    return model.predict_proba(X_te)[:, 1], set(chosen.tolist()), model


def _logistic_cv(l1):
    """LogisticRegressionCV with the L1 or L2 penalty, C by the CV log-loss.

    scikit-learn 1.8 replaced ``penalty`` by ``l1_ratios``; both spellings
    are supported here so the example runs on every version fastgs supports.
    """
    params = inspect.signature(LogisticRegressionCV).parameters
    options = dict(Cs=C_GRID, cv=K_FOLDS, scoring="neg_log_loss", max_iter=1000)
    penalty = params.get("penalty")
    if penalty is None or penalty.default == "deprecated":
        options["l1_ratios"] = (1.0,) if l1 else (0.0,)
        if "use_legacy_attributes" in params:
            options["use_legacy_attributes"] = False
    else:
        options["penalty"] = "l1" if l1 else "l2"
    options["solver"] = "liblinear" if l1 else "newton-cholesky"
    return LogisticRegressionCV(**options)


def fit_logistic(l1):
    def fit(X_tr, y_tr, X_te):
        model = make_pipeline(StandardScaler(), _logistic_cv(l1)).fit(X_tr, y_tr)
        coef = model[-1].coef_.ravel()
        return model.predict_proba(X_te)[:, 1], set(measurement[coef != 0].tolist()), model

    return fit


def fit_group_lasso(X_tr, y_tr, X_te):
    """skglm's group-lasso logistic regression, lambda by K-fold CV (log-loss)."""
    from skglm import GeneralizedLinearEstimator
    from skglm.datafits import LogisticGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupProxNewton

    order = np.argsort(measurement, kind="stable")  # the columns of each group together
    sizes = np.array([np.sum(measurement == name) for name in np.unique(measurement)])
    grp_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32)
    grp_idx = order.astype(np.int32)
    weights = np.sqrt(sizes).astype(np.float64)

    def new_model():
        return GeneralizedLinearEstimator(
            datafit=LogisticGroup(grp_ptr, grp_idx),
            penalty=WeightedGroupL2(1.0, weights, grp_ptr, grp_idx),
            solver=GroupProxNewton(fit_intercept=True, warm_start=True),
        )

    def path(Z, labels, lambdas):
        model = new_model()
        for lam in lambdas:
            model.penalty = WeightedGroupL2(lam, weights, grp_ptr, grp_idx)
            with warnings.catch_warnings():
                # skglm's compiled solver notes a non-contiguous product; harmless here
                warnings.simplefilter("ignore", NumbaPerformanceWarning)
                yield model.fit(Z, labels)

    def proba(model, Z):
        return 1 / (1 + np.exp(-(Z @ model.coef_.ravel() + model.intercept_)))

    scaler = StandardScaler().fit(X_tr)
    Z_tr, Z_te = scaler.transform(X_tr), scaler.transform(X_te)
    # the smallest penalty that keeps every group out, at the model with only an intercept
    grad = Z_tr.T @ (y_tr - y_tr.mean()) / len(y_tr)
    lam_max = max(np.linalg.norm(grad[grp_idx[a:b]]) / w
                  for a, b, w in zip(grp_ptr[:-1], grp_ptr[1:], weights))  # fmt: skip
    lambdas = lam_max * np.geomspace(1.0, 1e-3, N_LAMBDAS)
    cv_loss = np.zeros((K_FOLDS, len(lambdas)))
    folds = StratifiedKFold(K_FOLDS, shuffle=True, random_state=0).split(Z_tr, y_tr)
    for k, (train, test) in enumerate(folds):
        for j, model in enumerate(path(Z_tr[train], y_tr[train], lambdas)):
            cv_loss[k, j] = log_loss(y_tr[test], proba(model, Z_tr[test]), labels=[0, 1])
    best = int(np.argmin(cv_loss.mean(axis=0)))
    for model in path(Z_tr, y_tr, lambdas[: best + 1]):
        pass
    coef = model.coef_.ravel()
    return proba(model, Z_te), set(measurement[coef != 0].tolist()), model


METHODS = {
    "fastgs DGLNNClassifierCV": fit_fastgs,
    "LogisticRegressionCV, L1": fit_logistic(l1=True),
    "LogisticRegressionCV, L2": fit_logistic(l1=False),
}
try:
    import skglm  # noqa: F401
except ImportError:
    print("skglm is not installed: the group-lasso logistic regression is skipped")
else:
    METHODS["group lasso logistic, skglm"] = fit_group_lasso

# %%
# Repeated train/test splits
# --------------------------
# Split -1 is an untimed warm-up that compiles the Numba code of fastgs (and
# of skglm); the timings are wall-clock seconds of one fit with its
# cross-validation, on one thread.

records = {name: [] for name in METHODS}
splitter = StratifiedShuffleSplit(n_splits=args.splits + 1, test_size=0.25, random_state=0)
first_fastgs = None
for split, (train, test) in enumerate(splitter.split(X, y), start=-1):
    for name, fit in METHODS.items():
        with threadpool_limits(1):  # fastgs runs one Numba thread unless told otherwise
            start = time.perf_counter()
            p_test, chosen, model = fit(X[train], y[train], X[test])
            seconds = time.perf_counter() - start
        if split < 0:
            continue
        if first_fastgs is None and name.startswith("fastgs"):
            first_fastgs = model
        records[name].append({
            "log_loss": log_loss(y[test], p_test, labels=[0, 1]),
            "accuracy": accuracy_score(y[test], p_test > 0.5),
            "auc": roc_auc_score(y[test], p_test),
            "groups": len(chosen),
            "features": int(np.sum(np.isin(measurement, sorted(chosen)))),
            "seconds": seconds,
            "chosen": chosen,
        })  # fmt: skip

header = (f"{'method':<30} {'test log-loss':>13} {'accuracy':>9} {'AUC':>7} {'groups':>7} "
          f"{'features':>9} {'fit s':>7}")  # fmt: skip
print(f"\nmedians over {args.splits} stratified 75/25 splits; fit time on {cpu_model()}")
print(header)
print("-" * len(header))
for name, rows in records.items():
    med = {key: np.median([row[key] for row in rows]) for key in rows[0] if key != "chosen"}
    print(f"{name:<30} {med['log_loss']:>13.3f} {med['accuracy']:>9.3f} {med['auc']:>7.3f} "
          f"{med['groups']:>7.0f} {med['features']:>9.0f} {med['seconds']:>7.2f}")  # fmt: skip

# %%
# The features of fastgs are those of its selected groups: its ``coef_`` has
# no exact zeros, but the coefficients of the other groups are small
# (:doc:`/selection`). For the L1 penalty a group counts as used when any of
# its three columns has a nonzero coefficient; the L2 penalty keeps every
# column.
#
# On these data fastgs keeps fewer measurements than the penalized
# baselines, with the same AUC but a higher test log-loss and a slightly
# lower accuracy: it ranks the tumours as well, while its probabilities are
# less accurate. What fastgs offers here is a model of fewer measurements,
# not better probabilities.
#
# The cross-validation curve and the groups
# ------------------------------------------
# Left: the mean validation log-loss over the five folds of the first split
# (grey: each fold), and the pass it chose. Right: how often each method used
# each measurement over the splits.

fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plot_cv_curve(first_fastgs, ax=axes[0])
axes[0].set_ylabel("validation log-loss (mean half deviance)")
selecting = [name for name in METHODS if not name.endswith("L2")]
width = 0.8 / len(selecting)
for k, name in enumerate(selecting):
    share = [np.mean([m in row["chosen"] for row in records[name]]) for m in names]
    axes[1].bar(np.arange(len(names)) + k * width, share, width, label=name)
axes[1].set_xticks(np.arange(len(names)) + 0.4 - width / 2)
axes[1].set_xticklabels(names, rotation=45, ha="right")
axes[1].set_ylabel("share of splits that use the group")
axes[1].set_ylim(0, 1.35)
axes[1].set_yticks(np.linspace(0, 1, 6))
axes[1].legend(fontsize="small", loc="upper center", ncol=2)
fig.tight_layout()
plt.show()

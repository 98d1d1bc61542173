"""
The path of a DGLNN fit
=======================

Gradient descent on :math:`w_l = u_l^2 v_l` from a tiny start lets the groups
that explain the data grow first; early stopping picks one point on the path.
This example draws the path of :func:`fastgs.dglnn_path` on the paper's
Figure 4 design (:math:`n = 100`, :math:`p = 500`, four groups of four on the
support) with a validation set, and the mean cross-validation curve of
:func:`fastgs.dglnn_cv_path`.
"""

import matplotlib.pyplot as plt
import numpy as np

import fastgs
from fastgs.paper.settings import paper_setting
from fastgs.plotting import plot_cv_curve, plot_path

X, y, X_val, y_val, w_star, groups = paper_setting("fig4", random_state=0, n_validation=100)

# %%
# One run with a validation set
# -----------------------------
# The validation loss is evaluated at every iteration inside the compiled
# loop; ``best_iter`` is its minimum over the whole horizon.

path = fastgs.dglnn_path(X, y, groups, X_val=X_val, y_val=y_val, max_iter=200)
error = np.sum((path.best_coef - w_star) ** 2)
print(f"best iteration {path.best_iter}, squared error there {error:.3f}")
print(f"skipped start t0 = {path.t0} iterations, passes over X = {path.n_passes}")

fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
plot_path(path, w_star, ax=axes[0], kind="coefs")
plot_path(path, w_star, ax=axes[1], kind="u")
plot_path(path, w_star, ax=axes[2], kind="error")
fig.tight_layout()

# %%
# Cross-validation curves
# -----------------------
# All five fold models advance in one sweep over X per iteration; the mean
# validation curve chooses the stopping iteration.

cv_path = fastgs.dglnn_cv_path(X, y, groups, cv=5, random_state=0, max_iter=200)
print(f"CV-chosen stopping point: {cv_path.best_iter} passes after the start")
ax = plot_cv_curve(cv_path)
ax.figure.tight_layout()
plt.show()

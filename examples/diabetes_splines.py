"""Diabetes progression: spline groups of ten clinical variables
===============================================================

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

    python examples/diabetes_splines.py [--splits 5]
"""

from sklearn.datasets import load_diabetes

from _compare import main, per_variable

SPLINES = ["age", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def load():
    data = load_diabetes(scaled=False, as_frame=True)
    return data.frame.drop(columns="target"), data.frame["target"].to_numpy()


def features():
    return per_variable(splines=SPLINES, as_is=["sex"])


if __name__ == "__main__":
    main("scikit-learn diabetes, splines per variable", load, features, default_splits=5)

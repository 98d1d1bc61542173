"""Time spent in extramarital affairs: dummies and spline groups
==============================================================

The ``fair`` data shipped with statsmodels (6366 women surveyed by
Redbook magazine in 1974; Fair, 1978): the target is the time spent in
extramarital affairs (``affairs``, mostly zero).  Groups: the dummies of
each categorical variable (rating of the marriage, 5 levels; religiousness,
4; education, 6; occupation, 6; husband's occupation, 6) and 6 cubic
B-splines of each numeric one (age, years married, number of children;
uniform knots, since their values are few and repeated): 40 columns in 8
groups.

A weak signal (held-out R² below 0.1 for every method): these variables
explain little of ``affairs``.  Methods and protocol as in
``examples/_compare.py``.

Usage (from the repository root; needs ``pip install skglm statsmodels``)::

    python examples/fair_affairs.py [--splits 5]
"""

from _compare import main, per_variable

CATEGORICAL = ["rate_marriage", "religious", "educ", "occupation", "occupation_husb"]
NUMERIC = ["age", "yrs_married", "children"]


def load():
    from statsmodels.datasets import fair

    data = fair.load_pandas().data
    return data[CATEGORICAL + NUMERIC], data["affairs"].to_numpy()


def features():
    return per_variable(splines=NUMERIC, categorical=CATEGORICAL, knots="uniform")


if __name__ == "__main__":
    main("statsmodels fair, dummies and splines per variable", load, features, default_splits=5)

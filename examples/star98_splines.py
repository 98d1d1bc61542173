"""California schools: spline groups of twelve school variables
==============================================================

The ``star98`` data shipped with statsmodels (303 California school
districts, 1998): the target is the share of a district's students who
scored above the national median in mathematics (``NABOVE / (NABOVE +
NBELOW)``).  Each of its twelve school variables (share of low-income
students, shares of ethnic minorities, teachers' experience and salaries,
spending per pupil, pupil-teacher ratio, ...) is expanded into 6 cubic
B-splines and forms one group: 72 columns in 12 groups.  The data set's
precomputed interaction columns are left out.

Few rows (227 for training) for 72 columns: least squares on all of them
overfits.  Methods and protocol as in ``examples/_compare.py``.

Usage (from the repository root; needs ``pip install skglm statsmodels``)::

    python examples/star98_splines.py [--splits 5]
"""

from _compare import main, per_variable

VARIABLES = ["LOWINC", "PERASIAN", "PERBLACK", "PERHISP", "PERMINTE", "AVYRSEXP", "AVSALK",
             "PERSPENK", "PTRATIO", "PCTAF", "PCTCHRT", "PCTYRRND"]  # fmt: skip


def load():
    from statsmodels.datasets import star98

    data = star98.load_pandas().data
    share_above = (data["NABOVE"] / (data["NABOVE"] + data["NBELOW"])).to_numpy()
    return data[VARIABLES], share_above


def features():
    return per_variable(splines=VARIABLES)


if __name__ == "__main__":
    main("statsmodels star98, splines per variable", load, features, default_splits=5)

"""fastgs.plotting: paths, validation/CV curves, experiment figures, the missing-matplotlib message."""

from __future__ import annotations

import sys

import matplotlib
import numpy as np
import pytest

import fastgs
from fastgs import plotting
from fastgs.datasets import make_group_sparse_regression
from fastgs.paper import figures

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(scope="module")
def problem():
    X, y, w_star, groups = make_group_sparse_regression(
        100, 24, group_size=4, n_informative_groups=2, coef=3.0, random_state=1
    )
    return X[:70], y[:70], X[70:], y[70:], w_star, groups


@pytest.fixture(scope="module")
def dglnn(problem):
    X, y, Xv, yv, _, groups = problem
    return fastgs.dglnn_path(X, y, groups, schedule="paper", max_iter=500, X_val=Xv, y_val=yv)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def lines_of(ax):
    return [line for line in ax.get_lines()]


@pytest.mark.parametrize("kind", ["coefs", "u", "error", "loss"])
def test_plot_path_kinds(dglnn, problem, kind):
    w_star = problem[4]
    ax = plotting.plot_path(dglnn, w_star=w_star, kind=kind)
    lines = lines_of(ax)
    assert lines, kind
    # the vertical line at the validation-chosen iteration
    assert any(np.all(np.asarray(l.get_xdata()) == dglnn.best_iter) for l in lines)
    if kind == "coefs":
        # the support entries' curves end near w*
        ends = sorted(float(l.get_ydata()[-1]) for l in lines if len(l.get_ydata()) > 2)
        assert max(ends) == pytest.approx(3.0, abs=0.5)
    if kind == "u":
        assert len([l for l in lines if len(l.get_ydata()) > 2]) == 6  # 6 groups
    if kind == "error":
        err = lines[0].get_ydata()
        assert err[0] == pytest.approx(np.sum(w_star**2))
        assert err.min() < 1.0
    if kind == "loss":
        labels = {l.get_label() for l in lines}
        assert {"training loss", "validation loss"} <= labels


def test_plot_path_dlnn_and_given_axes(problem):
    X, y, Xv, yv, w_star, _ = problem
    path = fastgs.dlnn_path(X, y, max_iter=100, X_val=Xv, y_val=yv)
    _, ax = plt.subplots()
    assert plotting.plot_path(path, w_star, ax=ax, max_lines=5) is ax
    assert len([l for l in ax.get_lines() if len(l.get_ydata()) > 2]) == 5
    with pytest.raises(ValueError, match="kind='u'"):
        plotting.plot_path(path, kind="u")


def test_plot_path_bad_arguments(dglnn):
    with pytest.raises(ValueError, match="needs w_star"):
        plotting.plot_path(dglnn, kind="error")
    with pytest.raises(ValueError, match="kind must be"):
        plotting.plot_path(dglnn, kind="magic")
    with pytest.raises(ValueError, match="w_star must have shape"):
        plotting.plot_path(dglnn, w_star=np.zeros(3))
    with pytest.raises(ValueError, match="max_lines"):
        plotting.plot_path(dglnn, max_lines=0)
    with pytest.raises(TypeError, match="DGLNNPath or DLNNPath"):
        plotting.plot_path(np.zeros((3, 3)))


def test_plot_cv_curve_of_cv_path(problem):
    X, y, _, _, _, groups = problem
    cvp = fastgs.dglnn_cv_path(X, y, groups, cv=3, random_state=0, max_iter=120, schedule="paper")
    ax = plotting.plot_cv_curve(cvp)
    lines = lines_of(ax)
    # 3 fold curves, the mean, the chosen iteration
    assert len(lines) == 5
    mean = next(l for l in lines if l.get_label().startswith("mean"))
    assert np.allclose(mean.get_ydata(), cvp.cv_curve)
    chosen = next(l for l in lines if l.get_label().startswith("chosen"))
    assert chosen.get_xdata()[0] == cvp.best_iter


def test_plot_cv_curve_of_estimators(problem):
    X, y, _, _, _, groups = problem
    cv_model = fastgs.DGLNNRegressorCV(groups=groups, cv=3, max_iter=120, random_state=0).fit(X, y)
    ax = plotting.plot_cv_curve(cv_model)
    mean = next(l for l in ax.get_lines() if l.get_label().startswith("mean"))
    assert np.allclose(mean.get_ydata(), cv_model.cv_curve_)
    model = fastgs.DGLNNRegressor(groups=groups, max_iter=120, random_state=0).fit(X, y)
    ax = plotting.plot_cv_curve(model)
    val = next(l for l in ax.get_lines() if l.get_label() == "validation loss")
    assert np.allclose(val.get_ydata(), model.validation_loss_)
    chosen = next(l for l in ax.get_lines() if l.get_label().startswith("chosen"))
    assert chosen.get_xdata()[0] == model.best_iter_
    # the x axis counts as best_iter_ does: the chosen point is the curve's minimum
    x = val.get_xdata()
    assert x[int(np.argmin(model.validation_loss_))] == model.best_iter_


def test_plot_cv_curve_of_fast_path_counts_the_skipped_start(problem):
    X, y, Xv, yv, _, groups = problem
    path = fastgs.dglnn_path(X, y, groups, schedule="fast", max_iter=60, X_val=Xv, y_val=yv)
    assert path.t0 > 0
    ax = plotting.plot_cv_curve(path)
    val = next(l for l in ax.get_lines() if l.get_label() == "validation loss")
    assert val.get_xdata()[0] == path.t0
    assert val.get_xdata()[int(np.argmin(path.val_curve))] == path.best_iter


def test_plot_cv_curve_bad_input(problem):
    X, y, _, _, _, groups = problem
    with pytest.raises(TypeError, match="plot_cv_curve needs"):
        plotting.plot_cv_curve(object())
    model = fastgs.DGLNNRegressor(groups=groups, max_iter=20, early_stopping=False).fit(X, y)
    with pytest.raises(ValueError, match="no validation curve"):
        plotting.plot_cv_curve(model)


def test_plot_experiment_rejects_other_objects():
    with pytest.raises(TypeError, match="ExperimentResult"):
        figures.plot_experiment(object())


@pytest.mark.parametrize(
    "func, args",
    [
        ("plot_path", ("dglnn",)),
        ("plot_cv_curve", ("dglnn",)),
        ("plot_experiment", (None,)),
    ],
)
def test_missing_matplotlib_message(monkeypatch, dglnn, func, args):
    # a None entry in sys.modules makes `import matplotlib` raise ImportError
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    args = tuple(dglnn if a == "dglnn" else a for a in args)
    if func == "plot_experiment":
        from fastgs.paper.experiments import reproduce

        args = (reproduce("fig4", [0], max_iter=30, runner=lambda f, items: [f(i) for i in items]),)
    module = figures if func == "plot_experiment" else plotting
    with pytest.raises(ImportError) as info:
        getattr(module, func)(*args)
    assert "pip install fastgs[plot]" in str(info.value)


def test_importing_plotting_does_not_import_matplotlib():
    import subprocess

    code = "import sys, fastgs.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"

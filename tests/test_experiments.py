"""fastgs.experiments: runs, runners, aggregation and figures, on small settings."""

from __future__ import annotations

import json
import pickle

import matplotlib
import numpy as np
import pytest

from fastgs.paper import experiments
from fastgs.datasets import make_group_sparse_regression
from fastgs.paper.experiments import Run, execute, make_runs, reproduce
from fastgs.paper.figures import plot_experiment
from fastgs.paper.settings import PAPER_SETTINGS, paper_setting

matplotlib.use("Agg")


def in_order(func, items):
    """A runner without a progress bar (what a cluster map must also do)."""
    return [func(item) for item in items]


def test_runs_are_independent_and_picklable():
    runs = make_runs("fig2", seeds=3, max_iter=50)
    assert [r.kwargs["seed"] for r in runs] == [0, 1, 2]
    # only the first run records the trace for the figures
    assert [r.kwargs["trace"] for r in runs] == [True, False, False]
    clone = pickle.loads(pickle.dumps(runs))
    assert clone[1].func is experiments.fig2_run
    snr_runs = make_runs("snr", seeds=[4, 7], snrs=(2.0, 20.0))
    assert [(r.kwargs["seed"], r.kwargs["snr"]) for r in snr_runs] == [
        (4, 2.0), (7, 2.0), (4, 20.0), (7, 20.0),
    ]  # fmt: skip
    assert len(make_runs("fig5", quick=True)) == experiments.SEEDS["fig5"][1]
    assert len(make_runs("fig5")) == experiments.SEEDS["fig5"][0]


@pytest.mark.parametrize(
    "args, match",
    [(("fig9",), "unknown experiment"), (("fig2", 0), "positive"), (("fig2", []), "empty")],
)
def test_make_runs_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        make_runs(*args)


def test_runner_results_are_used_in_order():
    seen = []

    def spy(func, items):
        seen.extend(items)
        return [func(item) for item in items]

    result = reproduce("fig5", seeds=[3, 1], max_iter=40, runner=spy)
    assert [r.kwargs["seed"] for r in seen] == [3, 1]
    assert [row["seed"] for row in result.rows] == [3, 1]
    with pytest.raises(RuntimeError, match="returned 1 results for 2 runs"):
        reproduce("fig5", seeds=2, max_iter=10, runner=lambda f, items: [f(items[0])])


def test_fig2_small(tmp_path):
    result = reproduce("fig2", seeds=2, max_iter=600, runner=in_order)
    assert result.params["max_iter"] == 600 and result.params["step_u"] == 2e-3
    for row in result.rows:
        # docs/method.rst, 'Reference results': the minimum is reached within a few hundred iterations
        assert 0.003 <= row["min_error"] <= 0.05
        assert row["min_error"] <= row["val_error"] <= 3 * row["min_error"]
        assert row["off_support_max"] < 1e-2
        assert row["status"] == "max_iter"
    curve = result.curves["runs"][0]["error"]
    assert curve.shape == (601,) and curve[0] == pytest.approx(900.0)
    assert result.curves["trace"]["u"].shape == (601, 100)
    assert all(c["consistent"] for c in result.comparison[:3])
    table = result.table()
    assert table.count("\n| 0 |") == 1 and "| median |" in table
    json.dumps(result.to_dict())  # JSON-ready
    fig = plot_experiment(result)
    fig.savefig(tmp_path / "fig2.png")
    assert (tmp_path / "fig2.png").stat().st_size > 1000


def test_fig3_switches_and_enters_incrementally(tmp_path):
    result = reproduce("fig3", seeds=1, max_iter=800, runner=in_order)
    row = result.rows[0]
    assert 200 <= row["switch_iter"] <= 700
    assert row["incremental"] and row["enter_order"] == "2 1 0"
    trace = result.curves["trace"]
    # directions of the 3 support groups of 3, unit norm per group at the end
    assert trace["directions"].shape == (801, 9)
    last = trace["directions"][-1].reshape(3, 3)
    assert np.allclose(np.linalg.norm(last, axis=1), 1.0)
    assert np.allclose(last.ravel(), trace["direction_target"], atol=0.02)
    plot_experiment(result).savefig(tmp_path / "fig3.png")


def test_fig4_dglnn_beats_dlnn():
    result = reproduce("fig4", seeds=1, runner=in_order)
    row = result.rows[0]
    assert row["dglnn_groups_found"]
    assert row["dglnn_val"] < 0.2 < row["dlnn_last"]
    assert result.summary["n_groups_found"] == 1


def test_figure4_and_format_figure4_still_work():
    rows = experiments.figure4(seeds=(0,), max_iter=60, runner=in_order)
    assert len(rows) == 1 and rows[0]["seed"] == 0
    text = experiments.format_figure4(rows)
    assert text.startswith("| seed | DGLNN val-stopped") and "| median |" in text


def test_fig5_median_curve(tmp_path):
    result = reproduce("fig5", seeds=3, max_iter=300, runner=in_order)
    curves = np.array([c["log2_error"] for c in result.curves["runs"]])
    assert np.allclose(result.curves["median_log2_error"], np.median(curves, axis=0))
    assert result.summary["median_curve_min"] == pytest.approx(curves.min(axis=1).min(), abs=3)
    assert result.summary["median_curve_min"] < -3
    assert all(r["signs_right"] for r in result.rows)
    plot_experiment(result).savefig(tmp_path / "fig5.png")


def test_snr_small(tmp_path):
    result = reproduce(
        "snr", seeds=2, snrs=(2.0, 20.0), max_iter=600, dlnn_max_iter=2000, n_lambdas=15,
        runner=in_order,
    )  # fmt: skip
    assert len(result.rows) == 4
    per_snr = result.summary["per_snr"]
    assert [e["snr"] for e in per_snr] == [2.0, 20.0]
    for e in per_snr:
        assert e["dglnn_q25"] <= e["dglnn"] <= e["dglnn_q75"]
    # more signal, smaller error for every method
    for key in ("dglnn", "group_lasso", "dlnn"):
        assert per_snr[1][key] < per_snr[0][key]
    assert "| 20 | 2 |" in result.table()
    plot_experiment(result).savefig(tmp_path / "snr.png")


def test_snr_run_without_skglm(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "skglm", None)
    with pytest.raises(ImportError, match=r"pip install fastgs\[baselines\]"):
        execute(
            Run(experiments.snr_run, {"seed": 0, "snr": 5.0, "max_iter": 20, "dlnn_max_iter": 20})
        )


def test_paper_setting_snr_and_overrides():
    X, _, Xv, _, w, groups = paper_setting("snr", 0, 10, snr=4.0, n_samples=50)
    assert X.shape == (50, 300) and Xv.shape == (10, 300)
    assert groups.n_groups == 75 and np.count_nonzero(w) == 12
    # Gaussian design: not ±1
    assert not np.all(np.abs(X) == 1.0)
    with pytest.raises(ValueError, match="unknown override"):
        paper_setting("fig2", 0, bogus=1)
    assert PAPER_SETTINGS["snr"]["design"] == "gaussian"


def test_make_group_sparse_regression_snr_sets_the_noise():
    # y - X w* is the noise; its variance matches ||w*||^2 / snr
    X, y, w, _ = make_group_sparse_regression(
        20000, 8, group_size=4, n_informative_groups=1, coef=2.0, design="gaussian", snr=4.0,
        random_state=0,
    )  # fmt: skip
    noise = y - X @ w
    assert np.var(noise) == pytest.approx(16.0 / 4.0, rel=0.05)

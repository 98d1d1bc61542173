"""The ``fastgs`` command line.

End-to-end checks run ``python -m fastgs`` in subprocesses; the many error
paths call the same ``fastgs.cli.main`` in-process (a subprocess costs a
second of imports each).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file

from fastgs.cli import main
from fastgs.datasets import make_group_sparse_regression

N, P, GROUP = 90, 24, 4  # 6 groups of 4, the first 2 on the support


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "fastgs", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


class Completed:
    """What an in-process call of ``fastgs.cli.main`` returned and printed."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cli(capsys, monkeypatch):
    """``cli(*args, cwd=...)`` runs ``fastgs.cli.main`` in this process."""

    def call(*args, cwd=None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code
        captured = capsys.readouterr()
        return Completed(code, captured.out, captured.err)

    return call


def assert_usage_error(proc, *fragments):
    """Exit code 2, one line ``fastgs: error: ...`` on stderr, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("fastgs: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The same small problem in every supported file format."""
    d = tmp_path_factory.mktemp("data")
    X, y, w_star, _ = make_group_sparse_regression(
        N, P, group_size=GROUP, n_informative_groups=2, coef=3.0, random_state=0
    )
    np.savez(d / "dense.npz", X=X, y=y)
    np.savez(d / "only_x.npz", X=X)
    np.savez(d / "bad_keys.npz", A=X)
    sp.save_npz(d / "sparse.npz", sp.csr_matrix(X))
    np.save(d / "y.npy", y)
    np.savetxt(d / "y.txt", y)
    np.save(d / "y_short.npy", y[:-3])
    header = ",".join([f"f{j}" for j in range(P)] + ["target"])
    np.savetxt(d / "data.csv", np.column_stack([X, y]), delimiter=",", header=header, comments="")
    # target in the first column, named
    header2 = ",".join(["price"] + [f"f{j}" for j in range(P)])
    np.savetxt(d / "first.csv", np.column_stack([y, X]), delimiter=",", header=header2, comments="")
    dump_svmlight_file(X, y, str(d / "data.svm"))
    (d / "groups.txt").write_text("\n".join(str(j // GROUP) for j in range(P)) + "\n")
    (d / "groups_comma.txt").write_text(",".join(str(10 + j // GROUP) for j in range(P)))
    (d / "groups_short.txt").write_text(",".join(str(j // GROUP) for j in range(P - 1)))
    (d / "groups_bad.txt").write_text(",".join(["a"] * P))
    (d / "groups_empty.txt").write_text("# nothing\n")
    (d / "data.parquet").write_bytes(b"PAR1")
    (d / "ragged.csv").write_text("a,b,c\n1,2,3\n4,5\n")
    (d / "text.csv").write_text("a,b,c\n1,2,3\n4,x,6\n")
    (d / "bad.svm").write_text("this is not svmlight\n")
    np.savez(d / "X3d.npz", X=np.zeros((4, 2, 2)), y=np.zeros(4))
    return d, w_star


# --------------------------------------------------------------------------
# help


def test_help_subprocess():
    proc = run_cli("--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: fastgs") and "reproduce" in proc.stdout


@pytest.mark.parametrize("args", [(), ("reproduce",), ("fit",)])
def test_help_of_every_command(cli, args):
    proc = cli(*args, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: fastgs")
    if args == ("reproduce",):
        for word in ("fig2", "snr", "--quick", "--seeds", "--scheduler", "baselines"):
            assert word in proc.stdout
    if args == ("fit",):
        for word in ("--groups", "--group-size", "--target", "--cv", "--y", "save_npz"):
            assert word in proc.stdout


def test_no_command_is_a_usage_error(cli):
    assert_usage_error(cli(), "reproduce, fit or compile")


def test_entry_point_is_declared():
    with open(os.path.join(os.path.dirname(__file__), "..", "pyproject.toml")) as f:
        text = f.read()
    assert 'fastgs = "fastgs.cli:main"' in text


# --------------------------------------------------------------------------
# reproduce


def test_reproduce_one_experiment(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("reproduce", "fig4", "--seeds", "2", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Figure 4" in proc.stdout and "expected (docs/method.rst)" in proc.stdout
    for name in ("fig4.csv", "fig4.json", "fig4.png", "summary.md"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "fig4.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["seed"]) for r in rows] == [0, 1]
    result = json.loads((out / "fig4.json").read_text())
    assert result["params"]["seeds"] == [0, 1]
    for r in result["rows"]:
        # sane numbers: DGLNN finds the groups, far below ||w*||^2 = 16;
        # the a∘a − b∘b baseline is worse after the same 500 iterations
        assert 0 < r["dglnn_oracle"] <= r["dglnn_val"] < 1.0
        assert r["dglnn_groups_found"] is True
        assert r["dlnn_last"] > r["dglnn_oracle"]
    assert {c["quantity"] for c in result["comparison"]}
    assert (out / "fig4.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("reproduce", "fig9"), "invalid choice"),
        (("reproduce", "fig2", "--seeds", "0"), "--seeds"),
        (("reproduce", "fig2", "--seeds", "two"), "--seeds"),
        (("reproduce",), "required"),
        (("reproduce", "fig2", "--bogus"), "unrecognized arguments"),
    ],
)
def test_reproduce_bad_options(cli, args, fragment):
    assert_usage_error(cli(*args), fragment)


def test_reproduce_out_is_a_file(cli, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    assert_usage_error(cli("reproduce", "fig2", "--seeds", "1", "--out", target))


def test_reproduce_scheduler_without_dask(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "fastgs.dask", None)  # makes the import fail
    proc = cli("reproduce", "fig2", "--seeds", "1", "--scheduler", "tcp://x:1", "--out", tmp_path)
    assert_usage_error(proc, "--scheduler", "dask")


def test_reproduce_snr_without_skglm(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "skglm", None)
    proc = cli("reproduce", "snr", "--quick", "--out", tmp_path)
    assert_usage_error(proc, "pip install fastgs[baselines]")
    assert not (tmp_path / "snr.csv").exists()


# --------------------------------------------------------------------------
# fit


def read_groups(out):
    with open(out / "groups.csv") as f:
        return list(csv.DictReader(f))


def check_fit_outputs(out, w_star, group_labels=(0, 1)):
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_samples"] == N and summary["n_features"] == P
    assert summary["best_iter"] >= 1 and summary["n_iter"] >= 1
    chosen = {g["group"] for g in summary["selected_groups"]}
    assert chosen == set(group_labels), summary["selected_groups"]
    with open(out / "coef.csv") as f:
        coef = np.array([float(r["coef"]) for r in csv.DictReader(f)])
    assert coef.shape == (P,)
    # the support is found and the fit is far from the zero model (error 72); how
    # close it gets depends on the estimator's refit (see test_fit_no_refit)
    assert np.sum((coef - w_star) ** 2) < 0.25 * np.sum(w_star**2)
    assert np.abs(coef[w_star == 0]).max() < 0.05 * np.abs(coef).max()
    groups = read_groups(out)
    assert len(groups) == P // GROUP
    norms = [float(g["norm"]) for g in groups]
    assert [int(g["selected"]) for g in groups] == [1, 1, 0, 0, 0, 0]
    assert norms[0] >= norms[1] and min(norms[:2]) > 100 * max(norms[2:])
    assert (out / "cv_curve.png").stat().st_size > 0


@pytest.mark.parametrize(
    "file, extra",
    [
        ("dense.npz", ("--group-size", GROUP)),
        ("sparse.npz", ("--y", "y.npy", "--groups", "groups.txt")),
        ("only_x.npz", ("--y", "y.txt", "--group-size", GROUP)),
        ("data.csv", ("--groups", "groups.txt", "--cv", 3)),
        ("first.csv", ("--target", "price", "--group-size", GROUP)),
        ("data.svm", ("--group-size", GROUP, "--cv", 3)),
    ],
)
def test_fit_every_format(cli, data, tmp_path, file, extra):
    d, w_star = data
    out = tmp_path / "fit"
    proc = cli("fit", file, *extra, "--out", out, cwd=d)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "selected 2 of 6 groups" in proc.stdout
    check_fit_outputs(out, w_star)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["estimator"] == ("DGLNNRegressorCV" if "--cv" in extra else "DGLNNRegressor")


def test_fit_subprocess(data, tmp_path):
    d, w_star = data
    out = tmp_path / "fit"
    proc = run_cli("fit", "dense.npz", "--groups", "groups_comma.txt", "--out", out, cwd=d)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    # the labels of the group file name the groups in the outputs
    check_fit_outputs(out, w_star, group_labels=(10, 11))


def test_fit_without_matplotlib(cli, data, tmp_path, monkeypatch):
    d, _ = data
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "fit"
    proc = cli("fit", "dense.npz", "--group-size", GROUP, "--out", out, cwd=d)
    assert proc.returncode == 0, proc.stderr
    assert "pip install fastgs[plot]" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert (out / "summary.json").exists() and (out / "coef.csv").exists()
    assert not (out / "cv_curve.png").exists()


def test_fit_no_refit_keeps_the_validation_chosen_model(cli, data, tmp_path):
    d, w_star = data
    out = tmp_path / "fit"
    proc = cli("fit", "dense.npz", "--group-size", GROUP, "--no-refit", "--out", out, cwd=d)
    assert proc.returncode == 0, proc.stderr
    with open(out / "coef.csv") as f:
        coef = np.array([float(r["coef"]) for r in csv.DictReader(f)])
    # the iterate with the lowest validation loss: within the noise of w*
    assert np.sum((coef - w_star) ** 2) < 0.5
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["refit"] is False and "refit" not in summary["stopping"]


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("fit", "missing.npz"), ("not found", "missing.npz")),
        (("fit", "data.parquet"), ("unknown data format",)),
        (("fit", "dense.npz", "--groups", "groups_short.txt"), ("23 labels",)),
    ],
)
def test_fit_errors_subprocess(data, tmp_path, args, fragments):
    d, _ = data
    assert_usage_error(run_cli(*args, "--out", tmp_path / "out", cwd=d), *fragments)


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("fit", "missing.npz"), ("not found", "missing.npz")),
        (("fit", "data.parquet"), ("unknown data format", "--format")),
        (("fit", "sparse.npz"), ("--y",)),
        (("fit", "bad_keys.npz"), ("'X'",)),
        (("fit", "X3d.npz"), ("2-D",)),
        (("fit", "sparse.npz", "--y", "y_short.npy"), ("shape mismatch",)),
        (("fit", "sparse.npz", "--y", "missing.npy"), ("not found",)),
        (("fit", "dense.npz", "--groups", "groups_short.txt"), ("23 labels", "24 features")),
        (("fit", "dense.npz", "--groups", "groups_bad.txt"), ("not an integer",)),
        (("fit", "dense.npz", "--groups", "groups_empty.txt"), ("empty",)),
        (("fit", "dense.npz", "--groups", "nope.txt"), ("not found",)),
        (("fit", "dense.npz", "--group-size", "5"), ("does not divide",)),
        (("fit", "dense.npz", "--group-size", "0"), ("--group-size",)),
        (("fit", "dense.npz", "--groups", "groups.txt", "--group-size", "4"), ("not allowed",)),
        (("fit", "dense.npz", "--cv", "1"), ("--cv",)),
        (("fit", "dense.npz", "--cv", "x"), ("--cv",)),
        (("fit", "dense.npz", "--validation-fraction", "1.5"), ("--validation-fraction",)),
        (("fit", "dense.npz", "--threshold", "-1"), ("--threshold",)),
        (("fit", "dense.npz", "--target", "y"), ("--target", ".csv")),
        (("fit", "data.csv", "--target", "nope"), ("nope", "columns")),
        (("fit", "data.csv", "--y", "y.npy"), ("--y",)),
        (("fit", "ragged.csv"), ("line 3",)),
        (("fit", "text.csv"), ("'x' is not a number",)),
        (("fit", "bad.svm"), ("svmlight",)),
        (("fit", "data.csv", "--format", "xls"), ("--format",)),
        (("fit", "dense.npz", "--cv", "3", "--no-refit"), ("--no-refit",)),
    ],
)
def test_fit_errors(cli, data, tmp_path, args, fragments):
    d, _ = data
    proc = cli(*args, "--out", tmp_path / "out", cwd=d)
    assert_usage_error(proc, *fragments)


def test_fit_standardizes_columns_and_reports_original_units(cli, tmp_path):
    # the same problem with the columns of the first group in other units
    X, y, w, _ = make_group_sparse_regression(N, P, group_size=GROUP, n_informative_groups=2,
                                              coef=3.0, random_state=0)  # fmt: skip
    units = np.ones(P)
    units[:GROUP] = 1000.0  # e.g. grams instead of kilograms
    results = {}
    for name, Xu in (("plain", X), ("units", X * units)):
        np.savez(tmp_path / f"{name}.npz", X=Xu, y=y)
        proc = cli("fit", tmp_path / f"{name}.npz", "--group-size", GROUP, "--cv", 3,
                   "--out", tmp_path / name)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        with open(tmp_path / name / "coef.csv") as f:
            results[name] = np.array([float(r["coef"]) for r in csv.DictReader(f)])
    # standardization makes the fit unit-free: coefficients follow the units
    np.testing.assert_allclose(results["units"] * units, results["plain"], rtol=1e-6, atol=1e-9)
    assert np.sum((results["plain"] - w) ** 2) < 0.5


def test_fit_no_standardize_reports_the_scale_warning(cli, tmp_path):
    X, y, _, _ = make_group_sparse_regression(N, P, group_size=GROUP, n_informative_groups=2,
                                              coef=3.0, random_state=0)  # fmt: skip
    np.savez(tmp_path / "small.npz", X=X * 0.01, y=y)
    proc = cli("fit", tmp_path / "small.npz", "--group-size", GROUP, "--no-standardize",
               "--max-iter", 20, "--out", tmp_path / "out")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "root-mean-square" in proc.stderr and "Traceback" not in proc.stderr
    with open(tmp_path / "out" / "summary.json") as f:
        assert json.load(f)["standardized"] is False


@pytest.mark.parametrize("loss, n_classes", [("logistic", 2), ("logistic", 3), ("poisson", None)])
def test_fit_other_losses(cli, tmp_path, loss, n_classes):
    rng = np.random.default_rng(5)
    n, p = 300, 6 * GROUP
    X = rng.standard_normal((n, p))
    w = np.zeros(p)
    w[:GROUP] = np.linspace(1.5, -1.0, GROUP)
    eta = X @ w
    if loss == "poisson":
        y = rng.poisson(np.exp(0.5 * eta)).astype(float)
    else:
        # classes from the latent linear predictor and logistic noise
        cuts = [0.0] if n_classes == 2 else [-1.0, 1.0]
        y = np.digitize(eta + rng.logistic(size=n), cuts).astype(float)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    out = tmp_path / "fit"
    proc = cli("fit", tmp_path / "d.npz", "--group-size", GROUP, "--cv", 3, "--loss", loss, "--out", out)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["estimator"] == ("DGLNNRegressorCV" if loss == "poisson" else "DGLNNClassifierCV")
    assert summary["loss"] == ("poisson" if loss == "poisson" else "log_loss")
    assert [g["group"] for g in summary["selected_groups"]] == [0]
    with open(out / "coef.csv") as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in rows[0] if c.startswith("coef")]
    assert len(columns) == (n_classes if n_classes and n_classes > 2 else 1)
    if n_classes == 3:
        assert np.size(summary["intercept"]) == 3 and summary["classes"] == [0.0, 1.0, 2.0]


def test_fit_poisson_refuses_negative_counts(cli, tmp_path):
    rng = np.random.default_rng(6)
    np.savez(tmp_path / "d.npz", X=rng.standard_normal((40, 6)), y=rng.standard_normal(40))
    proc = cli("fit", tmp_path / "d.npz", "--loss", "poisson", "--out", tmp_path / "fit")
    assert proc.returncode != 0
    assert "non-negative" in proc.stderr


def test_compile_rejects_an_unknown_storage(cli):
    assert_usage_error(cli("compile", "--storage", "csc"), "--storage", "invalid choice")


def test_precompile_covers_both_sparse_cv_sweeps():
    """The compiled CSR fits include data that 5-fold cross-validation sweeps
    as CSR and data it sweeps as CSC, in each dtype, so a wide sparse first
    fit finds its sweep compiled too."""
    from fastgs._precompile import DTYPES, _problems
    from fastgs.path import _cv_sweep_storage

    for dtype in DTYPES:
        swept = {_cv_sweep_storage(6, X.shape[1], X.dtype) for X, _ in _problems("csr", dtype)}
        assert swept == {"csr", "csc"}, dtype


def test_precompile_names_the_bad_argument():
    from fastgs._precompile import precompile

    with pytest.raises(ValueError, match="storages"):
        precompile(storages=("coo",))
    with pytest.raises(ValueError, match="dtypes"):
        precompile(dtypes=())

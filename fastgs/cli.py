"""The ``fastgs`` command line: ``fastgs reproduce ...``, ``fastgs fit ...`` and ``fastgs compile``.

Every user mistake ends with one line ``fastgs: error: <message>`` on stderr
and exit code 2 (argparse's convention), never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

from ._precompile import DTYPES as PRECOMPILE_DTYPES
from ._precompile import STORAGES as PRECOMPILE_STORAGES
from .io import load_data, load_group_labels

__all__ = ["main"]

EXIT_USAGE = 2

REPRODUCE_EPILOG = """\
experiments (docs/method.rst, 'Reference results', lists what each should reach):
  fig2   Algorithm 1, n=150, p=300, 3 groups of 3, entries 10, gamma=2e-3
  fig3   Algorithm 2 (paper's switch rule), entries 5..13
  fig4   DGLNN vs the diagonal linear network a∘a−b∘b, n=100, p=500, 4 groups of 4
  fig5   group size 1, n=80, p=200, support [1,-1,1,-1,1] (median log2 error curve)
  snr    Gaussian X, n=150, p=300, 3 groups of 4, SNR 1..30: validation-stopped DGLNN vs
         group lasso tuned on the same validation set (skglm: pip install fastgs[baselines])
         vs validation-stopped a∘a−b∘b
  all    all of the above

writes to --out: <name>.csv (one row per run), <name>.json (settings, medians, the
comparison with the paper), <name>.png (needs matplotlib: pip install fastgs[plot]) and
summary.md (the printed tables).

examples:
  fastgs reproduce all --quick
  fastgs reproduce fig4 --seeds 10 --out results
"""

FIT_EPILOG = """\
data formats (by file extension, or --format):
  .npz                 arrays X (n, p) and y (n,) saved with numpy.savez; or a sparse X saved
                       with scipy.sparse.save_npz, with the targets in --y FILE
  .csv                 a header line, then numbers; --target names the target column
                       (default: the last one); the other columns are the features
  .svm .svmlight .libsvm   svmlight/libsvm text (sklearn.datasets.load_svmlight_file)
  --y FILE             targets for .npz data: .npy, .npz (array y) or text with one number per
                       line (or comma separated); overrides a y array inside the .npz

group file (--groups FILE): one integer label per feature, in feature order, separated by
  newlines, commas or spaces (e.g. "0,0,0,1,1,2"); features with the same label form a group.
  Lines starting with # are ignored. Without --groups or --group-size every feature is its
  own group.

The columns are divided by their standard deviations for the fit (DGLNN assumes standardized
columns; sparse X stays sparse), unless --no-standardize; coefficients are reported for the
original columns, group norms (and so the selection) on the standardized ones.

writes to --out: coef.csv (feature, group, coefficient), groups.csv (every group with its norm,
selected ones first), summary.json (the stopping iteration, intercept, selected groups, ...)
and cv_curve.png (the validation or cross-validation curve; needs matplotlib).

--loss logistic fits a binary outcome (the target's two values; the larger is the positive
class), --loss poisson counts; the coefficients are those of the log-odds or the log-mean.

examples:
  fastgs fit data.csv --target price --group-size 4 --cv 5
  fastgs fit X.npz --y y.npy --groups groups.txt --out fit1
  fastgs fit cases.csv --target disease --group-size 3 --cv 5 --loss logistic
"""



class UsageError(ValueError):
    """A mistake in the command line or the input files (reported on one line)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``fastgs: error: <message>``, exit 2."""

    def error(self, message):
        hint = f" (see '{self.prog} --help')"
        _fail(message + hint)


def _fail(message: str):
    one_line = " ".join(str(message).split())
    sys.stderr.write(f"fastgs: error: {one_line}\n")
    sys.exit(EXIT_USAGE)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not (value >= 0.0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _schedules() -> tuple:
    """The schedules the estimators accept (read from their parameter checks)."""
    from .estimators import DGLNNRegressor

    try:
        return tuple(sorted(DGLNNRegressor._parameter_constraints["schedule"][0].options))
    except (KeyError, IndexError, AttributeError):
        return ("paper", "fast")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .paper.experiments import EXPERIMENTS

    parser = _Parser(
        prog="fastgs",
        description="Group-sparse linear models by implicit regularization (DGLNN, Li et al., "
        "ICLR 2023): reproduce the paper's experiments or fit your own data.",
    )
    parser.add_argument("--version", action="version", version=f"fastgs {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{reproduce,fit,compile}")

    rep = sub.add_parser(
        "reproduce",
        help="rerun the paper's Section 5 experiments and the SNR comparison",
        description="Rerun an experiment of the paper: print a results table (with the "
        "numbers the paper's settings should reach) and write figures, CSV and JSON.",
        epilog=REPRODUCE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("experiment", choices=(*EXPERIMENTS, "all"), help="which experiment")
    rep.add_argument(
        "--quick",
        action="store_true",
        help="fewer seeds (and SNR values): `all` in about two minutes",
    )
    rep.add_argument(
        "--seeds",
        type=_positive_int,
        metavar="N",
        help="number of seeds per setting (default: 10, fig5 30; --quick: 3, fig5 8)",
    )
    rep.add_argument(
        "--out",
        default="fastgs-reproduce",
        metavar="DIR",
        help="output directory (default: ./fastgs-reproduce)",
    )
    rep.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the independent runs on a Dask cluster at ADDRESS (fastgs.dask.map_on_cluster)",
    )
    rep.add_argument("--quiet", action="store_true", help="no progress bar")
    rep.set_defaults(func=_cmd_reproduce)

    fit = sub.add_parser(
        "fit",
        help="fit DGLNN to a data file (.npz, .csv, svmlight)",
        description="Fit an early-stopped DGLNN model (DGLNNRegressor, or DGLNNRegressorCV "
        "with --cv; the classifiers with --loss logistic) to a data file and write the coefficients, the selected groups, the "
        "stopping iteration and the validation curve.",
        epilog=FIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fit.add_argument("data", metavar="DATA", help="data file: .npz, .csv or .svm/.svmlight/.libsvm")
    fit.add_argument(
        "--format",
        choices=("npz", "csv", "svmlight"),
        help="data format (default: from the file extension)",
    )
    fit.add_argument("--y", metavar="FILE", dest="y_file", help="targets for .npz data (see below)")
    fit.add_argument("--target", metavar="COL", help="target column of a .csv (default: the last)")
    grp = fit.add_mutually_exclusive_group()
    grp.add_argument("--groups", metavar="FILE", help="group file: one integer label per feature")
    grp.add_argument(
        "--group-size",
        type=_positive_int,
        metavar="K",
        help="contiguous groups of K features (K must divide the number of features)",
    )
    fit.add_argument(
        "--loss",
        choices=("squared_error", "logistic", "log_loss", "poisson"),
        default="squared_error",
        help="squared_error (regression, the default); logistic (alias log_loss: classes, the "
        "target's distinct values; two fit the logistic model, more the grouped multinomial; "
        "DGLNNClassifier); poisson (counts, target >= 0)",
    )
    fit.add_argument(
        "--cv",
        type=_positive_int,
        metavar="K",
        help="choose the stopping iteration by K-fold cross-validation "
        "(DGLNNRegressorCV); default: one validation split (DGLNNRegressor)",
    )
    fit.add_argument(
        "--validation-fraction",
        type=_fraction,
        default=0.2,
        metavar="F",
        help="share of the rows held out without --cv (default 0.2)",
    )
    fit.add_argument(
        "--schedule",
        choices=_schedules(),
        help="iteration schedule (default: the package default)",
    )
    fit.add_argument(
        "--max-iter",
        type=_positive_int,
        metavar="N",
        help="cap on the passes over X (default: the schedule's); the run ends earlier once "
        "the validation loss has stopped improving, and a note says when the cap ended it",
    )
    fit.add_argument(
        "--no-refit",
        action="store_true",
        help="without --cv: keep the model trained on the split at the validation-chosen "
        "iteration instead of refitting on all rows for that many passes",
    )
    fit.add_argument("--no-intercept", action="store_true", help="fit without an intercept")
    fit.add_argument(
        "--no-standardize",
        action="store_true",
        help="fit the columns as they are; by default each column is divided by its "
        "standard deviation for the fit (DGLNN assumes standardized columns) and the "
        "coefficients are reported for the original columns",
    )
    fit.add_argument(
        "--threshold",
        type=_nonnegative_float,
        default=None,
        metavar="T",
        help="select the groups whose norm is at least T times the largest group norm "
        "(default: the estimator's selected_groups_, the groups above the largest gap "
        "of the group magnitudes; see fastgs.select_groups)",
    )
    fit.add_argument(
        "--seed", type=int, default=0, help="random seed of the split/folds (default 0)"
    )
    fit.add_argument(
        "--out",
        default="fastgs-fit",
        metavar="DIR",
        help="output directory (default: ./fastgs-fit)",
    )
    fit.set_defaults(func=_cmd_fit)

    comp = sub.add_parser(
        "compile",
        help="compile the kernels of the common first fits into Numba's on-disk cache",
        description="Fit each estimator on small problems (one and several row chunks; for CSR "
        "also a wide one, which cross-validation sweeps as CSC), "
        "so that later one-thread first fits of the same storage and dtype, on data of any "
        "size, load compiled code instead of compiling it (the wheel build runs this too; "
        "docs/performance.rst, 'Compile time'). The code is compiled for this machine's CPU "
        "and this Numba version.",
    )
    comp.add_argument(
        "--storage",
        nargs="+",
        choices=PRECOMPILE_STORAGES,
        default=list(PRECOMPILE_STORAGES),
        help="storage of X (default: dense csr; CSC input is fitted as CSR)",
    )
    comp.add_argument(
        "--dtype",
        nargs="+",
        choices=PRECOMPILE_DTYPES,
        default=["float64"],
        help="floating-point type (default: float64)",
    )
    comp.add_argument("--quiet", action="store_true", help="print nothing")
    comp.set_defaults(func=_cmd_compile)
    return parser


def main(argv=None) -> int:
    """Run the ``fastgs`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("choose a command: reproduce, fit or compile")
    try:
        return args.func(args)
    except (UsageError, ValueError, TypeError, ImportError) as exc:
        _fail(str(exc))
    except FileNotFoundError as exc:
        _fail(f"file not found: {exc.filename or exc}")
    except OSError as exc:
        what = f"{exc.strerror}: {exc.filename}" if exc.filename and exc.strerror else str(exc)
        _fail(what)
    except KeyboardInterrupt:
        sys.stderr.write("fastgs: interrupted\n")
        return 130


# --------------------------------------------------------------------------
# helpers


def _matplotlib_agg() -> bool:
    """Select the Agg backend (files only, no display); False without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    return True


def _make_out_dir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path


def _write_csv(path, rows, header=None):
    header = header or list(rows[0])
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in header})


def _note(message: str) -> None:
    sys.stderr.write(f"fastgs: {message}\n")


# --------------------------------------------------------------------------
# fastgs compile


def _cmd_compile(args) -> int:
    from ._precompile import precompile

    log = None if args.quiet else lambda line: print(f"fastgs compile: {line}", flush=True)
    precompile(args.storage, args.dtype, log=log)
    return 0


# --------------------------------------------------------------------------
# fastgs reproduce


def _cluster_runner(address: str):
    try:
        from .dask import map_on_cluster
    except ImportError as exc:
        raise UsageError(
            f"--scheduler needs dask and fastgs.dask ({exc}); install dask[distributed]"
        ) from None
    return lambda func, items: map_on_cluster(func, items, address)


def _cmd_reproduce(args) -> int:
    from .paper import experiments
    from ._progress import sequential_map

    names = list(experiments.EXPERIMENTS) if args.experiment == "all" else [args.experiment]
    if "snr" in names:
        try:
            import skglm  # noqa: F401
        except ImportError:
            raise UsageError(f"reproduce {args.experiment}: {experiments.BASELINES_HINT}") from None
    # fail on a missing dask before any work, not after the first experiment
    cluster = _cluster_runner(args.scheduler) if args.scheduler else None
    progress = False if args.quiet else None  # None: only on a terminal

    def make_runner(name):
        if cluster is not None:
            return cluster
        return lambda func, items: sequential_map(func, items, label=name, enabled=progress)

    out = _make_out_dir(args.out)
    can_plot = _matplotlib_agg()
    if not can_plot:
        _note("figures skipped: plotting needs matplotlib (pip install fastgs[plot])")
    mode = "quick" if args.quick else "full"
    print(f"fastgs reproduce {args.experiment} ({mode} run); output in {out}/")
    t_start = time.perf_counter()
    sections = []
    for name in names:
        result = experiments.reproduce(name, args.seeds, quick=args.quick, runner=make_runner(name))
        text = f"## {result.title}\n\n{result.table()}\n\n({len(result.rows)} runs, {result.seconds:.1f} s)"
        print("\n" + text, flush=True)
        sections.append(text)
        _write_csv(os.path.join(out, f"{name}.csv"), result.rows)
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump(result.to_dict(), f, indent=1)
        if can_plot:
            from .paper.figures import plot_experiment

            fig = plot_experiment(result)
            fig.savefig(os.path.join(out, f"{name}.png"), dpi=80)
            import matplotlib.pyplot as plt

            plt.close(fig)
    total = time.perf_counter() - t_start
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(f"fastgs reproduce {args.experiment} ({mode} run), {total:.0f} s\n\n")
        f.write("\n\n".join(sections) + "\n")
    print(
        f"\nTotal {total:.1f} s. Wrote {', '.join(f'{n}.csv/.json' + ('/.png' if can_plot else '') for n in names)} "
        f"and summary.md to {out}/"
    )
    return 0


# --------------------------------------------------------------------------
# fastgs fit


def _cmd_fit(args) -> int:
    from sklearn.exceptions import ConvergenceWarning

    from .estimators import DGLNNClassifier, DGLNNClassifierCV, DGLNNRegressor, DGLNNRegressorCV
    from .path import column_scales
    from .results import DivergenceWarning, ScaleWarning

    X, y, names = load_data(args.data, args.format, target=args.target, y_file=args.y_file)
    n, p = X.shape
    if args.groups:
        groups = load_group_labels(args.groups, p)
    elif args.group_size:
        if p % args.group_size:
            raise UsageError(f"--group-size {args.group_size} does not divide the {p} features")
        groups = args.group_size
    else:
        groups = None
    options = {
        "groups": groups,
        "max_iter": args.max_iter,
        "fit_intercept": not args.no_intercept,
        "standardize": not args.no_standardize,
        "random_state": args.seed,
    }
    if args.schedule:
        options["schedule"] = args.schedule
    classify = args.loss in ("logistic", "log_loss")
    if classify:
        n_classes = np.unique(y).shape[0]
        if n_classes < 2:
            raise UsageError("--loss logistic needs a target with at least two distinct values")
        single, cross = DGLNNClassifier, DGLNNClassifierCV
    else:
        if args.loss == "poisson" and np.any(y < 0):
            raise UsageError("--loss poisson needs a non-negative target (counts)")
        options["loss"] = args.loss
        single, cross = DGLNNRegressor, DGLNNRegressorCV
    if args.cv is not None:
        if args.cv < 2 or args.cv > n:
            raise UsageError(
                f"--cv must be between 2 and the number of samples ({n}), got {args.cv}"
            )
        if args.no_refit:
            raise UsageError("--no-refit applies without --cv (cross-validation always refits)")
        model = cross(cv=args.cv, **options)
    else:
        model = single(validation_fraction=args.validation_fraction, refit=not args.no_refit, **options)
    t0 = time.perf_counter()
    noted = (DivergenceWarning, ScaleWarning, ConvergenceWarning)
    with warnings.catch_warnings(record=True) as caught:
        for category in noted:
            warnings.simplefilter("always", category)
        model.fit(X, y)
    seconds = time.perf_counter() - t0
    for w in caught:
        if issubclass(w.category, noted):
            _note(f"warning: {' '.join(str(w.message).split())}")

    out = _make_out_dir(args.out)
    grp = model.groups_
    labels = grp.labels if getattr(grp, "labels", None) is not None else np.arange(grp.n_groups)
    # for the original columns: (p,), or (p, K) for a multinomial fit
    coef_all = np.asarray(model.coef_, dtype=np.float64)
    coef_all = coef_all.T if coef_all.ndim == 2 and coef_all.shape[0] > 1 else coef_all.ravel()
    coef = np.sqrt(np.sum(coef_all**2, axis=1)) if coef_all.ndim == 2 else coef_all
    feature_group = grp.feature_group
    # group norms in the fit's coordinates (the standardized columns unless
    # --no-standardize): comparable across groups whatever the units of the
    # original columns
    scale = np.ones(p)
    if not args.no_standardize:
        squares = X.multiply(X) if sp.issparse(X) else X * X
        scale = column_scales(np.asarray(squares.mean(axis=0)).ravel(),
                              np.asarray(X.mean(axis=0)).ravel(), not args.no_intercept)  # fmt: skip
    coef_fit = coef * scale
    norms = np.array([np.linalg.norm(coef_fit[grp.indices(l)]) for l in range(grp.n_groups)])
    top = norms.max() if norms.size else 0.0
    if args.threshold is None:
        selected = np.zeros(grp.n_groups, dtype=bool)
        selected[model.selected_groups_] = True
    else:
        selected = (norms >= args.threshold * top) & (norms > 0)
    coef_rows = [
        {
            "feature": j,
            "name": (names[j] if names else f"x{j}"),
            "group": _plain(labels[feature_group[j]]),
            **({"coef": repr(float(coef[j]))} if coef_all.ndim == 1 else
               {f"coef_{_plain(c)}": repr(float(coef_all[j, k])) for k, c in enumerate(model.classes_)}),
        }
        for j in range(p)
    ]  # fmt: skip
    _write_csv(os.path.join(out, "coef.csv"), coef_rows)
    order = np.lexsort((-norms, ~selected))
    group_rows = [
        {
            "group": _plain(labels[l]),
            "size": int(grp.sizes[l]),
            "norm": repr(float(norms[l])),
            "selected": int(selected[l]),
        }
        for l in order
    ]
    _write_csv(os.path.join(out, "groups.csv"), group_rows)
    chosen = [{"group": _plain(labels[l]), "norm": float(norms[l])} for l in order if selected[l]]
    summary = {
        "data": os.path.abspath(args.data),
        "n_samples": n,
        "n_features": p,
        "n_groups": int(grp.n_groups),
        "estimator": type(model).__name__,
        "loss": "log_loss" if classify else args.loss,
        "classes": [_plain(c) for c in model.classes_] if classify else None,
        "stopping": f"{args.cv}-fold cross-validation"
        if args.cv
        else f"validation split ({args.validation_fraction:g} of the rows held out)"
        + ("" if args.no_refit else ", refit on all rows"),
        "best_iter": None if model.best_iter_ is None else int(model.best_iter_),
        "n_iter": int(model.n_iter_),
        "intercept": (float(np.ravel(model.intercept_)[0]) if np.size(model.intercept_) == 1
                      else [float(b) for b in model.intercept_]),  # fmt: skip
        "threshold": args.threshold,
        "n_selected": len(chosen),
        "selected_groups": chosen,
        "status": model.status_.message,
        "stop_reason": (model.cv_path_ if args.cv else model.path_).stop_reason,
        "seconds": seconds,
        "standardized": not args.no_standardize,
        "params": {k: v for k, v in model.get_params().items() if k != "groups"},
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=_plain)
    wrote = ["coef.csv", "groups.csv", "summary.json"]
    if _matplotlib_agg():
        import matplotlib.pyplot as plt

        from .plotting import plot_cv_curve

        ax = plot_cv_curve(model)
        ax.set_title(f"{os.path.basename(args.data)}: {summary['stopping']}", fontsize="small")
        ax.figure.tight_layout()
        ax.figure.savefig(os.path.join(out, "cv_curve.png"), dpi=80)
        plt.close(ax.figure)
        wrote.append("cv_curve.png")
    else:
        _note("cv_curve.png skipped: the plot needs matplotlib (pip install fastgs[plot])")

    print(
        f"{os.path.basename(args.data)}: n={n}, p={p}, {grp.n_groups} groups; "
        f"{summary['estimator']} with {summary['stopping']}"
    )
    print(
        f"stopping iteration: {summary['best_iter']} passes over X (final model: "
        f"{summary['n_iter']} iterations incl. any skipped start, {seconds:.1f} s); "
        f"intercept {np.round(summary['intercept'], 6)}"
    )
    shown = ", ".join(f"{g['group']} ({g['norm']:.4g})" for g in chosen[:10])
    more = f", ... ({len(chosen) - 10} more)" if len(chosen) > 10 else ""
    rule = ("above the largest gap of the group magnitudes" if args.threshold is None
            else f"norm >= {args.threshold:g} x the largest")  # fmt: skip
    print(f"selected {len(chosen)} of {grp.n_groups} groups ({rule}): {shown or 'none'}{more}")
    print(f"wrote {', '.join(wrote)} to {out}/")
    return 0


def _plain(value):
    """numpy scalars -> Python scalars (for CSV and JSON)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


if __name__ == "__main__":
    sys.exit(main())

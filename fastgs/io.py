"""Reading users' data files: the loaders behind ``fastgs fit``.

``load_data`` reads ``.npz`` (arrays ``X`` and ``y``, or a sparse X saved with
``scipy.sparse.save_npz`` plus targets from ``y_file``), ``.csv`` (a header
line; the target column by name, default the last) and svmlight/libsvm text.
``load_group_labels`` reads one integer group label per feature.  Every
problem with a file raises :class:`DataFileError` (a ``ValueError``) whose
message names the file and what is wrong.
"""

from __future__ import annotations

import csv
import os
import re

import numpy as np

__all__ = ["DataFileError", "SVMLIGHT_SUFFIXES", "load_data", "load_group_labels"]

SVMLIGHT_SUFFIXES = (".svm", ".svmlight", ".libsvm")


class DataFileError(ValueError):
    """A data, target or group file that cannot be used (the message says why)."""



def _data_format(path: str, fmt) -> str:
    if fmt:
        return fmt
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npz":
        return "npz"
    if suffix == ".csv":
        return "csv"
    if suffix in SVMLIGHT_SUFFIXES:
        return "svmlight"
    raise DataFileError(
        f"unknown data format of {path!r} (extension {suffix or 'none'!r}); use .npz, .csv, "
        ".svm/.svmlight/.libsvm or give --format"
    )


def _require_file(path: str, what: str) -> None:
    if not os.path.exists(path):
        raise DataFileError(f"{what} not found: {path}")
    if os.path.isdir(path):
        raise DataFileError(f"{what} is a directory, not a file: {path}")


def _read_numbers_text(path: str, what: str) -> np.ndarray:
    """Numbers separated by newlines, commas or whitespace ('#' lines ignored)."""
    with open(path) as f:
        text = "\n".join(line for line in f if not line.lstrip().startswith("#"))
    tokens = [t for t in re.split(r"[\s,;]+", text) if t]
    if not tokens:
        raise DataFileError(f"{what} {path} is empty")
    try:
        return np.array([float(t) for t in tokens])
    except ValueError:
        bad = next(t for t in tokens if not _is_float(t))
        raise DataFileError(f"{what} {path}: {bad!r} is not a number") from None


def _is_float(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _load_targets(path: str) -> np.ndarray:
    _require_file(path, "--y file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        y = np.load(path, allow_pickle=False)
    elif suffix == ".npz":
        with np.load(path, allow_pickle=False) as arrays:
            if "y" not in arrays.files:
                raise DataFileError(
                    f"--y file {path} has no array 'y' (found: {', '.join(arrays.files)})"
                )
            y = arrays["y"]
    else:
        y = _read_numbers_text(path, "--y file")
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.ravel()
    if y.ndim != 1:
        raise DataFileError(
            f"--y file {path}: expected one target per row, got an array of shape {y.shape}"
        )
    return y


def _load_npz(path: str, y_file):
    import scipy.sparse as sp

    try:
        arrays = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise DataFileError(f"could not read {path} as .npz: {exc}") from None
    with arrays:
        keys = set(arrays.files)
        if {"format", "shape", "data"} <= keys:  # written by scipy.sparse.save_npz
            X = sp.load_npz(path).tocsr()
            y = None
        elif "X" in keys:
            X = arrays["X"]
            y = arrays["y"] if "y" in keys else None
        else:
            raise DataFileError(
                f"{path} holds neither an array 'X' nor a scipy.sparse matrix "
                f"(found: {', '.join(sorted(keys)) or 'nothing'})"
            )
    if y_file:
        y = _load_targets(y_file)
    if y is None:
        raise DataFileError(
            f"{path} has no targets: save an array 'y' next to 'X' (numpy.savez) or give "
            "--y FILE (required for a sparse X saved with scipy.sparse.save_npz)"
        )
    return X, y, None


def _load_csv(path: str, target):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise DataFileError(f"{path} is empty (expected a header line, then rows of numbers)")
        rows = [row for row in reader if row]
    header = [h.strip() for h in header]
    if len(header) < 2:
        raise DataFileError(
            f"{path} has {len(header)} column; need at least one feature and the target"
        )
    if target is None:
        t = len(header) - 1
    elif target in header:
        t = header.index(target)
    else:
        shown = ", ".join(header[:8]) + (", ..." if len(header) > 8 else "")
        raise DataFileError(f"--target {target!r} is not a column of {path} (columns: {shown})")
    if not rows:
        raise DataFileError(f"{path} has a header but no data rows")
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise DataFileError(
                f"{path} line {i + 2} has {len(row)} fields, the header has {len(header)}"
            )
    try:
        data = np.array(rows, dtype=np.float64)
    except ValueError:
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                if not _is_float(cell):
                    raise DataFileError(
                        f"{path} line {i + 2}, column {header[j]!r}: {cell!r} is not a number"
                    ) from None
        raise
    y = data[:, t]
    X = np.delete(data, t, axis=1)
    names = header[:t] + header[t + 1 :]
    return X, y, names


def _load_svmlight(path: str):
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataFileError(f"could not read {path} as svmlight/libsvm text: {exc}") from None
    return X.tocsr(), y, None


def load_data(path, fmt=None, *, target=None, y_file=None):
    """Read a data file for ``fastgs fit``: returns ``X, y, feature_names``."""
    _require_file(path, "data file")
    fmt = _data_format(path, fmt)
    if target is not None and fmt != "csv":
        raise DataFileError("--target applies to .csv data only")
    if y_file is not None and fmt != "npz":
        raise DataFileError(f"--y applies to .npz data only ({fmt} files hold their targets)")
    if fmt == "npz":
        X, y, names = _load_npz(path, y_file)
    elif fmt == "csv":
        X, y, names = _load_csv(path, target)
    else:
        X, y, names = _load_svmlight(path)
    if X.ndim != 2:
        raise DataFileError(f"X in {path} must be 2-D (samples x features), got shape {X.shape}")
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataFileError(f"y must be 1-D (one target per sample), got shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise DataFileError(f"shape mismatch: X has {X.shape[0]} rows but y has {y.shape[0]} values")
    if y.dtype.kind not in "biuf":
        raise DataFileError(f"y must be numeric, got dtype {y.dtype}")
    if not np.all(np.isfinite(y)):
        raise DataFileError("y contains NaN or infinite values")
    return X, y, names


def load_group_labels(path: str, n_features: int) -> np.ndarray:
    """Read a group file: one integer label per feature (newline, comma or space separated)."""
    _require_file(path, "group file")
    with open(path) as f:
        text = "\n".join(line for line in f if not line.lstrip().startswith("#"))
    tokens = [t for t in re.split(r"[\s,;]+", text) if t]
    if not tokens:
        raise DataFileError(f"group file {path} is empty (expected one integer label per feature)")
    labels = []
    for i, token in enumerate(tokens):
        try:
            labels.append(int(token))
        except ValueError:
            raise DataFileError(
                f"group file {path}: label {i + 1} ({token!r}) is not an integer"
            ) from None
    if len(labels) != n_features:
        raise DataFileError(
            f"group file {path} has {len(labels)} labels but the data has {n_features} features "
            "(one label per feature)"
        )
    return np.array(labels, dtype=np.int64)

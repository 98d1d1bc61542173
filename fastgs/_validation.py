"""Input validation and canonicalization at the Python boundary.

Everything a kernel receives is checked here first: dtypes (float32 or
float64), C order for dense X, CSR/CSC index arrays in range, finite values.
At most one canonicalizing copy of X is made (F-order -> C order, or a sparse
format other than CSR/CSC -> CSR); the caller's arrays are never written to.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp

from .cv_kernels import folds_column_increments, folds_residual_width
from .kernels import SerialChunks

__all__ = ["Design", "check_design", "check_target", "check_scalar", "empty_design_like", "match_design"]


class Design:
    """X made canonical for the kernels.

    Attributes
    ----------
    kind : {"dense", "csr", "csc"}
    arrays : the object handed to compiled code: the 2-D C-ordered array
        (dense), ``(data, indices, indptr)`` (CSR) or
        ``(data, indices, indptr, n_rows)`` (CSC).
    shape : (n, p) ; dtype : float32 or float64
    """

    __slots__ = ("kind", "arrays", "shape", "dtype")

    def __init__(self, kind, arrays, shape, dtype):
        self.kind = kind
        self.arrays = arrays
        self.shape = shape
        self.dtype = dtype

    def n_row_chunks(self) -> int:
        """Row chunks of the multi-threaded sweep: a function of the data only.

        Dense: about 1M entries per chunk (so a thread's share amortizes the
        launch); CSR: about 64K nonzeros per chunk.  At most 64 chunks and
        64 MB of per-chunk gradient buffers.  CSC is swept serially (1); its
        cross-validation sweep has row chunks per thread (:meth:`fold_workspace`).
        """
        n, p = self.shape
        if self.kind == "csc":
            return 1
        if self.kind == "dense":
            chunks = min(64, (n * p) >> 20, n // 4)
        else:
            # each chunk scatters into its own p-vector and the sum costs chunks * p:
            # worth it only when a chunk holds many nonzeros per column of X
            nnz = int(self.arrays[2][-1])
            chunks = min(64, nnz >> 16, nnz // (16 * p), n // 4)
        chunks = min(chunks, (64 << 20) // (p * self.dtype.itemsize))
        return max(1, int(chunks))

    def workspace(self, n_threads: int = 1):
        """The (n_row_chunks, p) scratch buffer of the multi-threaded sweep.

        None for a single chunk: the solvers then run the serial sweep (the
        same arithmetic) and compile no parallel code.  For ``n_threads=1``,
        the buffer comes in a :class:`fastgs.kernels.SerialChunks`: the same
        chunks, and so the same bits, run in order on the calling thread,
        again without compiling parallel code.
        """
        chunks = self.n_row_chunks()
        if chunks == 1:
            return None
        work = np.empty((chunks, self.shape[1]), dtype=self.dtype)
        return SerialChunks(work) if n_threads == 1 else work

    def fold_workspace(self, M: int, n_threads: int = 1):
        """Scratch of the multi-threaded M-model sweep (cross-validation):
        ``(work_G, work_s)``.

        Dense and CSR: work_G (chunks, M, p), the row chunks' partial gradients
        (the row chunks of :meth:`n_row_chunks`, at most 8 and 64 MB: a number
        that depends only on the data, since the partial sums' order does).
        CSC: work_G (chunks + 1, p) int64, where column j's stored entries of
        the rows of chunk c start (see
        :func:`fastgs.cv_kernels.residual_gradient_folds_csc_chunked`): one chunk
        per thread (at least 64K stored entries each), as the bits do not
        depend on the chunks; one chunk (the serial sweep) when a column's row
        indices are not sorted.  The serial CSC sweep of six models gets
        instead (nnz,) uint8 column increments
        (:func:`fastgs.cv_kernels.folds_column_increments`; None where they
        do not apply).  work_s: dense and CSR (chunks, 3, M), the row
        chunks' loss sums; CSC (n, M') the models' residuals (M' =
        :func:`fastgs.cv_kernels.folds_residual_width` (M)).  With a single
        chunk, work_G is None (CSC: or the increments above; dense and CSR
        work_s too): the serial sweep, with no parallel code to compile.
        Dense and CSR on one thread (``n_threads=1``): work_G in a
        :class:`fastgs.kernels.SerialChunks`, the same chunks and bits in
        order on the calling thread, again with no parallel code.
        """
        n, p = self.shape
        if self.kind == "csc":
            data, indices, indptr = self.arrays[:3]
            nnz = int(indptr[-1])
            chunks = max(1, min(int(n_threads), nnz >> 16, n))
            rows = indices[:nnz]
            if chunks > 1 and not _to_scipy(self).has_sorted_indices:
                chunks = 1
            if chunks == 1:
                return (folds_column_increments(indptr, M),
                        np.empty((n, folds_residual_width(M)), dtype=self.dtype))  # fmt: skip
            work_G = np.empty((chunks + 1, p), dtype=np.int64)
            work_G[0] = indptr[:-1]
            work_G[chunks] = indptr[1:]
            cols = np.repeat(np.arange(p), np.diff(indptr))
            for c in range(1, chunks):
                below = np.bincount(cols[rows < (c * n) // chunks], minlength=p)
                work_G[c] = indptr[:-1] + below
            return work_G, np.empty((n, folds_residual_width(M)), dtype=self.dtype)
        size = self.dtype.itemsize
        chunks = max(1, min(self.n_row_chunks(), 8, (64 << 20) // (M * p * size)))
        if chunks == 1:
            return None, None
        work_G = np.empty((chunks, M, p), dtype=self.dtype)
        work_s = np.empty((chunks, 3, M), dtype=self.dtype)
        return (SerialChunks(work_G) if n_threads == 1 else work_G), work_s

    def with_sorted_indices(self) -> "Design":
        """This sparse design with the indices of each row (CSR) or column (CSC)
        in increasing order: itself if they are, else one copy (the caller's
        matrix is never touched).  Dtypes are kept."""
        mat = _to_scipy(self)
        if mat.has_sorted_indices:
            return self
        mat = mat.sorted_indices()
        data, indices, indptr = self.arrays[:3]
        arrays = (np.asarray(mat.data, dtype=self.dtype), mat.indices.astype(indices.dtype, copy=False),
                  mat.indptr.astype(indptr.dtype, copy=False)) + tuple(self.arrays[3:])  # fmt: skip
        return Design(self.kind, arrays, self.shape, self.dtype)

    def as_sparse_kind(self, kind: str, index_dtype=None) -> "Design":
        """This design stored as sparse ``kind`` ("csr" or "csc") with
        ``index_dtype`` (default: its own, int32 for dense): itself if it
        already is, else one conversion (a copy of the nonzeros; the caller's
        matrix is never touched).  The dtype is kept.
        """
        if index_dtype is None:
            index_dtype = np.int32 if self.kind == "dense" else self.arrays[1].dtype
        index_dtype = np.dtype(index_dtype)
        if self.kind == kind and self.arrays[1].dtype == index_dtype:
            return self
        mat = sp.csr_matrix(self.arrays) if self.kind == "dense" else _to_scipy(self)
        mat = mat.asformat(kind)
        data = np.ascontiguousarray(mat.data, dtype=self.dtype)
        indices = mat.indices.astype(index_dtype)
        indptr = mat.indptr.astype(index_dtype)
        n = mat.shape[0]
        arrays = (data, indices, indptr) if kind == "csr" else (data, indices, indptr, np.int64(n))
        return Design(kind, arrays, mat.shape, self.dtype)

    def column_means(self, sample_weight=None) -> np.ndarray:
        """(Weighted) mean of each column, (p,) in the design's dtype (sums in float64).

        sample_weight : None or (n,) non-negative weights with a positive sum.
        """
        n, p = self.shape
        if sample_weight is None:
            if self.kind == "dense":
                return self.arrays.mean(axis=0, dtype=np.float64).astype(self.dtype)
            cols, values = self._nonzeros()
            return (np.bincount(cols, weights=values, minlength=p) / n).astype(self.dtype)
        sw = np.asarray(sample_weight, dtype=np.float64)
        return (self._weighted_column_sums(sw, squared=False) / sw.sum()).astype(self.dtype)

    def column_mean_squares(self, sample_weight=None) -> np.ndarray:
        """(Weighted) mean of the squares of each column, (p,) float64 (one
        pass, no copy of dense X; sparse X with duplicate entries is summed up
        in a copy first)."""
        n, p = self.shape
        if sample_weight is not None:
            sw = np.asarray(sample_weight, dtype=np.float64)
            return self._weighted_column_sums(sw, squared=True) / sw.sum()
        if self.kind == "dense":
            return np.einsum("ij,ij->j", self.arrays, self.arrays, dtype=np.float64) / n
        cols, values = self._nonzeros(canonical=True)
        return np.bincount(cols, weights=values * values, minlength=p) / n

    def _weighted_column_sums(self, sw: np.ndarray, squared: bool) -> np.ndarray:
        """``sum_i sw_i X_ij`` (or of ``X_ij^2``) for every column j, float64."""
        return self.fold_column_sums(np.zeros(self.shape[0], dtype=np.int64), 1, squared, sw)[0]

    def fold_column_sums(self, fold: np.ndarray, n_folds: int, squared: bool = False,
                         sample_weight=None) -> np.ndarray:  # fmt: skip
        """Sum of each column (or of its squares) over the rows of each fold.

        Parameters
        ----------
        fold : int64 array (n,), fold label in ``[0, n_folds)`` of each row
        n_folds : int
        squared : bool, default False, sum the squares of the entries
        sample_weight : None or float64 array (n,), weights of the rows' terms

        Returns
        -------
        (n_folds, p) float64 array.  One pass over X; dense X is read in row
        blocks, so no temporary of X's size is made.
        """
        n, p = self.shape
        out = np.zeros((n_folds, p))
        if self.kind == "dense":
            X = self.arrays
            rows = max(1, (1 << 22) // max(p, 1))  # blocks of about 32 MB in float64
            for start in range(0, n, rows):
                block = X[start : start + rows].astype(np.float64)
                if squared:
                    block *= block
                weights = (np.ones(block.shape[0]) if sample_weight is None
                           else np.asarray(sample_weight[start : start + rows], dtype=np.float64))  # fmt: skip
                onehot = sp.csr_matrix(
                    (weights, (fold[start : start + rows], np.arange(block.shape[0]))),
                    shape=(n_folds, block.shape[0]),
                )
                out += onehot @ block
            return out
        # squares need the duplicate entries of a non-canonical matrix summed first
        rows, cols, values = self._nonzeros(canonical=squared, with_rows=True)
        if squared:
            values *= values
        if sample_weight is not None:
            values *= np.asarray(sample_weight, dtype=np.float64)[rows]
        bins = fold[rows] * p + cols
        return np.bincount(bins, weights=values, minlength=n_folds * p).reshape(n_folds, p)

    def _nonzeros(self, canonical=False, with_rows=False):
        """(column index, value as float64) of every stored entry of sparse X,
        or (row, column, value) ``with_rows``.  ``canonical``: duplicate
        entries summed (in a copy, only when X has any)."""
        data, indices, indptr = self.arrays[:3]
        if canonical:
            mat = _to_scipy(self)
            if not mat.has_canonical_format:
                mat = mat.copy()
                mat.sum_duplicates()
                data, indices, indptr = mat.data, mat.indices, mat.indptr
        nnz = int(indptr[-1])
        major = np.repeat(np.arange(indptr.shape[0] - 1), np.diff(indptr))
        rows, cols = (major, indices[:nnz]) if self.kind == "csr" else (indices[:nnz], major)
        values = data[:nnz].astype(np.float64)
        return (rows, cols, values) if with_rows else (cols, values)


def _type_name(x) -> str:
    return type(x).__name__


def _float_dtype(dtype, name: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype in (np.float32, np.float64):
        return dtype
    if dtype.kind in "iub":
        return np.dtype(np.float64)
    if dtype.kind == "f":  # float16, longdouble
        return np.dtype(np.float64)
    if dtype.kind == "c":
        raise TypeError(f"{name} has complex dtype {dtype}; fastgs fits real-valued data only.")
    raise TypeError(
        f"{name} has dtype {dtype}; expected numeric (float, int or bool) data, "
        "not strings or objects."
    )


def _check_finite(values: np.ndarray, name: str) -> None:
    # checked in slices of about 8 MB so that a large X costs no n x p temporary
    flat = values.reshape(-1) if values.flags.c_contiguous else None
    if flat is None:
        ok = bool(np.all(np.isfinite(values)))
    else:
        step = 1 << 20
        ok = all(np.isfinite(flat[i : i + step]).all() for i in range(0, flat.size, step))
    if not ok:
        bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        what = "NaN" if np.isnan(values).any() else "infinite"
        raise ValueError(f"{name} contains {bad} non-finite value(s) ({what}); remove or impute them.")


def _as_numeric_array(X, name: str) -> np.ndarray:
    try:
        arr = np.asarray(X)
    except Exception as err:  # ragged lists etc.
        raise ValueError(f"{name} could not be converted to an array: {err}") from None
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} has dtype object with non-numeric entries; expected numeric data."
            ) from None
    return arr


def check_design(X, name: str = "X", dtype=None) -> Design:
    """Validate X and return its canonical :class:`Design`.

    Dense X: 2-D, numeric, finite; float32 kept, other numeric types cast to
    float64 (or to ``dtype`` when given); copied only if not C-contiguous or
    if a cast is needed.  Sparse X: CSR and CSC used as they are (index
    arrays checked for range and consistency, never modified), other formats
    converted to CSR once.
    """
    if sp.issparse(X):
        fmt = X.format
        if fmt not in ("csr", "csc"):
            X = X.tocsr()
            fmt = "csr"
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-D, got {X.ndim}-D.")
        n, p = X.shape
        if n == 0 or p == 0:
            raise ValueError(f"{name} is empty (shape {X.shape}); need at least one sample and one feature.")
        target = _float_dtype(X.dtype, name) if dtype is None else np.dtype(dtype)
        data = np.ascontiguousarray(X.data, dtype=target)
        indices = np.ascontiguousarray(X.indices)
        indptr = np.ascontiguousarray(X.indptr)
        if indices.dtype not in (np.int32, np.int64):
            indices = indices.astype(np.int64)
        if indptr.dtype != indices.dtype:
            indptr = indptr.astype(indices.dtype)
        major, minor = (n, p) if fmt == "csr" else (p, n)
        if indptr.shape != (major + 1,) or indptr[0] != 0 or indptr[-1] > data.size:
            raise ValueError(f"{name}: malformed sparse matrix (indptr inconsistent with its shape).")
        if np.any(np.diff(indptr) < 0):
            raise ValueError(f"{name}: malformed sparse matrix (indptr is not non-decreasing).")
        nnz = int(indptr[-1])
        if indices.size < nnz:
            raise ValueError(f"{name}: malformed sparse matrix (fewer indices than indptr says).")
        if nnz:
            used = indices[:nnz]
            lo, hi = int(used.min()), int(used.max())
            if lo < 0 or hi >= minor:
                raise ValueError(
                    f"{name}: malformed sparse matrix (index {lo if lo < 0 else hi} out of range "
                    f"[0, {minor}))."
                )
        _check_finite(data[:nnz], name)
        if fmt == "csr":
            arrays = (data, indices, indptr)
        else:
            arrays = (data, indices, indptr, np.int64(n))
        return Design(fmt, arrays, (n, p), target)

    if isinstance(X, (str, bytes)) or X is None or isinstance(X, numbers.Number):
        raise TypeError(f"{name} must be a 2-D array or sparse matrix, got {_type_name(X)}.")
    arr = _as_numeric_array(X, name)
    if arr.ndim != 2:
        hint = " (reshape a single feature with X.reshape(-1, 1))" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D, got {arr.ndim}-D with shape {arr.shape}{hint}.")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); need at least one sample and one feature.")
    target = _float_dtype(arr.dtype, name) if dtype is None else np.dtype(dtype)
    if arr.dtype != target and arr.dtype.kind == "f":
        _check_finite(arr, name)
    out = np.ascontiguousarray(arr, dtype=target)
    _check_finite(out, name)
    return Design("dense", out, out.shape, target)


def check_target(y, n_samples: int, dtype, name: str = "y") -> np.ndarray:
    """Validate y: numeric, finite, shape (n,) (or (n, 1), with a warning)."""
    if y is None:
        raise ValueError(f"{name} is required.")
    if sp.issparse(y):
        raise TypeError(f"{name} must be a dense 1-D array, not a sparse matrix.")
    if isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D numeric array, got a string.")
    arr = _as_numeric_array(y, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(
            f"{name} has shape {arr.shape}; a 1-D array was expected, so it is raveled.",
            UserWarning,
            stacklevel=3,
        )
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one target per sample), got shape {arr.shape}; "
            "fastgs fits a single target."
        )
    _float_dtype(arr.dtype, name)
    if arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} entries but X has {n_samples} samples; they must match."
        )
    out = np.ascontiguousarray(arr, dtype=dtype)
    _check_finite(out, name)
    return out


def check_sample_weight(sample_weight, n_samples: int, dtype, name: str = "sample_weight"):
    """Validate sample weights: None (all ones) or (n,) finite, non-negative,
    with a positive sum; returned in ``dtype`` (None stays None)."""
    if sample_weight is None:
        return None
    if sp.issparse(sample_weight) or isinstance(sample_weight, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D numeric array.")
    arr = _as_numeric_array(sample_weight, name)
    if arr.ndim == 0:
        arr = np.full(n_samples, float(arr))
    if arr.ndim != 1 or arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} must have one entry per sample ({n_samples}), got shape {arr.shape}."
        )
    out = np.ascontiguousarray(arr, dtype=dtype)
    _check_finite(out, name)
    if np.any(out < 0):
        raise ValueError(f"{name} must be non-negative; it has {int(np.sum(out < 0))} negative entries.")
    if not out.sum(dtype=np.float64) > 0:
        raise ValueError(f"{name} is zero for every sample: some weight must be positive.")
    return out


def one_hot_labels(Y, n_samples: int, sample_weight, name: str = "y", training: bool = True):
    """Check a one-hot target of the multinomial loss, shape (n, K) with K >= 2.

    Returns (labels, frequencies): each row's class as float64 (n,) and the
    weighted share of each class (K,); with ``training`` every class needs a
    positive share.
    """
    if sp.issparse(Y):
        raise TypeError(f"{name} must be a dense array.")
    arr = _as_numeric_array(Y, name)
    if arr.ndim != 2 or arr.shape[1] < 2 or arr.shape[0] != n_samples:
        raise ValueError(f"{name}: a multinomial target is one-hot, shape ({n_samples}, n_classes >= 2); "
                         f"got {arr.shape}.")  # fmt: skip
    arr = np.asarray(arr, dtype=np.float64)
    if not np.all((arr == 0) | (arr == 1)) or not np.all(arr.sum(axis=1) == 1):
        raise ValueError(f"{name}: each row of a multinomial target must be one-hot (a single 1).")
    labels = np.argmax(arr, axis=1)
    frequencies = np.bincount(labels, weights=sample_weight, minlength=arr.shape[1])
    frequencies = frequencies / frequencies.sum()
    if training and np.any(frequencies <= 0):
        empty = np.flatnonzero(frequencies <= 0)
        raise ValueError(f"{name}: class(es) {list(empty)} have no (weighted) rows; drop them.")
    return labels.astype(np.float64), frequencies


def check_target_for_loss(y: np.ndarray, loss: str, sample_weight, name: str = "y",
                          training: bool = True) -> float:  # fmt: skip
    """Check that y suits the loss, and return its (weighted) mean.

    ``log_loss``: y in [0, 1] (0/1 labels or probabilities), and for
    ``training`` not all of one class; ``poisson``: y >= 0, and for
    ``training`` with a positive mean.
    """
    y64 = y.astype(np.float64)
    mean = float(np.average(y64, weights=sample_weight)) if y64.size else 0.0
    if loss == "log_loss":
        if np.any(y64 < 0) or np.any(y64 > 1):
            raise ValueError(f"{name} must be in [0, 1] for loss='log_loss' (0/1 labels or probabilities).")
        if training and not 0 < mean < 1:
            raise ValueError(
                f"{name} has a single class (weighted mean {mean:g}); loss='log_loss' needs both."
            )
    elif loss == "poisson":
        if np.any(y64 < 0):
            raise ValueError(f"{name} must be non-negative for loss='poisson' (counts or rates).")
        if training and not mean > 0:
            raise ValueError(f"{name} is zero for every sample; loss='poisson' needs a positive mean.")
    return mean


def check_scalar(value, name: str, *, low=None, high=None, low_inclusive=False, integer=False):
    """A real (or integer) scalar in an open/closed range, with a clear error."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        kind = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {kind}, got {value!r} ({_type_name(value)}).")
    if integer and not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {value!r}.")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}.")
    return int(value) if integer else float(value)


def empty_design_like(design: Design):
    """The compiled-code arrays of a 0-row design of the same kind and types."""
    p = design.shape[1]
    if design.kind == "dense":
        return np.empty((0, p), dtype=design.dtype)
    data, indices, indptr = design.arrays[:3]
    if design.kind == "csr":
        return (np.empty(0, data.dtype), np.empty(0, indices.dtype), np.zeros(1, indptr.dtype))
    return (np.empty(0, data.dtype), np.empty(0, indices.dtype), np.zeros(p + 1, indptr.dtype), np.int64(0))


def match_design(X_val, design: Design, name: str = "X_val") -> Design:
    """Validate a second matrix (validation set) and convert it to ``design``'s kind.

    A validation matrix is usually small; converting it to the training
    storage and index dtype keeps one compiled specialization per fit.
    """
    val = check_design(X_val, name, dtype=design.dtype)
    if val.shape[1] != design.shape[1]:
        raise ValueError(
            f"{name} has {val.shape[1]} features but X has {design.shape[1]}; they must match."
        )
    if val.kind == design.kind and (
        design.kind == "dense" or val.arrays[1].dtype == design.arrays[1].dtype
    ):
        return val
    if design.kind == "dense":
        mat = _to_scipy(val).toarray()
        return Design("dense", np.ascontiguousarray(mat, dtype=design.dtype), mat.shape, design.dtype)
    return val.as_sparse_kind(design.kind, design.arrays[1].dtype)


def _to_scipy(design: Design):
    if design.kind == "dense":
        return design.arrays
    data, indices, indptr = design.arrays[:3]
    cls = sp.csr_matrix if design.kind == "csr" else sp.csc_matrix
    return cls((data, indices, indptr), shape=design.shape)

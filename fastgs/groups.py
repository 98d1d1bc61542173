"""Group specifications and their canonical CSR encoding.

A partition of the ``p`` features into ``L`` groups is stored as two int64
arrays (docs/method.rst, 'Groups'):

- ``group_ptr`` (L + 1,): ``group_ptr[0] == 0``, strictly increasing,
  ``group_ptr[L] == p``;
- ``group_idx`` (p,): a permutation of ``0..p-1``; the features of group ``l``
  are ``group_idx[group_ptr[l]:group_ptr[l + 1]]``.

Numba kernels do no bounds checks, so every specification is validated here,
once, and nothing unchecked reaches a kernel.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["Groups", "make_groups"]


def _describe(values, limit: int = 10) -> str:
    values = list(values)
    text = ", ".join(str(v) for v in values[:limit])
    if len(values) > limit:
        text += f", ... ({len(values)} in all)"
    return text


class Groups:
    """A validated partition of ``n_features`` features into groups.

    Build it with :func:`make_groups` (or ``Groups.from_spec``) from a group
    size, labels or index lists; the constructor itself takes the canonical
    encoding (docs/method.rst, 'Groups') and checks it.  The arrays are
    read-only copies, so a ``Groups`` can be shared and pickled safely.

    Parameters
    ----------
    group_ptr : array-like of int of shape (n_groups + 1,)
        Group boundaries in ``group_idx``: starts at 0, strictly increasing
        (no empty group), ends at ``n_features``.
    group_idx : array-like of int of shape (n_features,)
        A permutation of ``range(n_features)``; the features of group ``l``
        are ``group_idx[group_ptr[l]:group_ptr[l + 1]]``.
    labels : array-like of shape (n_groups,), default=None
        The user's label of each group; None means ``arange(n_groups)``.

    Attributes
    ----------
    group_ptr : ndarray of int64 of shape (n_groups + 1,)
        Read-only copy of ``group_ptr``.
    group_idx : ndarray of int64 of shape (n_features,)
        Read-only copy of ``group_idx``.
    labels : ndarray of shape (n_groups,)
        The label of each group, in group order.

    Raises
    ------
    ValueError
        If the encoding is not a partition into non-empty groups.

    See Also
    --------
    make_groups : build the encoding from a group size, labels or index lists.

    Examples
    --------
    >>> from fastgs import Groups
    >>> groups = Groups([0, 2, 5], [4, 0, 1, 2, 3])
    >>> groups
    Groups(n_features=5, n_groups=2, sizes 2..3)
    >>> groups.indices(0), groups.feature_group
    (array([4, 0]), array([0, 1, 1, 1, 0]))
    >>> Groups([0, 2, 5], [4, 0, 1, 2, 2])
    Traceback (most recent call last):
    ...
    ValueError: group_idx: features assigned more than once ...: 2.
    """

    __slots__ = ("group_ptr", "group_idx", "labels", "_feature_group")

    def __init__(self, group_ptr, group_idx, labels=None):
        # private copies: they are frozen read-only below
        group_ptr = np.array(group_ptr, dtype=np.int64, copy=True)
        group_idx = np.array(group_idx, dtype=np.int64, copy=True)
        if group_ptr.ndim != 1 or group_ptr.size < 2:
            raise ValueError("group_ptr must be 1-D with at least 2 entries (one group).")
        if group_idx.ndim != 1:
            raise ValueError("group_idx must be 1-D.")
        p = group_idx.size
        if group_ptr[0] != 0 or group_ptr[-1] != p:
            raise ValueError(
                f"group_ptr must start at 0 and end at len(group_idx)={p}; "
                f"got {group_ptr[0]} and {group_ptr[-1]}."
            )
        sizes = np.diff(group_ptr)
        if np.any(sizes <= 0):
            empty = np.flatnonzero(sizes <= 0)
            raise ValueError(f"groups must not be empty; empty groups: {_describe(empty)}.")
        _check_partition(group_idx, p, "group_idx")
        if labels is None:
            labels = np.arange(sizes.size)
        labels = np.asarray(labels)
        if labels.shape != (sizes.size,):
            raise ValueError(f"labels must have one entry per group ({sizes.size}).")
        group_ptr.flags.writeable = False
        group_idx.flags.writeable = False
        self.group_ptr = group_ptr
        self.group_idx = group_idx
        self.labels = labels
        self._feature_group = None

    @classmethod
    def from_spec(cls, spec, n_features: int) -> "Groups":
        """The same as :func:`make_groups` ``(spec, n_features)``."""
        return make_groups(spec, n_features)

    @property
    def n_groups(self) -> int:
        """int: the number of groups L."""
        return self.group_ptr.size - 1

    @property
    def n_features(self) -> int:
        """int: the number of features p."""
        return self.group_idx.size

    @property
    def sizes(self) -> np.ndarray:
        """ndarray of int64 of shape (n_groups,): the number of features in each group."""
        return np.diff(self.group_ptr)

    @property
    def feature_group(self) -> np.ndarray:
        """ndarray of int64 of shape (n_features,): the group index of each feature."""
        if self._feature_group is None:
            fg = np.empty(self.n_features, dtype=np.int64)
            fg[self.group_idx] = np.repeat(np.arange(self.n_groups), self.sizes)
            fg.flags.writeable = False
            self._feature_group = fg
        return self._feature_group

    @property
    def contiguous(self) -> bool:
        """bool: whether group l is the features ``group_ptr[l]:group_ptr[l + 1]``
        in order (``group_idx`` is ``0, 1, ..., p - 1``)."""
        return bool(np.array_equal(self.group_idx, np.arange(self.n_features)))

    def kernel_index(self) -> np.ndarray:
        """The ``group_idx`` to hand to the group kernels of :mod:`fastgs.kernels`:
        empty for contiguous groups (which the kernels then index directly,
        faster), else :attr:`group_idx`.

        Returns
        -------
        ndarray of int64 of shape (0,) or (n_features,)
        """
        if not self.contiguous:
            return self.group_idx
        # read-only like group_idx: one Numba type, so no second compilation
        empty = np.empty(0, dtype=np.int64)
        empty.flags.writeable = False
        return empty

    def indices(self, l: int) -> np.ndarray:
        """The feature indices of group ``l`` (a read-only view), shape (sizes[l],)."""
        return self.group_idx[self.group_ptr[l] : self.group_ptr[l + 1]]

    def __iter__(self):
        for l in range(self.n_groups):
            yield self.indices(l)

    def __len__(self) -> int:
        return self.n_groups

    def __eq__(self, other) -> bool:
        if not isinstance(other, Groups):
            return NotImplemented
        return np.array_equal(self.group_ptr, other.group_ptr) and np.array_equal(
            self.group_idx, other.group_idx
        )

    __hash__ = None

    def __repr__(self) -> str:
        sizes = self.sizes
        if sizes.min() == sizes.max():
            size = f"size {sizes[0]}"
        else:
            size = f"sizes {sizes.min()}..{sizes.max()}"
        return f"Groups(n_features={self.n_features}, n_groups={self.n_groups}, {size})"

    def __reduce__(self):
        return (Groups, (np.array(self.group_ptr), np.array(self.group_idx), self.labels))


def _check_partition(idx: np.ndarray, p: int, name: str) -> None:
    """Check that the int64 array ``idx`` is a permutation of ``range(p)``."""
    bad = idx[(idx < 0) | (idx >= p)]
    if bad.size:
        raise ValueError(
            f"{name}: feature indices must lie in [0, {p}); out of range: {_describe(np.unique(bad))}."
        )
    counts = np.bincount(idx, minlength=p)
    if np.any(counts > 1):
        raise ValueError(
            f"{name}: features assigned more than once (overlapping groups or duplicate "
            f"indices): {_describe(np.flatnonzero(counts > 1))}."
        )
    if np.any(counts == 0):
        raise ValueError(
            f"{name}: features in no group (the groups must cover all {p} features): "
            f"{_describe(np.flatnonzero(counts == 0))}."
        )


def _is_int_scalar(x) -> bool:
    return isinstance(x, (numbers.Integral, np.integer)) and not isinstance(x, (bool, np.bool_))


def _is_scalar(x) -> bool:
    return np.ndim(x) == 0 and not isinstance(x, (list, tuple))


def _as_index_array(members, l: int) -> np.ndarray:
    arr = np.asarray(members)
    if arr.ndim != 1:
        raise ValueError(f"groups: group {l} must be a flat sequence of feature indices.")
    if arr.size == 0:
        raise ValueError(f"groups: group {l} is empty.")
    if arr.dtype == bool:
        raise TypeError(f"groups: group {l} has bool entries; give integer feature indices.")
    if not np.issubdtype(arr.dtype, np.integer):
        if arr.dtype == object and all(_is_int_scalar(x) for x in arr):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(
                f"groups: group {l} has entries of type {arr.dtype}; feature indices must be "
                "integers (bool and float are refused)."
            )
    return arr.astype(np.int64, copy=False)


def _from_size(size: int, p: int) -> Groups:
    if size < 1:
        raise ValueError(f"groups: a group size must be >= 1, got {size}.")
    if p % size:
        raise ValueError(
            f"groups: group size {size} does not divide n_features={p} "
            f"({p} = {p // size} * {size} + {p % size})."
        )
    return Groups(np.arange(0, p + 1, size, dtype=np.int64), np.arange(p, dtype=np.int64))


def _label_kind(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "bool"
    if isinstance(x, (numbers.Integral, np.integer)):
        return "int"
    if isinstance(x, (str, np.str_)):
        return "str"
    if isinstance(x, (numbers.Real, np.floating)):
        return "float"
    return type(x).__name__


def _labels_from_sequence(spec) -> np.ndarray:
    """A label array from a list of scalars, naming entries of a refused type."""
    kinds = [_label_kind(x) for x in spec]
    bad = [i for i, k in enumerate(kinds) if k not in ("int", "str")]
    if bad:
        raise TypeError(
            f"groups: labels must be integers or strings; entries at feature(s) "
            f"{_describe(bad)} are {_describe(sorted({kinds[i] for i in bad}))}."
        )
    if len(set(kinds)) > 1:
        first_str = kinds.index("str")
        first_int = kinds.index("int")
        raise TypeError(
            "groups: labels mix integers and strings (e.g. feature "
            f"{first_int} is an integer, feature {first_str} a string)."
        )
    return np.asarray([x.item() if isinstance(x, np.generic) else x for x in spec])


def _from_labels(labels: np.ndarray, p: int) -> Groups:
    if labels.shape != (p,):
        raise ValueError(
            f"groups: a label array must have one label per feature (length {p}); "
            f"got shape {labels.shape}."
        )
    if labels.dtype == object:
        labels = _labels_from_sequence(list(labels))
    if labels.dtype == bool:
        raise TypeError("groups: bool labels are refused; use integer or string labels.")
    if labels.dtype.kind in "fc":
        raise TypeError(
            f"groups: float labels ({labels.dtype}) are refused (ambiguous and NaN-prone); "
            "use integer or string labels."
        )
    if labels.dtype.kind not in "iuUS":
        raise TypeError(f"groups: labels of dtype {labels.dtype} are refused; use integers or strings.")
    uniq, inverse = np.unique(labels, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=uniq.size)
    ptr = np.zeros(uniq.size + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return Groups(ptr, order.astype(np.int64), labels=uniq)


def _from_index_lists(spec, p: int) -> Groups:
    members = [_as_index_array(m, l) for l, m in enumerate(spec)]
    if not members:
        raise ValueError("groups: the list of groups is empty.")
    sizes = [m.size for m in members]
    idx = np.concatenate(members)
    owner = np.repeat(np.arange(len(members)), sizes)
    for l, m in enumerate(members):
        vals, counts = np.unique(m, return_counts=True)
        if np.any(counts > 1):
            raise ValueError(f"groups: group {l} repeats feature(s) {_describe(vals[counts > 1])}.")
    out = (idx < 0) | (idx >= p)
    if np.any(out):
        raise ValueError(
            f"groups: feature indices must lie in [0, {p}); out of range: "
            f"{_describe(np.unique(idx[out]))} (in groups {_describe(np.unique(owner[out]))})."
        )
    counts = np.bincount(idx, minlength=p)
    if np.any(counts > 1):
        shared = np.flatnonzero(counts > 1)
        who = np.unique(owner[np.isin(idx, shared)])
        raise ValueError(
            f"groups: groups overlap: feature(s) {_describe(shared)} belong to more than "
            f"one group (groups {_describe(who)})."
        )
    _check_partition(idx, p, "groups")
    ptr = np.zeros(len(members) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    return Groups(ptr, idx)


def make_groups(spec, n_features: int) -> Groups:
    """Validate a group specification and return its canonical :class:`Groups`.

    Every function and estimator that takes ``groups`` calls this once, before
    any work; the compiled kernels then trust the result.

    Parameters
    ----------
    spec : None, int, array-like of shape (n_features,), sequence of sequences of int, dict or Groups
        The groups, in one of these forms (there is no default: ``None`` is
        itself a form):

        - ``None``: one group per feature (group size 1, plain sparsity);
        - an int ``k``: contiguous groups of ``k`` features (``k`` must
          divide ``n_features``);
        - one label per feature (ints or strings, any order, non-contiguous
          groups allowed); groups are ordered by sorted label;
        - a sequence of index sequences (or a dict of them) that together
          contain every feature exactly once;
        - a :class:`Groups` instance, checked against ``n_features``.
    n_features : int
        The number of features p, at least 1 (no default).

    Returns
    -------
    Groups
        The canonical encoding (``group_ptr``, ``group_idx``, ``labels``).

    Raises
    ------
    ValueError
        For an invalid specification (a size that does not divide
        ``n_features``, an index out of range, a feature in two groups or in
        none, an empty group, a label array of the wrong length), naming the
        offending features or groups.
    TypeError
        For a specification of the wrong type (a float size, a string, a
        bool, a mix of scalars and sequences).

    Examples
    --------
    >>> from fastgs import make_groups
    >>> make_groups(3, 6).group_idx
    array([0, 1, 2, 3, 4, 5])
    >>> g = make_groups(["b", "a", "b", "a"], 4)
    >>> g.labels, [list(map(int, g.indices(l))) for l in range(g.n_groups)]
    (array(['a', 'b'], dtype='<U1'), [[1, 3], [0, 2]])
    >>> make_groups([[0, 1], [1, 2]], 3)
    Traceback (most recent call last):
    ...
    ValueError: groups: ...
    """
    if not _is_int_scalar(n_features) or n_features < 1:
        raise ValueError(f"n_features must be a positive integer, got {n_features!r}.")
    p = int(n_features)
    if spec is None:
        return _from_size(1, p)
    if isinstance(spec, Groups):
        if spec.n_features != p:
            raise ValueError(
                f"groups: the Groups object covers {spec.n_features} features, but X has {p}."
            )
        return spec
    if isinstance(spec, (bool, np.bool_)):
        raise TypeError("groups: a bool is not a group specification.")
    if _is_int_scalar(spec):
        return _from_size(int(spec), p)
    if isinstance(spec, (float, np.floating)):
        raise TypeError(f"groups: a group size must be an integer, got {spec!r}.")
    if isinstance(spec, (str, bytes)):
        raise TypeError("groups: a string is not a group specification.")
    if isinstance(spec, dict):
        return _from_index_lists(list(spec.values()), p)
    if not isinstance(spec, (Sequence, np.ndarray)) and not hasattr(spec, "__array__"):
        raise TypeError(
            f"groups: expected None, an int, a label array or a sequence of index "
            f"sequences; got {type(spec).__name__}."
        )
    if isinstance(spec, np.ndarray) or hasattr(spec, "__array__"):
        arr = np.asarray(spec)
        if arr.ndim == 1 and arr.dtype == object and not all(_is_scalar(x) for x in arr):
            return make_groups(list(arr), p)  # a ragged array of index lists
        if arr.ndim == 1:
            return _from_labels(arr, p)
        if arr.ndim == 2:
            return _from_index_lists(list(arr), p)
        raise ValueError(f"groups: a {arr.ndim}-D array is not a group specification.")
    if len(spec) == 0:
        raise ValueError("groups: the group specification is empty.")
    scalar = [_is_scalar(x) for x in spec]
    if all(scalar):
        if len(spec) != p:
            raise ValueError(
                f"groups: a label array must have one label per feature (length {p}); "
                f"got length {len(spec)}."
            )
        return _from_labels(_labels_from_sequence(spec), p)
    if any(scalar):
        where = [i for i, s_ in enumerate(scalar) if s_]
        raise TypeError(
            "groups: mixes scalars and sequences (scalar entries at position(s) "
            f"{_describe(where)}); give either one label per feature or a sequence of index "
            "sequences."
        )
    return _from_index_lists(spec, p)

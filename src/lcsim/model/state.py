"""Column tables: the per-agent numeric state of the model, in numpy arrays.

A :class:`ColumnTable` holds one numpy array per state variable, all with one
row per entity (employee, organisation, membership, tie). Rows are appended
when agents join and never reused, so an agent's row index is stable for the
whole run. Mechanisms read and write whole columns at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numba
import numpy as np


class ColumnTable:
    """Named numpy columns of equal length that grow when rows are added.

    Args:
        columns: For each column name, a ``(dtype, shape_tail, fill)`` tuple:
            the dtype, the shape of one row's value (``()`` for scalars), and
            the value new rows start with.
        capacity: Rows to allocate at first; the table doubles when full.
    """

    def __init__(
        self,
        columns: Mapping[str, tuple[Any, tuple[int, ...], Any]],
        capacity: int = 64,
    ) -> None:
        self._spec = dict(columns)
        self._capacity = max(int(capacity), 1)
        self._data = {
            name: np.full((self._capacity, *tail), fill, dtype=dtype)
            for name, (dtype, tail, fill) in self._spec.items()
        }
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str) -> np.ndarray:
        """Return the live rows of a column (a view: writes go to the table)."""
        return self._data[name][: self.n]

    def flat(self, name: str) -> np.ndarray:
        """The live rows of a column as one flat (row-major) view."""
        return self._data[name][: self.n].reshape(-1)

    def __contains__(self, name: str) -> bool:
        return name in self._data

    @property
    def columns(self) -> list[str]:
        return list(self._data)

    def append(self, count: int, **values: Any) -> np.ndarray:
        """Add ``count`` rows, set the given columns, and return their indices.

        Columns not given keep their declared fill value.
        """
        start = self.n
        stop = start + int(count)
        if stop > self._capacity:
            self._grow(stop)
        for name, value in values.items():
            self._data[name][start:stop] = value
        self.n = stop
        return np.arange(start, stop)

    def _grow(self, needed: int) -> None:
        capacity = self._capacity
        while capacity < needed:
            capacity *= 2
        for name, (dtype, tail, fill) in self._spec.items():
            grown = np.full((capacity, *tail), fill, dtype=dtype)
            grown[: self.n] = self._data[name][: self.n]
            self._data[name] = grown
        self._capacity = capacity


def group_order(keys: np.ndarray, n_groups: int) -> np.ndarray:
    """Indices that sort integer ``keys`` in [0, n_groups) stably.

    The same as ``np.argsort(keys, kind="stable")``, by a compiled counting
    sort: linear in the number of keys and groups.
    """
    return _counting_sort(np.asarray(keys, dtype=np.int64), int(n_groups))


@numba.njit(cache=True, nogil=True)
def _counting_sort(keys, n_groups):  # pragma: no cover - compiled
    """Stable order of integer keys in [0, n_groups)."""
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for key in keys:
        start[key + 1] += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    order = np.empty(keys.size, dtype=np.int64)
    for i in range(keys.size):
        order[start[keys[i]]] = i
        start[keys[i]] += 1
    return order

"""Checks of the continuous double auction's event arguments, column by column.

Each helper turns one argument of :meth:`elecbay_env.cda.ContinuousDoubleAuction.process`
(a single value or an (N,) array) into an (N,) int64 or float64 column, or raises a
``ValueError`` naming the argument, the offending entry and what is allowed.
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _check_integer(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name}={value!r}: expected an integer")
    try:
        return operator.index(value)
    except TypeError:
        raise ValueError(f"{name}={value!r}: expected an integer") from None


def _event_count(**columns: ArrayLike | None) -> int:
    """N: the length shared by the (N,) arguments (1 if every argument is a single value)."""
    n = None
    for name, value in columns.items():
        if value is None:
            continue
        shape = np.shape(value)
        if len(shape) > 1:
            raise ValueError(f"{name}: expected shape (N,) or a single value, got {shape}")
        if len(shape) == 1:
            if n is None:
                n = shape[0]
            elif shape[0] != n:
                raise ValueError(f"{name}: length {shape[0]} differs from the other arguments' {n}")
    return 1 if n is None else n


def _codes(
    name: str,
    arr: np.ndarray,
    n: int,
    mapping: dict,
    allowed: str,
    where: NDArray[np.bool_] | None = None,
) -> NDArray[np.int64]:
    """Map strings or integer codes of an (N,) or scalar argument to int64 codes.

    Only entries where ``where`` is True (default: all) must be valid; others map to 0.
    """
    if arr.ndim == 0:
        arr = np.broadcast_to(arr, (n,))
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},), got {arr.shape}")
    out = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    if arr.dtype.kind in "USO":
        for key, code in mapping.items():
            if isinstance(key, str) or arr.dtype.kind == "O":
                hit = np.asarray(arr == key, dtype=bool)
                out[hit] = code
                ok |= hit
    elif arr.dtype.kind in "iu":
        for code in set(mapping.values()):
            hit = arr == code
            out[hit] = code
            ok |= hit
    elif arr.dtype.kind == "f":
        for code in set(mapping.values()):
            hit = arr == float(code)
            out[hit] = code
            ok |= hit
    if where is not None:
        ok |= ~where
    if not ok.all():
        i = int(np.argmin(ok))
        raise ValueError(f"{name}[{i}]={arr[i]!r}: allowed values are {allowed}")
    return out


def _float_column(name: str, value: ArrayLike, n: int) -> NDArray[np.float64]:
    if np.iscomplexobj(value):
        raise ValueError(f"{name}: complex numbers are not allowed; expected real numbers")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected numbers ({exc})") from None
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},) or a single number, got {arr.shape}")
    return arr


def _int_column(name: str, value: ArrayLike, n: int) -> NDArray[np.int64]:
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = np.broadcast_to(arr, (n,))
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},) or a single integer, got {arr.shape}")
    if arr.dtype.kind in "iu":
        if arr.dtype == np.uint64 and n and int(arr.max()) >= 2**63:
            raise ValueError(f"{name}: allowed range is a 64-bit signed integer")
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        ok = np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) < 2.0**63)
        if not ok.all():
            i = int(np.argmin(ok))
            raise ValueError(f"{name}[{i}]={float(arr[i])!r}: expected an integer")
        return arr.astype(np.int64)
    raise ValueError(f"{name}: expected integers, got an array of dtype {arr.dtype}")

"""Argument checks of the clearing functions: every error names the argument and its range.

Shared by :mod:`elecbay_env.clearing` (:func:`~elecbay_env.clearing.clear`,
:func:`~elecbay_env.clearing.clear_batch`) and :mod:`elecbay_env.zonal`. Inputs become
float64 arrays of one market (``(N,)``) or of E markets (``(E, N)``, padded, with
``(E,)`` order counts); prices are in currency per MWh, quantities in MW. Complex
numbers are refused, never silently cut to their real part; an invalid order is found
by a Numba scan (:func:`_scan_side`) and reported with its ``[row, column]``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .kernels._jit import kernel

__all__ = ["MAX_ABS_PRICE", "MAX_QTY", "PRICING_RULES"]

MAX_ABS_PRICE = 1e9
"""Currency per MWh. Largest magnitude of an order price or a price bound."""
MAX_QTY = 1e9
"""MW. Largest order quantity (a thousand times a large national system's peak)."""

PRICING_RULES = ("uniform", "pay_as_bid")


@kernel
def _scan_side(price, qty, n, price_floor, price_cap, max_qty):
    """First invalid real order of a padded (E, N) side: (row, col, code) or (-1, -1, 0).

    Codes: 1 price not finite, 2 price outside [floor, cap], 3 quantity not finite,
    negative or above ``max_qty``.
    """
    for e in range(price.shape[0]):
        for i in range(n[e]):
            p = price[e, i]
            q = qty[e, i]
            if not np.isfinite(p):
                return e, i, 1
            if p < price_floor[e] or p > price_cap[e]:
                return e, i, 2
            if not (q >= 0.0 and q <= max_qty):
                return e, i, 3
    return -1, -1, 0


def _refuse_complex(name: str, value: object) -> None:
    """Complex inputs would lose their imaginary part in a float64 cast: refuse them."""
    if isinstance(value, complex | np.complexfloating) or (
        isinstance(value, np.ndarray) and np.iscomplexobj(value)
    ):
        raise ValueError(f"{name}: expected real numbers, got complex values")
    if isinstance(value, list | tuple) and any(
        isinstance(v, complex | np.complexfloating) for v in np.ravel(np.asarray(value, object))
    ):
        raise ValueError(f"{name}: expected real numbers, got complex values")


def _as_float_array(name: str, value: ArrayLike, ndim: int) -> NDArray[np.float64]:
    _refuse_complex(name, value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected an array of numbers ({exc})") from None
    if arr.ndim != ndim:
        shape = "(N,)" if ndim == 1 else "(E, N)"
        raise ValueError(f"{name}: expected shape {shape}, got an array of shape {arr.shape}")
    return arr


def _check_rule(pricing: str) -> bool:
    if not isinstance(pricing, str) or pricing not in PRICING_RULES:
        raise ValueError(f"pricing={pricing!r}: allowed values are {PRICING_RULES}")
    return pricing == "pay_as_bid"


def _check_k(k: NDArray[np.float64]) -> None:
    if not np.all((k >= 0.0) & (k <= 1.0)):  # NaN fails too
        bad = k[~((k >= 0.0) & (k <= 1.0))].flat[0]
        raise ValueError(f"k={bad!r}: allowed range is [0, 1]")


def _check_bounds(price_floor: NDArray[np.float64], price_cap: NDArray[np.float64]) -> None:
    if not np.all(np.isfinite(price_floor)) or not np.all(np.isfinite(price_cap)):
        raise ValueError("price_floor, price_cap: must be finite numbers")
    for name, arr in (("price_floor", price_floor), ("price_cap", price_cap)):
        if np.any(np.abs(arr) > MAX_ABS_PRICE):
            raise ValueError(
                f"{name}={float(arr[np.abs(arr) > MAX_ABS_PRICE][0])!r}: allowed range is "
                f"[-{MAX_ABS_PRICE:g}, {MAX_ABS_PRICE:g}] currency per MWh"
            )
    if not np.all(price_floor < price_cap):
        raise ValueError(
            f"price_floor={price_floor.min()!r}, price_cap={price_cap.min()!r}: "
            "price_floor must be below price_cap"
        )


def _raise_bad_order(side: str, row: int, col: int, code: int, batched: bool, value, lo, hi):
    where = f"[{row}, {col}]" if batched else f"[{col}]"
    if code == 1:
        raise ValueError(f"{side}_price{where}={value!r}: prices must be finite (not NaN or inf)")
    if code == 2:
        raise ValueError(
            f"{side}_price{where}={value!r}: allowed range is [price_floor, price_cap] = "
            f"[{lo!r}, {hi!r}] currency per MWh"
        )
    raise ValueError(f"{side}_qty{where}={value!r}: allowed range is [0, {MAX_QTY:g}] MW")


def _validate_side(side, price, qty, n, floor, cap, batched):
    e, i, code = _scan_side(price, qty, n, floor, cap, MAX_QTY)
    if code:
        value = price[e, i] if code < 3 else qty[e, i]
        _raise_bad_order(side, e, i, code, batched, float(value), float(floor[e]), float(cap[e]))


def _scalar_in_unit_interval(k: object) -> float:
    _refuse_complex("k", k)
    try:
        value = float(k)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"k={k!r}: allowed range is [0, 1]") from None
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ValueError(f"k={k!r}: allowed range is [0, 1]")
    return value


def _scalar_bounds(price_floor: object, price_cap: object) -> tuple[float, float]:
    _refuse_complex("price_floor", price_floor)
    _refuse_complex("price_cap", price_cap)
    try:
        floor = float(price_floor)  # type: ignore[arg-type]
        cap = float(price_cap)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError("price_floor, price_cap: must be finite numbers") from None
    if not (math.isfinite(floor) and math.isfinite(cap)):
        raise ValueError(
            f"price_floor={floor!r}, price_cap={cap!r}: must be finite numbers (currency per MWh)"
        )
    if not floor < cap:
        raise ValueError(
            f"price_floor={floor!r}, price_cap={cap!r}: price_floor must be below price_cap"
        )
    _check_bounds(np.array([floor]), np.array([cap]))
    return floor, cap


def _per_market(name: str, value: ArrayLike, n_markets: int) -> NDArray[np.float64]:
    _refuse_complex(name, value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}={value!r}: expected a number or {n_markets} numbers (one per market)"
        ) from None
    if arr.ndim == 0:
        return np.full(n_markets, float(arr))
    if arr.shape != (n_markets,):
        raise ValueError(f"{name}: expected a number or shape ({n_markets},), got {arr.shape}")
    return arr


def _counts(name: str, value: ArrayLike | None, n_markets: int, width: int) -> NDArray[np.int64]:
    if value is None:
        return np.full(n_markets, width, dtype=np.int64)
    arr = np.asarray(value)
    if arr.shape != (n_markets,) or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{name}: expected integers of shape ({n_markets},), got {arr.dtype} {arr.shape}"
        )
    if np.any((arr < 0) | (arr > width)):
        raise ValueError(f"{name}: allowed range is [0, {width}] (the padded width)")
    return arr.astype(np.int64, copy=False)


def _one_book(
    bid_price: ArrayLike, bid_qty: ArrayLike, ask_price: ArrayLike, ask_qty: ArrayLike
) -> tuple[NDArray[np.float64], ...]:
    """The (Nb,) bids and (Na,) offers of one market as float64, one quantity per price.

    Raises:
        ValueError: naming the argument: not a 1-D array of real numbers, or a price
            and quantity column of different lengths.
    """
    bp = _as_float_array("bid_price", bid_price, 1)
    bq = _as_float_array("bid_qty", bid_qty, 1)
    ap = _as_float_array("ask_price", ask_price, 1)
    aq = _as_float_array("ask_qty", ask_qty, 1)
    if bp.shape != bq.shape:
        raise ValueError(
            f"bid_price, bid_qty: lengths differ ({bp.shape[0]} and {bq.shape[0]}); "
            "give one quantity per price"
        )
    if ap.shape != aq.shape:
        raise ValueError(
            f"ask_price, ask_qty: lengths differ ({ap.shape[0]} and {aq.shape[0]}); "
            "give one quantity per price"
        )
    return bp, bq, ap, aq


def _batch_args(
    bid_price: ArrayLike,
    bid_qty: ArrayLike,
    ask_price: ArrayLike,
    ask_qty: ArrayLike,
    k: ArrayLike,
    price_floor: ArrayLike,
    price_cap: ArrayLike,
) -> tuple[NDArray[np.float64], ...]:
    """The padded (E, Nb) bids and (E, Na) offers of E markets, and each market's
    ``k``, price floor and price cap as (E,) float64 (currency per MWh).

    Returns:
        ``(bid_price, bid_qty, ask_price, ask_qty, k, price_floor, price_cap)``.

    Raises:
        ValueError: naming the argument: not a 2-D array of real numbers, shapes or
            market counts that differ, ``k`` outside [0, 1], or bounds that are not
            finite or not ``floor < cap``.
    """
    bp = _as_float_array("bid_price", bid_price, 2)
    bq = _as_float_array("bid_qty", bid_qty, 2)
    ap = _as_float_array("ask_price", ask_price, 2)
    aq = _as_float_array("ask_qty", ask_qty, 2)
    if bp.shape != bq.shape:
        raise ValueError(f"bid_price, bid_qty: shapes differ ({bp.shape} and {bq.shape})")
    if ap.shape != aq.shape:
        raise ValueError(f"ask_price, ask_qty: shapes differ ({ap.shape} and {aq.shape})")
    if bp.shape[0] != ap.shape[0]:
        raise ValueError(
            f"bid_price, ask_price: market counts differ ({bp.shape[0]} and {ap.shape[0]})"
        )
    n_markets = bp.shape[0]
    kk = _per_market("k", k, n_markets)
    _check_k(kk)
    floor = _per_market("price_floor", price_floor, n_markets)
    cap = _per_market("price_cap", price_cap, n_markets)
    _check_bounds(floor, cap)
    return bp, bq, ap, aq, kk, floor, cap

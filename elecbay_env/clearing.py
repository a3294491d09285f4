"""The Python face of the double auction: checks, sorting, allocation of outputs.

:func:`clear` clears one order book; :func:`clear_batch` clears E books at once from
padded ``(E, N)`` arrays. Both run the same Numba kernel
(:func:`elecbay_env.kernels.auction.clear_row`); a single book is a batch of one.

Units: prices in currency per MWh, quantities in MW over the settlement period (all
bids and offers of one call share one period, so MW and MWh are interchangeable up
to the period length). Quantities are non-negative on both sides; a bid buys, an
offer (ask) sells.

Bounds: every price and price bound lies in ``[-MAX_ABS_PRICE, MAX_ABS_PRICE]`` (1e9
currency per MWh) and every quantity in ``[0, MAX_QTY]`` (1e9 MW), so that sums of
quantities and products of price and quantity stay finite in float64 (no NaN fills from
overflowing sums). Complex numbers are refused, never silently cut to their real part.
The argument checks live in :mod:`elecbay_env.clearing_checks`.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .clearing_checks import MAX_ABS_PRICE as MAX_ABS_PRICE  # re-exported
from .clearing_checks import MAX_QTY as MAX_QTY  # re-exported
from .clearing_checks import (
    PRICING_RULES,
    _batch_args,
    _check_rule,
    _counts,
    _one_book,
    _scalar_bounds,
    _scalar_in_unit_interval,
    _validate_side,
)
from .kernels.auction import clear_markets, clear_markets_serial

DEFAULT_PRICE_FLOOR = -500.0
"""Currency per MWh. The EU single day-ahead coupling's harmonised minimum clearing price."""
DEFAULT_PRICE_CAP = 4000.0
"""Currency per MWh. The EU single day-ahead coupling's harmonised maximum (2022 value)."""

_PARALLEL_MIN_MARKETS = 64

Pricing = Literal["uniform", "pay_as_bid"]


class ClearingResult(NamedTuple):
    """Outcome of one call auction.

    Attributes:
        price: uniform clearing price (currency per MWh); NaN when nothing trades.
            Under ``pay_as_bid`` it is still the k-price of the supporting interval,
            the market's reference price.
        volume: traded volume (MW), equal to ``bid_fill.sum()`` and ``ask_fill.sum()``
            up to rounding.
        bid_fill: (Nb,) MW bought by each bid, ``0 <= bid_fill <= bid_qty``.
        ask_fill: (Na,) MW sold by each offer.
        bid_price_paid: (Nb,) price each bid pays per MWh (the clearing price, or its
            own price under ``pay_as_bid``); NaN where it fills nothing.
        ask_price_received: (Na,) price each offer receives per MWh; NaN if unfilled.
        price_lo, price_hi: the interval of prices that support the allocation
            (NaN when nothing trades); ``price = lo + k * (hi - lo)``.
    """

    price: float
    volume: float
    bid_fill: NDArray[np.float64]
    ask_fill: NDArray[np.float64]
    bid_price_paid: NDArray[np.float64]
    ask_price_received: NDArray[np.float64]
    price_lo: float
    price_hi: float


class BatchClearingResult(NamedTuple):
    """Outcome of E call auctions; fields as :class:`ClearingResult` with a leading E axis.

    ``price``, ``volume``, ``price_lo``, ``price_hi``: (E,); ``bid_fill``,
    ``bid_price_paid``: (E, Nb); ``ask_fill``, ``ask_price_received``: (E, Na).
    Padded entries (index >= the row's order count) have fill 0 and NaN prices.
    """

    price: NDArray[np.float64]
    volume: NDArray[np.float64]
    bid_fill: NDArray[np.float64]
    ask_fill: NDArray[np.float64]
    bid_price_paid: NDArray[np.float64]
    ask_price_received: NDArray[np.float64]
    price_lo: NDArray[np.float64]
    price_hi: NDArray[np.float64]


def _sort_orders(price: NDArray[np.float64], n: NDArray[np.int64], descending: bool):
    """Row-wise argsort, best price first, padded entries last."""
    width = price.shape[1]
    if np.all(n == width):
        return np.argsort(-price if descending else price, axis=1)
    key = -price if descending else price.copy()
    key[np.arange(width)[None, :] >= n[:, None]] = np.inf
    return np.argsort(key, axis=1)


def clear(
    bid_price: ArrayLike,
    bid_qty: ArrayLike,
    ask_price: ArrayLike,
    ask_qty: ArrayLike,
    k: float = 0.5,
    pricing: Pricing = "uniform",
    price_floor: float = DEFAULT_PRICE_FLOOR,
    price_cap: float = DEFAULT_PRICE_CAP,
) -> ClearingResult:
    """Clear one call auction (a batch of one through the batched kernel).

    Args:
        bid_price: (Nb,) the most each bid pays, currency per MWh.
        bid_qty: (Nb,) MW each bid wants to buy, >= 0.
        ask_price: (Na,) the least each offer accepts, currency per MWh.
        ask_qty: (Na,) MW each offer sells, >= 0.
        k: where the price sits in the interval of supporting prices, in [0, 1]:
            0 the lowest (buyers' best), 1 the highest, 0.5 the k-double auction's
            midpoint (default).
        pricing: ``"uniform"`` (pay-as-clear, default) or ``"pay_as_bid"`` (each
            filled order at its own price; same fills).
        price_floor, price_cap: every order price must lie in ``[floor, cap]``
            (currency per MWh; negative prices allowed).

    Returns:
        A :class:`ClearingResult`. Inputs are never modified.

    Raises:
        ValueError: naming the argument and its allowed range, for NaN or infinite
            prices, prices outside the bounds, negative, NaN, infinite or too large
            (> :data:`MAX_QTY`) quantities, bounds beyond :data:`MAX_ABS_PRICE`,
            complex values, mismatched lengths, ``k`` outside [0, 1] or an unknown rule.

    Example:
        >>> r = clear([30.0, 20.0], [1.0, 1.0], [10.0, 25.0], [1.0, 1.0])
        >>> float(r.volume), float(r.price)
        (1.0, 22.5)
    """
    bp, bq, ap, aq = _one_book(bid_price, bid_qty, ask_price, ask_qty)
    if not isinstance(pricing, str) or pricing not in PRICING_RULES:
        raise ValueError(f"pricing={pricing!r}: allowed values are {PRICING_RULES}")
    k = _scalar_in_unit_interval(k)
    floor, cap = _scalar_bounds(price_floor, price_cap)
    n_b = np.array([bp.shape[0]], dtype=np.int64)
    n_a = np.array([ap.shape[0]], dtype=np.int64)
    floor_a = np.array([floor])
    cap_a = np.array([cap])
    bp2, bq2, ap2, aq2 = bp[None, :], bq[None, :], ap[None, :], aq[None, :]
    _validate_side("bid", bp2, bq2, n_b, floor_a, cap_a, False)
    _validate_side("ask", ap2, aq2, n_a, floor_a, cap_a, False)
    r = _run(bp2, bq2, np.argsort(-bp2, axis=1), n_b, ap2, aq2, np.argsort(ap2, axis=1), n_a,
             np.array([k]), pricing == "pay_as_bid", floor_a, cap_a)  # fmt: skip
    return ClearingResult(
        float(r.price[0]),
        float(r.volume[0]),
        r.bid_fill[0],
        r.ask_fill[0],
        r.bid_price_paid[0],
        r.ask_price_received[0],
        float(r.price_lo[0]),
        float(r.price_hi[0]),
    )


def _run(bp, bq, bid_order, nb, ap, aq, ask_order, na, kk, pay_as_bid, floor, cap):
    n_markets = bp.shape[0]
    price = np.empty(n_markets)
    volume = np.empty(n_markets)
    lo = np.empty(n_markets)
    hi = np.empty(n_markets)
    bid_fill = np.empty(bp.shape)
    ask_fill = np.empty(ap.shape)
    bid_paid = np.empty(bp.shape)
    ask_paid = np.empty(ap.shape)
    run = clear_markets if n_markets >= _PARALLEL_MIN_MARKETS else clear_markets_serial
    run(
        bp, bq, bid_order, nb, ap, aq, ask_order, na, kk, pay_as_bid, floor, cap,
        price, volume, lo, hi, bid_fill, ask_fill, bid_paid, ask_paid,
    )  # fmt: skip
    return BatchClearingResult(price, volume, bid_fill, ask_fill, bid_paid, ask_paid, lo, hi)


def clear_batch(
    bid_price: ArrayLike,
    bid_qty: ArrayLike,
    ask_price: ArrayLike,
    ask_qty: ArrayLike,
    n_bids: ArrayLike | None = None,
    n_asks: ArrayLike | None = None,
    k: ArrayLike = 0.5,
    pricing: Pricing = "uniform",
    price_floor: ArrayLike = DEFAULT_PRICE_FLOOR,
    price_cap: ArrayLike = DEFAULT_PRICE_CAP,
) -> BatchClearingResult:
    """Clear E independent call auctions at once, in parallel over markets.

    Args:
        bid_price, bid_qty: (E, Nb) bids, padded; row ``e`` holds ``n_bids[e]`` real
            bids in its first columns (the rest are ignored and may hold anything).
        ask_price, ask_qty: (E, Na) offers, padded likewise.
        n_bids, n_asks: (E,) integer order counts; ``None`` means every column.
        k: a number or (E,) values in [0, 1].
        pricing: ``"uniform"`` or ``"pay_as_bid"``, for every market.
        price_floor, price_cap: numbers or (E,) bounds (currency per MWh).

    Returns:
        A :class:`BatchClearingResult`; row ``e`` equals ``clear`` on row ``e``'s
        real orders.

    Raises:
        ValueError: as :func:`clear`, with the ``[row, column]`` of the bad entry; every
            message starts with the name of the bad argument.
    """
    pay_as_bid = _check_rule(pricing)
    bp, bq, ap, aq, kk, floor, cap = _batch_args(
        bid_price, bid_qty, ask_price, ask_qty, k, price_floor, price_cap
    )
    n_markets = bp.shape[0]
    nb = _counts("n_bids", n_bids, n_markets, bp.shape[1])
    na = _counts("n_asks", n_asks, n_markets, ap.shape[1])
    _validate_side("bid", bp, bq, nb, floor, cap, True)
    _validate_side("ask", ap, aq, na, floor, cap, True)

    bid_order = _sort_orders(bp, nb, descending=True)
    ask_order = _sort_orders(ap, na, descending=False)
    return _run(bp, bq, bid_order, nb, ap, aq, ask_order, na, kk, pay_as_bid, floor, cap)

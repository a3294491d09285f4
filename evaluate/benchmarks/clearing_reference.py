"""The plain-Python rule of clear() that bench_clearing.py times against and checks with.

:func:`reference_clear` clears one book by sorting both sides in Python and walking the
aggregated step curves (prices in currency per MWh, quantities in MW); :func:`agrees`
compares its price and volume with ``clear``'s, and :func:`random_book` draws books.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from elecbay_env.clearing import DEFAULT_PRICE_CAP, DEFAULT_PRICE_FLOOR

RTOL = 1e-9

ATOL = 1e-9
"""Residual tolerances of the rule (as ``elecbay_env.kernels.auction``)."""


def _curve(price: Sequence[float], qty: Sequence[float], descending: bool):
    """Sorted order indices and the aggregated step curve ``[(level price, cum MW)]``."""
    live = [i for i in range(len(price)) if qty[i] > 0.0]
    order = sorted(live, key=price.__getitem__, reverse=descending)
    levels: list[list[float]] = []
    cum = 0.0
    for i in order:
        p = price[i]
        cum += qty[i]
        if levels and levels[-1][0] == p:
            levels[-1][1] = cum
        else:
            levels.append([p, cum])
    return levels


def _check_orders(side: str, price, qty, floor: float, cap: float) -> None:
    if len(price) != len(qty):
        raise ValueError(f"{side}: {len(price)} prices and {len(qty)} quantities")
    for p, q in zip(price, qty, strict=True):
        if not (math.isfinite(p) and floor <= p <= cap):
            raise ValueError(f"{side}_price={p!r}: outside [{floor}, {cap}] or not finite")
        if not (math.isfinite(q) and q >= 0.0):
            raise ValueError(f"{side}_qty={q!r}: must be finite and >= 0")


def _marginal(levels: list[list[float]], volume: float) -> int:
    tol = ATOL + RTOL * volume
    for j, (_, cum) in enumerate(levels):
        if cum >= volume - tol:
            return j
    return len(levels) - 1


def reference_clear(
    bid_price: Sequence[float],
    bid_qty: Sequence[float],
    ask_price: Sequence[float],
    ask_qty: Sequence[float],
    k: float = 0.5,
    price_floor: float = DEFAULT_PRICE_FLOOR,
    price_cap: float = DEFAULT_PRICE_CAP,
) -> tuple[float, float, list[float], list[float]]:
    """Uniform-price call auction in plain Python: ``(price, volume, bid_fill, ask_fill)``.

    The rule of :func:`elecbay_env.clearing.clear`: aggregate each side into price
    levels (``sorted``), walk the demand and supply curves while the bid level is at
    least the offer level and keep the largest crossing volume; orders strictly better
    than their side's marginal level fill fully and the marginal level shares the rest
    pro rata to quantity; the price is ``lo + k * (hi - lo)`` over the interval of
    supporting prices, clipped to ``[price_floor, price_cap]``. NaN price and zero
    volume when nothing trades. Inputs are sequences of floats (lists are fastest).
    """
    _check_orders("bid", bid_price, bid_qty, price_floor, price_cap)
    _check_orders("ask", ask_price, ask_qty, price_floor, price_cap)
    bids = _curve(bid_price, bid_qty, descending=True)
    asks = _curve(ask_price, ask_qty, descending=False)

    # Walk the merged curves: the volume is the largest min(demand, supply) over the
    # steps where the bid price still reaches the offer price.
    volume = 0.0
    i = j = 0
    while i < len(bids) and j < len(asks) and bids[i][0] >= asks[j][0]:
        demand, supply = bids[i][1], asks[j][1]
        volume = max(volume, min(demand, supply))
        if demand <= supply:
            i += 1
        if supply <= demand:
            j += 1
    if volume <= ATOL:
        return math.nan, 0.0, [0.0] * len(bid_price), [0.0] * len(ask_price)

    kb, ka = _marginal(bids, volume), _marginal(asks, volume)
    traded = min(volume, bids[kb][1], asks[ka][1])
    b_prev = bids[kb - 1][1] if kb > 0 else 0.0
    a_prev = asks[ka - 1][1] if ka > 0 else 0.0
    b_level, a_level = bids[kb][1] - b_prev, asks[ka][1] - a_prev
    fb = min(max((traded - b_prev) / b_level, 0.0), 1.0)
    fa = min(max((traded - a_prev) / a_level, 0.0), 1.0)

    # Supporting interval: [max(a_m, b_r), min(b_m, a_r)], where b_m / a_m are the
    # marginal levels and b_r / a_r the best prices left with unfilled volume.
    b_m, a_m = bids[kb][0], asks[ka][0]
    if bids[kb][1] - traded > max(RTOL * b_level, ATOL):
        b_r = b_m
    else:
        b_r = bids[kb + 1][0] if kb + 1 < len(bids) else -math.inf
    if asks[ka][1] - traded > max(RTOL * a_level, ATOL):
        a_r = a_m
    else:
        a_r = asks[ka + 1][0] if ka + 1 < len(asks) else math.inf
    hi = min(b_m, a_r)
    lo = min(max(a_m, b_r), hi)
    price = min(max(lo + k * (hi - lo), price_floor), price_cap)

    # Pro rata at the margin: better levels fill fully, the marginal level by fb / fa.
    bid_fill = [0.0] * len(bid_price)
    for t, (p, q) in enumerate(zip(bid_price, bid_qty, strict=True)):
        if q > 0.0 and p >= b_m:
            bid_fill[t] = q if p > b_m else q * fb
    ask_fill = [0.0] * len(ask_price)
    for t, (p, q) in enumerate(zip(ask_price, ask_qty, strict=True)):
        if q > 0.0 and p <= a_m:
            ask_fill[t] = q if p < a_m else q * fa
    return price, traded, bid_fill, ask_fill


def agrees(ref: tuple[float, float, Any, Any], res: Any, rtol: float = 1e-9) -> bool:
    """Whether a :func:`reference_clear` result matches a ``ClearingResult`` (volume, price).

    Sums over a tie level may run in another order, hence the relative tolerance.
    """
    price, volume = ref[0], ref[1]
    tol = rtol * max(1.0, abs(volume))
    if abs(volume - res.volume) > tol:
        return False
    if math.isnan(price) or math.isnan(res.price):
        return math.isnan(price) and math.isnan(res.price)
    return abs(price - res.price) <= rtol * max(1.0, abs(price))


def random_book(rng: np.random.Generator, n_bids: int, n_asks: int | None = None, shape=()):
    """Random orders: prices uniform on 0..200 to the cent (ties occur), 0.1..50 MW."""
    n_asks = n_bids if n_asks is None else n_asks
    bp = np.round(rng.uniform(0.0, 200.0, (*shape, n_bids)), 2)
    bq = rng.uniform(0.1, 50.0, (*shape, n_bids))
    ap = np.round(rng.uniform(0.0, 200.0, (*shape, n_asks)), 2)
    aq = rng.uniform(0.1, 50.0, (*shape, n_asks))
    return bp, bq, ap, aq

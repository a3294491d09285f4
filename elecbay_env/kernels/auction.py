"""Stage 1: the uniform-price call auction (and pay-as-bid) over E markets at once.

Semantics (DESIGN.md section 4):

* volume: the largest traded volume among the welfare-maximising allocations
  (bids and offers at exactly equal prices trade, at zero surplus);
* fills: orders strictly better than the marginal price level fill fully, strictly
  worse fill nothing, and the marginal level shares what remains pro rata to
  quantity, so no fill depends on the order of submission;
* price: every price in ``[lo, hi] = [max(a_m, b_r), min(b_m, a_r)]`` supports the
  allocation (``b_m``/``a_m`` the lowest accepted bid / highest accepted offer,
  ``b_r``/``a_r`` the best bid / offer price left with unfilled volume); the price
  is ``lo + k * (hi - lo)``.

Residual volume below ``RTOL`` of an order (or ``ATOL`` MW) counts as filled wherever
a price depends on it (the ASSUME #843 lesson), but fills themselves stay exact, so
bought volume equals sold volume to rounding.

The kernels take each side's sort order from the caller (``order``: indices of the
row's orders, best price first, padded entries last): numpy's argsort is faster than
an in-kernel sort for large books, and :func:`~.sorting.sort_row` (stable: equal
prices keep their index order; O(n log n)) gives an in-kernel sort for engines that
clear books inside a larger kernel.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel, parallel_kernel, prange
from .sorting import sort_row  # noqa: F401  (stage 1 and 2 import the book sort from here)

RTOL = 1e-9
"""Relative residual (of an order or of the volume) treated as zero."""
ATOL = 1e-9
"""Absolute residual (MW) treated as zero."""

NO_TRADE_STATUS = 0
TRADE_STATUS = 1


@kernel
def _levels(price, qty, order, n, lvl_price, lvl_cum):
    """Aggregate one side's sorted orders into price levels.

    A level's total is summed with an error-free transformation (TwoSum) and rounded
    once, so it is the correctly rounded sum of its quantities whatever the order of
    the tied orders: permuting the book, or padding it, changes no fill.

    Args:
        price, qty: (n_max,) the side's orders; ``qty == 0`` orders are skipped.
        order: (n_max,) indices, best price first (bids descending, offers
            ascending); the first ``n`` are the real orders.
        n: number of real orders in the row.
        lvl_price, lvl_cum: (n_max,) out: level prices and cumulative quantity (MW)
            up to and including each level.

    Returns:
        The number of levels.
    """
    m = 0
    cum = 0.0
    s = 0.0
    c = 0.0
    for t in range(n):
        i = order[t]
        q = qty[i]
        if q <= 0.0:
            continue
        p = price[i]
        if m > 0 and p == lvl_price[m - 1]:
            total = s + q
            bb = total - s
            c += (s - (total - bb)) + (q - bb)
            s = total
        else:
            if m > 0:
                cum += s + c
                lvl_cum[m - 1] = cum
            lvl_price[m] = p
            s = q
            c = 0.0
            m += 1
    if m > 0:
        cum += s + c
        lvl_cum[m - 1] = cum
    return m


@kernel
def _marginal_level(lvl_cum, m, volume):
    """First level whose cumulative quantity reaches ``volume`` within tolerance."""
    tol = ATOL + RTOL * volume
    for j in range(m):
        if lvl_cum[j] >= volume - tol:
            return j
    return m - 1


@kernel
def _reset_outputs(bid_fill, bid_paid, ask_fill, ask_paid):
    for i in range(bid_fill.shape[0]):
        bid_fill[i] = 0.0
        bid_paid[i] = np.nan
    for i in range(ask_fill.shape[0]):
        ask_fill[i] = 0.0
        ask_paid[i] = np.nan


@kernel
def clear_row(
    bid_price,
    bid_qty,
    bid_order,
    n_bids,
    ask_price,
    ask_qty,
    ask_order,
    n_asks,
    k,
    pay_as_bid,
    price_floor,
    price_cap,
    bid_fill,
    ask_fill,
    bid_paid,
    ask_paid,
):
    """Clear one market. Writes fills and per-order prices; returns the summary.

    Args:
        bid_price, bid_qty, bid_order: (Nb,) bids (currency per MWh, MW), indices
            sorted by descending price; the first ``n_bids`` entries are real.
        ask_price, ask_qty, ask_order: (Na,) offers, indices by ascending price.
        k: position of the price in the supporting interval, 0 <= k <= 1.
        pay_as_bid: if true each filled order trades at its own price.
        price_floor, price_cap: bounds of every price (currency per MWh).
        bid_fill, ask_fill: (Nb,), (Na,) out: filled MW, >= 0.
        bid_paid, ask_paid: (Nb,), (Na,) out: price each order trades at, NaN
            where it fills nothing. The four outputs double as scratch for the
            price levels until the fills are written.

    Returns:
        (price, volume, lo, hi): the clearing price (NaN if no trade), the traded
        volume (MW), and the supporting interval (NaN if no trade).
    """
    b_lvl_p = bid_paid
    b_lvl_c = bid_fill
    a_lvl_p = ask_paid
    a_lvl_c = ask_fill
    mb = _levels(bid_price, bid_qty, bid_order, n_bids, b_lvl_p, b_lvl_c)
    ma = _levels(ask_price, ask_qty, ask_order, n_asks, a_lvl_p, a_lvl_c)

    # Largest crossing volume over the level pairs (bids >= offers).
    volume = 0.0
    i = 0
    j = 0
    while i < mb and j < ma and b_lvl_p[i] >= a_lvl_p[j]:
        d = b_lvl_c[i]
        s = a_lvl_c[j]
        v = d if d < s else s
        if v > volume:
            volume = v
        if d < s:
            i += 1
        elif s < d:
            j += 1
        else:
            i += 1
            j += 1
    if volume <= ATOL:
        _reset_outputs(bid_fill, bid_paid, ask_fill, ask_paid)
        return np.nan, 0.0, np.nan, np.nan

    kb = _marginal_level(b_lvl_c, mb, volume)
    ka = _marginal_level(a_lvl_c, ma, volume)
    v_bid = volume if b_lvl_c[kb] > volume else b_lvl_c[kb]
    v_ask = volume if a_lvl_c[ka] > volume else a_lvl_c[ka]
    traded = v_bid if v_bid < v_ask else v_ask

    b_prev = b_lvl_c[kb - 1] if kb > 0 else 0.0
    a_prev = a_lvl_c[ka - 1] if ka > 0 else 0.0
    b_level_qty = b_lvl_c[kb] - b_prev
    a_level_qty = a_lvl_c[ka] - a_prev
    fb = (traded - b_prev) / b_level_qty
    fa = (traded - a_prev) / a_level_qty
    fb = min(max(fb, 0.0), 1.0)
    fa = min(max(fa, 0.0), 1.0)

    b_m = b_lvl_p[kb]
    a_m = a_lvl_p[ka]
    b_resid = b_lvl_c[kb] - traded
    a_resid = a_lvl_c[ka] - traded
    if b_resid > max(RTOL * b_level_qty, ATOL):
        b_r = b_m
    elif kb + 1 < mb:
        b_r = b_lvl_p[kb + 1]
    else:
        b_r = -np.inf
    if a_resid > max(RTOL * a_level_qty, ATOL):
        a_r = a_m
    elif ka + 1 < ma:
        a_r = a_lvl_p[ka + 1]
    else:
        a_r = np.inf

    lo = a_m if a_m > b_r else b_r
    hi = b_m if b_m < a_r else a_r
    if lo > hi:  # only reachable through rounding at a tie; both ends are then equal
        lo = hi
    # lo + k (hi - lo) can round past hi; the ends are exact and the price stays inside
    price = hi if k == 1.0 else min(max(lo + k * (hi - lo), lo), hi)
    price = min(max(price, price_floor), price_cap)

    _reset_outputs(bid_fill, bid_paid, ask_fill, ask_paid)
    for t in range(n_bids):
        q = bid_qty[t]
        if q <= 0.0:
            continue
        p = bid_price[t]
        if p > b_m:
            bid_fill[t] = q
        elif p == b_m:
            bid_fill[t] = q * fb
        if bid_fill[t] > 0.0:
            bid_paid[t] = p if pay_as_bid else price
    for t in range(n_asks):
        q = ask_qty[t]
        if q <= 0.0:
            continue
        p = ask_price[t]
        if p < a_m:
            ask_fill[t] = q
        elif p == a_m:
            ask_fill[t] = q * fa
        if ask_fill[t] > 0.0:
            ask_paid[t] = p if pay_as_bid else price
    return price, traded, lo, hi


def _clear_markets(
    bid_price,
    bid_qty,
    bid_order,
    n_bids,
    ask_price,
    ask_qty,
    ask_order,
    n_asks,
    k,
    pay_as_bid,
    price_floor,
    price_cap,
    price,
    volume,
    lo,
    hi,
    bid_fill,
    ask_fill,
    bid_paid,
    ask_paid,
):
    """Clear E independent markets in parallel (one :func:`clear_row` per market).

    Shapes: ``bid_*`` (E, Nb), ``ask_*`` (E, Na), ``n_bids``/``n_asks``/``k``/
    ``price_floor``/``price_cap`` and the outputs ``price``/``volume``/``lo``/``hi``
    (E,). ``bid_order``/``ask_order`` hold each row's indices by best price first.
    """
    n_markets = bid_price.shape[0]
    for e in prange(n_markets):
        p, v, a, b = clear_row(
            bid_price[e],
            bid_qty[e],
            bid_order[e],
            n_bids[e],
            ask_price[e],
            ask_qty[e],
            ask_order[e],
            n_asks[e],
            k[e],
            pay_as_bid,
            price_floor[e],
            price_cap[e],
            bid_fill[e],
            ask_fill[e],
            bid_paid[e],
            ask_paid[e],
        )
        price[e] = p
        volume[e] = v
        lo[e] = a
        hi[e] = b


clear_markets = parallel_kernel(_clear_markets)
"""Parallel over E; see ``_clear_markets``."""
clear_markets_serial = kernel(_clear_markets)
"""The same loop compiled without threads, for small batches (no thread wake-up)."""

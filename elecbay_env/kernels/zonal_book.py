"""Book preparation for the zonal auction (:mod:`elecbay_env.kernels.zonal`).

:func:`clear_isolated` clears a zone without borders with ``clear_row`` on its own
orders; :func:`price_grid` and :func:`add_levels` lay the bordered zones' orders on one
ascending grid of distinct prices with per-(zone, price) totals (MW).
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel
from .auction import clear_row


@kernel
def clear_isolated(z, price, qty, zone, order, n, a_price, a_qty, a_zone, a_order, n_a,
                    k, floor, cap, bid_fill, ask_fill):  # fmt: skip
    """Clear zone ``z`` alone with ``clear_row``; returns (price, volume, lo, hi)."""
    lp = np.empty(max(n, 1))
    lq = np.empty(max(n, 1))
    li = np.empty(max(n, 1), dtype=np.int64)
    m = 0
    for t in range(n):
        i = order[t]
        if zone[i] == z:
            lp[m] = price[i]
            lq[m] = qty[i]
            li[m] = i
            m += 1
    ap = np.empty(max(n_a, 1))
    aq = np.empty(max(n_a, 1))
    ai = np.empty(max(n_a, 1), dtype=np.int64)
    ma = 0
    for t in range(n_a):
        i = a_order[t]
        if a_zone[i] == z:
            ap[ma] = a_price[i]
            aq[ma] = a_qty[i]
            ai[ma] = i
            ma += 1
    b_ord = np.arange(m)
    a_ord = np.arange(ma)
    bf = np.empty(m)
    bp = np.empty(m)
    af = np.empty(ma)
    apd = np.empty(ma)
    p, v, lo, hi = clear_row(lp[:m], lq[:m], b_ord, m, ap[:ma], aq[:ma], a_ord, ma, k, False,
                             floor, cap, bf, af, bp, apd)  # fmt: skip
    for j in range(m):
        bid_fill[li[j]] = bf[j]
    for j in range(ma):
        ask_fill[ai[j]] = af[j]
    return p, v, lo, hi


@kernel
def price_grid(b_price, b_qty, b_zone, b_order, nb, a_price, a_qty, a_zone, a_order, na,
          isolated, grid, b_gi, a_gi):  # fmt: skip
    """Merge both sides' live orders of bordered zones into ascending distinct prices.

    Writes ``grid[:M]`` and each order's grid index (``-1`` when skipped); returns M.
    """
    m = 0
    ib = nb - 1
    ia = 0
    while True:
        while ib >= 0 and (b_qty[b_order[ib]] <= 0.0 or isolated[b_zone[b_order[ib]]]):
            b_gi[b_order[ib]] = -1
            ib -= 1
        while ia < na and (a_qty[a_order[ia]] <= 0.0 or isolated[a_zone[a_order[ia]]]):
            a_gi[a_order[ia]] = -1
            ia += 1
        if ib < 0 and ia >= na:
            return m
        take_bid = ia >= na or (ib >= 0 and b_price[b_order[ib]] <= a_price[a_order[ia]])
        p = b_price[b_order[ib]] if take_bid else a_price[a_order[ia]]
        if m == 0 or p != grid[m - 1]:
            grid[m] = p
            m += 1
        if take_bid:
            b_gi[b_order[ib]] = m - 1
            ib -= 1
        else:
            a_gi[a_order[ia]] = m - 1
            ia += 1


@kernel
def add_levels(price_gi, qty, zone, order, n, s, c):
    """Per (zone, grid price) totals by TwoSum, in sorted order: ``s + c`` is the level."""
    for t in range(n):
        i = order[t]
        j = price_gi[i]
        if j < 0:
            continue
        z = zone[i]
        q = qty[i]
        a = s[z, j]
        total = a + q
        bb = total - a
        c[z, j] += (a - (total - bb)) + (q - bb)
        s[z, j] = total

"""Risk limits on the period's orders, before the auction (:mod:`elecbay_env.risk_limits`).

One pass over E markets and the R limited rows: steps and reserve offers below the
minimum bid are dropped; each side's total MW (sell, then buy) is held within
``min(max_bid, headroom)`` where ``headroom = max(limit - sign x position, 0) /
period_h`` (reject: the side is dropped; clip: its most competitive steps are kept,
a seller's cheapest and a buyer's dearest first, ties in step order); each reserve
direction is held within ``max_bid``. Orders are changed in place; what changed is
written to the outputs for the notices.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel

TOL = 1e-9
SMALL = 0
SELL = 1
BUY = 2
RES_UP = 3
RES_DOWN = 4
N_SLOTS = 5


@kernel
def apply_limits(
    step_qty, step_price, res_qty, rows, min_bid, max_bid, limit, reject, position,
    period_h, removed, count, total, head, kept,
):  # fmt: skip
    """Apply the limits in place.

    Args:
        step_qty: (E, N, B) MW, + sell, - buy (changed in place).
        step_price: (E, N, B) currency per MWh.
        res_qty: (E, N, 2) reserve offers, MW (changed in place).
        rows: (R,) the limited rows.
        min_bid, max_bid, limit: (N,) MW, MW and MWh (0, inf, inf where none).
        reject: (N,) bool, reject instead of clip.
        position: (E, N) MWh contracted today, + sold.
        period_h: hours per period.
        removed: (E, R, 5) out: MW removed per slot (small steps, sell, buy, reserve
            up, reserve down); 0 where nothing changed.
        count: (E, R, 5) out: 1 where the slot changed (for small steps: how many).
        total: (E, R, 5) out: MW offered in the slot before the change.
        head: (E, R, 2) out: each side's position headroom, MW.
        kept: (E, R, 5) out: MW kept in the slot.
    """
    e_n = step_qty.shape[0]
    b_n = step_qty.shape[2]
    order = np.empty(b_n, np.int64)
    for e in range(e_n):
        for r in range(rows.shape[0]):
            i = rows[r]
            for k in range(N_SLOTS):
                removed[e, r, k] = 0.0
                count[e, r, k] = 0.0
                total[e, r, k] = 0.0
                kept[e, r, k] = 0.0
            lo = min_bid[i]
            for s in range(b_n):
                q = step_qty[e, i, s]
                if q != 0.0 and abs(q) < lo:
                    removed[e, r, SMALL] += abs(q)
                    count[e, r, SMALL] += 1.0
                    step_qty[e, i, s] = 0.0
            for side in range(2):
                sign = 1.0 if side == 0 else -1.0
                slot = SELL if side == 0 else BUY
                tot = 0.0
                for s in range(b_n):
                    if step_qty[e, i, s] * sign > 0.0:
                        tot += step_qty[e, i, s] * sign
                h_mw = max(limit[i] - sign * position[e, i], 0.0) / period_h
                head[e, r, side] = h_mw
                cap = min(max_bid[i], h_mw)
                if tot <= 0.0 or tot <= cap * (1 + TOL) + TOL:
                    continue
                total[e, r, slot] = tot
                count[e, r, slot] = 1.0
                if reject[i]:
                    for s in range(b_n):
                        if step_qty[e, i, s] * sign > 0.0:
                            step_qty[e, i, s] = 0.0
                    removed[e, r, slot] = tot
                    continue
                # the side's steps, best first (selection sort; B <= 16)
                m = 0
                for s in range(b_n):
                    if step_qty[e, i, s] * sign > 0.0:
                        order[m] = s
                        m += 1
                for a in range(m):
                    best = a
                    for c in range(a + 1, m):
                        pc = step_price[e, i, order[c]] * sign
                        pb = step_price[e, i, order[best]] * sign
                        if pc < pb or (pc == pb and order[c] < order[best]):
                            best = c
                    order[a], order[best] = order[best], order[a]
                left = cap
                for a in range(m):
                    s = order[a]
                    q = step_qty[e, i, s] * sign
                    take = q if q < left else left
                    if take < 0.0:
                        take = 0.0
                    step_qty[e, i, s] = take * sign
                    left -= take
                kept[e, r, slot] = cap - left
                removed[e, r, slot] = tot - (cap - left)
            hi = max_bid[i]
            for d in range(2):
                slot = RES_UP if d == 0 else RES_DOWN
                q = res_qty[e, i, d]
                if q != 0.0 and q < lo:
                    total[e, r, slot] = q
                    count[e, r, slot] = -1.0  # below the minimum
                    removed[e, r, slot] = q
                    res_qty[e, i, d] = 0.0
                elif q > hi * (1 + TOL):
                    keep = 0.0 if reject[i] else hi
                    total[e, r, slot] = q
                    count[e, r, slot] = 1.0
                    kept[e, r, slot] = keep
                    removed[e, r, slot] = q - keep
                    res_qty[e, i, d] = keep

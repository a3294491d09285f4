"""The zonal uniform-price auction on a radial network (a forest of borders), E markets.

Semantics (docs/zones.md): the fills maximise welfare subject to one energy balance
per zone and each border's limits; prices are the k-points of the zones' supporting
intervals given the flows.

Method, per market:

1. A zone without any border is cleared by :func:`elecbay_env.kernels.auction.clear_row`
   on its own orders (so one zone without borders is ``clear``, bit for bit).
2. The other zones share a price grid: the sorted distinct prices of their orders.
   Between two grid prices every zone's net supply (offers below the price minus bids
   above it, MW) is constant; ``acum[z, j] - bsuf[z, j]`` is its value on the j-th
   open interval (j = 0 below the lowest price, M above the highest), and at the
   grid price ``g[j]`` the net supply can be anything in ``[x[j], x[j + 1]]``.
3. From the leaves up, a subtree's net export as a function of its root's price is the
   zone's own net supply plus each child subtree's export clipped to the border's
   limits (``agg``). Each tree's root solves ``0 in agg(p)``; going down, each
   subtree solves ``t in agg(p)`` for the export ``t`` its parent gave it. On a flat
   stretch the parts are fixed; at a grid price the parts share the target as
   :func:`_split` says (pro rata across zones, as one market would).
4. Fills per zone from its operating point: orders strictly inside the money fill,
   the zone's marginal level (if any) shares pro rata, with the most volume that the
   zone's net export allows (as ``clear`` at a tie).
5. Prices: each zone's local supporting interval from its fills (lowest filled bid,
   highest filled offer, best residual orders), joined by the borders: equal prices
   across a border strictly inside its limits, ``p_exporter <= p_importer`` across a
   full one. Those are difference constraints on a tree, so the least and the greatest
   supporting prices of every zone come from one pass up and one pass down; the price
   is ``lo + k (hi - lo)`` of that interval, the same k-point for the whole polyhedron
   (it stays inside it because the polyhedron is a lattice).
"""

from __future__ import annotations

import numpy as np

from ._jit import inline_kernel, kernel, parallel_kernel, prange
from .auction import ATOL, RTOL
from .zonal_book import add_levels, clear_isolated, price_grid

EQUAL = 0
"""Border relation: the child and its parent share a price (border not full)."""
CHILD_LE = 1
"""The child exports at its limit: ``p_child <= p_parent``."""
PARENT_LE = 2
"""The child imports at its limit: ``p_parent <= p_child``."""
FREE = 3
"""Both limits zero: no relation."""


@inline_kernel
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@inline_kernel
def _search(v, m, target):
    """First interval j whose value reaches ``target``: (j, flat) or (j - 1 as a grid
    index, not flat) when ``target`` lies in the jump at grid price ``j - 1``."""
    tol = ATOL + RTOL * (max(abs(v[0]), abs(v[m])) + abs(target))
    j = 0
    while j < m and v[j] < target - tol:
        j += 1
    if j == 0 or v[j] <= target + tol:
        return j, True
    return j - 1, False


@kernel
def clear_zonal_row(
    b_price, b_qty, b_zone, b_order, nb, a_price, a_qty, a_zone, a_order, na,
    n_zones, isolated, bfs, parent, p_border, p_dir, child_ptr, children,
    cap_f, cap_b, k, floor, cap,
    bid_fill, ask_fill, zone_price, zone_lo, zone_hi, zone_bought, zone_sold, flow, rent,
):  # fmt: skip
    """Clear one zonal market; writes every output row and returns the volume (MW).

    ``bfs`` lists the zones parents first; ``parent``/``p_border``/``p_dir`` (+1 when
    the zone is its border's ``from`` end) give each zone's link to its parent (-1 for
    a root); ``children[child_ptr[z]:child_ptr[z + 1]]`` are its children.
    """
    for i in range(bid_fill.shape[0]):
        bid_fill[i] = 0.0
    for i in range(ask_fill.shape[0]):
        ask_fill[i] = 0.0
    for z in range(n_zones):
        zone_bought[z] = 0.0
        zone_sold[z] = 0.0
    for b in range(flow.shape[0]):
        flow[b] = 0.0
        rent[b] = 0.0
    bordered = False
    for z in range(n_zones):
        if isolated[z]:
            p, v, lo, hi = clear_isolated(z, b_price, b_qty, b_zone, b_order, nb, a_price,
                                           a_qty, a_zone, a_order, na, k, floor, cap,
                                           bid_fill, ask_fill)  # fmt: skip
            zone_price[z] = p
            zone_lo[z] = lo
            zone_hi[z] = hi
            zone_bought[z] = v
            zone_sold[z] = v
        else:
            bordered = True
    if bordered:
        _clear_bordered(b_price, b_qty, b_zone, b_order, nb, a_price, a_qty, a_zone, a_order,
                        na, n_zones, isolated, bfs, parent, p_border, p_dir, child_ptr,
                        children, cap_f, cap_b, k, floor, cap, bid_fill, ask_fill, zone_price,
                        zone_lo, zone_hi, zone_bought, zone_sold, flow, rent)  # fmt: skip
    volume = 0.0
    for z in range(n_zones):
        volume += zone_bought[z]
    return volume


@kernel
def _limits(c, p_border, p_dir, cap_f, cap_b):
    """(most import, most export) of zone ``c`` over the border to its parent, MW."""
    b = p_border[c]
    if p_dir[c] > 0:
        return cap_b[b], cap_f[b]
    return cap_f[b], cap_b[b]


@kernel
def _clear_bordered(
    b_price, b_qty, b_zone, b_order, nb, a_price, a_qty, a_zone, a_order, na,
    n_zones, isolated, bfs, parent, p_border, p_dir, child_ptr, children,
    cap_f, cap_b, k, floor, cap,
    bid_fill, ask_fill, zone_price, zone_lo, zone_hi, zone_bought, zone_sold, flow, rent,
):  # fmt: skip
    """Steps 2-5 of the module docstring for the zones that have a border."""
    grid = np.empty(nb + na + 1)
    b_gi = np.empty(b_price.shape[0], dtype=np.int64)
    a_gi = np.empty(a_price.shape[0], dtype=np.int64)
    m = price_grid(b_price, b_qty, b_zone, b_order, nb, a_price, a_qty, a_zone, a_order, na,
              isolated, grid, b_gi, a_gi)  # fmt: skip
    a_s = np.zeros((n_zones, m + 1))
    a_c = np.zeros((n_zones, m + 1))
    b_s = np.zeros((n_zones, m + 1))
    b_c = np.zeros((n_zones, m + 1))
    add_levels(a_gi, a_qty, a_zone, a_order, na, a_s, a_c)
    add_levels(b_gi, b_qty, b_zone, b_order, nb, b_s, b_c)
    # Level totals into a_s/b_s; cumulative offers below and bids above each interval.
    acum = np.empty((n_zones, m + 1))
    bsuf = np.empty((n_zones, m + 1))
    agg = np.empty((n_zones, m + 1))
    ideal = np.empty((n_zones, m + 1))
    for z in range(n_zones):
        run = 0.0
        for j in range(m + 1):
            acum[z, j] = run
            a_s[z, j] += a_c[z, j]
            run += a_s[z, j]
        run = 0.0
        for j in range(m, -1, -1):
            b_s[z, j] += b_c[z, j]
            run += b_s[z, j] if j < m else 0.0
            bsuf[z, j] = run
        for j in range(m + 1):
            agg[z, j] = acum[z, j] - bsuf[z, j]
            ideal[z, j] = acum[z, j + 1] - bsuf[z, j] if j < m else 0.0
    # Up: each subtree's export, clipped into its parent's curve; and at each grid
    # price the export that trades the most (all of its orders at that price).
    for t in range(n_zones - 1, -1, -1):
        c = bfs[t]
        if isolated[c] or parent[c] < 0:
            continue
        lo_in, hi_out = _limits(c, p_border, p_dir, cap_f, cap_b)
        for j in range(m + 1):
            agg[parent[c], j] += _clip(agg[c, j], -lo_in, hi_out)
            ideal[parent[c], j] += _clip(ideal[c, j], -lo_in, hi_out)
    # Down: targets, flows and each zone's own operating point.
    target = np.zeros(n_zones)
    own_j = np.empty(n_zones, dtype=np.int64)
    own_flat = np.empty(n_zones, dtype=np.bool_)
    own_t = np.zeros(n_zones)
    for t in range(n_zones):
        z = bfs[t]
        if isolated[z]:
            continue
        j, flat = _search(agg[z], m, target[z])
        own_j[z] = j
        own_flat[z] = flat
        if flat:
            own_t[z] = acum[z, j] - bsuf[z, j]
            for s in range(child_ptr[z], child_ptr[z + 1]):
                c = children[s]
                lo_in, hi_out = _limits(c, p_border, p_dir, cap_f, cap_b)
                target[c] = _clip(agg[c, j], -lo_in, hi_out)
        else:
            _split(z, j, target[z], acum, bsuf, agg, ideal, child_ptr, children, p_border,
                   p_dir, cap_f, cap_b, own_t, target)  # fmt: skip
        if parent[z] >= 0:
            flow[p_border[z]] = target[z] * p_dir[z]
    # Fills: a zone at a grid price shares its marginal levels with the most volume.
    alpha = np.ones(n_zones)
    beta = np.ones(n_zones)
    for z in range(n_zones):
        if isolated[z] or own_flat[z]:
            continue
        j = own_j[z]
        s_lt = acum[z, j]
        a_p = a_s[z, j]
        d_gt = bsuf[z, j + 1]
        b_p = b_s[z, j]
        sold = min(s_lt + a_p, d_gt + b_p + own_t[z])
        sold = max(sold, s_lt)
        bought = max(sold - own_t[z], d_gt)
        alpha[z] = _fraction(sold - s_lt, a_p)
        beta[z] = _fraction(bought - d_gt, b_p)
    lo = np.full(n_zones, -np.inf)
    hi = np.full(n_zones, np.inf)
    trade = np.zeros(n_zones, dtype=np.bool_)
    for i in range(nb):
        j = b_gi[i]
        if j < 0:
            continue
        z = b_zone[i]
        jz = own_j[z]
        if j > jz or (own_flat[z] and j == jz):
            f = b_qty[i]
        elif j == jz:
            f = b_qty[i] * beta[z]
        else:
            f = 0.0
        bid_fill[i] = f
        zone_bought[z] += f
        if f > 0.0:
            hi[z] = min(hi[z], b_price[i])
            trade[z] = True
        if f < b_qty[i]:
            lo[z] = max(lo[z], b_price[i])
    for i in range(na):
        j = a_gi[i]
        if j < 0:
            continue
        z = a_zone[i]
        jz = own_j[z]
        if j < jz:
            f = a_qty[i]
        elif j == jz and not own_flat[z]:
            f = a_qty[i] * alpha[z]
        else:
            f = 0.0
        ask_fill[i] = f
        zone_sold[z] += f
        if f > 0.0:
            lo[z] = max(lo[z], a_price[i])
            trade[z] = True
        if f < a_qty[i]:
            hi[z] = min(hi[z], a_price[i])
    _prices(n_zones, isolated, bfs, parent, p_border, p_dir, cap_f, cap_b, target, lo, hi,
            trade, k, floor, cap, zone_price, zone_lo, zone_hi)  # fmt: skip
    for t in range(n_zones):
        c = bfs[t]
        if isolated[c] or parent[c] < 0:
            continue
        b = p_border[c]
        f = flow[b]
        if f != 0.0:
            z_from, z_to = (c, parent[c]) if p_dir[c] > 0 else (parent[c], c)
            r = (zone_price[z_to] - zone_price[z_from]) * f
            # a flow within rounding (no fill behind it) next to a zone without a price
            rent[b] = r if r == r else 0.0


@kernel
def _split(z, j, t, acum, bsuf, agg, ideal, child_ptr, children, p_border, p_dir, cap_f,
           cap_b, own_t, target):  # fmt: skip
    """Share the export ``t`` of the subtree of ``z`` at grid price ``j`` among its parts.

    Each part (the zone itself, each child subtree clipped to its border) can export
    anything in ``[lo, hi]`` at that price; from its most-volume point ``mid`` (every
    order at the price trading) all parts move by one common fraction towards ``hi``
    (or ``lo``) until they add up to ``t``. Marginal orders of zones joined by borders
    that stay inside their limits thus fill one common fraction, as in one market.
    """
    x_lo = acum[z, j] - bsuf[z, j]
    x_hi = acum[z, j + 1] - bsuf[z, j + 1]
    x_mid = acum[z, j + 1] - bsuf[z, j]
    tot_lo = x_lo
    tot_hi = x_hi
    tot_mid = x_mid
    for s in range(child_ptr[z], child_ptr[z + 1]):
        c = children[s]
        lo_in, hi_out = _limits(c, p_border, p_dir, cap_f, cap_b)
        tot_lo += _clip(agg[c, j], -lo_in, hi_out)
        tot_hi += _clip(agg[c, j + 1], -lo_in, hi_out)
        tot_mid += _clip(ideal[c, j], -lo_in, hi_out)
    up = t >= tot_mid
    room = tot_hi - tot_mid if up else tot_mid - tot_lo
    phi = 0.0
    if room > 0.0:
        phi = min(max((t - tot_mid if up else tot_mid - t) / room, 0.0), 1.0)
    own_t[z] = x_mid + phi * ((x_hi if up else x_lo) - x_mid)
    for s in range(child_ptr[z], child_ptr[z + 1]):
        c = children[s]
        lo_in, hi_out = _limits(c, p_border, p_dir, cap_f, cap_b)
        c_end = _clip(agg[c, j + 1] if up else agg[c, j], -lo_in, hi_out)
        c_mid = _clip(ideal[c, j], -lo_in, hi_out)
        target[c] = c_mid + phi * (c_end - c_mid)


@inline_kernel
def _fraction(got, level):
    """Filled share of a marginal level, snapped to 0 or 1 within the residual tolerance."""
    if level <= 0.0:
        return 0.0
    tol = max(RTOL * level, ATOL)
    if got <= tol:
        return 0.0
    if level - got <= tol:
        return 1.0
    return got / level


@kernel
def _prices(n_zones, isolated, bfs, parent, p_border, p_dir, cap_f, cap_b, target, lo, hi,
            trade, k, floor, cap, zone_price, zone_lo, zone_hi):  # fmt: skip
    """Least and greatest supporting prices over the tree, then the k-points."""
    rel = np.full(n_zones, FREE, dtype=np.int64)
    for t in range(n_zones):
        c = bfs[t]
        if isolated[c] or parent[c] < 0:
            continue
        lo_in, hi_out = _limits(c, p_border, p_dir, cap_f, cap_b)
        tol = ATOL + RTOL * max(lo_in, hi_out)
        out_full = target[c] >= hi_out - tol
        in_full = target[c] <= -lo_in + tol
        if abs(target[c]) > ATOL:
            trade[c] = True
            trade[parent[c]] = True
        if out_full and in_full:
            rel[c] = FREE
        elif out_full:
            rel[c] = CHILD_LE
        elif in_full:
            rel[c] = PARENT_LE
        else:
            rel[c] = EQUAL
    for t in range(n_zones - 1, -1, -1):
        c = bfs[t]
        if isolated[c] or parent[c] < 0:
            continue
        r = rel[c]
        q = parent[c]
        if r == EQUAL or r == CHILD_LE:
            lo[q] = max(lo[q], lo[c])
        if r == EQUAL or r == PARENT_LE:
            hi[q] = min(hi[q], hi[c])
        if r == EQUAL:
            trade[q] = trade[q] or trade[c]
    for t in range(n_zones):
        c = bfs[t]
        if isolated[c]:
            continue
        q = parent[c]
        if q >= 0:
            r = rel[c]
            if r == EQUAL or r == PARENT_LE:
                lo[c] = max(lo[c], lo[q])
            if r == EQUAL or r == CHILD_LE:
                hi[c] = min(hi[c], hi[q])
            if r == EQUAL:
                trade[c] = trade[q]
        if not trade[c]:
            zone_price[c] = np.nan
            zone_lo[c] = np.nan
            zone_hi[c] = np.nan
            continue
        a = min(max(lo[c], floor), cap)
        b = min(max(hi[c], floor), cap)
        if a > b:  # only through rounding at a tie
            a = b
        zone_lo[c] = a
        zone_hi[c] = b
        zone_price[c] = b if k == 1.0 else min(max(a + k * (b - a), a), b)


def _clear_zonal_markets(
    b_price, b_qty, b_zone, b_order, n_bids, a_price, a_qty, a_zone, a_order, n_asks,
    n_zones, isolated, bfs, parent, p_border, p_dir, child_ptr, children,
    cap_f, cap_b, k, floor, cap,
    bid_fill, ask_fill, zone_price, zone_lo, zone_hi, zone_bought, zone_sold, flow, rent, volume,
):  # fmt: skip
    """E zonal markets (one :func:`clear_zonal_row` each). Per-market arrays have a
    leading E axis; the network (``isolated`` ... ``children``) is shared."""
    for e in prange(b_price.shape[0]):
        volume[e] = clear_zonal_row(
            b_price[e], b_qty[e], b_zone[e], b_order[e], n_bids[e],
            a_price[e], a_qty[e], a_zone[e], a_order[e], n_asks[e],
            n_zones, isolated, bfs, parent, p_border, p_dir, child_ptr, children,
            cap_f[e], cap_b[e], k[e], floor[e], cap[e],
            bid_fill[e], ask_fill[e], zone_price[e], zone_lo[e], zone_hi[e],
            zone_bought[e], zone_sold[e], flow[e], rent[e],
        )  # fmt: skip


clear_zonal_markets = parallel_kernel(_clear_zonal_markets)
"""Parallel over E; see ``_clear_zonal_markets``."""
clear_zonal_markets_serial = kernel(_clear_zonal_markets)
"""The same loop without threads, for small batches."""

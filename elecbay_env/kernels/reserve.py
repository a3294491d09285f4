"""Stage 2: physical headroom after the forward position, and reserve procurement.

Directions are indexed ``UP = 0`` (raise net injection: generate more, consume less)
and ``DOWN = 1`` (lower net injection). A reserve offer is a call option on energy:
the availability price (currency per MW per hour) is the premium, the utilisation
price (currency per MWh) the strike. For down reserve the provider *pays* its
utilisation price for the energy it no longer produces, so the broker ranks down
offers by ``avail - util`` (its net cost) and up offers by ``avail + util``.
"""

from __future__ import annotations

from ._jit import kernel
from .auction import ATOL, sort_row
from .kinds import CONSUMER, SOLAR, STORAGE, THERMAL, WIND

UP = 0
DOWN = 1


@kernel
def fill_merit_order(cost, qty, n, need, order, out):
    """Fill ``need`` MW from ``qty`` cheapest ``cost`` first; equal costs share pro rata.

    Args:
        cost: (n,) ranking key (lower is taken first).
        qty: (n,) MW available from each entry, >= 0.
        n: number of entries.
        need: MW to fill, >= 0.
        order: (n,) int scratch.
        out: (n,) out: MW taken from each entry.

    Returns:
        The MW filled (``<= need``; less when the entries run out).
    """
    for i in range(n):
        out[i] = 0.0
    if need <= ATOL:
        return 0.0
    sort_row(cost, n, False, order)
    remaining = need
    t = 0
    while t < n and remaining > ATOL:
        c = cost[order[t]]
        u = t
        level = 0.0
        while u < n and cost[order[u]] == c:
            level += qty[order[u]]
            u += 1
        if level > 0.0:
            take = level if level < remaining else remaining
            f = take / level
            for s in range(t, u):
                out[order[s]] = qty[order[s]] * f
            remaining -= take
        t = u
    return need - remaining


@kernel
def headroom(
    kind,
    level_mw,
    start_mw,
    end_mw,
    committed,
    cap_mw,
    min_stable_mw,
    ramp_mw_per_min,
    meter_min,
    ramp_min,
    available_mw,
    soc_mwh,
    soc_min_mwh,
    soc_max_mwh,
    eff_charge,
    eff_discharge,
    period_h,
    flexible_frac,
    out,
):
    """Reserve one participant row can deliver in each direction (MW) within one meter
    interval of an instruction, and sustain for the rest of the period.

    Args:
        kind: the row's asset kind (see :mod:`.kinds`).
        level_mw: the row's net injection now (MW); a thermal unit below its minimum
            stable output (synchronising) offers none, and one behind its profile needs
            part of its ramp to catch up.
        start_mw, end_mw: where the row's contract profile starts and ends this period
            (net injection, MW); for a consumer, the flexible load it sheds at the start
            and end of the period (MW >= 0).
        committed: thermal only: 1 if the unit runs this period.
        ramp_mw_per_min, meter_min: a thermal unit moves at most ``ramp x meter_min`` MW
            from one interval to the next, less what its own profile's ramp uses
            (``|end - start| x meter_min / ramp_min`` per interval) and what it still
            owes its profile (``start - level`` for up reserve, ``level - start`` for
            down).
        available_mw: renewables: forecast available power; consumers: expected load.
        out: (2,) out: [up, down] MW.
    """
    up = 0.0
    down = 0.0
    hi = max(start_mw, end_mw)
    lo = min(start_mw, end_mw)
    if kind == THERMAL:
        if committed and level_mw >= min_stable_mw:  # not while synchronising
            slope = abs(end_mw - start_mw) * meter_min / ramp_min if ramp_min > 0 else 0.0
            behind = max(start_mw, min_stable_mw) - level_mw  # ramp owed to the profile
            ramp_room = ramp_mw_per_min * meter_min - slope
            hi = min(max(hi, min_stable_mw), cap_mw)
            lo = min(max(lo, min_stable_mw), cap_mw)
            up = min(cap_mw - hi, ramp_room - max(behind, 0.0))
            down = min(lo - min_stable_mw, ramp_room - max(-behind, 0.0))
    elif kind == WIND or kind == SOLAR:
        down = min(max(lo, 0.0), available_mw)
    elif kind == STORAGE:
        max_dis = min(cap_mw, (soc_mwh - soc_min_mwh) * eff_discharge / period_h)
        max_chg = min(cap_mw, (soc_max_mwh - soc_mwh) / (eff_charge * period_h))
        up = max_dis - min(hi, cap_mw)
        down = max(lo, -cap_mw) + max_chg
    elif kind == CONSUMER:  # less what it sheds already (start_mw, end_mw: MW shed)
        up = flexible_frac * available_mw - max(start_mw, end_mw)
        down = flexible_frac * available_mw
    out[0] = max(up, 0.0)
    out[1] = max(down, 0.0)


@kernel
def procure(
    offer_qty,
    offer_avail,
    offer_util,
    room,
    requirement,
    max_avail,
    max_util,
    n,
    order,
    cost,
    qty,
    taken,
    reserved,
):
    """Fill the broker's requirement in each direction in merit order of total price.

    Args:
        offer_qty, offer_avail, offer_util: (N, 2) offers per row and direction (MW,
            currency per MW per hour, currency per MWh).
        room: (N, 2) physical headroom from :func:`headroom` (MW).
        requirement, max_avail, max_util: (2,) the broker's requirement (MW) and
            caps: availability price, and the utilisation price it pays at most
            (for down reserve: the provider pays at least ``-max_util``).
        n: number of rows.
        order, cost, qty, taken: (N,) scratch.
        reserved: (N, 2) out: MW procured from each row.
    """
    for d in range(2):
        sign = 1.0 if d == UP else -1.0
        for i in range(n):
            a = offer_avail[i, d]
            u = offer_util[i, d]
            ok = a <= max_avail[d] and sign * u <= max_util[d] and offer_qty[i, d] > 0.0
            cost[i] = a + sign * u
            qty[i] = min(offer_qty[i, d], room[i, d]) if ok else 0.0
            if qty[i] < 0.0:
                qty[i] = 0.0
        fill_merit_order(cost, qty, n, requirement[d], order, taken)
        for i in range(n):
            reserved[i, d] = taken[i]


@kernel
def activate(niv_mw, reserved, offer_util, n, order, cost, qty, taken, activation):
    """Activate procured reserve against one meter interval's net imbalance.

    Short system (``niv_mw > 0``): up reserve in ascending utilisation price. Long
    system: down reserve, the highest utilisation price (best for the broker) first.

    Args:
        niv_mw: net imbalance volume, positive when the system is short (MW).
        reserved: (N, 2) procured MW.
        offer_util: (N, 2) utilisation prices (currency per MWh).
        activation: (N,) out: instructed change of net injection (MW, signed).

    Returns:
        MW activated (>= 0).
    """
    if niv_mw > 0.0:
        d = UP
        sign = 1.0
        need = niv_mw
    else:
        d = DOWN
        sign = -1.0
        need = -niv_mw
    for i in range(n):
        cost[i] = sign * offer_util[i, d]
        qty[i] = reserved[i, d]
    got = fill_merit_order(cost, qty, n, need, order, taken)
    for i in range(n):
        activation[i] = sign * taken[i]
    return got

"""One settlement period for E markets: every stage, in order, parallel over markets.

Stages (DESIGN section 3, steps 3-9): 1 forward clearing (:mod:`.auction`), 2 reserve
procurement (:mod:`.reserve`), 3 delivery against ramped contract profiles and meter
reads (:mod:`.delivery`), 4 activation against the net imbalance and the imbalance price
(:mod:`.balancing`), 5 settlement and 6 rewards (:mod:`.settle`; ledger components in
:mod:`.ledger_codes`). With distribution constraints, active network management
(:mod:`.anm`) curtails each meter interval's reference and delivered levels.

``P``, ``S``, ``Q``, ``D``, ``R`` are named tuples of arrays (params, state, orders (quotes),
draws, results) built by :mod:`elecbay_env.period`; every array has the batch axis E
first. The kernel writes ``S`` (the state moves on one period) and ``R``.
"""

from __future__ import annotations

import math

import numpy as np

from . import ledger_codes as L
from ._jit import inline_kernel, kernel, parallel_kernel, prange
from .anm import anm_begin, anm_interval, anm_settle
from .auction import clear_row, sort_row
from .balancing import (
    LEGACY_DUAL,
    LEGACY_SINGLE,
    gb_price,
    legacy_price,
    loss_of_load_probability,
    system_price,
)
from .delivery import (
    commit_thermal,
    consumer_level,
    consumption,
    ramp_weight,
    renewable_level,
    shed_flexible,
    storage_level,
    storage_soc_after,
    thermal_level,
)
from .forecast import forecast_arrays, source_mw, visible_mw
from .kinds import BROKER, CONSUMER, SOLAR, STORAGE, THERMAL, WIND
from .reserve import DOWN, UP, activate, headroom, procure
from .settle import settle
from .zonal_forward import clear_forward_zonal, zone_references

CHUNK_MARKETS = 16
"""Markets stepped one after another by one task of the parallel loop."""


@inline_kernel
def _clear_forward(P, S, Q, R, e, period_h, wf, wi):
    """Stage 1: build the book from every row's step curve and clear it."""
    n_rows, n_steps = Q.step_price.shape[1], Q.step_price.shape[2]
    bid_p = wf[0]
    bid_q = wf[1]
    bid_src = wi[0]
    ask_p = wf[2]
    ask_q = wf[3]
    ask_src = wi[1]
    nb = 0
    na = 0
    for i in range(n_rows):
        for b in range(n_steps):
            q = Q.step_qty[e, i, b]
            if q < 0.0:
                bid_p[nb] = Q.step_price[e, i, b]
                bid_q[nb] = -q
                bid_src[nb] = i * n_steps + b
                nb += 1
            elif q > 0.0:
                ask_p[na] = Q.step_price[e, i, b]
                ask_q[na] = q
                ask_src[na] = i * n_steps + b
                na += 1
    bid_order = wi[2]
    ask_order = wi[3]
    sort_row(bid_p, nb, True, bid_order)
    sort_row(ask_p, na, False, ask_order)
    bid_fill = wf[4]
    ask_fill = wf[5]
    bid_paid = wf[6]
    ask_paid = wf[7]
    price, volume, _lo, _hi = clear_row(
        bid_p, bid_q, bid_order, nb, ask_p, ask_q, ask_order, na,
        P.k[e], P.pay_as_bid, P.price_floor[e], P.price_cap[e],
        bid_fill, ask_fill, bid_paid, ask_paid,
    )  # fmt: skip
    R.price[e] = price
    R.volume_mw[e] = volume
    for i in range(n_rows):
        R.contract_mw[e, i] = 0.0
        R.ledger_amount[e, i, L.FORWARD] = 0.0
        R.ledger_amount[e, i, L.DAY_AHEAD] = 0.0
        R.ledger_mwh[e, i, L.DAY_AHEAD] = 0.0
        for b in range(n_steps):
            R.step_fill_mw[e, i, b] = 0.0
            R.step_paid[e, i, b] = np.nan
    for t in range(nb):
        if bid_fill[t] > 0.0:
            i = bid_src[t] // n_steps
            b = bid_src[t] % n_steps
            R.step_fill_mw[e, i, b] = -bid_fill[t]
            R.step_paid[e, i, b] = bid_paid[t]
            R.contract_mw[e, i] -= bid_fill[t]
            R.ledger_amount[e, i, L.FORWARD] -= bid_fill[t] * bid_paid[t] * period_h
    for t in range(na):
        if ask_fill[t] > 0.0:
            i = ask_src[t] // n_steps
            b = ask_src[t] % n_steps
            R.step_fill_mw[e, i, b] = ask_fill[t]
            R.step_paid[e, i, b] = ask_paid[t]
            R.contract_mw[e, i] += ask_fill[t]
            R.ledger_amount[e, i, L.FORWARD] += ask_fill[t] * ask_paid[t] * period_h


@inline_kernel
def _step_market(P, S, Q, D, R, e, wf, wi, nf, ni, nr, zf, nc, nci):
    n_rows = P.kind.shape[1]
    n_meters = P.period_min // P.meter_min
    period_h = P.period_min / 60.0
    meter_h = P.meter_min / 60.0
    tt = S.t[e]
    first = S.t[e] == 0  # no previous period: profiles start flat

    # 1 forward clearing (zonal when the scenario has zones)
    if P.n_zones > 1:
        clear_forward_zonal(P, S, Q, R, e, period_h, wf, wi)
    else:
        _clear_forward(P, S, Q, R, e, period_h, wf, wi)
        R.zone_price[e, 0] = R.price[e]
        R.congestion_rent[e] = 0.0
    if P.da_slots > 0:
        _add_day_ahead(P, S, R, e)
    anm = P.n_constraints > 0
    anm_t = tt % P.anm_limit_mw.shape[2] if anm else 0
    if anm:
        anm_begin(R, e)
    traded = R.volume_mw[e] > 0.0
    fwd_price = R.price[e] if traded else S.ref_price[e]

    # forecast errors (AR(1)), realised availability and load, commitment, outages;
    # each row's profile runs from `start` (last period's position) to `end` (this one's)
    committed = ni[0]
    committed[:] = 0
    start = nf[0]
    end = nf[1]
    avail_start = nf[13]
    expected = nf[14]
    contract_start = nf[19]
    trip_at = ni[1]
    trip_at[:] = n_meters
    broker = n_rows - 1
    var_mw2 = 0.0
    F = forecast_arrays(P, S)
    for i in range(n_rows):
        kind = P.kind[e, i]
        if kind == BROKER:
            broker = i
        phi = P.err_ar1[e, i]
        err = phi * S.err[e, i] + P.err_std[e, i] * math.sqrt(1.0 - phi * phi) * D.z[e, i]
        fc = visible_mw(F, e, i, tt)
        if P.data_row[e, i]:  # the data is what happens; the forecast carried the error
            actual = source_mw(F, e, i, tt)
            err = actual / fc - 1.0 if fc > 0.0 else 0.0
        S.err[e, i] = err
        expected[i] = fc
        var_mw2 += (P.err_std[e, i] * fc) ** 2
        pos = R.contract_mw[e, i]
        end[i] = pos
        # a unit in forced outage has redeclared: its profile drops the last contract's tail
        fresh = first or (kind == THERMAL and S.outage_left[e, i] > 0)
        start[i] = pos if fresh else S.last_contract_mw[e, i]
        contract_start[i] = start[i]
        R.shed_mw[e, i] = 0.0
        R.started[e, i] = 0
        R.tripped[e, i] = 0
        if kind == WIND or kind == SOLAR:
            R.available_mw[e, i] = min(max(fc * (1.0 + err), 0.0), P.cap_mw[e, i])
        elif kind == CONSUMER:
            R.available_mw[e, i] = max(fc * (1.0 + err), 0.0)
        elif kind == STORAGE:
            R.available_mw[e, i] = P.cap_mw[e, i]
        elif kind == THERMAL:
            in_outage = S.outage_left[e, i] > 0
            c, st, _sched = commit_thermal(
                S.on[e, i], S.run_periods[e, i], S.off_periods[e, i], in_outage, pos,
                P.min_stable_mw[e, i], P.cap_mw[e, i], P.min_run[e, i], P.min_off[e, i],
            )  # fmt: skip
            committed[i] = c
            R.started[e, i] = st
            R.available_mw[e, i] = 0.0 if in_outage else P.cap_mw[e, i]
            if c and D.u_outage[e, i] < P.outage_prob[e, i]:
                trip_at[i] = D.trip_meter[e, i]
                R.tripped[e, i] = 1
        else:
            R.available_mw[e, i] = 0.0
        avail_start[i] = R.available_mw[e, i] if first else S.last_available_mw[e, i]
        if kind == CONSUMER:  # shed (MW) runs like a profile from last period's
            unfilled = 0.0
            for b in range(Q.step_qty.shape[2]):
                if Q.step_qty[e, i, b] < 0.0:
                    unfilled += -Q.step_qty[e, i, b] + R.step_fill_mw[e, i, b]
            R.shed_mw[e, i] = shed_flexible(unfilled, P.flexible_frac[e, i], fc)
            start[i] = R.shed_mw[e, i] if first else S.last_shed_mw[e, i]
            end[i] = R.shed_mw[e, i]
    sigma_mw = max(math.sqrt(var_mw2), 1.0)

    # 2 reserve procurement within what each row can deliver in one meter interval
    room = nr
    room[:] = 0.0
    room_up_total = 0.0
    for i in range(n_rows):
        headroom(
            P.kind[e, i], S.level_mw[e, i], start[i], end[i], committed[i], P.cap_mw[e, i],
            P.min_stable_mw[e, i], P.ramp_mw_per_min[e, i], P.meter_min, P.ramp_min,
            expected[i], S.soc_mwh[e, i], P.soc_min_mwh[e, i], P.soc_max_mwh[e, i],
            P.eff[e, i], P.eff[e, i], period_h,
            P.flexible_frac[e, i], room[i],
        )  # fmt: skip
        if i != broker and R.tripped[e, i] == 0:
            room_up_total += room[i, 0]
    room[broker, 0] = 0.0
    room[broker, 1] = 0.0
    order = ni[2]
    cost = nf[2]
    qty = nf[3]
    taken = nf[4]
    procure(
        Q.res_qty[e], Q.res_avail[e], Q.res_util[e], room, Q.req_mw[e], Q.max_avail[e],
        Q.max_util[e], n_rows, order, cost, qty, taken, R.reserved_mw[e],
    )  # fmt: skip

    # 3-4 delivery, meter reads and activation, interval by interval. Each row also
    # follows a reference path: where it would be had it never been instructed this
    # period. The interval's NIV and every response are measured against it, so an
    # instruction stands until the imbalance it covers is gone.
    baseline = nf[5]
    act = nf[6]
    instructed = nf[7]
    instructed[:] = 0.0
    act_up = nf[8]
    act_up[:] = 0.0
    delivered = nf[9]
    delivered[:] = 0.0
    bal_cash = nf[10]
    bal_cash[:] = 0.0
    ref_level = nf[11]
    ref_soc = nf[12]
    act_down = nf[15]
    act_down[:] = 0.0
    extra = nf[16]
    extra[:] = 0.0
    target = nf[17]
    avail_m = nf[18]
    for i in range(n_rows):
        ref_level[i] = S.level_mw[e, i]
        ref_soc[i] = S.soc_mwh[e, i]
        R.profile_mwh[e, i] = 0.0
    marginal_up = -np.inf
    marginal_down = np.inf
    niv_mwh = 0.0
    unserved_mwh = 0.0
    curtailed_mwh = 0.0
    act_up_mwh = 0.0
    act_down_mwh = 0.0
    margin_mw = np.inf
    for m in range(n_meters):
        w = ramp_weight(m, P.meter_min, P.ramp_min)
        niv = 0.0
        for i in range(n_rows):
            kind = P.kind[e, i]
            avail_m[i] = avail_start[i] + (R.available_mw[e, i] - avail_start[i]) * w
            if kind == CONSUMER:
                shed = start[i] + (end[i] - start[i]) * w
                prof = contract_start[i] + (R.contract_mw[e, i] - contract_start[i]) * w
                target[i] = -consumption(avail_m[i], shed)
            else:
                prof = start[i] + (end[i] - start[i]) * w
                target[i] = prof
                if kind == THERMAL and committed[i]:
                    target[i] = max(prof, P.min_stable_mw[e, i])
            R.profile_mwh[e, i] += prof * meter_h
            baseline[i] = _level(
                kind, ref_level[i], target[i], committed[i], m >= trip_at[i],
                P.min_stable_mw[e, i], P.cap_mw[e, i], P.ramp_mw_per_min[e, i] * P.meter_min,
                avail_m[i], ref_soc[i], P.soc_min_mwh[e, i], P.soc_max_mwh[e, i],
                P.eff[e, i], meter_h,
            )  # fmt: skip
            niv -= baseline[i]
        if anm:  # active network management on the reference levels
            niv -= anm_interval(P, S, R, e, anm_t, baseline, True, meter_h, nc, nci)
            for i in range(n_rows):  # turn-up sold in a curtailment trade: extra energy
                extra[i] += nc[2, i] * meter_h
        activate(niv, R.reserved_mw[e], Q.res_util[e], n_rows, order, cost, qty, taken, act)
        supplied = 0.0
        up_now = 0.0
        levels = nf[20]
        for i in range(n_rows):
            levels[i] = _level(
                P.kind[e, i], S.level_mw[e, i], baseline[i] + act[i], committed[i],
                m >= trip_at[i], P.min_stable_mw[e, i], P.cap_mw[e, i],
                P.ramp_mw_per_min[e, i] * P.meter_min, avail_m[i], S.soc_mwh[e, i],
                P.soc_min_mwh[e, i], P.soc_max_mwh[e, i], P.eff[e, i], meter_h,
            )  # fmt: skip
        if anm:  # and on the levels after activation: the limit always holds
            anm_interval(P, S, R, e, anm_t, levels, False, meter_h, nc, nci)
        for i in range(n_rows):
            a = act[i]
            kind = P.kind[e, i]
            level = levels[i]
            response = level - baseline[i]
            supplied += response
            if a != 0.0:
                d = UP if a > 0.0 else DOWN
                util = Q.res_util[e, i, d]
                instructed[i] += a * meter_h
                delivered[i] += (response if a > 0.0 else -response) * meter_h
                bal_cash[i] += a * meter_h * util
                if a > 0.0:
                    act_up[i] += a * meter_h
                    act_up_mwh += a * meter_h
                    up_now += a
                    marginal_up = max(marginal_up, util)
                else:
                    act_down[i] -= a * meter_h
                    act_down_mwh -= a * meter_h
                    marginal_down = min(marginal_down, util)
                    if kind == CONSUMER:
                        extra[i] += max(-response, 0.0) * meter_h
            if kind == STORAGE:
                S.soc_mwh[e, i] = storage_soc_after(level, S.soc_mwh[e, i], P.eff[e, i],
                                                    P.eff[e, i], meter_h)  # fmt: skip
                ref_soc[i] = storage_soc_after(baseline[i], ref_soc[i], P.eff[e, i],
                                               P.eff[e, i], meter_h)  # fmt: skip
            ref_level[i] = baseline[i]
            S.level_mw[e, i] = level
            R.meter_mwh[e, i, m] = level * meter_h
        residual = niv - supplied
        R.unserved_meter_mwh[e, m] = max(residual, 0.0) * meter_h
        R.curtailed_meter_mwh[e, m] = max(-residual, 0.0) * meter_h
        unserved_mwh += R.unserved_meter_mwh[e, m]
        curtailed_mwh += R.curtailed_meter_mwh[e, m]
        niv_mwh += niv * meter_h
        margin_mw = min(margin_mw, room_up_total - up_now - max(residual, 0.0))

    # 4 imbalance price
    scheme = P.imbalance_scheme
    if scheme == LEGACY_DUAL or scheme == LEGACY_SINGLE:
        lolp = 0.0
        raw = legacy_price(
            niv_mwh, unserved_mwh, curtailed_mwh, marginal_up, marginal_down, fwd_price,
            P.voll_per_mwh[e], P.curtailment_cost_per_mwh[e],
        )  # fmt: skip
    else:
        lolp = loss_of_load_probability(margin_mw, sigma_mw)
        raw, _net = gb_price(
            act_up, Q.res_util[e, :, UP], act_down, Q.res_util[e, :, DOWN], n_rows,
            unserved_mwh, curtailed_mwh, lolp * P.voll_per_mwh[e], fwd_price,
            P.voll_per_mwh[e], P.curtailment_cost_per_mwh[e], P.dmat_mwh[e], P.par_mwh[e],
            wf[0], wf[1],
        )  # fmt: skip
    imb = system_price(raw, niv_mwh, fwd_price, scheme, P.price_floor[e], P.price_cap[e])
    zone_references(P, S, R, e, raw, niv_mwh, fwd_price, imb, zf[0], zf[1])
    R.forward_ref_price[e] = fwd_price
    R.imbalance_price[e] = imb
    R.niv_mwh[e] = niv_mwh
    R.unserved_mwh[e] = unserved_mwh
    R.curtailed_mwh[e] = curtailed_mwh
    R.activated_up_mwh[e] = act_up_mwh
    R.activated_down_mwh[e] = act_down_mwh
    R.margin_mw[e] = margin_mw
    R.lolp[e] = lolp

    # 5-6 settlement and rewards
    for i in range(n_rows):
        act_up[i] += act_down[i]  # now |activated| per row, for performance verification
    if anm:  # curtailment is instructed, not an imbalance
        anm_settle(R, e, fwd_price, instructed, bal_cash)
    settle(P, Q, R, e, broker, instructed, act_up, delivered, bal_cash, extra, zf[1],
           zf[0], period_h)  # fmt: skip
    _advance_state(P, S, R, e, committed, fwd_price, imb, niv_mwh)


@inline_kernel
def _add_day_ahead(P, S, R, e):
    """Two settlements: this period's day-ahead position joins the contract the period's
    auction has just added to, and its cash is the day-ahead line; the slot is spent."""
    s = S.t[e] % P.da_slots
    for i in range(P.kind.shape[1]):
        R.contract_mw[e, i] += S.da_mw[e, s, i]
        R.ledger_amount[e, i, L.DAY_AHEAD] = S.da_cash[e, s, i]
        R.ledger_mwh[e, i, L.DAY_AHEAD] = S.da_mw[e, s, i] * (P.period_min / 60.0)
        S.da_mw[e, s, i] = 0.0
        S.da_cash[e, s, i] = 0.0
    R.congestion_rent[e] += S.da_rent[e, s]
    S.da_rent[e, s] = 0.0


@inline_kernel
def _level(
    kind,
    prev,
    target,
    committed,
    tripped,
    min_stable,
    cap,
    ramp_step,
    avail,
    soc,
    soc_min,
    soc_max,
    eff,
    meter_h,
):
    """Net injection of one row in the next interval for a target (MW), from scalars."""
    if kind == THERMAL:
        return thermal_level(prev, target, committed, tripped, min_stable, cap, ramp_step)
    if kind == WIND or kind == SOLAR:
        return renewable_level(target, avail)
    if kind == STORAGE:
        return storage_level(target, cap, soc, soc_min, soc_max, eff, eff, meter_h)
    if kind == CONSUMER:
        return consumer_level(target)
    return 0.0


@inline_kernel
def _advance_state(P, S, R, e, committed, fwd_price, imb, niv_mwh):
    """Thermal counters, outages and the market's public history move on one period."""
    for i in range(P.kind.shape[1]):
        if P.kind[e, i] != THERMAL:
            continue
        if R.tripped[e, i]:
            S.on[e, i] = 0
            S.outage_left[e, i] = P.outage_periods[e, i]
            S.run_periods[e, i] = 0
            S.off_periods[e, i] = 0
        elif S.outage_left[e, i] > 0:
            S.outage_left[e, i] -= 1
            S.on[e, i] = 0
            S.off_periods[e, i] += 1
        elif committed[i]:
            S.run_periods[e, i] = S.run_periods[e, i] + 1 if S.on[e, i] else 1
            S.off_periods[e, i] = 0
            S.on[e, i] = 1
        else:
            S.off_periods[e, i] = S.off_periods[e, i] + 1 if not S.on[e, i] else 1
            S.run_periods[e, i] = 0
            S.on[e, i] = 0
    if R.volume_mw[e] > 0.0:
        S.ref_price[e] = R.price[e]
    S.last_price[e] = R.price[e]
    for z in range(S.zone_ref_price.shape[1]):
        if R.zone_price[e, z] == R.zone_price[e, z]:  # traded (not NaN)
            S.zone_ref_price[e, z] = R.zone_price[e, z]
    for b in range(S.last_flow_mw.shape[1]):
        S.last_flow_mw[e, b] = R.flow_mw[e, b]
    S.last_imbalance_price[e] = imb
    S.last_niv_mwh[e] = niv_mwh
    S.last_unserved_mwh[e] = R.unserved_mwh[e]
    S.last_curtailed_mwh[e] = R.curtailed_mwh[e]
    S.last_activated_up_mwh[e] = R.activated_up_mwh[e]
    S.last_activated_down_mwh[e] = R.activated_down_mwh[e]
    for i in range(P.kind.shape[1]):
        S.last_contract_mw[e, i] = R.contract_mw[e, i]
        S.last_available_mw[e, i] = R.available_mw[e, i]
        S.last_shed_mw[e, i] = R.shed_mw[e, i]
        S.last_imbalance_mwh[e, i] = R.imbalance_mwh[e, i]
    S.t[e] += 1


@kernel
def _step_chunk(P, S, Q, D, R, start, stop):
    """Markets ``start`` to ``stop - 1``, one after another, with one set of scratch.

    Not inlined on purpose: a parallel loop's body must not write through the named
    tuples itself (Numba drops such writes, numba/numba#5872), so it calls this.
    """
    n = P.kind.shape[1]
    w = max(n * Q.step_price.shape[2], n + 1)  # the imbalance price sorts n + 1 actions
    # scratch is allocated once per chunk of markets, not per market: small allocations
    # contend between threads
    wf = np.empty((8, w))
    wi = np.empty((4, w), np.int64)
    nf = np.empty((21, n))
    ni = np.empty((3, n), np.int64)
    nr = np.empty((n, 2))
    zf = np.empty((2, P.n_zones))  # each zone's forward reference and imbalance price
    nc = np.empty((3, n))  # distribution constraints (kernels/anm.py)
    nci = np.empty((2, n), np.int64)
    for e in range(start, stop):
        _step_market(P, S, Q, D, R, e, wf, wi, nf, ni, nr, zf, nc, nci)


def _step_markets(P, S, Q, D, R):
    # chunks are fixed in size and stepped the same way serial or parallel, so results
    # never depend on the variant or the thread count
    n_markets = P.kind.shape[0]
    n_chunks = (n_markets + CHUNK_MARKETS - 1) // CHUNK_MARKETS
    for c in prange(n_chunks):
        _step_chunk(P, S, Q, D, R, c * CHUNK_MARKETS, min((c + 1) * CHUNK_MARKETS, n_markets))


step_markets = parallel_kernel(_step_markets)
"""All stages for every market, parallel over chunks of markets."""
step_markets_serial = kernel(_step_markets)
"""The same loop without threads, for small batches (the PettingZoo env's E = 1)."""

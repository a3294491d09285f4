"""Stages 5-6: settlement of one period and the rewards it gives.

Every ledger component (:mod:`.ledger_codes`) of every row: quantity (MWh), price and
amount (cash received is positive). The broker is the counterparty of every cash
transfer. Imbalance is measured against the contract profile (:mod:`.delivery`):
``imbalance = metered - profile - instructed`` (MWh, + long).

The broker is the system operator and cost-neutral: with ``residual_reallocation`` the
imbalance cash it collects (net, and under pay-as-bid the forward spread it keeps) goes
back to the parties in proportion to their absolute metered energy (GB's residual
cashflow reallocation), so its reward is minus the system's cost: availability and
utilisation payments (net of performance adjustments), unserved energy at the value of
lost load, and curtailment.

A consumer's consumption is valued at its value of energy, except energy it took only
because it was instructed down (extra consumption), which is worth its
``shifted_value_per_mwh``.
"""

from __future__ import annotations

import numpy as np

from . import ledger_codes as L
from ._jit import inline_kernel
from .balancing import party_price
from .kinds import CONSUMER, SOLAR, STORAGE, THERMAL, WIND


@inline_kernel
def settle(P, Q, R, e, broker, instructed, activated_abs, delivered, bal_cash, extra,
           imb_z, fwd_z, period_h):  # fmt: skip
    """Write every ledger component and the reward of every row of market ``e``.

    Args:
        instructed: (N,) balancing energy instructed this period (MWh, signed).
        activated_abs: (N,) |activated| energy (MWh), for performance verification.
        delivered: (N,) energy delivered in the instructed direction (MWh).
        bal_cash: (N,) utilisation cash (+ received).
        extra: (N,) consumers: energy taken only because instructed down (MWh >= 0).
        imb_z: (Z,) the imbalance price in each zone; fwd_z: (Z,) each zone's forward
            (reference) price. A row settles at its zone's (one zone: the national ones).

    With zones the parties' forward cash sums to minus the congestion rent
    (``R.congestion_rent``), which the transmission owner receives: the broker's
    forward line is the counterparty of the rest, and the rent is not reallocated.
    """
    n_rows = P.kind.shape[1]
    n_meters = R.meter_mwh.shape[2]
    grace = P.grace_frac[e]
    for c in range(R.ledger_amount.shape[2]):
        for i in range(n_rows):
            if c != L.FORWARD and c != L.DAY_AHEAD:  # written by the forward stage
                R.ledger_amount[e, i, c] = 0.0
            if c != L.DAY_AHEAD:
                R.ledger_mwh[e, i, c] = 0.0
            R.ledger_price[e, i, c] = np.nan
    abs_metered = 0.0
    for i in range(n_rows):
        metered = 0.0
        for m in range(n_meters):
            metered += R.meter_mwh[e, i, m]
        R.metered_mwh[e, i] = metered
        R.instructed_mwh[e, i] = instructed[i]
        contracted = R.contract_mw[e, i] * period_h
        if i == broker:
            R.imbalance_mwh[e, i] = 0.0
            R.perf_mult[e, i] = 1.0
            continue
        abs_metered += abs(metered)
        kind = P.kind[e, i]
        # forward energy (amount written by stage 1); the day-ahead line holds the
        # day-ahead position's energy, the forward line the rest of the contract
        if P.da_slots > 0:
            da_mwh = R.ledger_mwh[e, i, L.DAY_AHEAD]
            if da_mwh != 0.0:
                R.ledger_price[e, i, L.DAY_AHEAD] = R.ledger_amount[e, i, L.DAY_AHEAD] / da_mwh
            contracted = contracted - da_mwh
        R.ledger_mwh[e, i, L.FORWARD] = contracted
        if contracted != 0.0:
            R.ledger_price[e, i, L.FORWARD] = R.ledger_amount[e, i, L.FORWARD] / contracted
        # imbalance, against the contract profile
        imb_mwh = metered - R.profile_mwh[e, i] - instructed[i]
        R.imbalance_mwh[e, i] = imb_mwh
        z = P.zone[e, i]
        pp = party_price(imb_mwh, imb_z[z], fwd_z[z], P.imbalance_scheme)
        R.ledger_mwh[e, i, L.IMBALANCE] = imb_mwh
        R.ledger_price[e, i, L.IMBALANCE] = pp
        R.ledger_amount[e, i, L.IMBALANCE] = imb_mwh * pp
        # balancing energy
        R.ledger_mwh[e, i, L.BALANCING] = instructed[i]
        R.ledger_amount[e, i, L.BALANCING] = bal_cash[i]
        if instructed[i] != 0.0:
            R.ledger_price[e, i, L.BALANCING] = bal_cash[i] / instructed[i]
        # availability, with performance verification
        avail_cash = 0.0
        held = 0.0
        for d in range(2):
            avail_cash += Q.res_avail[e, i, d] * R.reserved_mw[e, i, d] * period_h
            held += R.reserved_mw[e, i, d] * period_h
        R.ledger_mwh[e, i, L.AVAILABILITY] = held
        R.ledger_amount[e, i, L.AVAILABILITY] = avail_cash
        if held > 0.0:
            R.ledger_price[e, i, L.AVAILABILITY] = avail_cash / held
        mult = 1.0
        if activated_abs[i] > 1e-9:
            ratio = max(delivered[i], 0.0) / activated_abs[i]
            mult = min(1.0, ratio / (1.0 - grace))
            R.ledger_mwh[e, i, L.PERFORMANCE] = activated_abs[i] - delivered[i]
            R.ledger_price[e, i, L.PERFORMANCE] = mult
        R.perf_mult[e, i] = mult
        R.ledger_amount[e, i, L.PERFORMANCE] = (mult - 1.0) * avail_cash
        # production cost, start-up, value of consumption
        if kind == THERMAL or kind == WIND or kind == SOLAR:
            gen = max(metered, 0.0)
            R.ledger_mwh[e, i, L.PRODUCTION_COST] = gen
            R.ledger_price[e, i, L.PRODUCTION_COST] = P.cost_per_mwh[e, i]
            R.ledger_amount[e, i, L.PRODUCTION_COST] = -P.cost_per_mwh[e, i] * gen
        elif kind == STORAGE:
            throughput = 0.0
            for m in range(n_meters):
                throughput += abs(R.meter_mwh[e, i, m])
            R.ledger_mwh[e, i, L.PRODUCTION_COST] = throughput
            R.ledger_price[e, i, L.PRODUCTION_COST] = P.cost_per_mwh[e, i]
            R.ledger_amount[e, i, L.PRODUCTION_COST] = -P.cost_per_mwh[e, i] * throughput
        elif kind == CONSUMER:
            used = max(-metered, 0.0)
            shifted = min(extra[i], used)
            value = P.value_per_mwh[e, i] * (used - shifted)
            value += P.shifted_value_per_mwh[e, i] * shifted
            R.ledger_mwh[e, i, L.CONSUMPTION_VALUE] = used
            if used > 0.0:
                R.ledger_price[e, i, L.CONSUMPTION_VALUE] = value / used
            R.ledger_amount[e, i, L.CONSUMPTION_VALUE] = value
        if R.started[e, i]:
            R.ledger_amount[e, i, L.STARTUP_COST] = -P.startup_cost[e, i]
            R.ledger_mwh[e, i, L.STARTUP_COST] = 0.0
    # the residual imbalance cash back to the parties, pro rata to |metered|
    if P.residual_reallocation and abs_metered > 0.0:
        residual = 0.0
        for i in range(n_rows):
            if i != broker:  # pay-as-bid leaves a forward spread with the broker too
                residual -= R.ledger_amount[e, i, L.IMBALANCE] + R.ledger_amount[e, i, L.FORWARD]
                if P.da_slots > 0:
                    residual -= R.ledger_amount[e, i, L.DAY_AHEAD]
        if P.n_zones > 1:  # the parties' forward cash is short of the rent
            residual -= R.congestion_rent[e]
        rate = residual / abs_metered
        for i in range(n_rows):
            if i != broker:
                share = abs(R.metered_mwh[e, i])
                R.ledger_mwh[e, i, L.RESIDUAL] = share
                R.ledger_price[e, i, L.RESIDUAL] = rate
                R.ledger_amount[e, i, L.RESIDUAL] = rate * share
    # the broker is the counterparty of every cash transfer
    for c in range(L.N_CASH):
        total = 0.0
        for i in range(n_rows):
            if i != broker:
                total += R.ledger_amount[e, i, c]
        R.ledger_amount[e, broker, c] = -total
    if P.n_zones > 1:  # the transmission owner, not the broker, holds the rent
        R.ledger_amount[e, broker, L.FORWARD] -= R.congestion_rent[e]
    R.ledger_mwh[e, broker, L.UNSERVED_COST] = R.unserved_mwh[e]
    R.ledger_price[e, broker, L.UNSERVED_COST] = P.voll_per_mwh[e]
    R.ledger_amount[e, broker, L.UNSERVED_COST] = -P.voll_per_mwh[e] * R.unserved_mwh[e]
    R.ledger_mwh[e, broker, L.CURTAILMENT_COST] = R.curtailed_mwh[e]
    R.ledger_price[e, broker, L.CURTAILMENT_COST] = P.curtailment_cost_per_mwh[e]
    R.ledger_amount[e, broker, L.CURTAILMENT_COST] = (
        -P.curtailment_cost_per_mwh[e] * R.curtailed_mwh[e]
    )
    for i in range(n_rows):
        total = 0.0
        for c in range(R.ledger_amount.shape[2]):
            total += R.ledger_amount[e, i, c]
        R.reward[e, i] = total

"""Active network management on distribution constraints, one meter interval at a time.

A constraint ``k`` (params ``anm_*``, built by :mod:`elecbay_env.constraints`) limits the
metered net flow of its members in a direction ``d`` (+1 export: net injection; -1
import: net withdrawal): ``sum_i member[i] * d * level[i] <= limit`` (MW). When a
meter interval's flow would exceed it, non-firm members are curtailed towards zero flow
in the constraint's direction, in the curtailment order (last-in-first-off: ``anm_rank``
0 first) or pro rata to their flow; firm members never. What non-firm members cannot
resolve is left and reported (``R.anm_excess_mw``).

Curtailment trades (state ``anm_partner``/``anm_price``, docs/flexibility.md): in a
traded period the seller takes the buyer's curtailment, up to the flow it has left to
give up, so the buyer goes after the seller in the order while every other row's
curtailment and the constraint's volume are unchanged. A trade whose counterparties no
longer sit behind one same constraint in that period (after a network event) is
cancelled (``R.anm_cancelled``). The buyer pays the seller the trade's price for the
curtailment actually moved (MWh). A consumer seller behind an export limit takes the
curtailment by turning up instead: its consumption rises by the MW moved (at most its
flexible share of its peak load, never beyond the peak), which relieves the limit as
much; that is not curtailment of the consumer (no compensation), and the extra energy is
worth its ``shifted_value_per_mwh`` (energy taken on instruction), not its value of
energy, so turning up cannot buy consumption value.

Settlement (:func:`anm_settle`): curtailment is an instruction, not an imbalance. The
row's net injection change (MWh, signed) joins its instructed volume, so the contract
position it is measured against moves with it; the row pays the forward reference price
for energy it did not inject (receives it for energy it did not withdraw), receives the
constraint's compensation per MWh curtailed when it is a wind, solar or consumer row
(an exogenous resource: a dispatchable unit keeps its fuel or stored energy), and the
trade cash. Cash goes through the balancing-energy ledger line, against the broker.
"""

from __future__ import annotations

from ._jit import kernel
from .kinds import CONSUMER, SOLAR, WIND


@kernel
def curtail(P, e, tt, lv, cut, order, excess):
    """Apply every constraint of market ``e`` in period ``tt`` to levels ``lv`` (N,) MW.

    ``order`` (N,) lists the rows in curtailment order (first off first). Writes the
    curtailment of each row in MW (>= 0, in the constraints' directions) into ``cut``
    (added to) and the unresolved excess of each constraint into ``excess`` (K,) as a
    running maximum. Returns the change in the members' total net injection (MW).
    """
    n = lv.shape[0]
    change = 0.0
    for k in range(P.anm_dir.shape[1]):
        d = P.anm_dir[e, k]
        flow = 0.0
        for i in range(n):
            if P.anm_member[e, k, tt, i]:
                flow += d * lv[i]
        over = flow - P.anm_limit_mw[e, k, tt]
        if over <= 0.0:
            continue
        if P.anm_pro_rata[e, k]:
            total = 0.0
            for i in range(n):
                if P.anm_member[e, k, tt, i] and P.anm_nonfirm[e, i] and d * lv[i] > 0.0:
                    total += d * lv[i]
            frac = min(over / total, 1.0) if total > 0.0 else 0.0
            for i in range(n):
                if P.anm_member[e, k, tt, i] and P.anm_nonfirm[e, i] and d * lv[i] > 0.0:
                    c = d * lv[i] * frac
                    lv[i] -= d * c
                    cut[i] += c
                    change -= d * c
                    over -= c
        else:
            for r in range(n):
                i = order[r]
                if over <= 0.0:
                    break
                if P.anm_member[e, k, tt, i] and P.anm_nonfirm[e, i] and d * lv[i] > 0.0:
                    c = min(d * lv[i], over)
                    lv[i] -= d * c
                    cut[i] += c
                    change -= d * c
                    over -= c
        excess[k] = max(excess[k], max(over, 0.0))
    return change


@kernel
def period_order(P, S, R, e, tt, base):
    """The curtailment order of period ``tt`` into ``base`` (N,) (from the connection
    dates); verifies this period's trades, marking cancelled ones in ``R``. Returns
    whether any trade holds this period."""
    n = base.shape[0]
    rank = P.anm_rank[e]
    for i in range(n):
        base[rank[i]] = i
    any_trade = False
    for b in range(n):
        if S.anm_partner[e, tt, b] < 0:
            continue
        if _shared(P, e, tt, b, S.anm_partner[e, tt, b]) == 0.0:
            R.anm_cancelled[e, b] = 1
        else:
            any_trade = True
    return any_trade


@kernel
def _shared(P, e, tt, b, s):
    """Direction (+1 export, -1 import) of the first constraint rows ``b`` and ``s`` both
    sit behind in period ``tt``; 0 when none."""
    for k in range(P.anm_dir.shape[1]):
        if P.anm_member[e, k, tt, b] and P.anm_member[e, k, tt, s]:
            return P.anm_dir[e, k]
    return 0.0


@kernel
def anm_interval(P, S, R, e, tt, lv, first_pass, meter_h, sc, si):
    """One meter interval's curtailment of ``lv`` (N,) MW in place; returns the change in
    total net injection (MW). ``first_pass`` (the reference levels) settles the trades;
    the second pass (levels after activation) only enforces the limits. Scratch: ``sc``
    (3, N) floats, ``si`` (2, N) ints; on return ``sc[2]`` holds each consumer's turn-up
    sold in a trade (MW; extra consumption, valued as such in settlement)."""
    n = lv.shape[0]
    base = si[0]
    cut = sc[0]
    cut[:] = 0.0
    up = sc[2]
    up[:] = 0.0
    any_trade = period_order(P, S, R, e, tt, base)
    before = sc[1]
    for i in range(n):
        before[i] = lv[i]
    change = curtail(P, e, tt, lv, cut, base, R.anm_excess_mw[e])
    if first_pass and any_trade:  # each seller takes its buyer's curtailment, up to
        for b in range(n):  # the flow it has left to give up; the total is unchanged
            s = S.anm_partner[e, tt, b]
            if s < 0 or R.anm_cancelled[e, b]:
                continue
            d = _shared(P, e, tt, b, s)
            turn_up = d > 0.0 and P.kind[e, s] == CONSUMER  # a demand behind an export limit
            room = _turn_up_room(P, e, s, lv[s]) if turn_up else max(d * lv[s], 0.0)
            moved = min(cut[b], room)
            if moved > 0.0:
                lv[b] += d * moved
                lv[s] -= d * moved
                cut[b] -= moved
                if turn_up:  # extra consumption, not curtailment
                    up[s] += moved
                else:
                    cut[s] += moved
                mwh = moved * meter_h
                cash = mwh * S.anm_price[e, tt, b]
                R.anm_trade_mwh[e, b] -= mwh
                R.anm_trade_mwh[e, s] += mwh
                R.anm_cash[e, b] -= cash
                R.anm_cash[e, s] += cash
    for i in range(n):
        R.anm_delta_mwh[e, i] += (lv[i] - before[i]) * meter_h
        R.anm_curtailed_mwh[e, i] += cut[i] * meter_h
        if P.kind[e, i] == WIND or P.kind[e, i] == SOLAR or P.kind[e, i] == CONSUMER:
            R.anm_cash[e, i] += cut[i] * meter_h * _comp(P.anm_member, P.anm_comp, e, tt, i)
    return change


@kernel
def _turn_up_room(P, e, s, level):
    """MW consumer row ``s`` (net injection ``level`` <= 0) can turn up for a trade: its
    flexible share of its peak load, and never beyond its peak."""
    return max(min(P.flexible_frac[e, s] * P.cap_mw[e, s], P.cap_mw[e, s] + level), 0.0)


@kernel
def _comp(member, comp, e, tt, i):
    """Compensation per MWh of row ``i``: the highest of the constraints it sits behind
    that bind on it (one constraint in practice). ``member`` and ``comp`` are
    ``P.anm_member`` and ``P.anm_comp`` (passed alone: a call taking ``P`` copies all of
    it, per row and meter interval)."""
    c = 0.0
    for k in range(comp.shape[1]):
        if member[e, k, tt, i]:
            c = max(c, comp[e, k])
    return c


@kernel
def anm_begin(R, e):
    """Zero market ``e``'s per-period ANM outputs."""
    for i in range(R.anm_delta_mwh.shape[1]):
        R.anm_delta_mwh[e, i] = 0.0
        R.anm_curtailed_mwh[e, i] = 0.0
        R.anm_cash[e, i] = 0.0
        R.anm_trade_mwh[e, i] = 0.0
        R.anm_cancelled[e, i] = 0
    for k in range(R.anm_excess_mw.shape[1]):
        R.anm_excess_mw[e, k] = 0.0


@kernel
def anm_settle(R, e, fwd_price, instructed, bal_cash):
    """Curtailment as an instruction: add each row's net injection change (MWh) to its
    ``instructed`` volume and its cash (forward reference price, compensation, trades)
    to ``bal_cash``."""
    for i in range(instructed.shape[0]):
        d = R.anm_delta_mwh[e, i]
        instructed[i] += d
        bal_cash[i] += d * fwd_price + R.anm_cash[e, i]

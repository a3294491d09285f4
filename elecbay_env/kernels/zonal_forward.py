"""Stage 1 with zones: the period's forward auction cleared zonally, and zone prices.

:func:`clear_forward_zonal` is what :mod:`.step` runs instead of its single-zone
forward clearing when the scenario has more than one zone (``P.n_zones > 1``):
every row's step curve goes into the book of its zone (``P.zone``), the book clears
with :func:`elecbay_env.kernels.zonal.clear_zonal_row` (welfare-maximising fills within
the border limits, one price per zone), and each fill settles at its zone's price.
Parties in all pay ``sum_z price_z x (bought_z - sold_z)``, which is the congestion
rent more than sellers receive: the rent (``R.congestion_rent``, currency over the
period) goes to the transmission owner (:mod:`elecbay_env.ledger`), not to a party.

``R.price`` is then the national reference: the zone prices weighted by the MW bought
in each zone (NaN without trade); imbalance settles per zone (:func:`zone_references`).
"""

from __future__ import annotations

import numpy as np

from . import ledger_codes as L
from ._jit import kernel
from .auction import sort_row
from .balancing import system_price
from .zonal import clear_zonal_row


@kernel
def clear_forward_zonal(P, S, Q, R, e, period_h, wf, wi):
    """Build each zone's book from every row's step curve and clear them together."""
    n_rows, n_steps = Q.step_price.shape[1], Q.step_price.shape[2]
    n_zones = P.n_zones
    n_borders = P.net_border_from.shape[0]
    bid_p = wf[0]
    bid_q = wf[1]
    bid_src = wi[0]
    ask_p = wf[2]
    ask_q = wf[3]
    ask_src = wi[1]
    w = bid_p.shape[0]
    bid_z = np.empty(w, np.int64)
    ask_z = np.empty(w, np.int64)
    nb = 0
    na = 0
    for i in range(n_rows):
        for b in range(n_steps):
            q = Q.step_qty[e, i, b]
            if q < 0.0:
                bid_p[nb] = Q.step_price[e, i, b]
                bid_q[nb] = -q
                bid_z[nb] = P.zone[e, i]
                bid_src[nb] = i * n_steps + b
                nb += 1
            elif q > 0.0:
                ask_p[na] = Q.step_price[e, i, b]
                ask_q[na] = q
                ask_z[na] = P.zone[e, i]
                ask_src[na] = i * n_steps + b
                na += 1
    bid_order = wi[2]
    ask_order = wi[3]
    sort_row(bid_p, nb, True, bid_order)
    sort_row(ask_p, na, False, ask_order)
    bid_fill = wf[4]
    ask_fill = wf[5]
    z_lo = np.empty(n_zones)
    z_hi = np.empty(n_zones)
    z_bought = np.empty(n_zones)
    z_sold = np.empty(n_zones)
    rent = np.empty(n_borders)
    volume = clear_zonal_row(
        bid_p[:nb], bid_q[:nb], bid_z[:nb], bid_order[:nb], nb,
        ask_p[:na], ask_q[:na], ask_z[:na], ask_order[:na], na,
        n_zones, P.net_isolated, P.net_bfs, P.net_parent, P.net_p_border, P.net_p_dir,
        P.net_child_ptr, P.net_children, P.cap_forward_mw[e], P.cap_backward_mw[e],
        P.k[e], P.price_floor[e], P.price_cap[e],
        bid_fill[:nb], ask_fill[:na], R.zone_price[e], z_lo, z_hi, z_bought, z_sold,
        R.flow_mw[e], rent,
    )  # fmt: skip
    total_rent = 0.0
    for b in range(n_borders):
        total_rent += rent[b]
    R.congestion_rent[e] = total_rent * period_h
    R.volume_mw[e] = volume
    weighted = 0.0
    weight = 0.0
    n_traded = 0
    only = np.nan
    for z in range(n_zones):
        if z_bought[z] > 0.0:
            weighted += R.zone_price[e, z] * z_bought[z]
            weight += z_bought[z]
            n_traded += 1
            only = R.zone_price[e, z]
    # one zone trading: its price itself (no rounding through the weights)
    R.price[e] = only if n_traded == 1 else (weighted / weight if weight > 0.0 else np.nan)
    for i in range(n_rows):
        R.contract_mw[e, i] = 0.0
        R.ledger_amount[e, i, L.FORWARD] = 0.0
        R.ledger_amount[e, i, L.DAY_AHEAD] = 0.0
        R.ledger_mwh[e, i, L.DAY_AHEAD] = 0.0
        for b in range(n_steps):
            R.step_fill_mw[e, i, b] = 0.0
            R.step_paid[e, i, b] = np.nan
    for t in range(nb):
        f = bid_fill[t]
        if f > 0.0:
            i = bid_src[t] // n_steps
            b = bid_src[t] % n_steps
            p = R.zone_price[e, bid_z[t]]
            R.step_fill_mw[e, i, b] = -f
            R.step_paid[e, i, b] = p
            R.contract_mw[e, i] -= f
            R.ledger_amount[e, i, L.FORWARD] -= f * p * period_h
    for t in range(na):
        f = ask_fill[t]
        if f > 0.0:
            i = ask_src[t] // n_steps
            b = ask_src[t] % n_steps
            p = R.zone_price[e, ask_z[t]]
            R.step_fill_mw[e, i, b] = f
            R.step_paid[e, i, b] = p
            R.contract_mw[e, i] += f
            R.ledger_amount[e, i, L.FORWARD] += f * p * period_h


@kernel
def zone_references(P, S, R, e, raw, niv_mwh, fwd_price, imb, fwd_z, imb_z):
    """Each zone's forward reference and imbalance price (currency per MWh) into
    ``fwd_z`` and ``imb_z`` (Z,).

    One zone: the national ``fwd_price`` and ``imb`` themselves. Zones: the reference is
    the zone's clearing price (its last traded one when it did not trade), and the
    imbalance price is the national price from the balancing actions ``raw`` bounded by
    the zone's reference on the system's side (:func:`.balancing.system_price`), so
    being out of balance never buys or sells energy more cheaply than the own zone's
    forward market.
    """
    n_zones = fwd_z.shape[0]
    if n_zones == 1:
        fwd_z[0] = fwd_price
        imb_z[0] = imb
        return
    for z in range(n_zones):
        p = R.zone_price[e, z]
        fwd_z[z] = p if p == p else S.zone_ref_price[e, z]
        imb_z[z] = system_price(raw, niv_mwh, fwd_z[z], P.imbalance_scheme, P.price_floor[e],
                                P.price_cap[e])  # fmt: skip

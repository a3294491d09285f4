"""Stage 4: the imbalance price of a period, and the price each party settles at.

Schemes (``market.imbalance_pricing``; DESIGN section 7, docs/design.md):

* ``GB_SINGLE`` (default) and ``DUAL`` build the price from the balancing actions the
  broker took, as GB does since 2015 (Elexon imbalance pricing guidance, section 3):

  1. the period's actions: per row and direction, the energy activated (MWh) at its
     utilisation price; unserved energy joins the short (up) stack at the value of lost
     load, curtailed surplus the long (down) stack at minus the curtailment cost;
  2. actions under ``dmat_mwh`` are tagged out (de minimis);
  3. up-reserve actions are repriced at the reserve scarcity price where that is higher:
     ``rsp = lolp x voll``, with the loss-of-load probability a function of the margin
     left (:func:`loss_of_load_probability`);
  4. the stack in the direction of the net imbalance (short: up; long: down) is the
     main stack; the other (minority) stack's volume cancels the main stack's most
     expensive actions, so what remains is the cheapest volume covering |NIV|;
  5. the price is the volume-weighted average of the most expensive ``par_mwh`` of what
     remains (short: the highest prices; long: the lowest); the forward price when
     nothing remains.

  ``GB_SINGLE`` settles every party at that one price, bounded by the forward price on
  the system's side (short system: at least the forward price; long: at most), so a
  party whose imbalance makes the system's worse never does better than the forward
  market, while one that helps it is paid for helping (NIV chasing).
  ``DUAL`` settles long parties at the lower, short parties at the higher of the forward
  price and that price.
* ``LEGACY_DUAL`` and ``LEGACY_SINGLE``: the first version's rule, kept for comparison:
  the marginal utilisation price of the activations in the direction of NIV, the value
  of lost load for the whole period once any energy went unserved.

All prices are bounded by the price floor and cap (currency per MWh).
"""

from __future__ import annotations

import math

from ._jit import kernel
from .sorting import sort_pairs_descending

LEGACY_DUAL = 0
LEGACY_SINGLE = 1
GB_SINGLE = 2
DUAL = 3
SCHEMES = ("legacy_dual", "legacy_single", "gb_single", "dual")
"""Config names of the schemes, indexed by their codes."""

_TOL = 1e-9


@kernel
def loss_of_load_probability(margin_mw, sigma_mw):
    """Probability that the margin left does not cover the system's uncertainty.

    ``lolp = P(X > margin)`` for ``X ~ Normal(0, sigma)``: 0.5 at no margin, about 0.16
    at one standard deviation, 0.023 at two, 0.0013 at three; a negative margin (energy
    already unserved) gives more than 0.5.

    Args:
        margin_mw: up capacity the system had left at its tightest meter interval (MW).
        sigma_mw: standard deviation of the system's forecast error (MW, > 0).
    """
    return 0.5 * math.erfc(margin_mw / (sigma_mw * math.sqrt(2.0)))


@kernel
def gb_price(
    up_mwh,
    up_price,
    down_mwh,
    down_price,
    n,
    unserved_mwh,
    curtailed_mwh,
    rsp,
    forward_price,
    voll_per_mwh,
    curtailment_cost_per_mwh,
    dmat_mwh,
    par_mwh,
    key,
    vol,
):
    """The GB-style imbalance price of a period, before bounds (currency per MWh).

    Args:
        up_mwh, up_price: (n,) up actions per row (MWh >= 0) and utilisation prices.
        down_mwh, down_price: (n,) down actions (MWh >= 0) and the prices the providers
            pay for energy they no longer deliver.
        n: rows.
        unserved_mwh, curtailed_mwh: energy no action covered (MWh >= 0).
        rsp: reserve scarcity price (currency per MWh); up actions are priced at
            ``max(utilisation, rsp)``.
        forward_price: the replacement price when nothing remains.
        key, vol: (n + 1,) float scratch.

    Returns:
        ``(price, net_mwh)``: the price, and the net stack volume (up - down, MWh) whose
        sign chose the main stack (0 when the stacks cancel).
    """
    total_up = 0.0
    total_down = 0.0
    for i in range(n):
        if up_mwh[i] >= dmat_mwh:
            total_up += up_mwh[i]
        if down_mwh[i] >= dmat_mwh:
            total_down += down_mwh[i]
    total_up += unserved_mwh
    total_down += curtailed_mwh
    net = total_up - total_down
    if abs(net) <= _TOL:
        return forward_price, 0.0
    # the main stack as (key, volume) with key = price (short) or -price (long), so that
    # "most expensive for the system" is always the largest key
    k = 0
    if net > 0.0:
        minority = total_down
        for i in range(n):
            if up_mwh[i] >= dmat_mwh:
                key[k] = max(up_price[i], rsp)
                vol[k] = up_mwh[i]
                k += 1
        if unserved_mwh > 0.0:
            key[k] = voll_per_mwh
            vol[k] = unserved_mwh
            k += 1
    else:
        minority = total_up
        for i in range(n):
            if down_mwh[i] >= dmat_mwh:
                key[k] = -down_price[i]
                vol[k] = down_mwh[i]
                k += 1
        if curtailed_mwh > 0.0:
            key[k] = curtailment_cost_per_mwh
            vol[k] = curtailed_mwh
            k += 1
    # descending by key, stable (equal keys keep their row order)
    sort_pairs_descending(key, vol, k)
    # the minority volume cancels the most expensive actions; PAR prices the next ones
    skip = minority
    taken = 0.0
    value = 0.0
    for a in range(k):
        v = vol[a]
        if skip > 0.0:
            cut = min(skip, v)
            skip -= cut
            v -= cut
        if v <= 0.0:
            continue
        v = min(v, par_mwh - taken)
        taken += v
        value += v * key[a]
        if taken >= par_mwh - _TOL:
            break
    if taken <= _TOL:
        return forward_price, net
    p = value / taken
    return (p if net > 0.0 else 0.0 - p), net


@kernel
def legacy_price(
    niv_mwh,
    unserved_mwh,
    curtailed_mwh,
    marginal_up_util,
    marginal_down_util,
    forward_price,
    voll_per_mwh,
    curtailment_cost_per_mwh,
):
    """The first version's imbalance price (before bounds): the marginal utilisation
    price of the activations in the direction of NIV, the value of lost load (short) or
    minus the curtailment cost (long) once any energy went uncovered, the forward price
    when nothing was activated.

    Args:
        niv_mwh: net imbalance volume over the period, positive when short (MWh).
        marginal_up_util: highest utilisation price of activated up reserve (-inf if
            none); ``marginal_down_util``: lowest of activated down reserve (+inf if none).
    """
    if niv_mwh > _TOL:
        if unserved_mwh > _TOL:
            return voll_per_mwh
        if marginal_up_util > -1e300:
            return marginal_up_util
        return forward_price
    if niv_mwh < -_TOL:
        if curtailed_mwh > _TOL:
            return 0.0 - curtailment_cost_per_mwh  # 0.0 - 0.0 is +0.0, never -0.0
        if marginal_down_util < 1e300:
            return marginal_down_util
        return forward_price
    return forward_price


@kernel
def system_price(price, niv_mwh, forward_price, scheme, price_floor, price_cap):
    """The published imbalance price: under ``GB_SINGLE`` bounded by the forward price on
    the system's side (short: at least, long: at most); then within floor and cap."""
    if scheme == GB_SINGLE:
        if niv_mwh > _TOL:
            price = max(price, forward_price)
        elif niv_mwh < -_TOL:
            price = min(price, forward_price)
    return min(max(price, price_floor), price_cap)


@kernel
def party_price(imbalance_mwh, imb_price, forward_price, scheme):
    """Price one party's imbalance settles at: dual schemes (long gets the lower, short
    pays the higher of forward and imbalance price) or single (the imbalance price)."""
    if scheme == GB_SINGLE or scheme == LEGACY_SINGLE:
        return imb_price
    if imbalance_mwh >= 0.0:
        return min(imb_price, forward_price)
    return max(imb_price, forward_price)

"""Stage 4: the imbalance price of a period.

The price rises with the volume activated: the marginal utilisation price of the
reserve activated in the direction of the net imbalance volume (NIV), then the value
of lost load once energy went unserved (short) or minus the curtailment cost once
surplus was spilled (long); the forward price when nothing was activated. Bounded by
the price floor and cap.
"""

from __future__ import annotations

from ._jit import kernel

DUAL = 0
SINGLE = 1


@kernel
def imbalance_price(
    niv_mwh,
    unserved_mwh,
    curtailed_mwh,
    marginal_up_util,
    marginal_down_util,
    forward_price,
    voll_per_mwh,
    curtailment_cost_per_mwh,
    price_floor,
    price_cap,
):
    """The period's imbalance price (currency per MWh).

    Args:
        niv_mwh: net imbalance volume over the period, positive when short (MWh).
        unserved_mwh, curtailed_mwh: energy reserve could not cover (MWh, >= 0).
        marginal_up_util: highest utilisation price of activated up reserve
            (-inf if none); ``marginal_down_util``: lowest of activated down
            reserve (+inf if none).
        forward_price: this period's clearing price, or the reference price if
            nothing traded.
    """
    tol = 1e-9
    if niv_mwh > tol:
        if unserved_mwh > tol:
            p = voll_per_mwh
        elif marginal_up_util > -1e300:
            p = marginal_up_util
        else:
            p = forward_price
    elif niv_mwh < -tol:
        if curtailed_mwh > tol:
            p = 0.0 - curtailment_cost_per_mwh  # 0.0 - 0.0 is +0.0, never -0.0
        elif marginal_down_util < 1e300:
            p = marginal_down_util
        else:
            p = forward_price
    else:
        p = forward_price
    return min(max(p, price_floor), price_cap)


@kernel
def party_price(imbalance_mwh, imb_price, forward_price, scheme):
    """Price one party's imbalance settles at: dual (long gets the lower, short pays
    the higher of forward and imbalance price) or single (the imbalance price)."""
    if scheme == SINGLE:
        return imb_price
    if imbalance_mwh >= 0.0:
        return min(imb_price, forward_price)
    return max(imb_price, forward_price)

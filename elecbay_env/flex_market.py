"""Flexibility procurement: rank offers and accept them until the need is met.

Pure array functions over one market's offers (rows N). An offer is a capacity (MW),
an availability price (currency per MW per hour) and a utilisation price (currency per
MWh). The operator ranks offers by ``availability + utilisation x expected use`` (lower
first; ties by row, lower first), skips any above its reserve prices, and accepts until
the need (MW) is met, the marginal offer in part. Pay as bid: each accepted offer is
paid its own prices; uniform: every accepted offer is paid the prices of the marginal
(last) accepted offer.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np


class Award(NamedTuple):
    """The operator's acceptance of one market's offers (shapes ``(N,)``)."""

    accepted_mw: np.ndarray  # MW accepted of each offer, in [0, capacity]
    availability_per_mw_h: np.ndarray  # price paid per MW per hour (0 if not accepted)
    utilisation_per_mwh: np.ndarray  # price paid per MWh delivered (0 if not accepted)


def rank(
    availability_per_mw_h: np.ndarray, utilisation_per_mwh: np.ndarray, expected_use: float
) -> np.ndarray:
    """Row indices in the order the operator considers them: ascending
    ``availability + utilisation x expected_use``, ties by row (a stable sort)."""
    score = np.asarray(availability_per_mw_h) + np.asarray(utilisation_per_mwh) * expected_use
    return np.argsort(score, kind="stable")


def procure(
    capacity_mw: np.ndarray,
    availability_per_mw_h: np.ndarray,
    utilisation_per_mwh: np.ndarray,
    need_mw: float,
    expected_use: float,
    pricing: Literal["pay_as_bid", "uniform"] = "pay_as_bid",
    max_availability_per_mw_h: float = np.inf,
    max_utilisation_per_mwh: float = np.inf,
) -> Award:
    """Accept offers in rank order until ``need_mw`` is met.

    Args:
        capacity_mw: ``(N,)`` MW offered (0: no offer).
        availability_per_mw_h: ``(N,)`` offered availability prices.
        utilisation_per_mwh: ``(N,)`` offered utilisation prices.
        need_mw: MW the operator needs.
        expected_use: the share of need periods expected to be utilised (ranking weight).
        pricing: ``"pay_as_bid"`` or ``"uniform"`` (the marginal accepted offer's prices).
        max_availability_per_mw_h: reserve price; dearer offers are not accepted.
        max_utilisation_per_mwh: reserve price; dearer offers are not accepted.

    Returns:
        The :class:`Award`; accepted MW sum to ``min(need, eligible capacity)``.
    """
    cap = np.asarray(capacity_mw, dtype=np.float64)
    av = np.asarray(availability_per_mw_h, dtype=np.float64)
    ut = np.asarray(utilisation_per_mwh, dtype=np.float64)
    acc = np.zeros_like(cap)
    left = float(need_mw)
    last = -1
    for i in rank(av, ut, expected_use):
        if left <= 0.0:
            break
        priced_in = av[i] <= max_availability_per_mw_h and ut[i] <= max_utilisation_per_mwh
        if cap[i] <= 0.0 or not priced_in:
            continue
        acc[i] = min(cap[i], left)
        left -= acc[i]
        last = i
    won = acc > 0.0
    if pricing == "uniform" and last >= 0:
        pay_av = np.where(won, av[last], 0.0)
        pay_ut = np.where(won, ut[last], 0.0)
    else:
        pay_av = np.where(won, av, 0.0)
        pay_ut = np.where(won, ut, 0.0)
    return Award(acc, pay_av, pay_ut)

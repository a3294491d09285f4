"""Curtailment trading: a daily call auction of curtailment obligations behind a constraint.

Before the day (at the daily gate), the members of a distribution constraint trade
curtailment obligations. A buyer (a non-firm unit high in the curtailment order) bids
the most it will pay per MWh of curtailment moved off it; a seller (a unit willing to be
curtailed in its place, lower in the order) asks the least it will take per MWh. The
call auction matches the highest bids with the lowest asks while bid >= ask, one buyer
with one seller, and every matched pair trades at one uniform price: the midpoint of
the last matched bid and ask. A pair trades for every period of the day in which the
look-ahead (:func:`elecbay_env.constraints.lookahead`) expects the buyer to be curtailed
and both sit behind the same constraint.

In a traded period the seller takes the buyer's curtailment, up to the flow it has left
to give up (:mod:`elecbay_env.kernels.anm`): the buyer goes after the seller in the order
and every other row's curtailment, like the constraint's volume, is unchanged. On the day
the kernel verifies each trade: one whose counterparties no longer sit behind the same
constraint (after a network event) is cancelled (``PeriodOutcome.anm_cancelled``), and
the buyer pays the price only for the curtailment actually moved (MWh), so selling
curtailment one will not take, or buying relief from curtailment one will not face,
moves no money.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .constraints import lookahead
from .params import MarketParams
from .service_prequal import Rejecter, screen_quotes, screen_trade
from .state import MarketState


class Trade(NamedTuple):
    """One matched pair of a curtailment auction."""

    buyer: int  # row relieved of its curtailment
    seller: int  # row that takes it
    price_per_mwh: float  # currency per MWh of curtailment moved, paid by the buyer
    periods: tuple[int, ...]  # episode periods traded


def clear_auction(bids: dict[int, float], asks: dict[int, float]) -> tuple[list, float]:
    """Match buyers' ``bids`` and sellers' ``asks`` (row -> currency per MWh).

    Returns the matched ``(buyer, seller)`` pairs (highest bid with lowest ask first;
    ties by row) and the uniform price (NaN when nothing matches).
    """
    for side, book in (("bid", bids), ("ask", asks)):
        for row, price in book.items():
            if not np.isfinite(price):
                raise ValueError(f"curtailment {side} of row {row}: {price!r} must be finite")
    both = set(bids) & set(asks)
    if both:
        raise ValueError(f"rows {sorted(both)} both bid and ask; allowed: one side per row")
    b = sorted(bids, key=lambda r: (-bids[r], r))
    a = sorted(asks, key=lambda r: (asks[r], r))
    pairs = []
    for buyer, seller in zip(b, a, strict=False):
        if bids[buyer] < asks[seller]:
            break
        pairs.append((buyer, seller))
    if not pairs:
        return [], float("nan")
    last_b, last_a = pairs[-1]
    return pairs, 0.5 * (bids[last_b] + asks[last_a])


def run_auction(
    params: MarketParams,
    state: MarketState,
    expected_mw: np.ndarray,
    t0: int,
    bids: dict[int, float],
    asks: dict[int, float],
    e: int = 0,
    participation: Rejecter | None = None,
) -> list[Trade]:
    """Clear market ``e``'s curtailment auction for periods ``t0 .. t0 + H - 1`` and record
    the trades in ``state`` (``anm_partner``, ``anm_price``).

    Args:
        expected_mw: (N, H) expected net injection of each row (MW), as for the look-ahead.
        t0: episode period of the first period of the day traded.
        bids, asks: row -> currency per MWh (see :func:`clear_auction`).
        participation: the engine's participation rules (``Engine.participation``):
            with ``market.prequalification``, quotes of rows not pre-qualified for
            curtailment trading are left out, each with a notice.
    """
    if params.n_constraints == 0:
        raise ValueError("curtailment trading needs distribution_constraints in the scenario")
    n = params.n_rows
    for row in (*bids, *asks):
        if not 0 <= row < n - 1:
            raise ValueError(f"row {row}: allowed range [0, {n - 2}] (participants)")
    for row in bids:
        if not params.anm_nonfirm[e, row]:
            raise ValueError(f"bid of row {row}: allowed: non-firm rows (curtailed by ANM)")
    if participation is not None:
        bids, asks = screen_quotes(participation, bids, asks, e)
    pairs, price = clear_auction(bids, asks)
    _, curtailed = lookahead(params, expected_mw, t0, e)
    trades = []
    for buyer, seller in pairs:
        periods = []
        for j in range(expected_mw.shape[1]):
            t = (t0 + j) % params.n_periods
            member = params.anm_member[e, :, t]
            together = bool((member[:, buyer] & member[:, seller]).any())
            if curtailed[buyer, j] > 0.0 and together:
                state.anm_partner[e, t, buyer] = seller
                state.anm_price[e, t, buyer] = price
                periods.append(t)
        trades.append(Trade(buyer, seller, price, tuple(periods)))
    return trades


def place_trade(
    params: MarketParams,
    state: MarketState,
    buyer: int,
    seller: int,
    price_per_mwh: float,
    periods: list[int],
    e: int = 0,
    participation: Rejecter | None = None,
) -> bool:
    """Record one bilateral curtailment trade for ``periods`` (checked, then written).

    Returns False (nothing written, both counterparties get a notice) when
    ``participation`` (``Engine.participation``) finds either not pre-qualified for
    curtailment trading; else True.
    """
    n = params.n_rows
    if params.n_constraints == 0:
        raise ValueError("curtailment trading needs distribution_constraints in the scenario")
    if not 0 <= buyer < n - 1 or not params.anm_nonfirm[e, buyer]:
        raise ValueError(f"buyer={buyer}: allowed: a non-firm participant row")
    if not 0 <= seller < n - 1 or seller == buyer:
        raise ValueError(f"seller={seller}: allowed range [0, {n - 2}], not the buyer")
    if not np.isfinite(price_per_mwh):
        raise ValueError(f"price_per_mwh={price_per_mwh!r}: must be finite")
    for t in periods:
        if not 0 <= t < params.n_periods:
            raise ValueError(f"period {t}: allowed range [0, {params.n_periods - 1}]")
    if participation is not None and not screen_trade(participation, buyer, seller, e):
        return False
    for t in periods:
        state.anm_partner[e, t, buyer] = seller
        state.anm_price[e, t, buyer] = price_per_mwh
    return True

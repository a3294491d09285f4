"""Virtual (financial) participants of the day-ahead market: convergence bidding.

A scenario lists them under ``market.day_ahead.virtuals`` (each a name, a zone and a
position limit ``max_mw``). At the day-ahead gate a virtual hands in one step curve,
``(E, V, B)`` prices (currency per MWh) and quantities (MW, + offered: an increment
offer, - bid: a decrement bid), which serves every period of the next day and clears in
the same auctions as the physical curves (:func:`elecbay_env.day_ahead.clear_day_ahead`).

A virtual owns no asset. It never delivers, is never in imbalance and does not enter
the real-time book: each cleared day-ahead position ``q_DA`` (MW, + sold) is liquidated
financially at the liquidation price ``P_L`` of its period, so over the period (``h``
hours) it receives

    q_DA x P_DA x h  (day-ahead, from its day-ahead counterparties)
  - q_DA x P_L x h   (liquidation)
  = q_DA x (P_DA - P_L) x h

``P_L`` is the real-time price of the virtual's zone where that period's auction traded
there, else the period's imbalance price, so a position that real time cannot close is
never free money. The counterparty of both settlements is the system operator, the
broker, which in elecbay is already the counterparty of every cash transfer: its ledger
lines balance the physical rows, whose day-ahead cash includes what the virtuals paid
or were paid, so the desk keeps the broker's side of the virtuals' cash in
:attr:`VirtualDesk.operator` (minus the virtuals' day-ahead cash and liquidation). Rows
(broker included), transmission owner, virtuals and ``operator`` sum to zero. A virtual's
profit is the operator's loss: the energy a decrement bought day-ahead is produced and
the operator disposes of it in real time (balancing or the next auction), as in PJM,
where virtual positions settle against the real-time market as a whole.
Docs: docs/day_ahead.md, "Virtual participants".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .params import MarketParams


def check_virtual_curves(
    params: MarketParams, price: np.ndarray, qty: np.ndarray, max_mw: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Check the virtuals' day-ahead curves; return them as float64 arrays.

    Args:
        params: the markets.
        price: (E, V, B) currency per MWh, in [price_floor, price_cap] where qty != 0.
        qty: (E, V, B) MW, + offered (increment), - bid (decrement); each side of a
            virtual's curve totals at most its ``max_mw`` (V,).

    Raises:
        ValueError: naming the argument, the virtual and the allowed range.
    """
    p = np.asarray(price, np.float64)
    q = np.asarray(qty, np.float64)
    want = (params.n_markets, len(max_mw), params.bid_steps)
    for name, a in (("virtual_price", p), ("virtual_qty", q)):
        if a.shape != want:
            raise ValueError(f"day-ahead {name}: shape {a.shape}, expected {want}")
        if not np.isfinite(a).all():
            raise ValueError(f"day-ahead {name}: entries must be finite")
    lo, hi = params.price_floor[:, None, None], params.price_cap[:, None, None]
    if np.any(((p < lo) | (p > hi)) & (q != 0.0)):
        raise ValueError("day-ahead virtual_price: must be in [price_floor, price_cap]")
    offered = np.where(q > 0.0, q, 0.0).sum(axis=2)
    bid = np.where(q < 0.0, -q, 0.0).sum(axis=2)
    over = (offered > max_mw[None, :] + 1e-9) | (bid > max_mw[None, :] + 1e-9)
    if over.any():
        e, v = (int(x[0]) for x in np.nonzero(over))
        raise ValueError(
            f"day-ahead virtual_qty: virtual {v} in market {e} offers {offered[e, v]:g} MW "
            f"and bids {bid[e, v]:g} MW; each side must total at most max_mw = "
            f"{max_mw[v]:g} MW"
        )
    return p, q


class VirtualDesk:
    """The virtual participants of E markets: their day-ahead positions and cash.

    Attributes:
        names: the V virtuals' names; ``zone`` (V,) their zones; ``max_mw`` (V,).
        mw, cash: (E, S, V) ring of day-ahead positions (MW, + sold) and their cash
            (currency over the period, + received), slot ``t % S`` as the state's.
        da_cash, liquidation, liquidation_price: (E, V) the last settled period's
            day-ahead cash, liquidation cash (currency, + received) and ``P_L``
            (currency per MWh).
        operator: (E,) the system operator's (broker's) cash with the virtuals in that
            period (currency, + received): minus their day-ahead cash and liquidation.
        total, operator_total: (E, V) and (E,) sums since the markets' resets.
    """

    def __init__(self, scenario: Any, params: MarketParams) -> None:
        virtuals = scenario.market.day_ahead.virtuals
        self.names = [v.name for v in virtuals]
        taken = {p.name for p in scenario.participants}
        for v in virtuals:
            if v.zone >= params.n_zones:
                raise ValueError(
                    f"market.day_ahead.virtuals[{v.name}].zone: {v.zone}, must be < "
                    f"market.zones = {params.n_zones}"
                )
            if v.name in taken:
                raise ValueError(
                    f"market.day_ahead.virtuals[{v.name}].name: taken by a participant"
                )
        self.zone = np.array([v.zone for v in virtuals], np.int64)
        self.max_mw = np.array([v.max_mw for v in virtuals], np.float64)
        self.params = params
        e, s, n_v = params.n_markets, params.da_slots, len(virtuals)
        self.mw = np.zeros((e, s, n_v))
        self.cash = np.zeros((e, s, n_v))
        self.da_cash = np.zeros((e, n_v))
        self.liquidation = np.zeros((e, n_v))
        self.liquidation_price = np.full((e, n_v), np.nan)
        self.operator = np.zeros(e)
        self.total = np.zeros((e, n_v))
        self.operator_total = np.zeros(e)

    @property
    def n_virtuals(self) -> int:
        """V, virtual participants per market."""
        return len(self.names)

    def reset(self, mask: np.ndarray) -> None:
        """Forget the positions and sums of the markets where ``mask`` (E,) is true."""
        for a in (self.mw, self.cash, self.da_cash, self.liquidation, self.total):
            a[mask] = 0.0
        self.liquidation_price[mask] = np.nan
        self.operator[mask] = 0.0
        self.operator_total[mask] = 0.0

    def empty_curves(self) -> tuple[np.ndarray, np.ndarray]:
        """(E, V, B) prices and quantities that trade nothing."""
        shape = (self.params.n_markets, self.n_virtuals, self.params.bid_steps)
        return np.zeros(shape), np.zeros(shape)

    def store(self, first_period: np.ndarray, mw: np.ndarray, cash: np.ndarray) -> None:
        """Keep a gate's positions (E, D, V) MW and cash for the day from ``first_period``."""
        d = mw.shape[1]
        slots = (first_period[:, None] + np.arange(d)[None, :]) % self.params.da_slots
        rows = np.arange(self.params.n_markets)[:, None]
        self.mw[rows, slots] = mw
        self.cash[rows, slots] = cash

    def settle(self, period: np.ndarray, out: Any) -> None:
        """Liquidate the positions of ``period`` (E,) after its step's outcome ``out``
        (a :class:`elecbay_env.period.PeriodOutcome`); the slot is then spent."""
        e = np.arange(self.params.n_markets)
        s = period % self.params.da_slots
        q = self.mw[e, s]  # (E, V)
        zp = out.zone_price[e[:, None], self.zone[None, :]]
        p_l = np.where(np.isfinite(zp), zp, out.imbalance_price[:, None])
        h = self.params.period_min / 60.0
        self.liquidation_price[:] = p_l
        self.da_cash[:] = self.cash[e, s]
        self.liquidation[:] = np.where(q != 0.0, -q * p_l * h, 0.0)
        self.operator[:] = -(self.da_cash + self.liquidation).sum(axis=1)
        self.total += self.da_cash + self.liquidation
        self.operator_total += self.operator
        self.mw[e, s] = 0.0
        self.cash[e, s] = 0.0

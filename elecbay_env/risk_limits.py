"""Risk limits on participants' orders (MECHANISMS.md section 7; the market gateway).

A participant's optional ``risk:`` (:class:`~elecbay_env.schema.RiskLimits`) bounds,
every period before the auction:

* ``min_bid_mw`` -- a non-zero step or reserve offer smaller than this is dropped;
* ``max_bid_mw`` -- the total MW offered to sell, and separately bid to buy, in the
  period (all steps together, so splitting into steps does not help), and each
  direction's reserve offer;
* ``position_limit_mwh`` -- the net energy exposure of the day: sold MWh count
  positive, bought negative; a side's orders may add at most ``limit - position``
  (selling) or ``limit + position`` (buying) MWh, i.e. that divided by the period's
  length in MW. The position restarts at 0 at each day's first period (episode day,
  from ``state.t``) and moves by the period's contracted MWh (``contract_mw x
  period_h``) after it.

``on_breach: clip`` keeps a side's most competitive steps (a seller's cheapest, a
buyer's dearest first; the marginal step partly) up to the limit; ``reject`` drops
the whole side of the period's forward orders. Every change is a :class:`Notice`.

Arrays carry the batch: ``(E, N, B)`` steps, ``(E, N)`` positions (MWh, + sold).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .orders import Orders

_TOL = 1e-9


class Notice(NamedTuple):
    """One order changed by a participation rule: a statement line of zero amount.

    ``kind`` is the statement component: ``risk_clipped``, ``risk_rejected`` or
    ``reserve_rejected``; ``mwh`` the energy removed (MW removed x period length, for
    reserve the MW offered x period length); ``reason`` the sentence for the info.
    """

    market: int
    agent: str
    kind: str
    mwh: float
    reason: str


class RiskBook:
    """The risk limits of one scenario over E markets, and each row's daily position.

    Args:
        scenario: the scenario (participants' ``risk``).
        agents: agent ids in row order (the broker last).
        n_markets: E.
    """

    def __init__(self, scenario: Any, agents: list[str], n_markets: int) -> None:
        n = len(agents)
        self.agents = list(agents)
        self.max_bid = np.full(n, np.inf)
        self.min_bid = np.zeros(n)
        self.position_limit = np.full(n, np.inf)
        self.reject = np.zeros(n, bool)
        for i, x in enumerate(scenario.participants):
            r = x.risk
            if r is None:
                continue
            self.max_bid[i] = np.inf if r.max_bid_mw is None else r.max_bid_mw
            self.min_bid[i] = 0.0 if r.min_bid_mw is None else r.min_bid_mw
            self.position_limit[i] = (
                np.inf if r.position_limit_mwh is None else r.position_limit_mwh
            )
            self.reject[i] = r.on_breach == "reject"
        self.rows = np.flatnonzero(
            np.isfinite(self.max_bid) | (self.min_bid > 0) | np.isfinite(self.position_limit)
        )
        self.period_h = scenario.market.period_h
        self.periods_per_day = scenario.market.periods_per_day
        self.position_mwh = np.zeros((n_markets, n))  # (E, N) net MWh today, + sold

    @property
    def active(self) -> bool:
        """Whether any participant has a limit."""
        return self.rows.size > 0

    def apply(self, orders: Orders, t: np.ndarray, notices: list[Notice]) -> None:
        """Clip or reject the limited rows' orders in place (``orders`` must be a copy).

        Args:
            orders: the period's orders (changed in place).
            t: (E,) the period each market is about to run (restarts positions at
                each day's first period).
            notices: receives one :class:`Notice` per change.
        """
        new_day = (t % self.periods_per_day) == 0
        self.position_mwh[new_day] = 0.0
        h = self.period_h
        for e in range(orders.step_qty.shape[0]):
            for i in self.rows:
                self._row(orders, e, int(i), h, notices)

    def _row(self, orders: Orders, e: int, i: int, h: float, notices: list[Notice]) -> None:
        agent = self.agents[i]
        qty, price = orders.step_qty[e, i], orders.step_price[e, i]
        lo = self.min_bid[i]
        small = (qty != 0.0) & (np.abs(qty) < lo)
        if small.any():
            mw = float(np.abs(qty[small]).sum())
            qty[small] = 0.0
            notices.append(
                Notice(
                    e,
                    agent,
                    "risk_rejected",
                    mw * h,
                    f"{agent}: {int(small.sum())} step(s) of {mw:g} MW in all below "
                    f"risk.min_bid_mw ({lo:g} MW) dropped",
                )
            )
        pos, limit = self.position_mwh[e, i], self.position_limit[i]
        for sign, side in ((1.0, "sell"), (-1.0, "buy")):
            on_side = qty * sign > 0.0
            total = float((qty[on_side] * sign).sum())
            if total <= 0.0:
                continue
            head_mw = max(limit - sign * pos, 0.0) / h
            cap = min(self.max_bid[i], head_mw)
            if total <= cap * (1 + _TOL) + _TOL:
                continue
            which = (
                f"risk.max_bid_mw ({self.max_bid[i]:g} MW)"
                if self.max_bid[i] <= head_mw
                else f"risk.position_limit_mwh ({limit:g} MWh; today's position "
                f"{pos:g} MWh leaves {head_mw * h:g} MWh)"
            )
            if self.reject[i]:
                qty[on_side] = 0.0
                kind, kept = "risk_rejected", 0.0
                what = f"{side} orders of {total:g} MW rejected: beyond {which}"
            else:
                kept = _clip_side(qty, price, sign, cap)
                kind = "risk_clipped"
                what = f"{side} orders of {total:g} MW clipped to {kept:g} MW: {which}"
            notices.append(Notice(e, agent, kind, (total - kept) * h, f"{agent}: {what}"))
        hi = self.max_bid[i]
        for d, direction in enumerate(("up", "down")):
            q = orders.res_qty[e, i, d]
            if q != 0.0 and q < lo:
                orders.res_qty[e, i, d] = 0.0
                notices.append(
                    Notice(
                        e,
                        agent,
                        "risk_rejected",
                        q * h,
                        f"{agent}: {direction} reserve offer of {q:g} MW below "
                        f"risk.min_bid_mw ({lo:g} MW) dropped",
                    )
                )
            elif q > hi * (1 + _TOL):
                keep = 0.0 if self.reject[i] else hi
                orders.res_qty[e, i, d] = keep
                kind = "risk_rejected" if self.reject[i] else "risk_clipped"
                notices.append(
                    Notice(
                        e,
                        agent,
                        kind,
                        (q - keep) * h,
                        f"{agent}: {direction} reserve offer of {q:g} MW "
                        f"{'rejected' if self.reject[i] else f'clipped to {hi:g} MW'}: "
                        f"beyond risk.max_bid_mw ({hi:g} MW)",
                    )
                )

    def settle(self, contract_mw: np.ndarray) -> None:
        """Move the daily positions by the period's contracts, ``(E, N)`` MW (+ sold)."""
        self.position_mwh += contract_mw * self.period_h


def _clip_side(qty: np.ndarray, price: np.ndarray, sign: float, cap: float) -> float:
    """Keep one side's most competitive steps up to ``cap`` MW (in place); the MW kept."""
    idx = np.flatnonzero(qty * sign > 0.0)
    # sellers' cheapest first, buyers' dearest first; ties in step order
    order = idx[np.argsort(price[idx] * sign, kind="stable")]
    left = cap
    for s in order:
        q = qty[s] * sign
        take = min(q, left)
        qty[s] = take * sign
        left -= take
    return cap - left

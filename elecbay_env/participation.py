"""Participation rules around the period: risk limits, pre-qualification and options.

The engine holds one :class:`Participation` when the scenario has any of
``market.prequalification``, ``market.options`` or a participant's ``risk`` (else
None, and the period runs exactly as before). Each period:

* :meth:`Participation.before` -- on a copy of the orders, drops reserve offers of
  participants not pre-qualified for reserve (:mod:`elecbay_env.registration`), then
  applies the risk limits (:mod:`elecbay_env.risk_limits`); every change is a
  :class:`~elecbay_env.risk_limits.Notice`. Flexibility offers and curtailment
  quotes and trades of unqualified rows, rejected between periods through the Python
  API (:mod:`elecbay_env.service_prequal`), join the next period's notices.
* :meth:`Participation.after` -- moves the daily positions, settles options
  (:mod:`elecbay_env.options`; their cash is added to the rewards) and returns the
  period's extra statement lines: the notices as zero-amount lines (component
  ``reserve_rejected``, ``flexibility_rejected``, ``curtailment_rejected``,
  ``risk_clipped`` or ``risk_rejected``) and the option lines.

:meth:`Participation.notices` gives each agent's notices of the last period (the
env puts them in ``infos[agent]["notices"]``). Notices are kept as arrays
(:class:`~elecbay_env.risk_limits.NoticeBatch`) and their sentences written only when
read, so a large batch without a ledger pays no Python per notice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .options import OptionsBook
from .orders import Orders
from .registration import prequalify
from .risk_limits import Notice, NoticeBatch, RiskBook
from .service_prequal import unqualified_for


def build_participation(scenario: Any, agents: list[str], n_markets: int) -> Participation | None:
    """The scenario's participation rules, or None when it has none."""
    m = scenario.market
    has_risk = any(x.risk is not None for x in scenario.participants)
    if m.prequalification is None and m.options is None and not has_risk:
        return None
    return Participation(scenario, agents, n_markets)


class Participation:
    """Risk limits, reserve pre-qualification and options of E markets of one scenario."""

    def __init__(self, scenario: Any, agents: list[str], n_markets: int) -> None:
        m = scenario.market
        self.agents = list(agents)
        self.period_h = m.period_h
        self.risk = RiskBook(scenario, agents, n_markets)
        self.unqualified: dict[int, str] = {}
        if m.prequalification is not None:
            for agent, q in prequalify(scenario, "reserve").items():
                if not q.qualified:
                    self.unqualified[self.agents.index(agent)] = q.reason
        # flexibility and curtailment_trading: row -> reason (service_prequal.py)
        self.unqualified_for = unqualified_for(scenario, self.agents)
        self._pending: list[NoticeBatch] = []  # rejections between periods
        self.options = (
            None
            if m.options is None
            else OptionsBook(m.options, agents, n_markets, m.period_h, m.n_periods)
        )
        self._batches: list[NoticeBatch] = []
        self._option_lines: list[dict[str, Any]] = []

    @property
    def changes_orders(self) -> bool:
        """Whether any rule may change orders (risk limits or reserve pre-qualification)."""
        return self.risk.active or bool(self.unqualified)

    def reset(self, mask: np.ndarray) -> None:
        """New episodes in the markets where ``mask`` (E,) is true."""
        self.risk.position_mwh[mask] = 0.0
        if self.options is not None:
            self.options.reset(mask)

    def before(self, orders: Orders, t: np.ndarray) -> Orders:
        """The orders the auction sees: a copy with the rules applied (``orders``
        itself when no rule can change them)."""
        self._batches, self._pending = self._pending, []
        self._option_lines = []
        if not self.changes_orders:
            return orders
        orders = Orders(*(a.copy() for a in orders))
        if self.unqualified:
            rows = np.fromiter(self.unqualified, np.int64)
            offered = orders.res_qty[:, rows]  # (E, U, 2) MW
            e, u = np.nonzero((offered > 0.0).any(axis=2))
            if e.size:
                mw = offered[e, u].sum(axis=1)
                why = [self.unqualified[int(i)] for i in rows]

                def reason(k: int) -> str:
                    return (f"reserve offer of {mw[k]:g} MW rejected: not pre-qualified: "
                            f"{why[u[k]]}")  # fmt: skip

                self._batches.append(
                    NoticeBatch("reserve_rejected", e, rows[u], mw * self.period_h, reason)
                )
            orders.res_qty[:, rows] = 0.0
        if self.risk.active:
            self.risk.apply(orders, t, self._batches)
        return orders

    def reject(self, batch: NoticeBatch) -> None:
        """Queue rejections made between periods (flexibility offers, curtailment
        quotes and trades); they are the next period's notices and statement lines."""
        self._pending.append(batch)

    def after(self, t: np.ndarray, out: Any, lines: bool = True) -> list[dict[str, Any]]:
        """After the period ``t`` (E,) ran: positions, option cash (added to
        ``out.reward``) and, when ``lines``, the period's extra statement lines."""
        if self.risk.active:
            self.risk.settle(out.contract_mw)
        if self.options is not None:
            self._option_lines = self.options.settle(t, out.forward_ref_price, out.reward)
        if not lines:
            return []
        result = [
            dict(market=int(b.market[k]), agent=self.agents[b.row[k]], component=b.kind,
                 mwh=float(b.mwh[k]), price=None, amount=0.0)
            for b in self._batches
            for k in range(len(b.market))
        ]  # fmt: skip
        return result + self._option_lines

    def statement_lines(self, agent: str, market: int = 0) -> dict[str, dict[str, Any]]:
        """The agent's extra statement lines of the last period in ``market``,
        ``{component: {"mwh", "price", "amount"}}`` (lines of one component added up)."""
        row = self.agents.index(agent)
        found = [
            (b.kind, float(b.mwh[k]), None, 0.0)
            for b in self._batches
            for k in np.flatnonzero((b.market == market) & (b.row == row))
        ]
        found += [
            (r["component"], r["mwh"], r["price"], r["amount"])
            for r in self._option_lines
            if r["market"] == market and r["agent"] == agent
        ]
        out: dict[str, dict[str, Any]] = {}
        for component, mwh, price, amount in found:
            line = out.setdefault(component, {"mwh": 0.0, "price": price, "amount": 0.0})
            line["mwh"] += mwh
            line["amount"] += amount
        return out

    def notice_list(self, market: int | None = None) -> list[Notice]:
        """The last period's notices (of one market, or all) as :class:`Notice` s."""
        return [n for b in self._batches for n in b.notices(self.agents, market)]

    def notices(self, market: int = 0) -> dict[str, list[str]]:
        """Each agent's notice sentences of the last period in ``market`` (agents
        without any are left out)."""
        out: dict[str, list[str]] = {}
        for n in self.notice_list(market):
            out.setdefault(n.agent, []).append(n.reason)
        return out

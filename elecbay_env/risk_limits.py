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

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .kernels.risk import BUY, N_SLOTS, RES_DOWN, RES_UP, SELL, SMALL, apply_limits
from .orders import Orders


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


class NoticeBatch(NamedTuple):
    """K notices of one kind, kept as arrays; the sentences are written only when
    asked for (:meth:`notices`), so a batch of thousands of markets pays no Python
    per notice unless someone reads them."""

    kind: str
    market: np.ndarray  # (K,) int
    row: np.ndarray  # (K,) int, the agent's row
    mwh: np.ndarray  # (K,) MWh removed
    reason: Callable[[int], str]  # k -> the k-th sentence

    def notices(self, agents: list[str], market: int | None = None) -> list[Notice]:
        """The batch as :class:`Notice` s (of one market, or all)."""
        ks = range(len(self.market)) if market is None else np.flatnonzero(self.market == market)
        return [
            Notice(int(self.market[k]), agents[self.row[k]], self.kind, float(self.mwh[k]),
                   self.reason(int(k)))
            for k in ks
        ]  # fmt: skip


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
        self._scratch = self._allocate(n_markets)

    def _allocate(self, n_markets: int) -> tuple[np.ndarray, ...]:
        r = self.rows.size
        return (
            np.zeros((n_markets, r, N_SLOTS)),  # removed MW
            np.zeros((n_markets, r, N_SLOTS)),  # count
            np.zeros((n_markets, r, N_SLOTS)),  # total MW before
            np.zeros((n_markets, r, 2)),  # headroom MW per side
            np.zeros((n_markets, r, N_SLOTS)),  # kept MW
        )

    @property
    def active(self) -> bool:
        """Whether any participant has a limit."""
        return self.rows.size > 0

    def apply(self, orders: Orders, t: np.ndarray, out: list[NoticeBatch]) -> None:
        """Clip or reject the limited rows' orders in place (``orders`` must be a copy).

        The limits run in one compiled pass (:func:`elecbay_env.kernels.risk.
        apply_limits`); the notices are arrays, their sentences written when read.

        Args:
            orders: the period's orders (changed in place).
            t: (E,) the period each market is about to run (restarts positions at
                each day's first period).
            out: receives a :class:`NoticeBatch` per kind of change.
        """
        new_day = (t % self.periods_per_day) == 0
        self.position_mwh[new_day] = 0.0
        removed, count, total, head, kept = self._scratch
        apply_limits(
            orders.step_qty, orders.step_price, orders.res_qty, self.rows, self.min_bid,
            self.max_bid, self.position_limit, self.reject, self.position_mwh,
            self.period_h, removed, count, total, head, kept,
        )  # fmt: skip
        changed = count != 0.0
        if not changed.any():
            return
        e, r, slot = np.nonzero(changed)
        rows, h, agents = self.rows, self.period_h, self.agents
        i = rows[r]
        mw, n, tot, kp = removed[e, r, slot], count[e, r, slot], total[e, r, slot], kept[e, r, slot]
        side = np.where(slot == BUY, 1, 0)
        hd, ps = head[e, r, side], self.position_mwh[e, i]

        def reason(k: int) -> str:
            a, row, sl = agents[i[k]], i[k], slot[k]
            if sl == SMALL:
                return (f"{a}: {int(n[k])} step(s) of {mw[k]:g} MW in all below "
                        f"risk.min_bid_mw ({self.min_bid[row]:g} MW) dropped")  # fmt: skip
            if sl in (RES_UP, RES_DOWN):
                what = f"{('up', 'down')[sl - RES_UP]} reserve offer of {tot[k]:g} MW"
                if n[k] < 0:
                    return f"{a}: {what} below risk.min_bid_mw ({self.min_bid[row]:g} MW) dropped"
                done = "rejected" if self.reject[row] else f"clipped to {kp[k]:g} MW"
                return f"{a}: {what} {done}: beyond risk.max_bid_mw ({self.max_bid[row]:g} MW)"
            if self.max_bid[row] <= hd[k]:
                which = f"risk.max_bid_mw ({self.max_bid[row]:g} MW)"
            else:
                which = (f"risk.position_limit_mwh ({self.position_limit[row]:g} MWh; "
                         f"today's position {ps[k]:g} MWh leaves {hd[k] * h:g} MWh)")  # fmt: skip
            what = f"{a}: {('sell', 'buy')[sl - SELL]} orders of {tot[k]:g} MW"
            if self.reject[row]:
                return f"{what} rejected: beyond {which}"
            return f"{what} clipped to {kp[k]:g} MW: {which}"

        clipped = (slot != SMALL) & (n > 0) & ~self.reject[i]
        for kind, m in (("risk_rejected", ~clipped), ("risk_clipped", clipped)):
            if m.any():
                idx = np.flatnonzero(m)
                out.append(NoticeBatch(
                    kind, e[idx], i[idx], mw[idx] * h,
                    lambda k, idx=idx: reason(int(idx[k])),
                ))  # fmt: skip

    def settle(self, contract_mw: np.ndarray) -> None:
        """Move the daily positions by the period's contracts, ``(E, N)`` MW (+ sold)."""
        self.position_mwh += contract_mw * self.period_h

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

    @property
    def active(self) -> bool:
        """Whether any participant has a limit."""
        return self.rows.size > 0

    def apply(self, orders: Orders, t: np.ndarray, out: list[NoticeBatch]) -> None:
        """Clip or reject the limited rows' orders in place (``orders`` must be a copy).

        Vectorised over markets and limited rows.

        Args:
            orders: the period's orders (changed in place).
            t: (E,) the period each market is about to run (restarts positions at
                each day's first period).
            out: receives a :class:`NoticeBatch` per kind of change.
        """
        new_day = (t % self.periods_per_day) == 0
        self.position_mwh[new_day] = 0.0
        rows, h, agents = self.rows, self.period_h, self.agents
        qty = orders.step_qty[:, rows]  # (E, R, B) copies, written back below
        price = orders.step_price[:, rows]
        lo = self.min_bid[rows]  # (R,)
        small = (qty != 0.0) & (np.abs(qty) < lo[None, :, None])
        if small.any():
            dropped = np.where(small, np.abs(qty), 0.0).sum(axis=2)  # (E, R) MW
            count = small.sum(axis=2)
            e, r = np.nonzero(small.any(axis=2))
            mw, n = dropped[e, r], count[e, r]

            def small_reason(k: int, e=e, r=r, mw=mw, n=n) -> str:
                a = agents[rows[r[k]]]
                return (f"{a}: {n[k]} step(s) of {mw[k]:g} MW in all below "
                        f"risk.min_bid_mw ({lo[r[k]]:g} MW) dropped")  # fmt: skip

            out.append(NoticeBatch("risk_rejected", e, rows[r], mw * h, small_reason))
            qty[small] = 0.0
        pos = self.position_mwh[:, rows]  # (E, R) MWh, + sold
        limit, max_bid, reject = self.position_limit[rows], self.max_bid[rows], self.reject[rows]
        for sign, side in ((1.0, "sell"), (-1.0, "buy")):
            signed = qty * sign
            on = signed > 0.0
            total = np.where(on, signed, 0.0).sum(axis=2)  # (E, R) MW
            head = np.maximum(limit[None, :] - sign * pos, 0.0) / h
            cap = np.minimum(max_bid[None, :], head)
            breach = (total > 0.0) & (total > cap * (1 + _TOL) + _TOL)
            if not breach.any():
                continue
            kept = _clip_sides(signed, price * sign, on, cap)  # (E, R, B) MW kept, >= 0
            kept = np.where(reject[None, :, None], 0.0, kept)
            qty[:] = np.where(breach[:, :, None] & on, kept * sign, qty)
            left_all = np.where(on, kept, 0.0).sum(axis=2)
            e, r = np.nonzero(breach)
            tot, left, hd, ps = total[e, r], left_all[e, r], head[e, r], pos[e, r]

            def reason(k: int, side=side, e=e, r=r, tot=tot, left=left, hd=hd, ps=ps) -> str:
                i = r[k]
                a = agents[rows[i]]
                if max_bid[i] <= hd[k]:
                    which = f"risk.max_bid_mw ({max_bid[i]:g} MW)"
                else:
                    which = (f"risk.position_limit_mwh ({limit[i]:g} MWh; today's position "
                             f"{ps[k]:g} MWh leaves {hd[k] * h:g} MWh)")  # fmt: skip
                if reject[i]:
                    return f"{a}: {side} orders of {tot[k]:g} MW rejected: beyond {which}"
                return f"{a}: {side} orders of {tot[k]:g} MW clipped to {left[k]:g} MW: {which}"

            rej = reject[r]
            for kind, m in (("risk_rejected", rej), ("risk_clipped", ~rej)):
                if m.any():
                    idx = np.flatnonzero(m)
                    out.append(NoticeBatch(
                        kind, e[idx], rows[r[idx]], (tot[idx] - left[idx]) * h,
                        lambda k, idx=idx, reason=reason: reason(int(idx[k])),
                    ))  # fmt: skip
        orders.step_qty[:, rows] = qty
        self._reserve(orders, out)

    def _reserve(self, orders: Orders, out: list[NoticeBatch]) -> None:
        rows, h, agents = self.rows, self.period_h, self.agents
        res = orders.res_qty[:, rows]  # (E, R, 2) MW
        lo, hi, reject = self.min_bid[rows], self.max_bid[rows], self.reject[rows]
        small = (res != 0.0) & (res < lo[None, :, None])
        big = res > hi[None, :, None] * (1 + _TOL)
        if not (small.any() or big.any()):
            return
        keep = np.where(small, 0.0, np.where(big, np.where(reject, 0.0, hi)[None, :, None], res))
        e, r, d = np.nonzero(small | big)
        q, kept, was_small = res[e, r, d], keep[e, r, d], small[e, r, d]

        def reason(k: int) -> str:
            i = r[k]
            a, direction = agents[rows[i]], ("up", "down")[d[k]]
            if was_small[k]:
                what = f"below risk.min_bid_mw ({lo[i]:g} MW) dropped"
            else:
                done = "rejected" if reject[i] else f"clipped to {hi[i]:g} MW"
                what = f"{done}: beyond risk.max_bid_mw ({hi[i]:g} MW)"
            return f"{a}: {direction} reserve offer of {q[k]:g} MW {what}"

        clipped = ~was_small & ~reject[r]
        for kind, m in (("risk_rejected", ~clipped), ("risk_clipped", clipped)):
            if m.any():
                idx = np.flatnonzero(m)
                out.append(NoticeBatch(
                    kind, e[idx], rows[r[idx]], (q[idx] - kept[idx]) * h,
                    lambda k, idx=idx: reason(int(idx[k])),
                ))  # fmt: skip
        orders.res_qty[:, rows] = keep

    def settle(self, contract_mw: np.ndarray) -> None:
        """Move the daily positions by the period's contracts, ``(E, N)`` MW (+ sold)."""
        self.position_mwh += contract_mw * self.period_h


def _clip_sides(qty: np.ndarray, key: np.ndarray, on: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """MW kept per step when each (E, R) side keeps its best steps up to ``cap`` MW.

    Args:
        qty: (E, R, B) MW on the side (positive where ``on``).
        key: (E, R, B) ranking, lower first (a seller's price, minus a buyer's).
        on: (E, R, B) steps on the side.
        cap: (E, R) MW the side may keep.
    """
    key = np.where(on, key, np.inf)
    order = np.argsort(key, axis=2, kind="stable")  # ties in step order
    q = np.take_along_axis(np.where(on, qty, 0.0), order, axis=2)
    before = np.cumsum(q, axis=2) - q  # MW of better steps
    kept_sorted = np.clip(np.minimum(q, cap[:, :, None] - before), 0.0, None)
    kept = np.empty_like(kept_sorted)
    np.put_along_axis(kept, order, kept_sorted, axis=2)
    return kept

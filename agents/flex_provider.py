"""A flexibility provider: offers its flexible share of load (a consumer) or its storage
headroom at its opportunity cost, and delivers when the operator calls.

Two layers:

* engine-level functions over ``(E, N)`` arrays, used by the exploit studies
  (:mod:`elecbay_evaluate.flex_exploits`): :func:`flex_offers` (capacity, availability
  price, utilisation price of one row) and :func:`deliver` (turn the operator's request
  into forward orders: a consumer bids the requested MW of its flexible load at the
  price floor, where it goes unbought, so the engine sheds it; a battery sells the
  requested MW as a price taker, so it discharges);
* :class:`FlexProviderPolicy`, the catalogue's ``flex_provider``: the merit-order policy
  (:class:`~elecbay_agents.merit_order.MeritOrderPolicy`) for a consumer or storage row,
  which also keeps standing offers with the environment's flexibility operator and
  delivers what the operator asks of it. Without a ``flexibility:`` section it is the
  merit-order policy.

Opportunity cost (currency per MWh of utilisation): a consumer gives up its value of
energy less the price it no longer pays, ``max(value - reference price, 0)``; a battery
sells the energy it later buys back at a loss, ``reference price x (1 / round trip - 1)
+ degradation cost``. The availability price is a parameter (default 1 per MW per hour).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.kernels import kinds

from .merit_order import MeritOrderPolicy

if TYPE_CHECKING:
    from elecbay_env.engine import Engine
    from elecbay_env.envs.codecs import TraderBids
    from elecbay_env.envs.parallel import ElecbayParallelEnv
    from elecbay_env.orders import Orders

DEFAULT_FLEX_AVAILABILITY = 1.0
"""Availability price of a provider's offer (currency per MW per hour)."""


def flex_offers(
    engine: Engine, row: int, reference_price: float, availability_price: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row's offer in every market: ``(E,)`` capacity (MW), availability price
    (currency per MW per hour) and utilisation price (currency per MWh).

    A consumer offers its flexible share of its peak load (what it can shed); a battery
    its power rating (what it can discharge); any other row nothing.
    """
    p = engine.params
    e = p.n_markets
    kind = int(p.kind[0, row])
    if kind == kinds.CONSUMER:
        cap = p.flexible_frac[:, row] * p.cap_mw[:, row]
        util = np.maximum(p.value_per_mwh[:, row] - reference_price, 0.0)
    elif kind == kinds.STORAGE:
        cap = p.cap_mw[:, row].copy()
        rte = p.eff[:, row] ** 2
        util = reference_price * (1.0 / rte - 1.0) + p.cost_per_mwh[:, row]
    else:
        return np.zeros(e), np.zeros(e), np.zeros(e)
    return cap, np.full(e, float(availability_price)), util


def deliver_steps(
    step_price: np.ndarray,
    step_qty: np.ndarray,
    kind: int,
    floor: np.ndarray,
    requested_mw: np.ndarray,
) -> None:
    """Change one row's ``(E, B)`` steps in place so that it delivers ``requested_mw``
    (``(E,)``) of turn-down: a consumer moves that many MW of its cheapest bids to the
    price ``floor`` (``(E,)``), where they go unbought, so the engine sheds them (at most
    its flexible share); a battery's steps become a taker's sale of that many MW."""
    for e in np.flatnonzero(requested_mw > 0.0):
        need = float(requested_mw[e])
        qty, price = step_qty[e], step_price[e]
        if kind == kinds.CONSUMER:
            cut_total = 0.0
            for b in np.argsort(price, kind="stable"):  # cheapest first: the flexible block
                cut = min(-qty[b], need) if qty[b] < 0 else 0.0
                qty[b] += cut
                need -= cut
                cut_total += cut
            free = np.flatnonzero(qty == 0.0)
            if free.size:  # bid for the cut MW at the floor: left unbought, so shed
                qty[free[0]], price[free[0]] = -cut_total, floor[e]
            else:  # no free step: the cheapest bid goes to the floor whole
                price[np.argmin(np.where(qty < 0, price, np.inf))] = floor[e]
        elif kind == kinds.STORAGE:
            qty[:] = 0.0
            qty[0] = need
            price[:] = floor[e]


def deliver(orders: Orders, engine: Engine, row: int, requested_mw: np.ndarray) -> None:
    """:func:`deliver_steps` on ``row`` of ``orders`` (changed in place)."""
    p = engine.params
    price, qty = orders.step_price[:, row], orders.step_qty[:, row]
    deliver_steps(price, qty, int(p.kind[0, row]), p.price_floor, requested_mw)
    orders.step_price[:, row], orders.step_qty[:, row] = price, qty


class FlexProviderPolicy(MeritOrderPolicy):
    """Merit-order bids plus flexibility offers and delivery (rules in the module doc).

    Args:
        source: the environment (the operator is its engine's), or an agent codec (then
            no flexibility: the merit-order policy).
        agent: the agent id.
        flex_availability: availability price of the offers (currency per MW per hour).
        **kwargs: passed to :class:`~elecbay_agents.merit_order.MeritOrderPolicy`.
    """

    def __init__(
        self,
        source: ElecbayParallelEnv | Any,
        agent: str | None = None,
        *,
        flex_availability: float = DEFAULT_FLEX_AVAILABILITY,
        **kwargs: Any,
    ) -> None:
        super().__init__(source, agent, **kwargs)
        if not flex_availability >= 0:
            raise ValueError(f"flex_availability={flex_availability}: allowed range [0, inf)")
        self.flex_availability = float(flex_availability)
        self.engine = getattr(source, "engine", None)

    def bids(self, obs: np.ndarray, mean_price: np.ndarray | None = None) -> TraderBids:
        """Merit-order bids, changed to deliver what the operator asks of this row."""
        bids = super().bids(obs, mean_price)
        eng = self.engine
        if eng is None or eng.flexibility is None or obs.shape[0] != eng.n_markets:
            return bids
        row = self.codec.row
        cap, av, ut = flex_offers(eng, row, self.reference_price, self.flex_availability)
        fx = eng.flexibility
        for s in fx.services:
            if s.member[row]:
                c, a, u = s.capacity.copy(), s.avail.copy(), s.util.copy()
                c[:, row], a[:, row], u[:, row] = cap, av, ut
                fx.offer(s.svc.name, c, a, u)
        req = fx.requested_mw()[:, row]
        if not (req > 0).any():
            return bids
        price, qty = bids.step_price.copy(), bids.step_qty.copy()
        deliver_steps(price, qty, int(eng.params.kind[0, row]), eng.params.price_floor, req)
        return bids._replace(step_price=price, step_qty=qty)

"""Market-power figures of one episode: concentration, Lerner index, pivotal suppliers,
markup over the competitive price and economic withholding.

The module functions are pure (arrays in, numbers out); :class:`MarketPowerMetrics`
applies them period by period to one market of an episode. ``docs/evaluator.md`` defines
each figure. Prices are in currency per MWh, quantities in MW (the period's average).

**Producers** are the rows of kind thermal, wind, solar and storage (each row one agent,
one firm). Per period ``t`` of market ``e`` the accumulator uses, ex ante (what the
bidders know when they bid), the quantities of the truthful book
(:func:`~elecbay_evaluate.surplus.truthful_book`):

* a producer's **available MW**: a thermal unit's capacity, 0 in a forced outage (as
  before the step); a wind or solar farm's forecast; a battery's power rating;
* **demand**: the consumers' forecast load, summed.

Figures (per period, then the episode summary):

* ``hhi``: Herfindahl-Hirschman index of the producers' metered injection
  (``out.metered_mwh``, physical delivery, negative injection of a charging battery
  counted as 0); NaN when no producer injected. Summary: the mean over periods with
  injection.
* ``lerner``: ``(price - c) / price`` with ``c`` the highest true marginal cost
  (``cost_per_mwh``) of the thermal, wind and solar units that sold forward; NaN when
  nothing traded, only storage sold, or ``price <= 0``. Summary: the simple (unweighted)
  mean over the periods where it is defined.
* ``rsi_min``: the lowest residual supply index of the period's producers;
  ``pivotal_share[agent]`` is the share of all periods in which ``RSI_agent < 1``, and
  ``pivotal_period_share`` the share of periods with at least one pivotal producer.
* ``markup_per_mwh``: the clearing price minus the :func:`truthful_price` of the same
  period (the truthful book cleared under the market's own rules); NaN when either is.
  The benchmark ignores unit commitment (must-run output offered as a price taker, ramp
  limits, start-up costs), so truthful play can show a markup of either sign where
  those bind. Summary: the mean over periods where both prices exist.
* ``withheld_mw``: :func:`withheld_mw` of the thermal, wind and solar units at the
  clearing price; NaN when nothing traded. Summary: the mean over traded periods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from elecbay_env.clearing import clear
from elecbay_env.kernels import kinds
from elecbay_env.orders import Orders
from elecbay_env.params import MarketParams
from elecbay_env.period import PeriodOutcome
from elecbay_env.state import MarketState

from .surplus import truthful_book

MONOPOLY_HHI = 10_000.0
"""HHI of a single firm (shares in percent: 100 squared)."""


def hhi(mw: ArrayLike) -> float:
    """Herfindahl-Hirschman index of quantities, one per firm.

    Args:
        mw: (n,) each firm's energy or capacity (any unit, >= 0).

    Returns:
        ``sum_i (100 x mw_i / sum mw)^2``, in ``[10 000 / n, 10 000]``: 10 000 for a
        monopoly, ``10 000 / n`` for ``n`` equal firms; NaN when the total is 0.

    Raises:
        ValueError: a negative or non-finite quantity.
    """
    x = np.asarray(mw, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x) & (x >= 0.0)):
        raise ValueError("hhi: quantities must be finite and >= 0")
    total = x.sum()
    if total <= 0.0:
        return math.nan
    return float(((100.0 * x / total) ** 2).sum())


def marginal_cost(sold_mw: ArrayLike, cost_per_mwh: ArrayLike) -> float:
    """True marginal cost of the marginal unit: the highest cost among units that sold.

    Args:
        sold_mw: (n,) MW each unit sold.
        cost_per_mwh: (n,) each unit's true marginal cost.

    Returns:
        ``max(cost[sold > 0])``; NaN when no unit sold.
    """
    sold = np.asarray(sold_mw, dtype=np.float64)
    cost = np.asarray(cost_per_mwh, dtype=np.float64)
    mask = sold > 0.0
    return float(cost[mask].max()) if mask.any() else math.nan


def lerner(price: float, marginal_cost: float) -> float:
    """Lerner index ``(price - marginal_cost) / price`` (fraction).

    NaN when the price is NaN or ``<= 0`` (no trade, or an index without meaning) or
    the marginal cost is NaN. It is 0 at a competitive price, below 0 when the price is
    below the marginal unit's cost.
    """
    if not (math.isfinite(price) and price > 0.0 and math.isfinite(marginal_cost)):
        return math.nan
    return (price - marginal_cost) / price


def residual_supply_index(available_mw: ArrayLike, demand_mw: float) -> np.ndarray:
    """Residual supply index of each producer.

    Args:
        available_mw: (n,) each producer's available capacity, MW (>= 0).
        demand_mw: the demand to serve, MW.

    Returns:
        (n,) ``RSI_i = (sum available - available_i) / demand``: the share of demand the
        others can serve without producer ``i``; ``inf`` where demand is ``<= 0``.
    """
    a = np.asarray(available_mw, dtype=np.float64)
    if demand_mw <= 0.0:
        return np.full(a.shape, math.inf)
    return (a.sum() - a) / demand_mw


def pivotal(available_mw: ArrayLike, demand_mw: float) -> np.ndarray:
    """(n,) bool: producer ``i`` is pivotal (demand cannot be met without it),
    ``RSI_i < 1`` (:func:`residual_supply_index`)."""
    return residual_supply_index(available_mw, demand_mw) < 1.0


def withheld_mw(
    available_mw: ArrayLike,
    step_price: ArrayLike,
    step_qty: ArrayLike,
    cost_per_mwh: ArrayLike,
    price: float,
) -> float:
    """Capacity held back from the market by units it would have paid to run (MW).

    Args:
        available_mw: (n,) each unit's available MW.
        step_price: (n, B) the units' offer prices (currency per MWh).
        step_qty: (n, B) their quantities (MW; > 0 offers, others ignored).
        cost_per_mwh: (n,) their true marginal costs.
        price: the clearing price.

    Returns:
        ``sum over units with cost < price of max(0, available - MW offered at prices
        <= price)``; NaN when the price is NaN (no trade). A sold MW was offered at or
        below the price, so what is counted was neither sold nor offered competitively.
    """
    if not math.isfinite(price):
        return math.nan
    p = np.asarray(step_price, dtype=np.float64)
    q = np.asarray(step_qty, dtype=np.float64)
    offered = np.where((q > 0.0) & (p <= price), q, 0.0).sum(axis=1)
    economic = np.asarray(cost_per_mwh, dtype=np.float64) < price
    short = np.maximum(np.asarray(available_mw, dtype=np.float64) - offered, 0.0)
    return float(short[economic].sum())


def truthful_price(
    params: MarketParams,
    t: int,
    in_outage: np.ndarray,
    e: int = 0,
    state: MarketState | None = None,
) -> float:
    """Competitive clearing price of period ``t``: the truthful book cleared under the
    market's rules (its ``k``, price floor and cap; values and costs clipped into them).

    Returns:
        The uniform price (currency per MWh); NaN when nothing would trade.
    """
    bid_value, bid_mw, ask_cost, ask_mw = truthful_book(params, t, in_outage, e, state)
    if bid_value.size == 0 or ask_cost.size == 0:
        return math.nan
    lo, hi = float(params.price_floor[e]), float(params.price_cap[e])
    r = clear(np.clip(bid_value, lo, hi), bid_mw, np.clip(ask_cost, lo, hi), ask_mw,
              k=float(params.k[e]), price_floor=lo, price_cap=hi)  # fmt: skip
    return r.price


def _nanmean(values: Sequence[float]) -> float:
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


class MarketPowerMetrics:
    """Accumulates the market-power figures of market ``e`` over one episode.

    Call :meth:`record` after each step with the period index and the outage flags
    *before* the step, the decoded orders and the outcome (as
    :meth:`~elecbay_evaluate.metrics.EpisodeMetrics.record`).

    Args:
        params: the markets' parameters.
        agents: agent ids in row order.
        e: the market to watch.
        state: the markets' state; required for a real-data scenario (see
            :func:`~elecbay_evaluate.surplus.truthful_book`).
    """

    def __init__(
        self,
        params: MarketParams,
        agents: Sequence[str],
        e: int = 0,
        state: MarketState | None = None,
    ) -> None:
        self.params = params
        self.agents = list(agents)
        self.e = e
        self.state = state
        kind = params.kind[e]
        self.producer = np.isin(kind, (kinds.THERMAL, kinds.WIND, kinds.SOLAR, kinds.STORAGE))
        self.generator = np.isin(kind, (kinds.THERMAL, kinds.WIND, kinds.SOLAR))
        self.periods: dict[str, list[float]] = {
            k: [] for k in ("hhi", "lerner", "markup_per_mwh", "withheld_mw", "rsi_min")
        }
        self.pivotal_count = np.zeros(int(self.producer.sum()), dtype=np.int64)
        self.pivotal_periods = 0
        self.n = 0

    def available_mw(self, t: int, in_outage: np.ndarray) -> np.ndarray:
        """(N,) available MW per row (module doc): the truthful book's offer of thermal,
        wind and solar rows, the power rating of storage, 0 elsewhere."""
        p, e = self.params, self.e
        _, _, _, ask_mw = truthful_book(p, t, in_outage, e, self.state)
        avail = np.zeros(p.n_rows)
        avail[self.generator] = ask_mw
        storage = p.kind[e] == kinds.STORAGE
        avail[storage] = p.cap_mw[e][storage]
        return avail

    def record(self, t: int, in_outage: np.ndarray, orders: Orders, out: PeriodOutcome) -> None:
        """Add one period: ``t`` and ``in_outage`` (N,) as they were before the step."""
        p, e = self.params, self.e
        price = float(out.price[e])
        avail = self.available_mw(t, in_outage)
        _, demand, _, _ = truthful_book(p, t, in_outage, e, self.state)
        supply, load = avail[self.producer], float(demand.sum())
        rsi = residual_supply_index(supply, load)
        is_pivotal = pivotal(supply, load)
        injected = np.maximum(np.asarray(out.metered_mwh[e], dtype=np.float64), 0.0)
        sold = out.step_fill_mw[e].clip(min=0.0).sum(axis=1)
        gen = self.generator
        cost = np.asarray(p.cost_per_mwh[e], dtype=np.float64)  # per episode (price index)
        c = self.periods
        c["hhi"].append(hhi(injected[self.producer]))
        c["lerner"].append(lerner(price, marginal_cost(sold[gen], cost[gen])))
        c["markup_per_mwh"].append(price - truthful_price(p, t, in_outage, e, self.state))
        offers = orders.step_price[e][gen], orders.step_qty[e][gen]
        c["withheld_mw"].append(withheld_mw(avail[gen], *offers, cost[gen], price))
        c["rsi_min"].append(float(rsi.min()) if rsi.size else math.inf)
        self.pivotal_count += is_pivotal
        self.pivotal_periods += bool(is_pivotal.any())
        self.n += 1

    def result(self) -> dict[str, Any]:
        """Summary scalars (``hhi_mean``, ``lerner_mean``, ``markup_mean_per_mwh``,
        ``withheld_mw_mean``, ``pivotal_period_share``), ``pivotal_share``
        (``{producer agent: share of periods pivotal}``) and the per-period lists."""
        c = self.periods
        n = self.n if self.n else math.nan
        producers = [a for a, y in zip(self.agents, self.producer, strict=True) if y]
        return {
            "hhi_mean": _nanmean(c["hhi"]),
            "lerner_mean": _nanmean(c["lerner"]),
            "markup_mean_per_mwh": _nanmean(c["markup_per_mwh"]),
            "withheld_mw_mean": _nanmean(c["withheld_mw"]),
            "pivotal_period_share": self.pivotal_periods / n,
            "pivotal_share": {
                a: float(k / n) for a, k in zip(producers, self.pivotal_count, strict=True)
            },
            **{k: list(v) for k, v in c.items()},
        }

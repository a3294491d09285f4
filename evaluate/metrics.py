"""Metrics of one evaluated episode, and confidence intervals across seeds.

:class:`EpisodeMetrics` watches an episode period by period (:meth:`EpisodeMetrics.record`
after every ``env.step``) and returns the episode's figures (:meth:`EpisodeMetrics.result`).
The figures and their units are listed in :data:`MARKET_METRICS`; ``docs/evaluator.md``
explains each one.

**Allocative efficiency** of the forward market (:func:`realised_surplus`,
:func:`max_surplus`). In period ``t``:

* the *realised surplus* is ``sum over filled steps of (true value - true cost) x filled
  MWh``: a consumer's true value is its ``value_per_mwh``, a producer's (thermal, wind,
  solar) true cost its marginal cost ``cost_per_mwh``, whatever prices they bid. Storage
  and the broker are left out: they have no intrinsic value or cost of energy (storage
  moves it between periods);
* the *maximum surplus* is the welfare of clearing the **truthful book** of the same
  fundamentals: every thermal unit not in a forced outage offers its full capacity at
  its marginal cost, wind and solar offer their forecast MW at their marginal cost,
  every consumer bids its forecast load at its value. Cleared with
  :func:`elecbay_env.clear`, its welfare is ``sum value x bid fills - sum cost x ask
  fills`` (x the period's hours). Ties at equal true cost (or value) are shared pro rata,
  which changes no surplus.

The episode's efficiency is ``sum_t realised / sum_t maximum`` (NaN when the maximum is
0). Truthful merit-order play scores 1 up to the resolution of the float32 action codec
(each decoded quantity carries a relative error of about ``6e-8`` of its action range,
so about ``1e-8`` on the shipped scenarios; exactly 1 where every truthful quantity is
representable). Strategic bids that change who trades score below 1. Storage can push
the figure above 1 (energy sold from storage displaces costs without a cost of its own
in that period) or below (energy bought to charge).

Signs: ``step_fill_mw`` is net injection (+ sold, - bought), so with ``w`` the true cost
of a producer and the true value of a consumer, the realised surplus of a period is
``-sum_rows w x sum_steps fill x period_h``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from elecbay_env.kernels import kinds
from elecbay_env.kernels.ledger_codes import (
    AVAILABILITY,
    BALANCING,
    CURTAILMENT_COST,
    IMBALANCE,
    PERFORMANCE,
    UNSERVED_COST,
)
from elecbay_env.orders import Orders
from elecbay_env.params import MarketParams
from elecbay_env.period import PeriodOutcome
from elecbay_env.state import MarketState

from .market_power import MarketPowerMetrics
from .surplus import max_surplus, realised_surplus, true_weights, truthful_book

# re-exported: the truthful book and its surplus live in elecbay_evaluate.surplus
__all__ = [
    "MARKET_METRICS", "MARKET_POWER_METRICS", "MARKET_POWER_PERIODS", "EpisodeMetrics",
    "bootstrap_ci", "describe", "max_surplus", "realised_surplus", "true_weights",
    "truthful_book",
]  # fmt: skip

MARKET_METRICS: dict[str, tuple[str, str]] = {
    "efficiency": ("allocative efficiency: realised / maximum surplus", "fraction"),
    "realised_surplus": ("sum of (true value - true cost) x filled MWh", "currency"),
    "max_surplus": ("welfare of the truthful book on the same fundamentals", "currency"),
    "welfare": ("sum of every agent's rewards (broker included)", "currency"),
    "price_mean": ("mean clearing price over periods that traded", "currency/MWh"),
    "price_std": ("standard deviation of those prices (volatility)", "currency/MWh"),
    "price_min": ("lowest clearing price", "currency/MWh"),
    "price_max": ("highest clearing price", "currency/MWh"),
    "periods_traded": ("periods with a trade", "periods"),
    "traded_volume_mwh": ("energy traded forward", "MWh"),
    "imbalance_volume_mwh": ("sum over periods of |net imbalance volume|", "MWh"),
    "imbalance_cost": ("imbalance cash paid by producers and consumers", "currency"),
    "unserved_mwh": ("energy the system could not serve", "MWh"),
    "curtailed_mwh": ("surplus energy curtailed", "MWh"),
    "offer_acceptance": ("share of offered MWh that cleared", "fraction"),
    "bid_acceptance": ("share of bid MWh that cleared", "fraction"),
    "offered_mwh": ("MWh offered to sell (steps with quantity > 0)", "MWh"),
    "bid_mwh": ("MWh bid to buy (steps with quantity < 0)", "MWh"),
    "reserve_cost": ("availability the broker paid, net of performance adjustments", "currency"),
    "balancing_energy_cost": ("utilisation the broker paid for activated reserve", "currency"),
    "unserved_cost": ("value of lost load x unserved energy", "currency"),
    "balancing_total_cost": (
        "reserve + balancing energy + unserved + curtailment cost",
        "currency",
    ),
    "hhi_mean": ("mean Herfindahl-Hirschman index of producers' metered energy", "index"),
    "lerner_mean": ("mean Lerner index: (price - marginal unit's cost) / price", "fraction"),
    "markup_mean_per_mwh": ("mean clearing price minus the truthful book's", "currency/MWh"),
    "withheld_mw_mean": ("mean MW that units below the price did not offer", "MW"),
    "pivotal_period_share": ("share of periods with a pivotal producer (RSI < 1)", "fraction"),
}
"""Per-episode market figures: name -> (meaning, unit), in the order of ``results.csv``."""

MARKET_POWER_METRICS = (
    "hhi_mean", "lerner_mean", "markup_mean_per_mwh", "withheld_mw_mean", "pivotal_period_share",
)  # fmt: skip
"""The :data:`MARKET_METRICS` names that :mod:`elecbay_evaluate.market_power` computes."""
MARKET_POWER_PERIODS = ("hhi", "lerner", "markup_per_mwh", "withheld_mw", "rsi_min")
"""Its per-period figures, in :meth:`EpisodeMetrics.result`'s ``market_power_periods``."""


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


class EpisodeMetrics:
    """Accumulates one episode of market ``e`` and computes its figures.

    Call :meth:`record` after each ``env.step`` (or ``Engine.step``) with the period
    index and the outage flags *before* the step, the decoded orders and the outcome.

    Args:
        params: the markets' parameters.
        agents: agent ids in row order.
        e: the market to watch.
        state: the markets' state (the engine's ``state``); required for a real-data
            scenario (its forecasts depend on the episode's date and drawn errors).
    """

    def __init__(
        self,
        params: MarketParams,
        agents: Sequence[str],
        e: int = 0,
        state: MarketState | None = None,
    ) -> None:
        if state is None and np.any(params.data_row):
            raise ValueError(
                "state: a real-data scenario needs the engine's state (its forecasts depend "
                "on the episode's date): EpisodeMetrics(params, agents, e, env.engine.state)"
            )
        self.params = params
        self.agents = list(agents)
        self.e = e
        self.state = state
        self.parties = np.asarray(params.kind[e] != kinds.BROKER)
        self.prices: list[float] = []
        self.profit = np.zeros(len(self.agents))
        self.market_power = MarketPowerMetrics(params, agents, e, state)
        self._sums = dict.fromkeys(
            ("realised_surplus", "max_surplus", "welfare", "traded_volume_mwh",
             "imbalance_volume_mwh", "imbalance_cost", "unserved_mwh", "curtailed_mwh",
             "offered_mwh", "offer_filled_mwh", "bid_mwh", "bid_filled_mwh", "reserve_cost",
             "balancing_energy_cost", "unserved_cost", "curtailment_cost"),
            0.0,
        )  # fmt: skip

    def record(self, t: int, in_outage: np.ndarray, orders: Orders, out: PeriodOutcome) -> None:
        """Add one period: ``t`` and ``in_outage`` (N,) as they were before the step."""
        e, h = self.e, self.params.period_h
        s = self._sums
        fill = out.step_fill_mw[e]
        qty = orders.step_qty[e]
        s["realised_surplus"] += realised_surplus(self.params, fill)
        s["max_surplus"] += max_surplus(self.params, t, in_outage, e, self.state)
        s["welfare"] += float(out.reward[e].sum())
        s["traded_volume_mwh"] += float(out.volume_mw[e]) * h
        s["imbalance_volume_mwh"] += abs(float(out.niv_mwh[e]))
        s["imbalance_cost"] -= float(out.ledger_amount[e, self.parties, IMBALANCE].sum())
        s["unserved_mwh"] += float(out.unserved_mwh[e])
        s["curtailed_mwh"] += float(out.curtailed_mwh[e])
        offer, bid = qty > 0.0, qty < 0.0
        s["offered_mwh"] += float(qty[offer].sum()) * h
        s["offer_filled_mwh"] += float(np.abs(fill[offer]).sum()) * h
        s["bid_mwh"] += float(-qty[bid].sum()) * h
        s["bid_filled_mwh"] += float(np.abs(fill[bid]).sum()) * h
        broker = ~self.parties
        amount = out.ledger_amount[e, broker].sum(axis=0)  # the broker's components
        s["reserve_cost"] -= float(amount[AVAILABILITY] + amount[PERFORMANCE])
        s["balancing_energy_cost"] -= float(amount[BALANCING])
        s["unserved_cost"] -= float(amount[UNSERVED_COST])
        s["curtailment_cost"] -= float(amount[CURTAILMENT_COST])
        self.prices.append(float(out.price[e]))
        self.profit += out.reward[e]
        self.market_power.record(t, in_outage, orders, out)

    def result(self) -> dict[str, Any]:
        """The episode's figures: every :data:`MARKET_METRICS` name, plus ``profit``
        (``{agent: sum of rewards}``), ``prices`` (clearing price per period, NaN
        where nothing traded), ``pivotal_share`` (``{producer: share of periods
        pivotal}``) and ``market_power_periods`` (the per-period lists of
        :meth:`~elecbay_evaluate.market_power.MarketPowerMetrics.result`)."""
        s = self._sums
        power = self.market_power.result()
        prices = np.asarray(self.prices)
        traded = prices[np.isfinite(prices)]
        has = traded.size > 0
        figures = {
            "efficiency": _ratio(s["realised_surplus"], s["max_surplus"]),
            "realised_surplus": s["realised_surplus"],
            "max_surplus": s["max_surplus"],
            "welfare": s["welfare"],
            "price_mean": float(traded.mean()) if has else math.nan,
            "price_std": float(traded.std()) if has else math.nan,
            "price_min": float(traded.min()) if has else math.nan,
            "price_max": float(traded.max()) if has else math.nan,
            "periods_traded": int(traded.size),
            "traded_volume_mwh": s["traded_volume_mwh"],
            "imbalance_volume_mwh": s["imbalance_volume_mwh"],
            "imbalance_cost": s["imbalance_cost"],
            "unserved_mwh": s["unserved_mwh"],
            "curtailed_mwh": s["curtailed_mwh"],
            "offer_acceptance": _ratio(s["offer_filled_mwh"], s["offered_mwh"]),
            "bid_acceptance": _ratio(s["bid_filled_mwh"], s["bid_mwh"]),
            "offered_mwh": s["offered_mwh"],
            "bid_mwh": s["bid_mwh"],
            "reserve_cost": s["reserve_cost"],
            "balancing_energy_cost": s["balancing_energy_cost"],
            "unserved_cost": s["unserved_cost"],
            "balancing_total_cost": s["reserve_cost"]
            + s["balancing_energy_cost"]
            + s["unserved_cost"]
            + s["curtailment_cost"],
            **{k: power[k] for k in MARKET_POWER_METRICS},
        }
        assert list(figures) == list(MARKET_METRICS)
        return {
            **figures,
            "profit": {a: float(p) for a, p in zip(self.agents, self.profit, strict=True)},
            "prices": prices.tolist(),
            "pivotal_share": power["pivotal_share"],
            "market_power_periods": {k: power[k] for k in MARKET_POWER_PERIODS},
        }


# ------------------------------------------------------------------ across seeds


MIN_SEEDS_FOR_INTERVAL = 3
"""Fewest finite per-seed values a bootstrap interval is computed from (docs/evaluator.md);
below it intervals are NaN and reports print none."""


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> tuple[float, float]:
    """Bootstrap confidence interval of the mean of ``values`` (one per seed).

    :func:`scipy.stats.bootstrap` (BCa, falling back to the percentile method where
    BCa is undefined) with a generator seeded by ``seed``, so the interval is
    reproducible. NaN values are dropped first.

    Returns:
        ``(low, high)``; ``(nan, nan)`` with fewer than :data:`MIN_SEEDS_FOR_INTERVAL`
        values (too few to resample honestly: reports show no interval then);
        ``(v, v)`` when every value is ``v``.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < MIN_SEEDS_FOR_INTERVAL:
        return math.nan, math.nan
    if np.all(x == x[0]):
        return float(x[0]), float(x[0])
    from scipy.stats import bootstrap

    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = bootstrap(
                (x,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                method=method, rng=np.random.default_rng(seed), vectorized=True,
            )  # fmt: skip
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(lo) and math.isfinite(hi):
            return lo, hi
    return math.nan, math.nan


def describe(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> dict[str, float | int]:
    """``{n, mean, std, ci_low, ci_high}`` of per-seed values (NaN values dropped;
    ``std`` with ``ddof=1``, NaN below 2 values; the interval from :func:`bootstrap_ci`)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    lo, hi = bootstrap_ci(x, confidence, n_resamples, seed)
    return {
        "n": int(x.size),
        "mean": float(x.mean()) if x.size else math.nan,
        "std": float(x.std(ddof=1)) if x.size > 1 else math.nan,
        "ci_low": lo,
        "ci_high": hi,
    }

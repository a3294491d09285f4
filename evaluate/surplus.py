"""The truthful book and the surplus it defines: the yardstick of efficiency and market power.

:func:`truthful_book` is what every unit would offer and every consumer bid at its true
cost or value; :func:`max_surplus` is the welfare of clearing it and
:func:`realised_surplus` the welfare of the fills that happened. Both
:mod:`elecbay_evaluate.metrics` (efficiency) and :mod:`elecbay_evaluate.market_power`
(markups, withholding) use them; :mod:`~elecbay_evaluate.metrics` re-exports them.
"""

from __future__ import annotations

import numpy as np

from elecbay_env.clearing import clear
from elecbay_env.episodes import visible_forecast
from elecbay_env.kernels import kinds
from elecbay_env.params import MarketParams
from elecbay_env.state import MarketState

__all__ = ["max_surplus", "realised_surplus", "true_weights", "truthful_book"]


def true_weights(params: MarketParams, e: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per row of market ``e``: the true value or cost, and whether the row counts.

    Returns:
        ``(w, counted)``, both (N,): ``w`` is ``value_per_mwh`` for consumers and
        ``cost_per_mwh`` for thermal, wind and solar producers (currency per MWh);
        ``counted`` is False for storage and the broker.
    """
    kind = params.kind[e]
    consumer = kind == kinds.CONSUMER
    counted = consumer | (kind == kinds.THERMAL) | (kind == kinds.WIND) | (kind == kinds.SOLAR)
    w = np.where(consumer, params.value_per_mwh[e], params.cost_per_mwh[e])
    return np.where(counted, w, 0.0), counted


def realised_surplus(params: MarketParams, step_fill_mw: np.ndarray, e: int = 0) -> float:
    """Surplus of one period's forward fills at true values and costs (currency).

    Args:
        params: the markets' parameters.
        step_fill_mw: ``(E, N, B)`` or ``(N, B)`` filled MW per step (+ sold, - bought).
        e: the market when ``step_fill_mw`` has a leading E axis.
    """
    fill = np.asarray(step_fill_mw, dtype=np.float64)
    if fill.ndim == 3:
        fill = fill[e]
    w, _ = true_weights(params, e)
    return float(-(w * fill.sum(axis=1)).sum() * params.period_h)


def truthful_book(
    params: MarketParams,
    t: int,
    in_outage: np.ndarray,
    e: int = 0,
    state: MarketState | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The truthful book of period ``t`` in market ``e``.

    Args:
        params: the markets' parameters.
        t: the period within the episode.
        in_outage: (N,) True where a thermal unit is in a forced outage before the period.
        e: the market.
        state: the markets' state; needed for a real-data scenario, whose episodes start
            on different days and whose forecasts carry drawn errors (None: the profile
            table from its first column, right for scenarios without data).

    Returns:
        ``(bid_value, bid_mw, ask_cost, ask_mw)``: one bid per consumer (its value, its
        forecast load) and one offer per thermal unit (marginal cost, capacity or 0 in an
        outage), wind and solar farm (marginal cost, forecast MW).
    """
    kind = params.kind[e]
    fc = params.forecast_mw[:, t] if state is None else visible_forecast(params, state, t)[e]
    thermal = kind == kinds.THERMAL
    renewable = (kind == kinds.WIND) | (kind == kinds.SOLAR)
    consumer = kind == kinds.CONSUMER
    seller = thermal | renewable
    ask_mw = np.where(thermal, np.where(in_outage, 0.0, params.cap_mw[e]), fc)
    return (
        params.value_per_mwh[e][consumer].astype(np.float64),
        np.maximum(fc[consumer], 0.0),
        params.cost_per_mwh[e][seller].astype(np.float64),
        np.maximum(ask_mw[seller], 0.0),
    )


def max_surplus(
    params: MarketParams,
    t: int,
    in_outage: np.ndarray,
    e: int = 0,
    state: MarketState | None = None,
) -> float:
    """Welfare of clearing the :func:`truthful_book` of period ``t`` (currency).

    The book is cleared with :func:`elecbay_env.clear` between bounds just outside its
    own prices (a value above the market's price cap is not clipped: clipping could tie
    consumers that differ).
    """
    bid_value, bid_mw, ask_cost, ask_mw = truthful_book(params, t, in_outage, e, state)
    if bid_value.size == 0 or ask_cost.size == 0:
        return 0.0
    prices = np.concatenate([bid_value, ask_cost])
    lo, hi = float(prices.min()) - 1.0, float(prices.max()) + 1.0
    r = clear(bid_value, bid_mw, ask_cost, ask_mw, price_floor=lo, price_cap=hi)
    return float((bid_value @ r.bid_fill - ask_cost @ r.ask_fill) * params.period_h)

"""Rewards for learning: the settlement reward without what no action changes, scaled.

The environment's default rewards (``reward_mode="raw"``) are welfare accounting: each
agent's cash plus its value of energy consumed minus its costs, in currency; they sum to
the period's welfare. For a consumer most of it (about 97 % on ``default``) is the value
of its forecast load, which no action changes, and rewards span four orders of magnitude
across agents: a value function fits neither well.

``reward_mode="learning"`` gives, per agent and period::

    (raw reward - baseline) / scale

* ``baseline``: for a consumer, ``value_per_mwh x forecast load (MW) x period_h`` of the
  period (the forecast it saw when it bid); 0 for everyone else. It depends on nothing
  the agent does, so subtracting it changes no optimal policy.
* ``scale`` (currency, > 0), one number per agent, fixed by the scenario:
  ``size_mw x 24 h x reference price``, with ``size_mw`` the capacity (producers),
  power rating (storage) or peak load (consumers), and for the broker 5 % of the total
  peak load; the reference price is ``|market.initial_price_per_mwh|`` (at least 1).
  A producer selling its whole capacity at the reference price all day earns 1 over
  the day: returns, which a value function fits, are of order one (per-period rewards of
  order 1 / periods per day).

The ledger (statements, ``infos``) keeps the raw amounts; ``infos[agent]["reward_raw"]``
carries the raw reward in either mode.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from .kernels import kinds
from .params import MarketParams

RewardMode = Literal["raw", "learning"]
REWARD_MODES: tuple[str, ...] = get_args(RewardMode)
BROKER_SHARE = 0.05
HOURS_PER_DAY = 24.0


def check_reward_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`REWARD_MODES`; else ``ValueError`` naming it."""
    if mode not in REWARD_MODES:
        raise ValueError(f"reward_mode={mode!r}: allowed values are {', '.join(REWARD_MODES)}")
    return mode


def reward_scale(params: MarketParams) -> np.ndarray:
    """``(E, N)`` currency per unit of learning reward (see the module doc)."""
    ref = np.maximum(np.abs(params.initial_price), 1.0)[:, None]  # (E, 1)
    size = params.cap_mw.astype(np.float64).copy()
    consumer = params.kind == kinds.CONSUMER
    peak = np.where(consumer, params.cap_mw, 0.0).sum(axis=1, keepdims=True)
    broker = params.kind == kinds.BROKER
    size = np.where(broker, BROKER_SHARE * peak, size)
    return np.maximum(size, 1.0) * HOURS_PER_DAY * ref


def reward_baseline(params: MarketParams, forecast_mw: np.ndarray) -> np.ndarray:
    """``(E, N)`` currency: a consumer's value of its forecast load of the period.

    Args:
        forecast_mw: ``(E, N)`` the forecasts the agents saw for the period
            (:func:`elecbay_env.episodes.visible_forecast`).
    """
    consumer = params.kind == kinds.CONSUMER
    return np.where(consumer, params.value_per_mwh * forecast_mw * params.period_h, 0.0)


def learning_rewards(
    params: MarketParams, raw: np.ndarray, forecast_mw: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """``(E, N)`` learning rewards from the raw ``(E, N)`` rewards of one period."""
    return (raw - reward_baseline(params, forecast_mw)) / scale

"""Whole episodes of the env market, summed: what the withholding and reserve
experiments measure (:func:`play`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class EpisodeTotals:
    """Sums over one env episode (N agents, C ledger components)."""

    amount: np.ndarray  # (N, C) ledger amounts summed over the episode, + received
    mwh: np.ndarray  # (N, C) ledger quantities summed over the episode (forward: + sold)
    unserved_mwh: float
    reserved_up_mw: float  # mean up reserve procured per period
    metrics: dict[str, Any] | None  # elecbay_evaluate.metrics figures, when asked for


def play(env: Any, policies: dict[str, Any], seed: int, metrics: bool = False) -> EpisodeTotals:
    """One episode of ``env`` from ``reset(seed=seed)`` with ``policies``.

    With ``metrics``, the episode is also watched by
    :class:`elecbay_evaluate.metrics.EpisodeMetrics` (allocative efficiency, prices,
    profits: the same figures as the tournament evaluator).
    """
    watch = None
    if metrics:
        from elecbay_evaluate.metrics import EpisodeMetrics

        watch = EpisodeMetrics(env.engine.params, env.possible_agents, 0, env.engine.state)
    obs, _ = env.reset(seed=seed)
    states: dict[str, Any] = dict.fromkeys(env.possible_agents)
    amount = mwh = 0.0
    unserved = reserved = 0.0
    for t in range(env.num_periods):
        actions = {}
        for agent in env.agents:
            actions[agent], states[agent] = policies[agent].predict(
                obs[agent], states[agent], episode_start=t == 0
            )
        in_outage = env.engine.state.outage_left[0] > 0
        obs, *_ = env.step(actions)
        out = env.last_outcome
        if watch is not None:
            watch.record(t, in_outage, env.last_orders, out)
        amount = amount + out.ledger_amount[0]
        mwh = mwh + out.ledger_mwh[0]
        unserved += float(out.unserved_mwh[0])
        reserved += float(out.reserved_mw[0, :, 0].sum())
    figures = watch.result() if watch is not None else None
    return EpisodeTotals(
        np.asarray(amount), np.asarray(mwh), unserved, reserved / env.num_periods, figures
    )

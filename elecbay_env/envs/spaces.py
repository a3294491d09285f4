"""Observation, action and state spaces per role, built once and cached.

The same space object is returned for an agent on every call (PettingZoo's and
stable-baselines3's checkers rely on it). Traders (producers and consumers) share
one observation space and one action space; the broker has its own.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from ..params import MarketParams
from ..roles import role_of
from .codecs import BROKER_ACTION_WIDTH, trader_action_width
from .observations import feature_bounds


def space_role(agent: str) -> str:
    """``"broker"`` for the broker, ``"trader"`` for producers and consumers."""
    return "broker" if role_of(agent) == "broker" else "trader"


class Spaces:
    """Every agent's spaces for one scenario, plus the state space."""

    def __init__(self, params: MarketParams, agents: list[str]) -> None:
        lo_t, hi_t = feature_bounds(params, "trader")
        lo_b, hi_b = feature_bounds(params, "broker")
        self.observation = {
            "trader": spaces.Box(lo_t, hi_t, lo_t.shape, np.float32),
            "broker": spaces.Box(lo_b, hi_b, lo_b.shape, np.float32),
        }
        a = trader_action_width(params.bid_steps)
        self.action = {
            "trader": spaces.Box(-1.0, 1.0, (a,), np.float32),
            "broker": spaces.Box(-1.0, 1.0, (BROKER_ACTION_WIDTH,), np.float32),
        }
        self.agents = list(agents)
        lows = [self.observation[space_role(g)].low for g in agents]
        highs = [self.observation[space_role(g)].high for g in agents]
        self.state = spaces.Box(np.concatenate(lows), np.concatenate(highs), dtype=np.float32)

    def observation_space(self, agent: str) -> spaces.Box:
        """The agent's observation space (the same object every call)."""
        return self.observation[space_role(agent)]

    def action_space(self, agent: str) -> spaces.Box:
        """The agent's action space (the same object every call)."""
        return self.action[space_role(agent)]

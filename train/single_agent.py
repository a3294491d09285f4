"""SingleAgentEnv: one learner against fixed policies, as a Gymnasium ``Env``.

Every other agent follows a policy from the registry (named in YAML or on the command
line, e.g. ``{"producer": "markup:0.2", "broker": "rule_based_broker"}``). It is the
training core with one market and one seat, so it makes exactly the transitions of
the vectorised view's sub-environment with the same seed. It passes Gymnasium's and
stable-baselines3's environment checkers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from elecbay_env.config import Scenario

from .core import TrainingCore
from .transforms import LearnerSpec, scaled_space


class SingleAgentEnv(gym.Env):
    """One agent learns in one market; the others follow fixed policies.

    Args:
        config: the scenario.
        agent: the learner's agent id (e.g. ``"producer_2"``).
        opponents: policy specs for the other agents (agent id, role or ``"*"``).
        spec: observation scaling and price range of the learner.
        seed: default seed of the first reset.
        **overrides: dotted scenario overrides.

    Observation: the agent's observation (scaled to [-1, 1] unless
    ``spec.scale_obs`` is false). Action: the agent's Box[-1, 1] action through the
    learner codec. Reward: the agent's reward for the period (currency). Episodes end
    by truncation after ``days x periods_per_day`` steps.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012 - Gymnasium attribute

    def __init__(
        self,
        config: Scenario | str | dict[str, Any] | None = None,
        agent: str = "producer_0",
        opponents: Mapping[str, str] | None = None,
        spec: LearnerSpec | None = None,
        seed: int = 0,
        render_mode: str | None = None,
        **overrides: Any,
    ) -> None:
        self.core = TrainingCore(config, [agent], 1, opponents, seed, spec, **overrides)
        self.agent = agent
        space = self.core.observation_space
        self.observation_space = scaled_space(space) if self.core.spec.scale_obs else space
        self.action_space = self.core.action_space
        self.render_mode = render_mode
        self._started = False

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode (``seed`` seeds the market's generator)."""
        super().reset(seed=seed)
        obs = self.core.reset(seed)
        self._started = True
        return obs[0, 0], {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One settlement period."""
        if not self._started:
            raise RuntimeError("call reset() before step()")
        a = np.asarray(action, np.float64).reshape(1, 1, -1)
        obs, rewards, done = self.core.step(a)
        if done:
            self._started = False
        out = self.core.last_outcome
        info = {
            "clearing_price": float(out.price[0]),
            "imbalance_price": float(out.imbalance_price[0]),
            "contract_mw": float(out.contract_mw[0, self.core.seat_rows[0]]),
        }
        return obs[0, 0], float(rewards[0, 0]), False, done, info

    def render(self) -> str | None:
        """A line on the last period (``ansi``)."""
        if self.render_mode != "ansi" or self.core.last_outcome is None:
            return None
        out = self.core.last_outcome
        return f"price {out.price[0]:.2f}, reward {out.reward[0, self.core.seat_rows[0]]:.2f}"

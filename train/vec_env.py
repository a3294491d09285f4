"""RoleVecEnv: a stable-baselines3 ``VecEnv`` directly on the batched engine.

Its sub-environments are (market, seat) pairs: E markets x S learner seats (for
example every producer), ``index = e * S + s``. One policy learns from every seat at
once: **parameter sharing per role** (traders and the broker have different spaces,
so they never share a network). There is no subprocess per environment: one step of
the VecEnv is one call of the engine's fused kernel for all E markets.

All markets start together and end together (episodes have a fixed length), so the
VecEnv resets them all at once when they end, puts each sub-environment's last
observation in ``infos[i]["terminal_observation"]`` and flags the end as a truncation
(``infos[i]["TimeLimit.truncated"] = True``), as stable-baselines3 expects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from elecbay_env.config import Scenario

from .core import TrainingCore
from .transforms import LearnerSpec, scaled_space


class RoleVecEnv(VecEnv):
    """E markets x S seats as one ``VecEnv`` (arguments as :class:`TrainingCore`)."""

    metadata = {"render_modes": []}  # noqa: RUF012 - stable-baselines3's attribute

    def __init__(
        self,
        config: Scenario | str | dict[str, Any] | None = None,
        seats: str | Sequence[str] = "producer",
        n_markets: int = 8,
        opponents: Mapping[str, str] | None = None,
        seed: int = 0,
        spec: LearnerSpec | None = None,
        **overrides: Any,
    ) -> None:
        self.core = TrainingCore(config, seats, n_markets, opponents, seed, spec, **overrides)
        obs_space = self.core.observation_space
        if self.core.spec.scale_obs:
            obs_space = scaled_space(obs_space)
        self.n_seats = len(self.core.seats)
        super().__init__(n_markets * self.n_seats, obs_space, self.core.action_space)
        self.render_mode = None
        self._actions: np.ndarray | None = None
        self._seed: int | None = None
        self._episode_reward = np.zeros(self.num_envs)
        self._episode_length = 0

    # -- VecEnv API ---------------------------------------------------------------------
    def reset(self) -> np.ndarray:
        """Start an episode in every market; (E x S, F) observations."""
        obs = self.core.reset(self._seed)
        self._seed = None
        self._episode_reward[:] = 0.0
        self._episode_length = 0
        return obs.reshape(self.num_envs, -1)

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the actions (E x S, A) for :meth:`step_wait`."""
        self._actions = np.asarray(actions)

    def step_wait(self):
        """Step every market; autoreset them all when the episode ends."""
        if self._actions is None:
            raise RuntimeError("step_async() must come before step_wait()")
        a = self._actions.reshape(self.core.n_markets, self.n_seats, -1)
        self._actions = None
        obs, rewards, done = self.core.step(a)
        obs = obs.reshape(self.num_envs, -1)
        rewards = rewards.reshape(self.num_envs).astype(np.float32)
        self._episode_reward += rewards
        self._episode_length += 1
        dones = np.full(self.num_envs, done)
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if done:
            for i in range(self.num_envs):
                infos[i] = {
                    "terminal_observation": obs[i],
                    "TimeLimit.truncated": True,
                    "episode": {"r": float(self._episode_reward[i]), "l": self._episode_length},
                }
            obs = self.reset()
        return obs, rewards, dones, infos

    def close(self) -> None:
        """Nothing to release."""

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed the next reset: market ``e`` gets ``seed + e``."""
        self._seed = seed
        return [seed] * self.num_envs

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        """The attribute of the (shared) core, once per sub-environment."""
        value = getattr(self, attr_name) if hasattr(self, attr_name) else None
        if value is None and hasattr(self.core, attr_name):
            value = getattr(self.core, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        """Set an attribute on the core (shared by every sub-environment)."""
        setattr(self.core, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs):
        """Call a method of the core once per sub-environment."""
        method = getattr(self.core, method_name)
        return [method(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        """No sub-environment is wrapped."""
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        """No images: the VecEnv does not render."""
        return [None for _ in range(self.num_envs)]

"""One role on the batched core as a gymnasium ``VectorEnv``, for RLlib's single-agent PPO.

RLlib's env runners step a gymnasium vector of single environments, one Python env per
copy. :class:`RoleVectorEnv` is instead one vector over
:class:`~elecbay_train.core.TrainingCore`: its sub-environments are (market, seat)
pairs, ``index = e * S + s`` for E markets and S seats of one role (every producer, say;
parameter sharing inside the role), the other agents play fixed policies (the baseline
by default), and one ``step`` is one call of the engine's kernel for all E markets.
RLlib builds it through ``vector_entry_point``: :func:`role_ppo_config` sets
``gym_env_vectorize_mode="vector_entry_point"`` and ``num_envs_per_env_runner = E x S``.

Conventions: observations (E x S, F) float32 scaled to [-1, 1]; actions (E x S, A) in
[-1, 1] (prices over 0 to 500 per MWh); rewards (E x S,) learning units
(``reward_mode="learning"``); every episode ends by truncation in all markets at once,
and the vector resets them on the next ``step`` (gymnasium's ``NEXT_STEP`` autoreset:
that step ignores its actions and returns the first observations with zero rewards).
Seeding as :class:`~elecbay_train.rllib.ElecbayMultiAgentEnv`: a reset with seed ``s``
on runner ``w`` seeds market ``e`` with ``s + 9 999 w + e``; later resets continue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .core import TrainingCore
from .rllib import SEED_STRIDE, limit_threads
from .transforms import DEFAULT_PRICE_RANGE, LearnerSpec, scaled_space

VECTOR_KEYS = ("scenario", "role", "opponents", "seed", "torch_threads", "overrides", "num_envs")
"""Keys of ``env_config`` that :class:`RoleVectorEnv` reads."""


class RoleVectorEnv(VectorEnv):
    """E markets x S seats of one role as one gymnasium ``VectorEnv`` (module doc).

    Args:
        config: RLlib's env config with ``num_envs`` (= E x S, a multiple of S),
            ``role`` (default ``"producer"``), ``scenario`` (``"small"``), ``opponents``
            (registry specs of the others), ``seed``, ``torch_threads`` (1) and
            ``overrides`` (dotted scenario overrides).
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}  # noqa: RUF012 - gymnasium's

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        cfg = dict(config or {})
        unknown = sorted(set(cfg) - set(VECTOR_KEYS))
        if unknown:
            raise ValueError(f"env_config keys {unknown}: allowed keys are {list(VECTOR_KEYS)}")
        self.worker_index = int(getattr(config, "worker_index", 0) or 0)
        if cfg.get("torch_threads", 1) is not None:
            limit_threads(cfg.get("torch_threads", 1))
        role = cfg.get("role", "producer")
        probe = TrainingCore(cfg.get("scenario", "small"), role, 1,
                             **dict(cfg.get("overrides") or {}))  # fmt: skip
        n_seats = len(probe.seats)
        num_envs = int(cfg.get("num_envs", n_seats))
        if num_envs < n_seats or num_envs % n_seats:
            raise ValueError(f"num_envs={num_envs}: must be a multiple of the {n_seats} "
                             f"{role} seats (E markets x {n_seats})")  # fmt: skip
        spec = LearnerSpec(price_range=DEFAULT_PRICE_RANGE, role=probe.spec.role,
                           agents=tuple(probe.seats))  # fmt: skip
        self.core = TrainingCore(
            cfg.get("scenario", "small"),
            role,
            num_envs // n_seats,
            cfg.get("opponents"),
            int(cfg.get("seed") or 0),
            spec,
            reward_mode="learning",
            **dict(cfg.get("overrides") or {}),
        )
        self.first_seed = cfg.get("seed")
        self._seeded = False
        self.num_envs = num_envs
        self.single_observation_space = scaled_space(self.core.observation_space)
        self.single_action_space = spaces.Box(-1.0, 1.0, self.core.action_space.shape, np.float32)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.render_mode = None
        self._done = False

    def reset(
        self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode in every market; (E x S, F) observations."""
        if isinstance(seed, list | tuple):
            seed = seed[0]
        if seed is None and not self._seeded and self.first_seed is not None:
            seed = int(self.first_seed)
        market = None if seed is None else int(seed) + (SEED_STRIDE - 1) * self.worker_index
        self._seeded = self._seeded or market is not None
        self._done = False
        return self.core.reset(market).reshape(self.num_envs, -1), {}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        """One period in every market (or the autoreset after the last one)."""
        if self._done:
            obs, _ = self.reset()
            zeros = np.zeros(self.num_envs, bool)
            return obs, np.zeros(self.num_envs, np.float32), zeros, zeros.copy(), {}
        a = np.asarray(actions, np.float64).reshape(self.core.n_markets, len(self.core.seats), -1)
        obs, rewards, done = self.core.step(np.clip(a, -1.0, 1.0))
        self._done = done
        ends = np.full(self.num_envs, done)
        return (obs.reshape(self.num_envs, -1), rewards.reshape(-1).astype(np.float32),
                np.zeros(self.num_envs, bool), ends, {})  # fmt: skip


def role_ppo_config(
    role: str = "producer",
    n_markets: int = 4,
    env_config: Mapping[str, Any] | None = None,
    seed: int = 0,
    num_env_runners: int = 0,
    train_batch_size: int = 512,
    minibatch_size: int = 128,
    num_epochs: int = 4,
) -> Any:
    """RLlib single-agent PPO for one role on :class:`RoleVectorEnv` (E = ``n_markets``)."""
    from ray.rllib.algorithms.ppo import PPOConfig

    cfg = {"scenario": "small", **dict(env_config or {}), "role": role, "seed": int(seed)}
    probe = TrainingCore(cfg["scenario"], role, 1, **dict(cfg.get("overrides") or {}))
    return (
        PPOConfig()
        .environment(RoleVectorEnv, env_config=cfg)
        .framework("torch")
        .env_runners(
            num_env_runners=int(num_env_runners),
            num_envs_per_env_runner=int(n_markets) * len(probe.seats),
            gym_env_vectorize_mode="vector_entry_point",
        )
        .training(
            train_batch_size_per_learner=int(train_batch_size),
            minibatch_size=int(minibatch_size),
            num_epochs=int(num_epochs),
        )
        .debugging(seed=int(seed), log_level="ERROR")
    )

"""The two ways bench_training.py collects PPO rollouts of the producers' seats.

The PettingZoo recipe (:func:`pettingzoo_venv`): one Gymnasium env per (market,
producer), :class:`ProducerSeatEnv`, in a stable-baselines3 ``DummyVecEnv``; and the
vectorised core (:func:`core_venv`): one ``RoleVecEnv`` over E markets.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

from elecbay_env import parallel_env
from elecbay_env.roles import role_of

SEED = 0
ROLE = "producer"


def _baseline_policies(env: Any) -> dict[str, Any]:
    """The baseline policy of every agent (``elecbay_agents.registry.make_policies``)."""
    from elecbay_agents.registry import make_policies

    return make_policies(env)


class ProducerSeatEnv(gym.Env):
    """One agent of ``parallel_env(config)`` learns; the others follow the baseline.

    The usual PettingZoo-to-single-agent wrapper: every step asks each other agent's
    policy for an action on its own observation (one ``predict`` per agent), adds the
    learner's action and steps the parallel env. Observations and actions are the
    env's own (raw observation, Box[-1, 1] action through the env's codec).

    Args:
        agent: the learner's agent id.
        config: the scenario.
        **overrides: dotted scenario overrides.
    """

    metadata = {"render_modes": []}  # noqa: RUF012 - Gymnasium's attribute

    def __init__(self, agent: str, config: str = "default", **overrides: Any) -> None:
        self.env = parallel_env(config, **overrides)
        self.agent = agent
        self.others = {a: p for a, p in _baseline_policies(self.env).items() if a != agent}
        self.observation_space = self.env.observation_space(agent)
        self.action_space = self.env.action_space(agent)
        self._obs: dict[str, np.ndarray] = {}
        self._state: dict[str, Any] = {}
        self._start = True
        self.predict_s = 0.0
        self.step_s = 0.0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._obs, _ = self.env.reset(seed=seed)
        self._state = dict.fromkeys(self.others)
        self._start = True
        return self._obs[self.agent], {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        t0 = time.perf_counter()
        actions = {}
        for agent, policy in self.others.items():
            actions[agent], self._state[agent] = policy.predict(
                self._obs[agent],
                state=self._state[agent],
                episode_start=self._start,
                deterministic=True,
            )
        actions[self.agent] = action
        self._start = False
        t1 = time.perf_counter()
        obs, rewards, terms, truncs, infos = self.env.step(actions)
        self._obs = obs
        self.predict_s += t1 - t0
        self.step_s += time.perf_counter() - t1
        a = self.agent
        return obs[a], rewards[a], terms[a], truncs[a], infos[a]


def pettingzoo_venv(n_markets: int, config: str, overrides: dict[str, Any]) -> DummyVecEnv:
    """``n_markets`` x (producers) :class:`ProducerSeatEnv` in a ``DummyVecEnv``."""
    probe = parallel_env(config, **overrides)
    seats = [a for a in probe.possible_agents if role_of(a) == ROLE]
    makers = [
        (lambda a=agent: ProducerSeatEnv(a, config, **overrides))
        for _ in range(n_markets)
        for agent in seats
    ]
    return DummyVecEnv(makers)


PATCHED_CORES: list[int] = []
"""Sizes E of the cores :func:`patch_core_codec` had to patch in this run."""


def patch_core_codec(core: Any) -> Any:
    """Workaround for a training core whose codec decodes one market only.

    ``TrainingCore`` decodes with its template env's codec, built on the template's
    one-market parameters, so ``codec.decode`` cannot take E > 1 markets. When that is
    so, the core gets a copy of that codec (same ranges) on its engine's E-market
    parameters; otherwise nothing changes. Printed in the output when applied.
    """
    params = getattr(core.codec, "params", None)
    if params is not None and params.kind.shape[0] != core.n_markets:
        fixed = copy.copy(core.codec)
        fixed.params = core.engine.params
        core.codec = fixed
        PATCHED_CORES.append(core.n_markets)
    return core


def core_venv(n_markets: int, config: str, overrides: dict[str, Any]) -> VecEnv:
    """The vectorised core: every producer a seat, ``n_markets`` markets."""
    from elecbay_train.vec_env import RoleVecEnv

    venv = RoleVecEnv(config, seats=ROLE, n_markets=n_markets, seed=SEED, **overrides)
    patch_core_codec(venv.core)
    return venv

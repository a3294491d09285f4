"""stable-baselines3 on elecbay through SuperSuit (PettingZoo's own tutorial route).

PettingZoo's tutorial turns a parallel environment into a stable-baselines3 ``VecEnv``
with ``supersuit.pettingzoo_env_to_vec_env_v1`` and ``supersuit.concat_vec_envs_v1``,
and one network then acts for every agent. On elecbay that fails as it stands: traders
and the broker have spaces of different sizes, the raw rewards are currency (value loss
in the 1e11s), the end of the day is reported to stable-baselines3 as terminal, and no
episode return is logged. :class:`SharedSpacesEnv` fixes each of these:

* observations are scaled from their documented bounds to [-1, 1], zero-padded to the
  widest role, and followed by a one-hot role indicator (producer, consumer, broker);
* actions are one Box(-1, 1) as wide as the widest role; an agent reads its first
  ``width`` entries and ignores the rest;
* rewards default to ``reward_mode="learning"`` (order one per agent and day);
* at the end of an episode (always a truncation in elecbay) every agent's info carries
  ``"TimeLimit.truncated": True``, which SuperSuit passes through and stable-baselines3
  reads to bootstrap the value of the last observation instead of treating the end of
  the day as terminal.

:func:`make_vec_env` builds the whole stack (``VecMonitor`` on top, so episode returns
reach ``rollout/ep_rew_mean``), and :func:`evaluate_shared` plays a trained model in
every seat. SuperSuit quirk: on the last step its vector env merges the reset infos
over the step's infos, so the final step's info values are those of the next reset
(``terminal_observation`` and ``TimeLimit.truncated`` survive: reset infos lack them).

Needs ``pip install -c constraints.txt -e '.[train,libs]'`` (``supersuit>=3.9``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.roles import ROLES, role_of

from .transforms import DEFAULT_PRICE_RANGE, scale_box

TRUNCATED_KEY = "TimeLimit.truncated"
"""The info key stable-baselines3 reads to tell a time limit from a terminal state."""


class SharedSpacesEnv(ParallelEnv):
    """An elecbay ``ParallelEnv`` whose agents all share one observation and action space.

    Args:
        config: scenario (as :func:`elecbay_env.parallel_env`).
        reward_mode: ``"learning"`` (default) or ``"raw"``.
        scale_obs: map each feature from its Box bounds to [-1, 1] before padding.
        price_range: decoded price range of actions (default 0 to 500 per MWh, as
            ``elecbay train``); None: the market's floor and cap.
        **env_kwargs: passed on to :class:`ElecbayParallelEnv` (``max_cycles``, overrides).
    """

    metadata: ClassVar[dict[str, Any]] = {
        "name": "elecbay_shared_v0",
        "render_modes": ["ansi", "rgb_array", "human"],
        "render_fps": 4,
        "is_parallelizable": True,
    }

    def __init__(
        self,
        config: Any = "small",
        reward_mode: str = "learning",
        scale_obs: bool = True,
        price_range: tuple[float, float] | None = DEFAULT_PRICE_RANGE,
        **env_kwargs: Any,
    ) -> None:
        self.env = ElecbayParallelEnv(
            config, reward_mode=reward_mode, price_range=price_range, **env_kwargs
        )
        self.scale_obs = bool(scale_obs)
        self.render_mode = self.env.render_mode
        self.possible_agents = list(self.env.possible_agents)
        self.agents: list[str] = []
        inner_obs = {a: self.env.observation_space(a) for a in self.possible_agents}
        self._width = {a: self.env.action_space(a).shape[0] for a in self.possible_agents}
        self.n_features = max(s.shape[0] for s in inner_obs.values())
        self.roles = ROLES
        self._indicator = {}
        for agent in self.possible_agents:
            one_hot = np.zeros(len(ROLES), np.float32)
            one_hot[ROLES.index(role_of(agent))] = 1.0
            self._indicator[agent] = one_hot
        self._inner_obs = inner_obs
        width = self.n_features + len(ROLES)
        if self.scale_obs:
            low, high = np.full(width, -1.0, np.float32), np.ones(width, np.float32)
        else:
            low = np.minimum.reduce([self._pad(s.low, 0.0) for s in inner_obs.values()])
            high = np.maximum.reduce([self._pad(s.high, 1.0) for s in inner_obs.values()])
        low[self.n_features :] = 0.0
        high[self.n_features :] = 1.0
        self._obs_space = spaces.Box(low, high, dtype=np.float32)
        self._act_space = spaces.Box(-1.0, 1.0, (max(self._width.values()),), np.float32)

    # -- PettingZoo API -------------------------------------------------------------
    def observation_space(self, agent: str) -> spaces.Box:
        """The shared observation space (the same object for every agent)."""
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Box:
        """The shared action space (the same object for every agent)."""
        return self._act_space

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Reset the market; ``seed=None`` continues a seeded stream."""
        obs, infos = self.env.reset(seed=seed, options=options)
        self.agents = list(self.env.agents)
        return {a: self.observe(a, o) for a, o in obs.items()}, infos

    def step(self, actions: dict[str, np.ndarray]) -> tuple[
        dict[str, np.ndarray],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:  # fmt: skip
        """One period: each agent's action cut to its own width, padded observations out."""
        inner = {a: np.asarray(act, np.float32)[: self._width[a]] for a, act in actions.items()}
        obs, rewards, terms, truncs, infos = self.env.step(inner)
        for agent in infos:
            if truncs.get(agent, False) and not terms.get(agent, False):
                infos[agent][TRUNCATED_KEY] = True
        self.agents = list(self.env.agents)
        return {a: self.observe(a, o) for a, o in obs.items()}, rewards, terms, truncs, infos

    def render(self) -> str | np.ndarray | None:
        """The inner environment's rendering."""
        return self.env.render()

    def close(self) -> None:
        """Close the inner environment."""
        self.env.close()

    def state(self) -> np.ndarray:
        """The inner environment's global state."""
        return self.env.state()

    # -- helpers --------------------------------------------------------------------
    def observe(self, agent: str, raw: np.ndarray) -> np.ndarray:
        """An agent's raw observation -> the shared layout (scaled, padded, role one-hot)."""
        x = scale_box(self._inner_obs[agent], raw) if self.scale_obs else raw
        return np.concatenate([self._pad(x, 0.0), self._indicator[agent]]).astype(np.float32)

    def _pad(self, x: np.ndarray, fill: float) -> np.ndarray:
        out = np.full(self.n_features, fill, np.float32)
        out[: x.shape[0]] = x
        return out


class SeedOnReset(VecEnvWrapper):
    """Gives SuperSuit's stable-baselines3 vector env the ``seed()`` that SB3 calls.

    SuperSuit's wrapper forwards ``seed`` to a gymnasium vector env that has none
    (``AttributeError`` from ``PPO(..., seed=s)``). Here ``seed(s)`` is kept for the next
    ``reset()``, which seeds market ``i`` with ``s + i``; later resets pass no seed, so
    each market continues its seeded stream.
    """

    def __init__(self, venv: VecEnv) -> None:
        super().__init__(venv)
        self._seed: int | None = None

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Seed the markets at the next reset."""
        self._seed = seed
        return [None] * self.num_envs

    def reset(self) -> np.ndarray:
        """Reset every market (seeded if :meth:`seed` was called since the last reset)."""
        if self._seed is None:
            return self.venv.reset()
        obs, infos = self.venv.venv.reset(seed=self._seed)  # SuperSuit's gymnasium level
        self.venv.reset_infos = self.reset_infos = infos
        self._seed = None
        return obs

    def step_wait(self) -> Any:
        """As the wrapped env."""
        return self.venv.step_wait()


def make_vec_env(
    config: Any = "small",
    n_copies: int = 1,
    seed: int | None = 0,
    monitor: bool = True,
    **env_kwargs: Any,
) -> Any:
    """The tutorial stack: ``SharedSpacesEnv`` -> SuperSuit vector env -> ``VecMonitor``.

    Args:
        config: scenario.
        n_copies: markets side by side (``concat_vec_envs_v1``); the VecEnv has
            ``n_copies x agents`` sub-environments, one per (market, agent).
        seed: market ``i`` is seeded ``seed + i`` once; later resets continue its stream.
        monitor: wrap in stable-baselines3's ``VecMonitor`` (episode returns logged).
        **env_kwargs: passed to :class:`SharedSpacesEnv`.

    Returns:
        A stable-baselines3 ``VecEnv``.
    """
    import supersuit as ss
    from stable_baselines3.common.vec_env import VecMonitor

    env = SharedSpacesEnv(config, **env_kwargs)
    vec = ss.pettingzoo_env_to_vec_env_v1(env)
    vec = SeedOnReset(ss.concat_vec_envs_v1(vec, n_copies, base_class="stable_baselines3"))
    vec.seed(seed)
    return VecMonitor(vec) if monitor else vec


def evaluate_shared(
    model: Any,
    config: Any = "small",
    episodes: int = 2,
    seed: int = 1000,
    deterministic: bool = True,
    **env_kwargs: Any,
) -> dict[str, dict[str, float]]:
    """Play ``model`` in every seat; mean episode return per agent.

    Returns:
        ``{agent: {"return": learning-or-raw return, "return_raw": currency}}`` averaged
        over ``episodes`` episodes seeded ``seed, seed + 1, ...``.
    """
    env = SharedSpacesEnv(config, **env_kwargs)
    totals = {a: {"return": 0.0, "return_raw": 0.0} for a in env.possible_agents}
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        while env.agents:
            agents = list(obs)
            batch = np.stack([obs[a] for a in agents])
            actions, _ = model.predict(batch, deterministic=deterministic)
            obs, rewards, _, _, infos = env.step(dict(zip(agents, actions, strict=True)))
            for agent in agents:
                totals[agent]["return"] += rewards[agent] / episodes
                totals[agent]["return_raw"] += infos[agent]["reward_raw"] / episodes
    env.close()
    return totals

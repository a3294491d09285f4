"""Ray RLlib on elecbay: a multi-agent env, one PPO module per role, training and saving.

RLlib's stock ``ParallelPettingZooEnv`` runs on elecbay but fails silently (issue 13):
currency rewards keep the value function at its clip, ``render()`` raises through the
wrapper, torch's default thread pool fights Numba for the cores, and RLlib seeds vector
copies ``seed + worker_index + i``, so copy 1 of runner 1 repeats copy 0 of runner 2.
:class:`ElecbayMultiAgentEnv` is RLlib's ``MultiAgentEnv`` over
:class:`~elecbay_env.envs.parallel.ElecbayParallelEnv` that fixes each:

* rewards are ``reward_mode="learning"`` (order one per agent and day;
  :mod:`elecbay_env.rewards`), observations scaled from their Box bounds to [-1, 1],
  prices decoded over the learner's range (0 to 500 per MWh by default), as
  ``elecbay train``;
* a reset with seed ``s`` seeds the market with ``s + (SEED_STRIDE - 1) * worker_index``:
  with RLlib's ``config.debugging(seed=S)`` copy ``i`` of runner ``w`` plays
  ``S + SEED_STRIDE * w + i`` (distinct for up to ``SEED_STRIDE`` copies per runner);
  a first reset without a seed uses ``env_config["seed"]``; later resets continue the
  seeded stream, so sampling repeats run after run;
* ``render()`` returns the market's rendering (``env_config["render_mode"]``);
* torch and Numba run one thread in each process that builds the env
  (``env_config["torch_threads"]``, default 1).

:func:`ppo_config` builds a ``PPOConfig`` with one module per role present in the
scenario (``producer``, ``consumer``, ``broker``; the agents of a role share it) and
:func:`train_rllib` trains it and writes a folder that ``rllib:DIR`` replays
(:mod:`elecbay_train.rllib_policy`). Install: ``docs/learning_libraries.md`` (its own
virtual environment: ``ray[rllib]`` pins gymnasium 1.2.2).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces
from ray.rllib.env.multi_agent_env import MultiAgentEnv

from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.roles import ROLES, role_of

from .transforms import DEFAULT_PRICE_RANGE, LearnerSpec, scale_box, scenario_hash

SEED_STRIDE = 10_000
"""Seeds between two env runners: runner ``w``'s copy ``i`` plays ``seed + w * 10 000 + i``."""
CHECKPOINT_DIR = "checkpoint"
"""Where :func:`train_rllib` saves the algorithm inside its output folder."""
ENV_KEYS = ("scenario", "seed", "reward_mode", "scale_obs", "price_range", "max_cycles",
            "render_mode", "torch_threads", "overrides")  # fmt: skip
"""Keys of ``env_config`` that :class:`ElecbayMultiAgentEnv` reads."""


def limit_threads(torch_threads: int = 1) -> None:
    """Give torch ``torch_threads`` intra-op threads and Numba one thread, in this process."""
    import numba
    import torch

    torch.set_num_threads(int(torch_threads))
    numba.set_num_threads(1)


class ElecbayMultiAgentEnv(MultiAgentEnv):
    """elecbay as an RLlib ``MultiAgentEnv`` (module doc).

    Args:
        config: RLlib's ``env_config`` (an ``EnvContext`` on env runners, which also
            carries ``worker_index``) or a dict with the keys of :data:`ENV_KEYS`:
            ``scenario`` (default ``"small"``), ``seed`` (first reset without a seed;
            None: fresh entropy), ``reward_mode`` (``"learning"``), ``scale_obs``
            (True), ``price_range`` ((0, 500) per MWh), ``max_cycles`` (periods per
            episode, None: the scenario's), ``render_mode`` (None, ``"ansi"``,
            ``"rgb_array"``), ``torch_threads`` (1; None leaves threads alone) and
            ``overrides`` (dotted scenario overrides).

    Observations are float32 rows in [-1, 1] (F,) per agent; actions Box(-1, 1, (A,))
    of the agent's role; rewards per agent and period (learning units, or currency
    with ``reward_mode="raw"``); infos as the parallel env's (plain floats).
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi", "rgb_array", "human"], "render_fps": 4}  # noqa: RUF012

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        cfg = dict(config or {})
        unknown = sorted(set(cfg) - set(ENV_KEYS))
        if unknown:
            raise ValueError(f"env_config keys {unknown}: allowed keys are {list(ENV_KEYS)}")
        self.worker_index = int(getattr(config, "worker_index", 0) or 0)
        if cfg.get("torch_threads", 1) is not None:
            limit_threads(cfg.get("torch_threads", 1))
        price_range = cfg.get("price_range", DEFAULT_PRICE_RANGE)
        self.env = ElecbayParallelEnv(
            cfg.get("scenario", "small"),
            render_mode=cfg.get("render_mode"),
            price_range=None if price_range is None else tuple(price_range),
            max_cycles=cfg.get("max_cycles"),
            reward_mode=cfg.get("reward_mode", "learning"),
            **dict(cfg.get("overrides") or {}),
        )
        self.render_mode = self.env.render_mode
        self.scale_obs = bool(cfg.get("scale_obs", True))
        self.first_seed = cfg.get("seed")
        self._seeded = False
        self.possible_agents = list(self.env.possible_agents)
        self.agents = list(self.possible_agents)
        self._agent_ids = set(self.possible_agents)
        self._raw_spaces = dict(self.env.observation_spaces)
        self.observation_spaces = {
            a: spaces.Box(-1.0, 1.0, s.shape, np.float32) if self.scale_obs else s
            for a, s in self._raw_spaces.items()
        }
        self.action_spaces = dict(self.env.action_spaces)
        self.observation_space = spaces.Dict(self.observation_spaces)
        self.action_space = spaces.Dict(self.action_spaces)

    def market_seed(self, seed: int | None) -> int | None:
        """The market's seed for a reset with ``seed`` (module doc); None: continue."""
        if seed is None and not self._seeded and self.first_seed is not None:
            seed = int(self.first_seed)
        if seed is None:
            return None
        return int(seed) + (SEED_STRIDE - 1) * self.worker_index

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Start an episode (seeding: module doc); observations and infos per agent."""
        market = self.market_seed(seed)
        self._seeded = self._seeded or market is not None
        obs, infos = self.env.reset(seed=market, options=options)
        self.agents = list(self.env.agents)
        return self._observe(obs), infos

    def step(self, action_dict: Mapping[str, np.ndarray]) -> tuple[dict, dict, dict, dict, dict]:
        """One period; ``__all__`` flags the end of the episode (always a truncation)."""
        obs, rewards, terms, truncs, infos = self.env.step(dict(action_dict))
        terms["__all__"] = bool(terms) and all(terms.values())
        truncs["__all__"] = bool(truncs) and all(truncs.values())
        self.agents = list(self.env.agents)
        return self._observe(obs), rewards, terms, truncs, infos

    def render(self) -> str | np.ndarray | None:
        """The market's rendering (``render_mode`` of ``env_config``)."""
        return self.env.render()

    def close(self) -> None:
        """Release the market's rendering resources."""
        self.env.close()

    def _observe(self, obs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not self.scale_obs:
            return {a: np.asarray(o, np.float32) for a, o in obs.items()}
        return {a: scale_box(self._raw_spaces[a], o) for a, o in obs.items()}


def policy_mapping_fn(agent_id: str, episode: Any = None, **kwargs: Any) -> str:
    """The module of an agent: its role (``producer_3`` -> ``"producer"``)."""
    return role_of(agent_id)


def role_spaces(env: ElecbayMultiAgentEnv) -> dict[str, tuple[spaces.Box, spaces.Box]]:
    """(observation, action) spaces per role present in ``env``, in :data:`ROLES` order."""
    out = {}
    for role in ROLES:
        agents = [a for a in env.possible_agents if role_of(a) == role]
        if agents:
            out[role] = (env.observation_spaces[agents[0]], env.action_spaces[agents[0]])
    return out


def ppo_config(
    env_config: Mapping[str, Any] | None = None,
    seed: int = 0,
    num_env_runners: int = 0,
    envs_per_runner: int = 1,
    train_batch_size: int = 384,
    minibatch_size: int = 128,
    num_epochs: int = 4,
    lr: float = 3e-4,
) -> Any:
    """A ``PPOConfig`` for elecbay: one module per role, seeded, torch on one thread.

    Args:
        env_config: :class:`ElecbayMultiAgentEnv`'s config; its ``seed`` is set to ``seed``.
        seed: RLlib's seed (env runners, torch) and the markets' first seed.
        num_env_runners: remote sampling processes (0: sample in the driver).
        envs_per_runner: markets each runner steps (RLlib's vector of copies).
        train_batch_size: agent-steps per iteration, over every module (RLlib counts
            agent steps in multi-agent batches).
        minibatch_size, num_epochs, lr: PPO's (SGD minibatch in agent-steps, passes, step size).
    """
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    cfg = {"scenario": "small", **dict(env_config or {}), "seed": int(seed)}
    probe = ElecbayMultiAgentEnv({**cfg, "torch_threads": None})
    modules = {
        role: RLModuleSpec(observation_space=obs, action_space=act)
        for role, (obs, act) in role_spaces(probe).items()
    }
    probe.close()
    return (
        PPOConfig()
        .environment(ElecbayMultiAgentEnv, env_config=cfg)
        .framework("torch")
        .env_runners(
            num_env_runners=int(num_env_runners),
            num_envs_per_env_runner=int(envs_per_runner),
            num_cpus_per_env_runner=1,
        )
        .multi_agent(policies=set(modules), policy_mapping_fn=policy_mapping_fn)
        .rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs=modules))
        .training(
            train_batch_size_per_learner=int(train_batch_size),
            minibatch_size=int(minibatch_size),
            num_epochs=int(num_epochs),
            lr=lr,
        )
        .debugging(seed=int(seed), log_level="ERROR")
        .reporting(metrics_num_episodes_for_smoothing=1)
    )


def module_stats(result: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """Per module: value loss (clipped and not), explained variance, policy loss and the
    mean episode return of its agents, from one ``algo.train()`` result."""
    learners = result.get("learners", {})
    returns = result.get("env_runners", {}).get("module_episode_returns_mean", {})
    out = {}
    for module, stats in learners.items():
        if module.startswith("__") or not isinstance(stats, Mapping) or "vf_loss" not in stats:
            continue
        out[module] = {
            "vf_loss": float(stats["vf_loss"]),
            "vf_loss_unclipped": float(stats.get("vf_loss_unclipped", np.nan)),
            "vf_explained_var": float(stats.get("vf_explained_var", np.nan)),
            "policy_loss": float(stats.get("policy_loss", np.nan)),
            "return_mean": float(returns.get(module, np.nan)),
        }
    return out


def save_contracts(folder: str | Path, env_config: Mapping[str, Any]) -> list[Path]:
    """Write ``folder/<role>/elecbay.json`` (:class:`LearnerSpec`, ``algo="rllib-ppo"``)
    for every role of the scenario: what ``rllib:DIR`` checks before replaying."""
    env = ElecbayMultiAgentEnv({**dict(env_config), "torch_threads": None})
    price_range = env_config.get("price_range", DEFAULT_PRICE_RANGE)
    written = []
    for role, (obs, act) in role_spaces(env).items():
        agents = tuple(a for a in env.possible_agents if role_of(a) == role)
        spec = LearnerSpec(
            price_range=tuple(price_range), scale_obs=env.scale_obs, role=role, agents=agents,
            config=str(env_config.get("scenario", "small")), algo="rllib-ppo",
            extra={"checkpoint": f"../{CHECKPOINT_DIR}", "module": role},
            obs_shape=tuple(obs.shape), action_shape=tuple(act.shape),
            scenario=env.env.scenario.name, scenario_hash=scenario_hash(env.env.scenario),
        )  # fmt: skip
        (Path(folder) / role).mkdir(parents=True, exist_ok=True)
        written.append(spec.save(Path(folder) / role))
    env.close()
    return written


def train_rllib(
    out: str | Path,
    iterations: int = 2,
    env_config: Mapping[str, Any] | None = None,
    seed: int = 0,
    num_env_runners: int = 0,
    envs_per_runner: int = 1,
    address: str | None = None,
    **ppo: Any,
) -> dict[str, Any]:
    """Train PPO (one module per role) and save it into ``out`` for ``rllib:DIR``.

    Args:
        out: folder: ``checkpoint/`` (the algorithm), ``<role>/elecbay.json`` (contracts)
            and ``progress.jsonl`` (:func:`module_stats` per iteration).
        iterations: ``algo.train()`` calls.
        address: a running Ray cluster (``ray://host:10001`` or ``host:6379``); None
            starts a local Ray on this machine (loopback, no dashboard, usage stats off).
        **ppo: passed to :func:`ppo_config`.

    Returns:
        ``{"iterations": [...module_stats...], "checkpoint": path}``.
    """
    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    started = False
    if not ray.is_initialized():
        ray.init(**init_kwargs(address, num_cpus=max(2, num_env_runners + 1)))
        started = True
    limit_threads((env_config or {}).get("torch_threads") or 1)  # the learner, in this process
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = ppo_config(env_config, seed, num_env_runners, envs_per_runner, **ppo)
    algo = config.build_algo()
    history = []
    try:
        with (out / "progress.jsonl").open("w") as log:
            for i in range(int(iterations)):
                stats = module_stats(algo.train())
                history.append(stats)
                log.write(json.dumps({"iteration": i + 1, "modules": stats}) + "\n")
        checkpoint = out / CHECKPOINT_DIR
        algo.save_to_path(str(checkpoint.resolve()))
        save_contracts(out, config.env_config)
    finally:
        algo.stop()
        if started:
            ray.shutdown()
    return {"iterations": history, "checkpoint": checkpoint}


def init_kwargs(address: str | None, num_cpus: int = 2) -> dict[str, Any]:
    """``ray.init`` arguments: join ``address``, or start a local loopback Ray."""
    if address:
        return {"address": address, "log_to_driver": False}
    return {"address": "local", "num_cpus": int(num_cpus), "_node_ip_address": "127.0.0.1",
            "include_dashboard": False, "log_to_driver": False}  # fmt: skip

"""A BenchMARL task for elecbay (needs ``benchmarl``; see docs/learning_libraries.md).

BenchMARL pins torchrl below 0.12, so it lives in a virtual environment of its own::

    python -m venv .venv-benchmarl
    .venv-benchmarl/bin/python -m pip install -c constraints.txt -e '.[train]' benchmarl

:class:`ElecbayTask` builds elecbay's parallel env in TorchRL's ``PettingZooWrapper``
with one group per space: ``trader`` (producers and consumers) and ``broker``. Rewards
are ``reward_mode="learning"`` by default; actions are continuous (Box) only. Every
flat info field reaches ``(group, "info", key)``. Used by
``scripts/library_snippets.py benchmarl``, which runs a short BenchMARL experiment on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarl.environments.common import TaskClass
from tensordict import TensorDictBase
from torchrl.data import Composite
from torchrl.envs import EnvBase
from torchrl.envs.libs.pettingzoo import PettingZooWrapper

import elecbay_env
from elecbay_env.envs.spaces import space_role

DEFAULTS: dict[str, Any] = {"scenario": "small", "reward_mode": "learning", "max_cycles": None}


def role_groups(agents: list[str]) -> dict[str, list[str]]:
    """Agents grouped by space: ``{"trader": producers and consumers, "broker": [...]}``."""
    groups: dict[str, list[str]] = {"trader": [], "broker": []}
    for agent in agents:
        groups[space_role(agent)].append(agent)
    return groups


def _keep(spec: Composite, groups: list[str], key: str) -> Composite:
    """A copy of ``spec`` with only ``(group, key)`` entries (the state dropped)."""
    out = spec.clone()
    for group in groups:
        for name in list(out[group].keys()):
            if name != key:
                del out[group][name]
    if "state" in out.keys():
        del out["state"]
    return out


class ElecbayTask(TaskClass):
    """elecbay as a BenchMARL task.

    Config keys: ``scenario`` (a shipped name or YAML path; default ``"small"``),
    ``reward_mode`` (default ``"learning"``), ``max_cycles`` (periods per episode; None:
    the scenario's), and any dotted scenario override under ``overrides`` (a dict).
    """

    def __init__(self, name: str = "elecbay", config: dict[str, Any] | None = None) -> None:
        super().__init__(name, {**DEFAULTS, **(config or {})})

    def make_pettingzoo(self) -> Any:
        """The elecbay parallel env this task wraps."""
        cfg = self.config
        return elecbay_env.parallel_env(
            cfg["scenario"],
            reward_mode=cfg["reward_mode"],
            max_cycles=cfg["max_cycles"],
            **dict(cfg.get("overrides") or {}),
        )

    def get_env_fun(
        self, num_envs: int, continuous_actions: bool, seed: int | None, device: Any
    ) -> Callable[[], EnvBase]:
        """A function returning the wrapped env (BenchMARL batches it with SerialEnv)."""
        if not continuous_actions:
            raise ValueError("elecbay's actions are continuous (Box): use continuous_actions")

        def make() -> EnvBase:
            pz = self.make_pettingzoo()
            return PettingZooWrapper(
                pz,
                group_map=role_groups(pz.possible_agents),
                use_mask=False,
                return_state=True,
                categorical_actions=False,
                seed=seed,
                device=device,
            )

        return make

    def supports_continuous_actions(self) -> bool:
        return True

    def supports_discrete_actions(self) -> bool:
        return False

    def max_steps(self, env: EnvBase) -> int:
        return int(self.make_pettingzoo().num_periods)

    def has_render(self, env: EnvBase) -> bool:
        return False

    def group_map(self, env: EnvBase) -> dict[str, list[str]]:
        return env.group_map

    def observation_spec(self, env: EnvBase) -> Composite:
        return _keep(env.observation_spec, list(env.group_map), "observation")

    def info_spec(self, env: EnvBase) -> Composite | None:
        return _keep(env.observation_spec, list(env.group_map), "info")

    def state_spec(self, env: EnvBase) -> Composite | None:
        return Composite({"state": env.observation_spec["state"].clone()})

    def action_spec(self, env: EnvBase) -> Composite:
        return env.full_action_spec

    def action_mask_spec(self, env: EnvBase) -> Composite | None:
        return None

    @staticmethod
    def env_name() -> str:
        return "elecbay"

    @staticmethod
    def log_info(batch: TensorDictBase) -> dict[str, float]:
        """Mean clearing price of the batch, logged by BenchMARL beside the returns."""
        key = ("next", "broker", "info", "clearing_price")
        if key not in batch.keys(True, True):
            return {}
        return {"elecbay/clearing_price": float(batch.get(key).float().mean())}

"""``rllib:DIR``: replay a folder from ``elecbay train --backend rllib`` in any seat.

The folder holds the RLlib algorithm checkpoint (``checkpoint/``) and one contract per
role (``<role>/elecbay.json``, a :class:`~elecbay_train.transforms.LearnerSpec` with
``algo="rllib-ppo"``). :func:`load_rllib_policy` checks the contract of the seat's role
against the seat (role, observation and action shapes, scenario hash; refused with a
``ValueError`` naming the folder and the seat), loads only that role's module from
``checkpoint/learner_group/learner/rl_module/<role>`` (once per process and folder)
and wraps it in :class:`~elecbay_train.transforms.TrainedPolicy`, which scales the raw
observation to [-1, 1], asks the module and re-encodes the action from the learner's
price range (0 to 500 per MWh by default) into the environment's.

``deterministic=True`` (what tournaments use) plays the mean of the module's Gaussian,
clipped to [-1, 1]; ``deterministic=False`` samples it with torch's global generator.
Loading needs ``ray[rllib]`` and torch (the rllib virtual environment,
``docs/learning_libraries.md``); nothing here starts Ray.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from elecbay_env.roles import role_of

from .transforms import ActionBridge, LearnerSpec, TrainedPolicy

MODULE_DIR = ("checkpoint", "learner_group", "learner", "rl_module")
"""Path of the role modules inside a training folder."""


class RLlibModel:
    """An RLlib ``RLModule`` answering stable-baselines3's ``predict`` (batch first).

    Args:
        module: a torch RLModule with a continuous (Gaussian) action distribution.
    """

    def __init__(self, module: Any) -> None:
        self.module = module

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """Actions (A,) or (K, A) in [-1, 1] for scaled observations (F,) or (K, F)."""
        import torch

        x = np.asarray(observation, np.float32)
        single = x.ndim == 1
        batch = torch.from_numpy(np.ascontiguousarray(x[None] if single else x))
        with torch.no_grad():
            out = self.module.forward_inference({"obs": batch})
            dist = self.module.get_inference_action_dist_cls().from_logits(
                out["action_dist_inputs"]
            )
            if deterministic:
                dist = dist.to_deterministic()
            action = dist.sample().cpu().numpy()
        action = np.clip(action, -1.0, 1.0).astype(np.float32)
        return (action[0] if single else action), state


@functools.lru_cache(maxsize=16)
def _module(path: str, mtime_ns: int) -> Any:
    """Load a role's module once per unchanged folder (every seat of the role shares it)."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    module = RLModule.from_checkpoint(path)
    module.eval()
    return module


def load_rllib_policy(
    path: str | Path, env: Any, agent: str, allow_scenario_mismatch: bool = False
) -> TrainedPolicy:
    """The policy of ``agent`` (its role's module) from an RLlib training folder.

    Args:
        path: the folder ``elecbay train --backend rllib`` wrote.
        env: the :class:`~elecbay_env.envs.parallel.ElecbayParallelEnv` it plays in.
        agent: the seat.
        allow_scenario_mismatch: play on another scenario (warns).

    Raises:
        ValueError: no such folder, no module for the seat's role, or a contract that
            does not fit the seat (role, shapes, scenario).
    """
    folder = Path(path).expanduser()
    role = role_of(agent)
    if not folder.is_dir():
        raise ValueError(f"rllib model {str(path)!r}: no such folder")
    spec = LearnerSpec.load(folder / role)
    module_dir = folder.joinpath(*MODULE_DIR, role)
    if spec is None or not module_dir.is_dir():
        trained = sorted(p.parent.name for p in folder.glob("*/elecbay.json"))
        raise ValueError(
            f"rllib model {str(path)!r} in seat {agent}: no {role} module "
            f"(the folder has {', '.join(trained) or 'none'})"
        )
    spec.check_seat(folder / role, env, agent, allow_scenario_mismatch)
    module = _module(str(module_dir.resolve()), module_dir.stat().st_mtime_ns)
    row = env.possible_agents.index(agent)
    bridge = ActionBridge(env.engine.params, env.codec, spec.price_range)
    learner, env_codec = bridge.agent(row, role)
    return TrainedPolicy(RLlibModel(module), spec, env.observation_space(agent), learner, env_codec)

"""The AEC form: the parallel environment through PettingZoo's ``parallel_to_aec``.

Agents act in agent-id order within a period; the period clears once every agent has
acted, so the AEC and parallel forms give the same markets for the same actions. Each
action is checked when it is given (not only when the period clears), so a bad action
raises ``ValueError`` naming its agent at once and is not buffered.
"""

from __future__ import annotations

from typing import Any

from pettingzoo.utils import BaseWrapper, parallel_to_aec, wrappers
from pettingzoo.utils.env import AECEnv

from ..config import Scenario
from .parallel import ElecbayParallelEnv


class _CheckActions(BaseWrapper):
    """Validate each agent's action as it arrives (dead agents step with None)."""

    def __init__(self, aec: AECEnv, parallel: ElecbayParallelEnv) -> None:
        super().__init__(aec)
        self._parallel = parallel

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if action is not None or not (
            self.terminations.get(agent, False) or self.truncations.get(agent, False)
        ):
            self._parallel.check_action(agent, action)
        super().step(action)


def raw_env(config: Scenario | str | dict[str, Any] | None = None, **kwargs: Any) -> AECEnv:
    """The AEC environment with per-action checks, without order enforcing."""
    parallel = ElecbayParallelEnv(config, **kwargs)
    return _CheckActions(parallel_to_aec(parallel), parallel)


def env(config: Scenario | str | dict[str, Any] | None = None, **kwargs: Any) -> AECEnv:
    """The AEC environment (arguments as :class:`ElecbayParallelEnv`), with
    PettingZoo's order enforcing wrapper."""
    return wrappers.OrderEnforcingWrapper(raw_env(config, **kwargs))

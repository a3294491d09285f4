"""The AEC form: the parallel environment through PettingZoo's ``parallel_to_aec``.

Agents act in agent-id order within a period; the period clears once every agent has
acted, so the AEC and parallel forms give the same markets for the same actions.
"""

from __future__ import annotations

from typing import Any

from pettingzoo.utils import parallel_to_aec, wrappers
from pettingzoo.utils.env import AECEnv

from ..config import Scenario
from .parallel import ElecbayParallelEnv


def env(config: Scenario | str | dict[str, Any] | None = None, **kwargs: Any) -> AECEnv:
    """The AEC environment (arguments as :class:`ElecbayParallelEnv`), with
    PettingZoo's order enforcing wrapper."""
    aec = parallel_to_aec(ElecbayParallelEnv(config, **kwargs))
    return wrappers.OrderEnforcingWrapper(aec)


def raw_env(config: Scenario | str | dict[str, Any] | None = None, **kwargs: Any) -> AECEnv:
    """The AEC environment without wrappers."""
    return parallel_to_aec(ElecbayParallelEnv(config, **kwargs))

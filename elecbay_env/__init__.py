"""elecbay: a multi-agent reinforcement-learning environment of an electricity market.

Public names (stable): :func:`parallel_env`, :func:`env`, :func:`clear`,
:func:`clear_batch`, :func:`clear_zonal`, :func:`clear_zonal_batch`,
:func:`load_scenario`, :class:`Engine`.
"""

from __future__ import annotations

from .clearing import BatchClearingResult, ClearingResult, clear, clear_batch
from .config import Scenario, ScenarioError, load_scenario
from .engine import Engine
from .envs.aec import env, raw_env
from .envs.parallel import ElecbayParallelEnv, parallel_env
from .zonal import (
    BatchZonalClearingResult,
    ZonalClearingResult,
    clear_zonal,
    clear_zonal_batch,
)

__all__ = [
    "BatchClearingResult",
    "BatchZonalClearingResult",
    "ClearingResult",
    "ElecbayParallelEnv",
    "Engine",
    "Scenario",
    "ScenarioError",
    "ZonalClearingResult",
    "clear",
    "clear_batch",
    "clear_zonal",
    "clear_zonal_batch",
    "env",
    "load_scenario",
    "parallel_env",
    "raw_env",
]
__version__ = "0.2.0"

SINGLE_AGENT_ID = "elecbay/SingleAgent-v0"
"""Gymnasium id of the single-seat view (``elecbay_train.single_agent.SingleAgentEnv``):
``gymnasium.make(SINGLE_AGENT_ID, config="small", agent="producer_0")``."""


def _register() -> None:
    import gymnasium

    if SINGLE_AGENT_ID not in gymnasium.registry:
        gymnasium.register(
            id=SINGLE_AGENT_ID,
            entry_point="elecbay_train.single_agent:SingleAgentEnv",
            disable_env_checker=False,
        )


_register()

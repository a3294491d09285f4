"""Every agent's policy acting for E markets at once (the batched evaluation loops)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def batched_actions(
    policies: Mapping[str, Any],
    agents: Sequence[str],
    obs: np.ndarray,
    widths: Mapping[str, int],
    states: dict[str, Any],
    first: bool,
    width: int,
) -> np.ndarray:
    """The ``(E, N, width)`` action block of one period.

    Args:
        policies: each agent's policy (``predict(obs, state, episode_start,
            deterministic)``, as stable-baselines3).
        agents: the N agent ids in engine row order.
        obs: ``(E, N, F)`` observations; agent ``i`` sees ``obs[:, i, :widths[agent]]``.
        widths: each agent's observation width.
        states: each agent's recurrent state, updated in place.
        first: whether this is the episode's first period.
        width: the codec's action width (entries an agent does not fill stay 0).
    """
    e = obs.shape[0]
    actions = np.zeros((e, len(agents), width))
    start = np.full(e, first)
    for i, a in enumerate(agents):
        act, states[a] = policies[a].predict(
            obs[:, i, : widths[a]], states[a], episode_start=start, deterministic=True
        )
        act = np.asarray(act, np.float64).reshape(e, -1)
        actions[:, i, : act.shape[1]] = act
    return actions

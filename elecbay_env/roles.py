"""Roles, agent ids and participant rows.

Rows are in agent-id order: producers ``producer_0 .. producer_{P-1}`` (in the order
of the scenario's ``producers`` list), consumers ``consumer_0 ..``, then ``broker_0``
last. Every per-participant array has N = P + C + 1 rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from .schema import Scenario

Role = Literal["producer", "consumer", "broker", "virtual"]
ROLES: tuple[Role, ...] = ("producer", "consumer", "broker")
"""The market's roles (rows). ``virtual`` (ids ``virtual_<v>``) is the role of a virtual
participant's seat, which has no row (elecbay_env/envs/virtual_seats.py)."""


def agent_ids(n_producers: int, n_consumers: int) -> list[str]:
    """Agent ids in row order."""
    return (
        [f"producer_{i}" for i in range(n_producers)]
        + [f"consumer_{i}" for i in range(n_consumers)]
        + ["broker_0"]
    )


def role_of(agent_id: str) -> Role:
    """The role of an agent id (``"producer_3"`` -> ``"producer"``)."""
    role, _, index = agent_id.rpartition("_")
    if (role not in ROLES and role != "virtual") or not index.isdigit():
        raise ValueError(
            f"agent id {agent_id!r}: expected producer_<i>, consumer_<i>, broker_0 or virtual_<v>"
        )
    return role  # type: ignore[return-value]


def role_mask(agents: list[str], role: Role) -> np.ndarray:
    """(N,) bool: the rows of one role."""
    return np.array([role_of(a) == role for a in agents])


def asset_names(scenario: Scenario) -> dict[str, str]:
    """Each agent id, in row order, mapped to the name of what it trades: the scenario's
    producers and consumers by their ``name``, and ``"balancing"`` for ``broker_0``."""
    names = [p.name for p in scenario.producers] + [c.name for c in scenario.consumers]
    ids = agent_ids(len(scenario.producers), len(scenario.consumers))
    return dict(zip(ids, [*names, "balancing"], strict=True))

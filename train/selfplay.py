"""Self-play against a pool of past snapshots, for roles that learn together.

Every ``snapshot_every`` updates the trainer puts a frozen copy of each role's current
policy into that role's :class:`SnapshotPool`. At the start of each episode, for each
role and each market independently, with probability ``prob`` the role's seats in that
market are played by a snapshot drawn uniformly from the role's pool (once the pool is
not empty) instead of by its current policy. The other roles' learners then face an
opponent that reacted to earlier versions of themselves, rather than one that moves in
step with them; the seats played by a snapshot give no training samples to their role
(their actions are not the current policy's, so PPO's ratios would be wrong).

Snapshots act with the mode of their action distribution (``deterministic=True``), as a
saved model plays in ``elecbay evaluate``. Draws come from one ``numpy`` generator
seeded by the run's seed: the same seed gives the same assignments.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

CURRENT = -1
"""Assignment of a market whose role is played by the current (learning) policy."""


class SnapshotPool:
    """Frozen past policies per role, and the per-episode draw of who plays.

    Args:
        roles: the learning roles.
        prob: probability (0 to 1) that a role's seats in a market are played by a
            snapshot for one episode (once its pool is not empty).
        max_size: snapshots kept per role (the oldest is dropped first); >= 1.
        seed: seeds the draws.
    """

    def __init__(self, roles: Sequence[str], prob: float = 0.5, max_size: int = 10,
                 seed: int = 0) -> None:  # fmt: skip
        if not 0.0 <= float(prob) <= 1.0:
            raise ValueError(f"pool probability {prob}: must be between 0 and 1")
        if int(max_size) < 1:
            raise ValueError(f"pool size {max_size}: must be at least 1")
        self.prob = float(prob)
        self.max_size = int(max_size)
        self.rng = np.random.default_rng(seed)
        self.snapshots: dict[str, list[Any]] = {r: [] for r in roles}
        self.taken_at: dict[str, list[int]] = {r: [] for r in roles}

    def __len__(self) -> int:
        """Snapshots of the first role (every role is snapshot together)."""
        return len(next(iter(self.snapshots.values()), []))

    def add(self, role: str, policy: Any, update: int) -> None:
        """Keep a frozen copy of ``policy`` (an SB3 policy module) taken after ``update``."""
        frozen = type(policy)(**policy._get_constructor_parameters())
        frozen.load_state_dict(copy.deepcopy(policy.state_dict()))
        frozen.set_training_mode(False)
        for p in frozen.parameters():
            p.requires_grad_(False)
        self.snapshots[role].append(frozen)
        self.taken_at[role].append(int(update))
        if len(self.snapshots[role]) > self.max_size:
            self.snapshots[role].pop(0)
            self.taken_at[role].pop(0)

    def draw(self, n_markets: int) -> dict[str, np.ndarray]:
        """Who plays each role in each market this episode: (E,) per role, with
        :data:`CURRENT` for the current policy or an index into the role's pool."""
        out = {}
        for role, pool in self.snapshots.items():
            use = self.rng.random(n_markets) < self.prob
            pick = self.rng.integers(0, max(len(pool), 1), n_markets)
            out[role] = np.where(use & (len(pool) > 0), pick, CURRENT).astype(np.int64)
        return out

    def act(self, role: str, index: int, obs: np.ndarray) -> np.ndarray:
        """Actions (K, A) of snapshot ``index`` of ``role`` for observations (K, F)."""
        actions, _ = self.snapshots[role][index].predict(obs, deterministic=True)
        return np.asarray(actions, np.float64)

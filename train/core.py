"""The training core: E markets on the batched engine, learners in some seats.

:class:`TrainingCore` steps E markets of one scenario at once. Some agents are
**seats** (the learners: one agent, or every agent of a role); every other agent
follows a fixed policy from the registry, asked once per step for all E markets
(batch first). Both trainer views sit on it: :class:`~elecbay_train.vec_env.RoleVecEnv`
(a stable-baselines3 ``VecEnv`` of E x S sub-environments) and
:class:`~elecbay_train.single_agent.SingleAgentEnv` (a Gymnasium ``Env``: E = 1, one
seat). Market ``e`` is seeded ``seed + e``, as in the engine, so a core of E markets
makes the same transitions as E single-agent environments seeded ``seed + e``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from elecbay_env.config import Scenario
from elecbay_env.engine import Engine
from elecbay_env.envs.codecs import Codec
from elecbay_env.envs.day_ahead_phase import gate_orders
from elecbay_env.envs.observations import observe, row_bounds
from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.episodes import visible_forecast
from elecbay_env.rewards import learning_rewards, reward_scale
from elecbay_env.roles import ROLES, role_of

from .transforms import ActionBridge, LearnerSpec, scale_box


def resolve_seats(agents: Sequence[str], seats: str | Sequence[str]) -> list[str]:
    """Agent ids of the learners: a role name (every agent of it), an agent id, or a list.

    Raises:
        ValueError: a name that is neither a role nor an agent, or seats of two
            action spaces (traders and the broker cannot share a network).
    """
    names = [seats] if isinstance(seats, str) else list(seats)
    out: list[str] = []
    for name in names:
        if name in ROLES:
            out += [a for a in agents if role_of(a) == name]
        elif name in agents:
            out.append(name)
        else:
            raise ValueError(f"seat {name!r}: expected a role {ROLES} or one of {list(agents)}")
    if not out:
        raise ValueError(f"seats={seats!r}: no agent matches")
    kinds = {role_of(a) == "broker" for a in out}
    if len(kinds) > 1:
        raise ValueError(f"seats={seats!r}: traders and the broker have different spaces")
    return list(dict.fromkeys(out))


class TrainingCore:
    """E markets with learners in ``seats`` and fixed ``opponents`` elsewhere.

    Args:
        config: the scenario (name, path, dict, Scenario or None for the default).
        seats: the learners: a role, an agent id or a list of agent ids.
        n_markets: E.
        opponents: policy specs for everyone else, keyed by agent id, role or "*"
            (the registry's syntax); the baseline by default.
        seed: market ``e`` is seeded ``seed + e`` at the first reset.
        spec: the learner's observation scaling and price range.
        overrides: dotted scenario overrides, and the env's keyword arguments
            (``reward_mode="learning"``, ``split="train"``).
    """

    def __init__(
        self,
        config: Scenario | str | dict[str, Any] | None = None,
        seats: str | Sequence[str] = "producer_0",
        n_markets: int = 1,
        opponents: Mapping[str, str] | None = None,
        seed: int = 0,
        spec: LearnerSpec | None = None,
        **overrides: Any,
    ) -> None:
        self.template = ElecbayParallelEnv(config, **overrides)
        scenario = self.template.scenario
        self.engine = Engine(scenario, n_markets=n_markets, keep_ledger=False, validate=False)
        self.agents = list(self.engine.agents)
        self.seats = resolve_seats(self.agents, seats)
        row_of = {a: i for i, a in enumerate(self.agents)}
        self.seat_rows = np.array([row_of[a] for a in self.seats])
        role = role_of(self.seats[0])
        self.spec = spec or LearnerSpec(role=role, agents=tuple(self.seats))
        self.observation_space = self.template.observation_space(self.seats[0])
        self.action_space = self.template.action_space(self.seats[0])
        self.obs_width = self.observation_space.shape[0]
        self.act_width = self.action_space.shape[0]
        tc = self.template.codec
        self.codec = Codec(self.engine.params, price_range=tc.price_range, avail_hi=tc.avail_hi)
        self.bridge = ActionBridge(self.engine.params, self.codec, self.spec.price_range)
        self._bounds = row_bounds(self.engine.params)
        self.reward_mode = self.template.reward_mode
        self._scale = reward_scale(self.engine.params)
        self.seed = int(seed)
        self.episode = 0
        self._opponent_spec = dict(opponents or {})
        self.opponents = self._make_opponents(self.seed)
        self._opp_state: dict[str, Any] = {}
        self._obs = np.zeros((n_markets, len(self.agents), 0), np.float32)
        self.last_outcome = None

    @property
    def n_markets(self) -> int:
        """E."""
        return self.engine.n_markets

    def _make_opponents(self, seed: int) -> dict[str, Any]:
        from elecbay_agents.registry import make_policies

        policies = make_policies(self.template, self._opponent_spec, seed=seed)
        return {a: p for a, p in policies.items() if a not in self.seats}

    def reset(self, seed: int | None = None) -> np.ndarray:
        """Start an episode in every market; returns the seats' observations (E, S, F)."""
        if seed is not None:
            self.seed = int(seed)
            self.episode = 0
        base = self.seed + self.episode * self.n_markets
        self.engine.reset(seed=base)
        self.episode += 1
        self._opp_state = dict.fromkeys(self.opponents)
        self._episode_start = True
        self._standing = None  # orders standing for a day-ahead gate (docs/day_ahead.md)
        self._obs = observe(self.engine.params, self.engine.state, self._bounds)
        return self.seat_obs()

    def seat_obs(self) -> np.ndarray:
        """(E, S, F) the learners' observations (scaled if the spec says so)."""
        raw = self._obs[:, self.seat_rows, : self.obs_width]
        return scale_box(self.observation_space, raw) if self.spec.scale_obs else raw.copy()

    def _opponent_actions(self, actions: np.ndarray) -> None:
        fixed_policy_actions(self, actions)

    def step(self, seat_actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """One period in every market.

        Args:
            seat_actions: (E, S, A) the learners' actions in [-1, 1] (learner codec).

        Returns:
            (observations (E, S, F) of the next period, rewards (E, S) in currency (or
            learning units with ``reward_mode="learning"``),
            whether the episode has ended in every market).
        """
        a = np.asarray(seat_actions, np.float64)
        if a.shape != (self.n_markets, len(self.seats), self.act_width):
            raise ValueError(
                f"actions: expected shape {(self.n_markets, len(self.seats), self.act_width)},"
                f" got {a.shape}"
            )
        if not np.all(np.isfinite(a)):
            raise ValueError("actions: every value must be finite")
        actions = np.zeros((self.n_markets, len(self.agents), self.codec.width))
        actions[:, self.seat_rows, : self.act_width] = a
        actions = self.bridge.to_env(actions, self.seat_rows)
        self._opponent_actions(actions)
        self._episode_start = False
        learning = self.reward_mode == "learning"
        if learning:
            seen = visible_forecast(self.engine.params, self.engine.state, int(self.engine.t[0]))
        self._standing = gate_orders(self.engine, self.codec.decode(actions), self._standing)
        out = self.engine.step(self._standing)
        self.last_outcome = out
        self._obs = observe(self.engine.params, self.engine.state, self._bounds)
        if learning:
            scaled = learning_rewards(self.engine.params, out.reward, seen, self._scale)
            rewards = scaled[:, self.seat_rows]
        else:
            rewards = out.reward[:, self.seat_rows].copy()
        done = bool(np.all(self.engine.t >= self.engine.n_periods))
        return self.seat_obs(), rewards, done


def fixed_policy_actions(core: Any, actions: np.ndarray) -> None:
    """Write the fixed opponents' actions into ``actions`` (E, N, W), in place.

    ``core`` is a training core (:class:`TrainingCore` or the multi-role core): it holds
    ``opponents`` (agent -> policy), their recurrent ``_opp_state``, the last
    observations ``_obs`` (E, N, F), ``agents``, ``template`` and ``_episode_start``.
    Each opponent's row and observation width are looked up once per opponent set
    (a list search per agent and period made a step O(N^2) at thousands of agents).
    """
    start = np.full(core.n_markets, core._episode_start)
    for agent, row, width in _opponent_rows(core):
        policy = core.opponents[agent]
        act, core._opp_state[agent] = policy.predict(
            core._obs[:, row, :width],
            state=core._opp_state[agent],
            episode_start=start,
            deterministic=True,
        )
        act = np.asarray(act, np.float64).reshape(core.n_markets, -1)
        actions[:, row, : act.shape[1]] = act


def _opponent_rows(core: Any) -> list[tuple[str, int, int]]:
    """(agent, engine row, observation width) of each opponent, cached on ``core`` until
    its opponent set changes."""
    keys = tuple(core.opponents)
    cached = getattr(core, "_opponent_rows_cache", None)
    if cached is None or cached[0] != keys:
        row_of = {a: i for i, a in enumerate(core.agents)}
        rows = [(a, row_of[a], int(core.template.observation_space(a).shape[0])) for a in keys]
        cached = core._opponent_rows_cache = (keys, rows)
    return cached[1]

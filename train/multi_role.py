"""Several roles learning at once on one batched engine.

:class:`MultiRoleCore` steps E markets of one scenario together, as
:class:`~elecbay_train.core.TrainingCore` does, but with **one group of learner seats
per role** (every producer, every consumer, the broker). Each period the trainer hands
it one action array per role; the core maps them through the learner codec, asks the
fixed policies of any agent outside the learning roles, steps the engine **once** for
all E markets and hands back one observation and one reward array per role.

:class:`RoleView` is a stable-baselines3 ``VecEnv`` *view* of one role: its
sub-environments are the role's (market, seat) pairs, ``index = e * S + s``, as in
:class:`~elecbay_train.vec_env.RoleVecEnv`, so one SB3 model per role is built on it
(parameter sharing inside a role). A view is not stepped on its own: the roles share
the engine, so :class:`~elecbay_train.selfplay.MultiRoleTrainer` steps the core in
lockstep and fills each model's rollout buffer itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from elecbay_env.config import Scenario
from elecbay_env.engine import Engine
from elecbay_env.envs.codecs import Codec
from elecbay_env.envs.day_ahead_phase import gate_orders
from elecbay_env.envs.observations import observe, row_bounds
from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.episodes import visible_forecast
from elecbay_env.orders import Orders
from elecbay_env.period import PeriodOutcome
from elecbay_env.rewards import learning_rewards, reward_scale
from elecbay_env.roles import ROLES, role_of

from .core import fixed_policy_actions
from .transforms import DEFAULT_PRICE_RANGE, ActionBridge, LearnerSpec, scale_box, scaled_space


def parse_learners(text: str | Sequence[str]) -> list[str]:
    """Roles from ``"producer,consumer,broker"`` (or ``"all"``), in :data:`ROLES` order.

    Raises:
        ValueError: an unknown role, or none.
    """
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in names if n.strip()]
    if names == ["all"]:
        return list(ROLES)
    bad = [n for n in names if n not in ROLES]
    if bad or not names:
        raise ValueError(f"--learners {text!r}: expected roles from {ROLES} (or 'all')")
    return [r for r in ROLES if r in names]


class RoleGroup:
    """The learner seats of one role in a :class:`MultiRoleCore`.

    Attributes:
        role: the role name.
        seats: its agent ids.
        rows: their rows in the engine (S,).
        observation_space: the raw observation Box of one seat.
        action_space: the action Box of one seat ([-1, 1], learner codec).
        spec: the learner spec (scaling, price range, contract) saved with its model.
    """

    def __init__(self, role: str, core: MultiRoleCore, spec: LearnerSpec) -> None:
        self.role = role
        self.seats = [a for a in core.agents if role_of(a) == role]
        if not self.seats:
            raise ValueError(f"role {role!r}: the scenario has no such agent")
        row_of = {a: i for i, a in enumerate(core.agents)}
        self.rows = np.array([row_of[a] for a in self.seats])
        self.observation_space = core.template.observation_space(self.seats[0])
        self.action_space = core.template.action_space(self.seats[0])
        self.obs_width = int(self.observation_space.shape[0])
        self.act_width = int(self.action_space.shape[0])
        self.spec = spec

    @property
    def n_seats(self) -> int:
        """S, the role's seats per market."""
        return len(self.seats)

    @property
    def learner_space(self) -> spaces.Box:
        """The observation Box its network sees ([-1, 1] when scaled)."""
        if self.spec.scale_obs:
            return scaled_space(self.observation_space)
        return self.observation_space


class MultiRoleCore:
    """E markets with every agent of ``roles`` learning and fixed ``opponents`` elsewhere.

    Args:
        config: the scenario (name, path, dict, Scenario or None for the default).
        roles: the learning roles (a subset of :data:`ROLES`).
        n_markets: E, markets stepped at once.
        opponents: policy specs of agents outside ``roles`` (the registry's syntax);
            the baseline by default.
        seed: market ``e`` is seeded ``seed + e`` at the first reset, then each
            episode continues with ``seed + episode x E + e``.
        price_range: the learners' price range, currency per MWh.
        scale_obs: learners see observations scaled to [-1, 1].
        **overrides: dotted scenario overrides and the env's keyword arguments
            (``reward_mode="learning"``, ``split="train"``).
    """

    def __init__(
        self,
        config: Scenario | str | dict[str, Any] | None = None,
        roles: Sequence[str] = ROLES,
        n_markets: int = 2,
        opponents: Mapping[str, str] | None = None,
        seed: int = 0,
        price_range: tuple[float, float] = DEFAULT_PRICE_RANGE,
        scale_obs: bool = True,
        **overrides: Any,
    ) -> None:
        from .transforms import scenario_hash

        self.template = ElecbayParallelEnv(config, **overrides)
        scenario = self.template.scenario
        self.engine = Engine(scenario, n_markets=n_markets, keep_ledger=False, validate=False)
        self.agents = list(self.engine.agents)
        self.groups: dict[str, RoleGroup] = {}
        for role in parse_learners(list(roles)):
            seats = tuple(a for a in self.agents if role_of(a) == role)
            obs = self.template.observation_space(seats[0]) if seats else None
            act = self.template.action_space(seats[0]) if seats else None
            spec = LearnerSpec(
                price_range=(float(price_range[0]), float(price_range[1])),
                scale_obs=scale_obs, role=role, agents=seats,
                config=config if isinstance(config, str) or config is None else scenario.name,
                algo="ppo", extra={"overrides": overrides, "multi_role": list(roles)},
                obs_shape=None if obs is None else tuple(int(n) for n in obs.shape),
                action_shape=None if act is None else tuple(int(n) for n in act.shape),
                scenario=scenario.name, scenario_hash=scenario_hash(scenario),
            )  # fmt: skip
            self.groups[role] = RoleGroup(role, self, spec)
        self.learner_rows = np.concatenate([g.rows for g in self.groups.values()])
        tc = self.template.codec
        self.codec = Codec(self.engine.params, price_range=tc.price_range, avail_hi=tc.avail_hi)
        self.bridge = ActionBridge(self.engine.params, self.codec, price_range)
        self._bounds = row_bounds(self.engine.params)
        self.reward_mode = self.template.reward_mode
        self._scale = reward_scale(self.engine.params)
        self.seed = int(seed)
        self.episode = 0
        self._opponent_spec = dict(opponents or {})
        from elecbay_agents.registry import make_policies

        policies = make_policies(self.template, self._opponent_spec, seed=self.seed)
        learners = set(self.learner_rows.tolist())
        row_of = {a: i for i, a in enumerate(self.agents)}
        self.opponents = {a: p for a, p in policies.items() if row_of[a] not in learners}
        self._opp_state: dict[str, Any] = {}
        self._obs = np.zeros((n_markets, len(self.agents), 0), np.float32)
        self._episode_start = True
        self.last_outcome: PeriodOutcome | None = None
        self.last_orders: Orders | None = None
        self.last_raw_reward: np.ndarray | None = None

    @property
    def n_markets(self) -> int:
        """E."""
        return self.engine.n_markets

    @property
    def n_periods(self) -> int:
        """Periods per episode."""
        return int(self.engine.n_periods)

    def reset(self, seed: int | None = None) -> dict[str, np.ndarray]:
        """Start an episode in every market; each role's observations (E, S, F)."""
        if seed is not None:
            self.seed = int(seed)
            self.episode = 0
        self.engine.reset(seed=self.seed + self.episode * self.n_markets)
        self.episode += 1
        self._opp_state = dict.fromkeys(self.opponents)
        self._episode_start = True
        self._standing: Orders | None = None  # orders standing for a day-ahead gate
        self._obs = observe(self.engine.params, self.engine.state, self._bounds)
        return self.role_obs()

    def role_obs(self) -> dict[str, np.ndarray]:
        """Each role's observations (E, S, F), scaled if its spec says so."""
        out = {}
        for role, g in self.groups.items():
            raw = self._obs[:, g.rows, : g.obs_width]
            out[role] = scale_box(g.observation_space, raw) if g.spec.scale_obs else raw.copy()
        return out

    def _opponent_actions(self, actions: np.ndarray) -> None:
        fixed_policy_actions(self, actions)

    def step(
        self, role_actions: Mapping[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], bool]:
        """One period in every market: the engine steps once for every role.

        Args:
            role_actions: per role, (E, S, A) actions in [-1, 1] (learner codec).

        Returns:
            (observations per role (E, S, F) of the next period, rewards per role (E, S)
            in learning units with ``reward_mode="learning"`` or currency with ``"raw"``,
            whether the episode has ended in every market). The raw (E, N) rewards,
            currency, stay in :attr:`last_raw_reward`.
        """
        actions = np.zeros((self.n_markets, len(self.agents), self.codec.width))
        for role, g in self.groups.items():
            a = np.asarray(role_actions[role], np.float64)
            want = (self.n_markets, g.n_seats, g.act_width)
            if a.shape != want:
                raise ValueError(f"actions of {role}: expected shape {want}, got {a.shape}")
            if not np.all(np.isfinite(a)):
                raise ValueError(f"actions of {role}: every value must be finite")
            actions[:, g.rows, : g.act_width] = a
        actions = self.bridge.to_env(actions, self.learner_rows)
        self._opponent_actions(actions)
        self._episode_start = False
        learning = self.reward_mode == "learning"
        if learning:
            seen = visible_forecast(self.engine.params, self.engine.state, int(self.engine.t[0]))
        self.last_orders = gate_orders(self.engine, self.codec.decode(actions), self._standing)
        self._standing = self.last_orders
        out = self.engine.step(self.last_orders)
        self.last_outcome = out
        self.last_raw_reward = np.asarray(out.reward, np.float64).copy()
        self._obs = observe(self.engine.params, self.engine.state, self._bounds)
        if learning:
            every = learning_rewards(self.engine.params, out.reward, seen, self._scale)
        else:
            every = self.last_raw_reward
        rewards = {role: every[:, g.rows].copy() for role, g in self.groups.items()}
        done = bool(np.all(self.engine.t >= self.engine.n_periods))
        return self.role_obs(), rewards, done


class RoleView(VecEnv):
    """One role of a :class:`MultiRoleCore` as an SB3 ``VecEnv`` (E x S sub-envs).

    It carries the spaces and the number of sub-environments an SB3 model is built
    with; stepping goes through the trainer, which steps every role in lockstep.
    """

    metadata = {"render_modes": []}  # noqa: RUF012 - stable-baselines3's attribute

    def __init__(self, core: MultiRoleCore, role: str) -> None:
        self.core = core
        self.group = core.groups[role]
        super().__init__(
            core.n_markets * self.group.n_seats, self.group.learner_space, self.group.action_space
        )
        self.render_mode = None

    def reset(self) -> np.ndarray:
        """The role's current observations (E x S, F); does not reset the markets."""
        return self.core.role_obs()[self.group.role].reshape(self.num_envs, -1)

    def step_async(self, actions: np.ndarray) -> None:
        """Not available: the roles share the engine (use the trainer)."""
        raise RuntimeError("a RoleView is stepped by MultiRoleTrainer, in lockstep")

    def step_wait(self):
        """Not available (see :meth:`step_async`)."""
        raise RuntimeError("a RoleView is stepped by MultiRoleTrainer, in lockstep")

    def close(self) -> None:
        """Nothing to release."""

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """The core is seeded by the trainer; nothing to do here."""
        return [seed] * self.num_envs

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        """An attribute of the view or its core, once per sub-environment."""
        value = getattr(self, attr_name, None)
        if value is None:
            value = getattr(self.core, attr_name, None)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        """Set an attribute on the core."""
        setattr(self.core, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs):
        """Call a method of the core once per sub-environment."""
        method = getattr(self.core, method_name)
        return [method(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        """No sub-environment is wrapped."""
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        """No images."""
        return [None for _ in range(self.num_envs)]

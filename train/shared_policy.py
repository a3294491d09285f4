"""One network for every prosumer of a community: parameter sharing across many agents.

:class:`SharedProsumerEnv` is a stable-baselines3 ``VecEnv`` on the batched training
core (:class:`~elecbay_train.core.TrainingCore`): its sub-environments are the
(market, prosumer) pairs of E markets of a ``community`` scenario
(:func:`elecbay_env.community.community_scenario`), ``index = e * S + s``, so one
policy network acts for all S prosumers of all E markets, and one engine call steps
them all. The retailer rows and the broker keep their baseline policies.

**What the network sees** (:data:`SHARED_FEATURES`, one row per prosumer, every value
of order one): the time of day, the last clearing and imbalance prices (divided by
:data:`REF_PRICE`), the community's renewable surplus, the prosumer's own state
relative to its own size (forecast, level, headroom and last contract over its MW,
state of charge), its value or cost, the rule's bid (below), and a **role indicator**:
a one-hot of its asset kind (:data:`KINDS`: household load, rooftop solar, home
battery, EV, heat pump). Sizes differ by a lognormal factor across prosumers, so
quantities are shares of the prosumer's own MW, not MW.

**What it does** (residual on a rule, after Silver et al. 2018 and Johannink et al.
2019, "residual policy learning"): each prosumer has a **rule** (home batteries the
self-consumption rule, every other prosumer the truthful ``merit_order`` bid); the
network's action ``a`` in [-1, 1]^(2B) is added, times ``residual_scale``, to the
rule's step prices and quantities in the environment's codec (``[-1, 1]`` over the
price floor to cap and the row's MW range), and clipped. Reserve entries stay the
rule's (none). An action of zero is the rule exactly, so a zero-residual line-up *is*
the self-consumption line-up (a test checks it bit for bit).

**Reward** of seat ``i``: its profit (currency) divided by
``q_i x period_h x max(REF_PRICE, own value or cost)`` (``q_i`` its MW), so a 0.8 kW
home and a 5 kW battery teach the shared network on the same scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from elecbay_env.config import Scenario
from elecbay_env.envs.observations import TRADER_FEATURES
from elecbay_env.kernels import kinds as asset_kinds
from elecbay_env.roles import asset_names, role_of

from .core import TrainingCore
from .transforms import LearnerSpec

KINDS = ("home", "solar", "battery", "ev", "heat_pump")
"""Prosumer asset kinds of the community scenario (the role indicator's one-hot order)."""
RULES = {"battery": "self_consumption"}
"""The rule of each kind the residual is added to; kinds not listed bid ``merit_order``."""
REF_PRICE = 200.0
"""Currency per MWh that prices are divided by in the features and rewards."""
BASE_FEATURES = (
    "time_sin", "time_cos", "progress", "last_price", "last_imbalance_price", "net_surplus",
    "own_forecast", "own_level", "own_headroom", "own_soc", "own_last_contract",
    "own_last_imbalance", "own_value", "is_producer",
)  # fmt: skip
"""Per-prosumer features before the rule's bid and the kind one-hot (module doc)."""
_F = {name: TRADER_FEATURES.index(name) for name in TRADER_FEATURES}


def shared_features(bid_steps: int) -> tuple[str, ...]:
    """Names of every feature the network sees, in order, for ``bid_steps`` steps."""
    rule = tuple(f"rule_price_{k}" for k in range(bid_steps))
    rule += tuple(f"rule_qty_{k}" for k in range(bid_steps))
    return BASE_FEATURES + rule + tuple(f"kind_{k}" for k in KINDS)


def prosumer_kinds(scenario: Scenario) -> dict[str, str]:
    """Agent id -> asset kind (:data:`KINDS`) of every prosumer row of a community.

    The kind is the asset name without its ``_<j>`` suffix (``battery_7`` -> battery);
    rows of another name (the retailer, the broker) are left out.
    """
    out = {}
    for agent, name in asset_names(scenario).items():
        kind = name.rpartition("_")[0]
        if kind in KINDS:
            out[agent] = kind
    return out


class SharedProsumerEnv(VecEnv):
    """E markets x S prosumers sharing one network (module doc).

    Args:
        scenario: a community scenario (:func:`~elecbay_env.community.community_scenario`).
        n_markets: E, markets stepped at once.
        seed: market ``e`` is seeded ``seed + e`` at the first reset, then
            ``seed + episode x E + e`` (as :class:`~elecbay_train.core.TrainingCore`).
        kinds: the kinds that learn (default every prosumer); other rows play their rule.
        residual_scale: how far (in codec units, [-1, 1] spans the range) the network
            may move the rule's prices and quantities; 0 plays the rule.
        **overrides: the env's keyword arguments, e.g. ``split="test"``.

    Raises:
        ValueError: no prosumer of ``kinds``, an unknown kind, or a negative scale.
    """

    metadata = {"render_modes": []}  # noqa: RUF012 - stable-baselines3's attribute

    def __init__(
        self,
        scenario: Scenario,
        n_markets: int = 8,
        seed: int = 0,
        kinds: Sequence[str] = KINDS,
        residual_scale: float = 0.5,
        **overrides: Any,
    ) -> None:
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise ValueError(f"kinds={list(kinds)!r}: allowed values are {KINDS}")
        if not (np.isfinite(residual_scale) and residual_scale >= 0):
            raise ValueError(f"residual_scale={residual_scale!r}: allowed range is [0, inf)")
        self.residual_scale = float(residual_scale)
        kind_of = prosumer_kinds(scenario)
        seats = [a for a, k in kind_of.items() if k in kinds]
        if not seats:
            raise ValueError(f"kinds={list(kinds)!r}: the scenario has no such prosumer")
        rules = {a: RULES.get(k, "merit_order") for a, k in kind_of.items()}
        # the learner codec is the environment's (floor to cap): the bridge is exact
        market = scenario.market
        spec = LearnerSpec(
            price_range=(market.price_floor_per_mwh, market.price_cap_per_mwh),
            scale_obs=False, role="prosumer", agents=tuple(seats),
        )  # fmt: skip
        self.core = TrainingCore(scenario, seats, n_markets, rules, seed, spec, **overrides)
        core = self.core
        self.seats = seats
        self.kinds = [kind_of[a] for a in seats]
        self.n_seats = len(seats)
        self.bid_steps = core.codec.bid_steps
        from elecbay_agents.registry import make_policies

        self.rules = make_policies(core.template, {a: rules[a] for a in seats}, seed=seed)
        self._rule_state: dict[str, Any] = dict.fromkeys(seats)
        params = core.engine.params
        rows = core.seat_rows
        self.period_h = float(params.period_h)
        self._cap = np.maximum(params.cap_mw[0, rows], 1e-9)
        value = np.where(
            params.kind[0, rows] == asset_kinds.CONSUMER,
            params.value_per_mwh[0, rows], params.cost_per_mwh[0, rows],
        )  # fmt: skip
        value = np.abs(np.asarray(value, float))
        self._reward_norm = self._cap * self.period_h * np.maximum(REF_PRICE, value)
        self._value = np.log1p(value / REF_PRICE)
        self._producer = np.array([role_of(a) == "producer" for a in seats], np.float32)
        self._onehot = np.zeros((self.n_seats, len(KINDS)), np.float32)
        self._onehot[np.arange(self.n_seats), [KINDS.index(k) for k in self.kinds]] = 1.0
        self.feature_names = shared_features(self.bid_steps)
        width = len(self.feature_names)
        obs_space = spaces.Box(-np.inf, np.inf, (width,), np.float32)
        act_space = spaces.Box(-1.0, 1.0, (2 * self.bid_steps,), np.float32)
        super().__init__(n_markets * self.n_seats, obs_space, act_space)
        self.render_mode = None
        self._actions: np.ndarray | None = None
        self._seed: int | None = None
        self._rule_actions = np.zeros((n_markets, self.n_seats, core.act_width))
        self._episode_reward = np.zeros(self.num_envs)
        self._episode_length = 0
        self.episode_profit = np.zeros((n_markets, self.n_seats))
        """(E, S) currency each prosumer made so far this episode (raw, not scaled)."""
        self.last_episode_profit = np.zeros((n_markets, self.n_seats))
        """(E, S) currency each prosumer made in the last finished episode."""

    # -- features and actions -----------------------------------------------------------
    def _rule(self) -> np.ndarray:
        """(E, S, A) the rules' actions (environment codec) for the coming period."""
        core = self.core
        start = np.full(core.n_markets, core._episode_start)
        out = self._rule_actions
        for s, agent in enumerate(self.seats):
            act, self._rule_state[agent] = self.rules[agent].predict(
                core._obs[:, core.seat_rows[s], : core.obs_width],
                state=self._rule_state[agent], episode_start=start, deterministic=True,
            )  # fmt: skip
            out[:, s, :] = np.asarray(act, np.float64).reshape(core.n_markets, -1)
        return out

    def features(self) -> np.ndarray:
        """(E, S, F') the network's features for the coming period (module doc)."""
        core = self.core
        raw = core._obs[:, core.seat_rows, : core.obs_width].astype(np.float64)
        cap = self._cap
        demand, renew = raw[..., _F["demand_forecast"]], raw[..., _F["renewable_forecast"]]
        b = self.bid_steps
        rule = self._rule()[:, :, : 2 * b]
        cols = [
            raw[..., _F["time_sin"]], raw[..., _F["time_cos"]], raw[..., _F["progress"]],
            raw[..., _F["last_price"]] / REF_PRICE,
            np.clip(raw[..., _F["last_imbalance_price"]] / REF_PRICE, -10.0, 10.0),
            (renew - demand) / np.maximum(renew + demand, 1e-9),
            raw[..., _F["own_forecast"]] / cap, raw[..., _F["own_level"]] / cap,
            raw[..., _F["own_headroom"]] / cap, raw[..., _F["own_soc"]],
            raw[..., _F["own_last_contract"]] / cap,
            np.clip(raw[..., _F["own_last_imbalance"]] / (cap * self.period_h), -10.0, 10.0),
            np.broadcast_to(self._value, demand.shape),
            np.broadcast_to(self._producer, demand.shape),
        ]  # fmt: skip
        e = core.n_markets
        onehot = np.broadcast_to(self._onehot, (e, *self._onehot.shape))
        out = np.concatenate([np.stack(cols, axis=-1), rule, onehot], axis=-1)
        return out.astype(np.float32)

    def to_env_actions(self, residual: np.ndarray) -> np.ndarray:
        """(E, S, A) environment actions: the rules' plus ``residual_scale`` x ``residual``
        (E, S, 2B) on the step prices and quantities, clipped to [-1, 1]."""
        out = self._rule_actions.copy()
        b2 = 2 * self.bid_steps
        r = np.clip(np.asarray(residual, np.float64), -1.0, 1.0)
        out[:, :, :b2] = np.clip(out[:, :, :b2] + self.residual_scale * r, -1.0, 1.0)
        return out

    # -- VecEnv API ---------------------------------------------------------------------
    def reset(self) -> np.ndarray:
        """Start an episode in every market; (E x S, F') features."""
        self.core.reset(self._seed)
        self._seed = None
        self._rule_state = dict.fromkeys(self.seats)
        self._episode_reward[:] = 0.0
        self._episode_length = 0
        self.episode_profit[:] = 0.0
        return self.features().reshape(self.num_envs, -1)

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the residuals (E x S, 2B) for :meth:`step_wait`."""
        self._actions = np.asarray(actions)

    def step_wait(self):
        """Step every market; autoreset them all when the episode ends."""
        if self._actions is None:
            raise RuntimeError("step_async() must come before step_wait()")
        a = self._actions.reshape(self.core.n_markets, self.n_seats, -1)
        self._actions = None
        _, profit, done = self.core.step(self.to_env_actions(a))
        self.episode_profit += profit
        rewards = (profit / self._reward_norm).reshape(self.num_envs).astype(np.float32)
        self._episode_reward += rewards
        self._episode_length += 1
        obs = self.features().reshape(self.num_envs, -1)
        dones = np.full(self.num_envs, done)
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if done:
            self.last_episode_profit = self.episode_profit.copy()
            for i in range(self.num_envs):
                infos[i] = {
                    "terminal_observation": obs[i],
                    "TimeLimit.truncated": True,
                    "episode": {"r": float(self._episode_reward[i]), "l": self._episode_length},
                }
            obs = self.reset()
        return obs, rewards, dones, infos

    def close(self) -> None:
        """Nothing to release."""

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seed the next reset: market ``e`` gets ``seed + e``."""
        self._seed = seed
        return [seed] * self.num_envs

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        """The attribute of the env (or of its core), once per sub-environment."""
        value = getattr(self, attr_name, None)
        if value is None:
            value = getattr(self.core, attr_name, None)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        """Set an attribute on the env (shared by every sub-environment)."""
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs):
        """Call a method of the env once per sub-environment."""
        method = getattr(self, method_name)
        return [method(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        """No sub-environment is wrapped."""
        return [False for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        """No images: the VecEnv does not render."""
        return [None for _ in range(self.num_envs)]


def play_day(env: SharedProsumerEnv, model: Any | None = None, seed: int = 0) -> dict[str, Any]:
    """One episode in each of ``env``'s E markets, seeded ``seed + e``.

    ``model`` (a stable-baselines3 model) acts deterministically; ``None`` plays the
    rules (zero residual). Markets with the same seed draw the same date and the same
    forecast errors whoever acts, so two line-ups are paired by seed and day.

    Returns:
        ``{"profit": (E, S) currency per prosumer, "row_profit": (E, N) currency per
        agent (every row, learning or not), "ledger": (E, S, C) currency per
        prosumer and settlement component (:data:`elecbay_env.ledger.COMPONENTS`, +
        received), "price": (E,) mean clearing price (currency per MWh), "dates": E ISO
        dates (or "")}``.
    """
    env.seed(seed)
    obs = env.reset()
    core = env.core
    dates = [str(d) if str(d) != "NaT" else "" for d in core.engine.dates]
    zero = np.zeros((env.num_envs, 2 * env.bid_steps), np.float32)
    ledger, price, rows, periods = 0.0, 0.0, 0.0, 0
    while True:
        act = zero if model is None else model.predict(obs, deterministic=True)[0]
        env.step_async(act)
        obs, _, dones, _ = env.step_wait()
        out = core.last_outcome
        ledger = ledger + out.ledger_amount[:, core.seat_rows]
        price = price + out.forward_ref_price
        rows = rows + out.reward
        periods += 1
        if dones[0]:
            return {
                "profit": env.last_episode_profit.copy(), "row_profit": rows, "ledger": ledger,
                "price": price / periods, "dates": dates,
            }  # fmt: skip


def train_shared(
    scenario: Scenario,
    steps: int,
    n_markets: int = 8,
    seed: int = 0,
    kinds: Sequence[str] = KINDS,
    residual_scale: float = 0.5,
    threads: int = 1,
    **overrides: Any,
) -> Any:
    """Train one PPO network for every prosumer of ``scenario``; returns the model.

    Args:
        scenario: a community scenario.
        steps: market-periods per market (E x S samples each); rounded up to whole
            episodes.
        n_markets: E.
        seed: seeds the markets (``seed + e``) and the network's initialisation.
        kinds, residual_scale: as :class:`SharedProsumerEnv`.
        threads: torch threads.
        **overrides: the env's keyword arguments (``split="train"``).
    """
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(int(threads))
    env = SharedProsumerEnv(scenario, n_markets, seed, kinds, residual_scale, **overrides)
    horizon = int(env.core.engine.n_periods)
    n = env.num_envs * horizon
    model = PPO(
        "MlpPolicy", env, n_steps=horizon, batch_size=max(64, n // 8), n_epochs=5,
        learning_rate=3e-4, gamma=0.98, gae_lambda=0.95, ent_coef=0.0, seed=seed,
        policy_kwargs={"net_arch": [64, 64], "log_std_init": -1.0}, device="cpu", verbose=0,
    )  # fmt: skip
    episodes = max(1, -(-int(steps) // horizon))
    model.learn(total_timesteps=episodes * n)
    return model

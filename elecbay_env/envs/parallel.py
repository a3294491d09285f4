"""ElecbayParallelEnv: the PettingZoo parallel API over the engine as a batch of one.

Agents: ``producer_<i>``, ``consumer_<i>``, ``broker_0``. One step is one settlement
period; an episode lasts ``days x periods_per_day`` periods and ends by truncation
(never termination). Observations, actions and rewards are documented in
:mod:`elecbay_env.envs.observations`, :mod:`elecbay_env.envs.codecs` and
``docs/environment.md``.

Rewards (per period, currency): producer = cash - production cost - start-up cost;
consumer = value of energy consumed + cash; broker = cash - cost of unserved energy
and curtailment. Cash sums to zero, so the rewards sum to the period's welfare.

``infos[agent]`` is flat and numeric, with the same keys after ``reset`` and ``step``
(``period`` -1 and zeros after a reset; every value finite, so that equality checks
hold): ``period``, ``traded`` (1.0 when the forward market traded, else 0.0),
``clearing_price`` (the period's price, or the reference price when nothing traded: the
last traded one), ``imbalance_price``, ``reward_raw`` (currency, whatever ``reward_mode``),
``amount_<component>`` for every ledger component (currency, + received) and, for
producers and consumers, ``contract_mw`` and ``imbalance_mwh``. The nested settlement
statement (``{component: {"mwh", "price", "amount"}}``, ``price`` None where none applies)
is :meth:`statement`, or ``infos[agent]["statement"]`` with ``info_statement=True``.

Bad actions: a missing or unknown agent, a wrong shape, or a NaN/inf value raises
``ValueError`` naming the agent, before the market is touched. Finite values outside
[-1, 1] are clipped (documented; stable-baselines3 clips Box actions the same way).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pettingzoo import ParallelEnv

from ..config import Scenario
from ..engine import Engine
from ..episodes import visible_forecast
from ..kernels.ledger_codes import NAMES as COMPONENTS
from ..rewards import check_reward_mode, learning_rewards, reward_scale
from ..roles import role_of
from .codecs import AgentCodec, Codec
from .day_ahead_phase import gate_orders
from .observations import observe, row_bounds
from .spaces import Spaces, space_role

ENV_NAME = "elecbay_v0"
_AMOUNT_KEYS = tuple(f"amount_{name}" for name in COMPONENTS)


class ElecbayParallelEnv(ParallelEnv):
    """The electricity market as a PettingZoo ``ParallelEnv``.

    Args:
        config: a :class:`~elecbay_env.config.Scenario`, a shipped name (``"default"``,
            ``"small"``), a YAML path, a dict, or None for the embedded default.
        render_mode: ``"ansi"`` (text summary), ``"rgb_array"`` (supply and demand
            curves with the clearing point, and the price history), ``"human"``
            (prints the ansi text) or None.
        price_range: decoded price range of actions; default the price floor and cap.
        avail_hi: highest availability price an action can state (per MW per hour).
        max_cycles: end every episode by truncation after this many periods (at most the
            scenario's ``days x periods_per_day``; None: all of them).
        reward_mode: ``"raw"`` (the default: settlement rewards in currency, summing to
            welfare) or ``"learning"`` (without terms no action changes, about order one
            per agent; :mod:`elecbay_env.rewards`).
        info_statement: also put the nested settlement statement into ``infos``.
        split: for a real-data scenario (``"gb2024"``), the split episodes' dates are drawn
            from: ``"train"``, ``"validation"``, ``"test"`` or an out-of-distribution set
            (:data:`elecbay_env.splits.SPLITS`); None keeps the scenario's ``data.split``.
        **overrides: dotted scenario overrides, e.g. ``**{"market.days": 1}``.
    """

    metadata: ClassVar[dict[str, Any]] = {
        "name": ENV_NAME,
        "render_modes": ["ansi", "rgb_array", "human"],
        "render_fps": 4,
        "is_parallelizable": True,
    }

    def __init__(
        self,
        config: Scenario | str | dict[str, Any] | None = None,
        render_mode: str | None = None,
        price_range: tuple[float, float] | None = None,
        avail_hi: float = 200.0,
        split: str | None = None,
        max_cycles: int | None = None,
        reward_mode: str = "raw",
        info_statement: bool = False,
        **overrides: Any,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r}: allowed values are "
                f"{self.metadata['render_modes']} or None"
            )
        self.render_mode = render_mode
        self.reward_mode = check_reward_mode(reward_mode)
        self.info_statement = bool(info_statement)
        self.engine = Engine(config, n_markets=1, keep_ledger=True, split=split, **overrides)
        if max_cycles is not None and (
            isinstance(max_cycles, bool) or not isinstance(max_cycles, int | np.integer)
            or max_cycles < 1
        ):  # fmt: skip
            raise ValueError(f"max_cycles={max_cycles!r}: allowed values are integers >= 1 or None")
        self.max_cycles = self.engine.n_periods if max_cycles is None else int(max_cycles)
        self.max_cycles = min(self.max_cycles, self.engine.n_periods)
        self._scale = reward_scale(self.engine.params)
        self.scenario = self.engine.scenario
        self.possible_agents = list(self.engine.agents)
        self.agents: list[str] = []
        self._row = {a: i for i, a in enumerate(self.possible_agents)}
        self._trader = {a: space_role(a) == "trader" for a in self.possible_agents}
        self.spaces = Spaces(self.engine.params, self.possible_agents)
        agents = self.possible_agents
        self.observation_spaces = {a: self.spaces.observation_space(a) for a in agents}
        self.action_spaces = {a: self.spaces.action_space(a) for a in self.possible_agents}
        self._width = {a: self.action_spaces[a].shape[0] for a in self.possible_agents}
        self.state_space = self.spaces.state
        self.codec = Codec(self.engine.params, price_range=price_range, avail_hi=avail_hi)
        self._codecs = {
            a: AgentCodec(self.codec, i, role_of(a)) for i, a in enumerate(self.possible_agents)
        }
        self._bounds = row_bounds(self.engine.params)
        self._obs = np.zeros((1, len(self.possible_agents), 0), np.float32)
        self._actions = np.zeros((1, len(self.possible_agents), self.codec.width))
        self.last_outcome = None
        self.last_orders = None
        self.history: dict[str, list[float]] = {}

    # -- PettingZoo API -------------------------------------------------------------
    def observation_space(self, agent: str):
        return self.observation_spaces[agent]

    def action_space(self, agent: str):
        return self.action_spaces[agent]

    def codec_for(self, agent: str) -> AgentCodec:
        """The agent's codec: decode its actions to MW and prices, encode bids."""
        return self._codecs[agent]

    @property
    def num_periods(self) -> int:
        """Periods in an episode (``max_cycles`` when it is shorter than the scenario's;
        PettingZoo's API test sets ``max_cycles`` as an attribute, so it is bounded here)."""
        return min(int(self.max_cycles), self.engine.n_periods)

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """Start an episode. ``seed`` seeds the market's one ``numpy.random.Generator``.

        With a real-data scenario (``gb2024``) the seed also draws the episode's first UTC
        day from the split; ``options={"date": "2024-03-05"}`` chooses it instead. Other
        option keys are ignored, as PettingZoo's API test expects.
        """
        date = (options or {}).get("date")
        self.engine.reset(seed=seed, dates=None if date is None else [date])
        self.agents = list(self.possible_agents)
        self.last_outcome = None
        self.last_orders = None
        self.history = {"price": [], "volume_mw": [], "imbalance_price": [], "niv_mwh": []}
        self._obs = observe(self.engine.params, self.engine.state, self._bounds)
        return self._agent_obs(), self._reset_infos()

    def step(self, actions: dict[str, np.ndarray]) -> tuple[
        dict[str, np.ndarray],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:  # fmt: skip
        """Run one settlement period with every agent's action."""
        if not self.agents:
            raise RuntimeError("the episode is over (or reset() was not called): call reset()")
        self._load_actions(actions)
        orders = gate_orders(self.engine, self.codec.decode(self._actions))
        t = int(self.engine.t[0])
        if self.reward_mode == "learning":
            seen = visible_forecast(self.engine.params, self.engine.state, t)
        out = self.engine.step(orders)
        self.last_orders = orders
        self.last_outcome = out
        for key in self.history:
            self.history[key].append(float(getattr(out, key)[0]))
        self._obs = observe(self.engine.params, self.engine.state, self._bounds)
        if self.reward_mode == "learning":
            scaled = learning_rewards(self.engine.params, out.reward, seen, self._scale)[0]
            rewards = {a: float(scaled[self._row[a]]) for a in self.agents}
        else:
            rewards = {a: float(out.reward[0, self._row[a]]) for a in self.agents}
        done = bool(self.engine.t[0] >= self.num_periods)
        infos = self._infos(out)
        obs = self._agent_obs()
        terminations = dict.fromkeys(self.agents, False)
        truncations = dict.fromkeys(self.agents, done)
        if done:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return obs, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """Every agent's observation, concatenated in agent-id order (float32)."""
        parts = [self._obs[0, i, : self.observation_spaces[a].shape[0]]
                 for i, a in enumerate(self.possible_agents)]  # fmt: skip
        return np.concatenate(parts).astype(np.float32)

    def render(self) -> str | np.ndarray | None:
        """Text (``ansi``/``human``) or an RGB image (``rgb_array``) of the last period."""
        if self.render_mode is None:
            return None
        from .render import render_ansi, render_rgb

        if self.render_mode == "rgb_array":
            return render_rgb(self)
        text = render_ansi(self)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        """Release rendering resources."""
        from .render import close_figures

        close_figures(self)

    # -- helpers --------------------------------------------------------------------
    def _agent_obs(self) -> dict[str, np.ndarray]:
        return {
            a: self._obs[0, self._row[a], : self.observation_spaces[a].shape[0]].copy()
            for a in self.agents
        }

    def _load_actions(self, actions: dict[str, np.ndarray]) -> None:
        if not isinstance(actions, dict):
            raise ValueError(f"actions: expected a dict of agent -> action, got {type(actions)}")
        unknown = set(actions) - set(self.agents)
        if unknown:
            raise ValueError(f"actions: unknown or finished agents {sorted(unknown)}")
        missing = [a for a in self.agents if a not in actions]
        if missing:
            raise ValueError(f"actions: missing an action for {missing}")
        buf = np.zeros_like(self._actions)
        for agent, action in actions.items():
            width = self._width[agent]
            if np.iscomplexobj(action):
                self.check_action(agent, action)  # raises: complex values
            try:
                buf[0, self._row[agent], :width] = action
            except (TypeError, ValueError):
                self.check_action(agent, action)  # raises, naming the agent
                raise
            if np.shape(action) != (width,):
                self.check_action(agent, action)
        if not np.isfinite(buf).all():
            for agent, action in actions.items():
                self.check_action(agent, action)
        self._actions = buf

    def check_action(self, agent: str, action: Any) -> np.ndarray:
        """The agent's action as float64, or ``ValueError`` naming the agent."""
        if np.iscomplexobj(action):
            raise ValueError(
                f"actions[{agent!r}]: expected real numbers in [-1, 1], got complex values"
            )
        try:
            a = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"actions[{agent!r}]: expected an array of numbers, got {type(action).__name__}"
            ) from None
        width = self.action_spaces[agent].shape[0]
        if a.shape != (width,):
            raise ValueError(f"actions[{agent!r}]: expected shape ({width},), got {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"actions[{agent!r}]: every value must be finite, in [-1, 1]; got {a}")
        return a

    def statement(self, agent: str) -> dict[str, dict[str, float | None]]:
        """The agent's settlement statement of the last period: ``{component: {"mwh",
        "price", "amount"}}`` for every component with a non-zero line (``price`` None
        where none applies); ``{}`` before the first step."""
        out = self.last_outcome
        if out is None:
            return {}
        i = self._row[agent]
        a_row, m_row = out.ledger_amount[0, i].tolist(), out.ledger_mwh[0, i].tolist()
        p_row = out.ledger_price[0, i].tolist()
        return {
            name: {"mwh": m_row[c], "price": None if p_row[c] != p_row[c] else p_row[c],
                   "amount": a_row[c]}
            for c, name in enumerate(COMPONENTS)
            if a_row[c] != 0.0 or m_row[c] != 0.0
        }  # fmt: skip

    def _reset_infos(self) -> dict[str, dict[str, Any]]:
        infos = {}
        for agent in self.agents:
            state = self.engine.state
            info: dict[str, Any] = {"period": -1, "traded": 0.0,
                                    "clearing_price": float(state.ref_price[0]),
                                    "imbalance_price": float(state.last_imbalance_price[0]),
                                    "reward_raw": 0.0}  # fmt: skip
            info.update(dict.fromkeys(_AMOUNT_KEYS, 0.0))
            if self._trader[agent]:
                info["contract_mw"] = 0.0
                info["imbalance_mwh"] = 0.0
            if self.info_statement:
                info["statement"] = {}
            infos[agent] = info
        return infos

    def _infos(self, out) -> dict[str, dict[str, Any]]:
        amount = out.ledger_amount[0].tolist()  # plain floats: much cheaper than indexing
        contract = out.contract_mw[0].tolist()
        imbalance = out.imbalance_mwh[0].tolist()
        raw = out.reward[0].tolist()
        period = int(self.engine.t[0]) - 1
        clearing, imb_price = float(out.forward_ref_price[0]), float(out.imbalance_price[0])
        traded = 1.0 if out.volume_mw[0] > 0.0 else 0.0
        infos = {}
        for agent in self.agents:
            i = self._row[agent]
            info: dict[str, Any] = {"period": period, "traded": traded, "clearing_price": clearing,
                                    "imbalance_price": imb_price, "reward_raw": raw[i]}  # fmt: skip
            info.update(zip(_AMOUNT_KEYS, amount[i], strict=True))
            if self._trader[agent]:
                info["contract_mw"] = contract[i]
                info["imbalance_mwh"] = imbalance[i]
            if self.info_statement:
                info["statement"] = self.statement(agent)
            infos[agent] = info
        return infos


def parallel_env(
    config: Scenario | str | dict[str, Any] | None = None, **kwargs: Any
) -> ElecbayParallelEnv:
    """The parallel environment (see :class:`ElecbayParallelEnv` for arguments)."""
    return ElecbayParallelEnv(config, **kwargs)

"""ElecbayParallelEnv: the PettingZoo parallel API over the engine as a batch of one.

Agents: ``producer_<i>``, ``consumer_<i>``, ``broker_0`` (and ``virtual_<v>`` when the
scenario lists ``market.day_ahead.virtuals``: :mod:`.virtual_seats`). One step is one settlement
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
With participation rules (risk limits, pre-qualification, options:
``docs/participation.md``) every info also has ``notices``, the list of sentences
saying which of the agent's orders were clipped or rejected and why (empty when none).

Many agents: the dicts are built from arrays in a few passes (one stacked array per
action width, one observation block, one table of info numbers); :meth:`step_array`
and :meth:`observation_array` skip the dicts altogether (rows in ``possible_agents``
order) and run the same period.

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
from .virtual_seats import VirtualSeats

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
        self._init_batched_paths()
        self.last_outcome = None
        self.last_orders = None
        self.history: dict[str, list[float]] = {}
        # virtual participants' seats, only when the scenario lists them (virtual_seats.py)
        self._seats = VirtualSeats(self) if self.engine.virtuals is not None else None

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
        seats = self._seats
        self.agents = list(self.possible_agents if seats is None else seats.market_agents)
        self.last_outcome = None
        self.last_orders = None
        self.history = {"price": [], "volume_mw": [], "imbalance_price": [], "niv_mwh": []}
        self._obs = observe(self.engine.params, self.engine.state, self._bounds)
        if self._seats is not None:
            return self._seats.reset(self._agent_obs(), self._reset_infos())
        return self._agent_obs(), self._reset_infos()

    def step(self, actions: dict[str, np.ndarray]) -> tuple[
        dict[str, np.ndarray],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:  # fmt: skip
        """Run one settlement period with every agent's action."""
        if self._seats is not None:
            return self._seats.step(actions)
        return self._step_market(actions)

    def _step_market(self, actions: dict[str, np.ndarray]) -> tuple[Any, ...]:
        """:meth:`step` for the market's agents (virtual seats: :mod:`.virtual_seats`)."""
        if not self.agents:
            raise RuntimeError("the episode is over (or reset() was not called): call reset()")
        self._load_actions(actions)
        reward, done = self._advance()
        out = self.last_outcome
        if len(self.agents) == len(self.possible_agents):  # every agent: one list pass
            rewards = dict(zip(self.agents, reward.tolist(), strict=True))
        else:
            rewards = {a: float(reward[self._row[a]]) for a in self.agents}
        infos = self._infos(out)
        obs = self._agent_obs()
        terminations = dict.fromkeys(self.agents, False)
        truncations = dict.fromkeys(self.agents, done)
        if done:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return obs, rewards, terminations, truncations, infos

    def step_array(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool, bool]:
        """The array-native step: every agent's action as one array, no dicts.

        The same period as :meth:`step` with ``{agent: actions[i, :width]}``, for many
        agents without per-agent Python work. Infos are not built: the period's
        arrays are :attr:`last_outcome` (:class:`~elecbay_env.period.PeriodOutcome`,
        batch of one) and :meth:`statement`.

        Args:
            actions: (N, W) rows in ``possible_agents`` order, W = ``codec.width`` (the
                widest action); row ``i`` holds agent ``i``'s action in its first
                ``action_space(agent).shape[0]`` columns, the rest is ignored. Finite;
                values outside [-1, 1] are clipped.

        Returns:
            ``(obs, rewards, terminated, truncated)``: ``obs`` (N, F) float32 as
            :meth:`observation_array`, ``rewards`` (N,) float64 (currency, or the
            learning reward with ``reward_mode="learning"``), and whether the episode
            ended (never terminated; truncated after the last period).
        """
        if not self.agents:
            raise RuntimeError("the episode is over (or reset() was not called): call reset()")
        if self._seats is not None:
            raise ValueError("step_array: not available with virtual seats; use step()")
        a = np.asarray(actions)
        want = (len(self.possible_agents), self.codec.width)
        if a.shape != want or a.dtype.kind not in "biuf":
            raise ValueError(
                f"actions: expected a real array of shape {want} (agents x widest action), "
                f"got {a.dtype} {a.shape}"
            )
        a = np.where(self._action_mask, a, 0.0)
        if not np.isfinite(a).all():
            row = int(np.flatnonzero(~np.isfinite(a).all(axis=1))[0])
            raise ValueError(
                f"actions[{row}] ({self.possible_agents[row]!r}): every value must be finite, "
                "in [-1, 1]"
            )
        self._actions = a[None]
        reward, done = self._advance()
        if done:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return self.observation_array(), reward, False, done

    def observation_array(self) -> np.ndarray:
        """(N, F) float32 copy of every agent's observation, rows in ``possible_agents``
        order, each padded with zeros to F (the widest observation)."""
        return self._obs[0].copy()

    def _advance(self) -> tuple[np.ndarray, bool]:
        """Run the period on ``self._actions``: (N,) rewards and whether it was the last."""
        virtual = None if self._seats is None else self._seats.curves
        orders = gate_orders(
            self.engine, self.codec.decode(self._actions), self.last_orders, virtual
        )
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
            reward = learning_rewards(self.engine.params, out.reward, seen, self._scale)[0]
        else:
            reward = out.reward[0].copy()
        return reward, bool(self.engine.t[0] >= self.num_periods)

    def state(self) -> np.ndarray:
        """Every agent's observation, concatenated in agent-id order (float32)."""
        parts = [self._obs[0, i, : self.observation_spaces[a].shape[0]]
                 for i, a in enumerate(self.possible_agents) if a in self._row]  # fmt: skip
        if self._seats is not None:
            parts.append(self._seats.observe().ravel())
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
    def _init_batched_paths(self) -> None:
        """What the dict API needs per agent, computed once: rows, widths, info keys."""
        agents = self.possible_agents
        obs_w = [self.observation_spaces[a].shape[0] for a in agents]
        self._obs_slots = [(a, i, w) for i, (a, w) in enumerate(zip(agents, obs_w, strict=True))]
        self._action_groups = []  # (width, agents, rows): agents whose actions stack
        for width in sorted(set(self._width.values())):
            group = [a for a in agents if self._width[a] == width]
            self._action_groups.append((width, group, np.array([self._row[a] for a in group])))
        self._action_mask = (
            np.arange(self.codec.width)[None, :]
            < np.array([self._width[a] for a in agents])[:, None]
        )
        common = ("period", "traded", "clearing_price", "imbalance_price", "reward_raw")
        trader_keys = (*common, *_AMOUNT_KEYS, "contract_mw", "imbalance_mwh")
        broker_keys = (*common, *_AMOUNT_KEYS)
        self._info_keys = [trader_keys if self._trader[a] else broker_keys for a in agents]

    def _agent_obs(self) -> dict[str, np.ndarray]:
        block = self._obs[0].copy()  # one copy; each agent gets a row of it
        if len(self.agents) == len(self.possible_agents):
            return {a: block[i, :w] for a, i, w in self._obs_slots}
        return {a: block[self._row[a], : self.observation_spaces[a].shape[0]] for a in self.agents}

    def _load_actions(self, actions: dict[str, np.ndarray]) -> None:
        if not isinstance(actions, dict):
            raise ValueError(f"actions: expected a dict of agent -> action, got {type(actions)}")
        if len(self.agents) == len(self.possible_agents) and self._stack_actions(actions):
            return
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

    def _stack_actions(self, actions: dict[str, np.ndarray]) -> bool:
        """Load every agent's action with one array per action width; False (nothing
        loaded) when anything is unusual, so that the per-agent path names the problem."""
        if len(actions) != len(self.possible_agents):
            return False
        buf = np.zeros_like(self._actions)
        for width, group, rows in self._action_groups:
            try:
                block = np.asarray([actions[a] for a in group])
            except (KeyError, TypeError, ValueError):
                return False
            if (
                block.shape != (len(group), width)
                or block.dtype.kind not in "biuf"
                or not np.isfinite(block).all()
            ):
                return False
            buf[0, rows, :width] = block
        self._actions = buf
        return True

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
        lines = {
            name: {"mwh": m_row[c], "price": None if p_row[c] != p_row[c] else p_row[c],
                   "amount": a_row[c]}
            for c, name in enumerate(COMPONENTS)
            if a_row[c] != 0.0 or m_row[c] != 0.0
        }  # fmt: skip
        if self.engine.participation is not None:  # notices and options
            lines.update(self.engine.participation.statement_lines(agent))
        return lines

    def _reset_infos(self) -> dict[str, dict[str, Any]]:
        state = self.engine.state
        head = (-1, 0.0, float(state.ref_price[0]), float(state.last_imbalance_price[0]), 0.0)
        values = (*head, *(0.0 for _ in _AMOUNT_KEYS), 0.0, 0.0)
        infos = {}
        for agent in self.agents:
            info: dict[str, Any] = dict(
                zip(self._info_keys[self._row[agent]], values, strict=False)
            )
            if self.info_statement:
                info["statement"] = {}
            if self.engine.participation is not None:
                info["notices"] = []
            infos[agent] = info
        return infos

    def _infos(self, out) -> dict[str, dict[str, Any]]:
        # one (N, K) table of every agent's numbers, turned into plain floats at once
        table = np.column_stack((
            out.reward[0], out.ledger_amount[0], out.contract_mw[0], out.imbalance_mwh[0]
        )).tolist()  # fmt: skip
        period = int(self.engine.t[0]) - 1
        clearing, imb_price = float(out.forward_ref_price[0]), float(out.imbalance_price[0])
        traded = 1.0 if out.volume_mw[0] > 0.0 else 0.0
        head = (period, traded, clearing, imb_price)
        part = self.engine.participation
        notices = None if part is None else part.notices()
        infos = {}
        for agent in self.agents:
            i = self._row[agent]
            # zip stops at the keys: a broker's row drops contract_mw and imbalance_mwh
            info: dict[str, Any] = dict(zip(self._info_keys[i], (*head, *table[i]), strict=False))
            if self.info_statement:
                info["statement"] = self.statement(agent)
            if notices is not None:
                info["notices"] = notices.get(agent, [])
            infos[agent] = info
        return infos


def parallel_env(
    config: Scenario | str | dict[str, Any] | None = None, **kwargs: Any
) -> ElecbayParallelEnv:
    """The parallel environment (see :class:`ElecbayParallelEnv` for arguments)."""
    return ElecbayParallelEnv(config, **kwargs)

"""Virtual (financial) participants as seats of the PettingZoo env (docs/day_ahead.md).

Only a scenario that lists ``market.day_ahead.virtuals`` has these seats; every other
scenario's agents, spaces and results are untouched. Virtual ``v`` (in the order of the
scenario's list) is the agent ``virtual_<v>``, after the market's agents (``producer_*``,
``consumer_*``, ``broker_0``) in ``possible_agents``.

**Action**: the trader's width ``A = 2 B + 6`` and step codec; only the first ``2 B``
entries are used. Entries ``0 .. B-1`` decode to step prices in the env's price range
(default [price_floor, price_cap], clipped to it), currency per MWh; entries
``B .. 2B-1`` to step quantities in [-max_mw / B, +max_mw / B] MW (+ offered: an
increment offer, - bid: a decrement bid), so each side totals at most ``max_mw``. An
all-zero action trades nothing. The action is the virtual's day-ahead curve for every
period of the next day and is used only in a gate period (observation entry 0 = 1); in
any other period it is ignored (a virtual has no real-time orders).

**Observation** (9 float32 values, each in [-1, 1]):

| Index | Meaning | Scale |
| --- | --- | --- |
| 0 | day-ahead gate this period (1) or not (0) | flag |
| 1 | reference price of the virtual's zone (last traded) | / price scale |
| 2 | last imbalance price | / price scale |
| 3 | last liquidation price ``P_L`` (0 before the first period) | / price scale |
| 4 | day-ahead position of the coming period (+ sold) | / max_mw |
| 5 | position liquidated in the last period (+ sold) | / max_mw |
| 6 | last period's cash (the reward) | / (max_mw x (cap - floor) x h) |
| 7, 8 | sin, cos of the time of day of the coming period | - |

The price scale is ``max(|price_floor|, |price_cap|)``; values are clipped to [-1, 1].

**Reward** (per period, currency, + received): the virtual's settlement cash from the
engine's :class:`~elecbay_env.virtuals.VirtualDesk`, ``q_DA x (P_DA - P_L) x h``; with
``reward_mode="learning"`` divided by ``max(max_mw, 1) x 24 x |initial price|``.
**Infos**: ``period``, ``reward_raw``, ``amount_day_ahead``, ``amount_liquidation``,
``liquidation_price`` and ``position_mw`` (all finite; zeros after a reset).

:meth:`ElecbayParallelEnv.step_array` does not carry virtual seats (use ``step``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from .codecs import trader_action_width

VIRTUAL_OBS_WIDTH = 9
_INFO_KEYS = (
    "period",
    "reward_raw",
    "amount_day_ahead",
    "amount_liquidation",
    "liquidation_price",
    "position_mw",
)


def virtual_ids(n_virtuals: int) -> list[str]:
    """Agent ids of the virtual seats, ``virtual_0 .. virtual_{V-1}``."""
    return [f"virtual_{v}" for v in range(n_virtuals)]


class VirtualSeats:
    """The virtual participants' seats of one :class:`ElecbayParallelEnv` (batch of one).

    Args:
        env: the parallel env, already built over the market's agents; its
            ``possible_agents`` and space dicts are extended with the virtual seats.
    """

    def __init__(self, env: Any) -> None:
        self.env = env
        self.desk = env.engine.virtuals
        params = env.engine.params
        self.ids = virtual_ids(self.desk.n_virtuals)
        self.index = {a: v for v, a in enumerate(self.ids)}
        b = params.bid_steps
        self.bid_steps = b
        floor, cap = float(params.price_floor[0]), float(params.price_cap[0])
        plo, phi = env.codec.price_range
        self.price_lo, self.price_hi = max(plo, floor), min(phi, cap)
        self.step_mw = self.desk.max_mw / b  # (V,)
        self.price_scale = max(abs(floor), abs(cap), 1.0)
        self.cash_scale = np.maximum(self.desk.max_mw * (cap - floor) * params.period_h, 1.0)
        ref = max(abs(float(params.initial_price[0])), 1.0)
        self.learning_scale = np.maximum(self.desk.max_mw, 1.0) * 24.0 * ref
        self.observation = spaces.Box(-1.0, 1.0, (VIRTUAL_OBS_WIDTH,), np.float32)
        self.action = spaces.Box(-1.0, 1.0, (trader_action_width(b),), np.float32)
        env.possible_agents = [*env.possible_agents, *self.ids]
        for a in self.ids:
            env.observation_spaces[a] = self.observation
            env.action_spaces[a] = self.action
        self.market_agents = [a for a in env.possible_agents if a not in self.index]
        n = len(self.ids) * VIRTUAL_OBS_WIDTH
        low = np.concatenate([env.state_space.low, -np.ones(n, np.float32)])
        high = np.concatenate([env.state_space.high, np.ones(n, np.float32)])
        env.state_space = spaces.Box(low, high, dtype=np.float32)
        self.curves: tuple[np.ndarray, np.ndarray] | None = None
        self.last_reward = np.zeros(self.desk.n_virtuals)
        self.settled = np.zeros(self.desk.n_virtuals)  # (V,) MW liquidated last period

    # -- codec ----------------------------------------------------------------------
    def decode(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(V, A) actions in [-1, 1] (clipped) -> (1, V, B) prices (currency per MWh)
        and quantities (MW, + offered, - bid)."""
        a = np.clip(np.asarray(actions, np.float64), -1.0, 1.0)
        b = self.bid_steps
        price = self.price_lo + (a[:, :b] + 1.0) * 0.5 * (self.price_hi - self.price_lo)
        qty = a[:, b : 2 * b] * self.step_mw[:, None]
        return price[None], qty[None]

    def encode(self, price: np.ndarray, qty: np.ndarray) -> np.ndarray:
        """(V, B) prices and quantities -> (V, A) float32 actions (the inverse of
        :meth:`decode` within the ranges; out-of-range values clip)."""
        span = self.price_hi - self.price_lo
        p = 2.0 * (np.clip(price, self.price_lo, self.price_hi) - self.price_lo) / span - 1.0
        q = np.clip(np.asarray(qty, np.float64) / self.step_mw[:, None], -1.0, 1.0)
        rest = np.zeros((len(self.ids), 6))
        return np.concatenate([p, q, rest], axis=1).astype(np.float32)

    # -- observations ---------------------------------------------------------------
    def observe(self) -> np.ndarray:
        """(V, 9) float32 observations (module doc)."""
        eng, desk = self.env.engine, self.desk
        params, state = eng.params, eng.state
        t = int(state.t[0])
        gate = float(eng.day_ahead_gate()[0]) if params.da_slots else 0.0
        zone_ref = state.zone_ref_price[0, desk.zone]
        p_l = np.nan_to_num(desk.liquidation_price[0], nan=0.0)
        coming = desk.mw[0, t % params.da_slots]
        last_mw = np.zeros(len(self.ids)) if t == 0 else self.settled
        ppd = self.env.scenario.market.periods_per_day
        phase = 2.0 * np.pi * (t % ppd) / ppd
        cols = [
            np.full(len(self.ids), gate),
            zone_ref / self.price_scale,
            np.full(len(self.ids), float(state.last_imbalance_price[0]) / self.price_scale),
            p_l / self.price_scale,
            coming / self.desk.max_mw,
            last_mw / self.desk.max_mw,
            self.last_reward / self.cash_scale,
            np.full(len(self.ids), np.sin(phase)),
            np.full(len(self.ids), np.cos(phase)),
        ]
        return np.clip(np.column_stack(cols), -1.0, 1.0).astype(np.float32)

    def _obs_dict(self) -> dict[str, np.ndarray]:
        block = self.observe()
        return {a: block[v] for v, a in enumerate(self.ids)}

    def _info(self, v: int, period: int) -> dict[str, Any]:
        d = self.desk
        p_l = float(d.liquidation_price[0, v])
        values = (
            period,
            float(self.last_reward[v]),
            float(d.da_cash[0, v]),
            float(d.liquidation[0, v]),
            0.0 if p_l != p_l else p_l,
            float(self.settled[v]) if period >= 0 else 0.0,
        )
        return dict(zip(_INFO_KEYS, values, strict=True))

    # -- the env's API ----------------------------------------------------------------
    def reset(self, obs: dict, infos: dict) -> tuple[dict, dict]:
        """Add the seats to a reset's observations and infos; every seat is live."""
        self.curves = None
        self.last_reward = np.zeros(len(self.ids))
        self.settled = np.zeros(len(self.ids))
        self.env.agents = [*self.env.agents, *self.ids]
        obs.update(self._obs_dict())
        infos.update({a: self._info(v, -1) for v, a in enumerate(self.ids)})
        return obs, infos

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """One period: the market agents' actions go to the env's step, the virtual seats'
        actions become their day-ahead curves at a gate (ignored elsewhere)."""
        env = self.env
        if not env.agents:
            raise RuntimeError("the episode is over (or reset() was not called): call reset()")
        if not isinstance(actions, dict):
            raise ValueError(f"actions: expected a dict of agent -> action, got {type(actions)}")
        missing = [a for a in self.ids if a not in actions]
        if missing:
            raise ValueError(f"actions: missing an action for {missing}")
        rows = np.stack([env.check_action(a, actions[a]) for a in self.ids])
        market = {a: x for a, x in actions.items() if a not in self.index}
        gate = env.engine.params.da_slots and bool(env.engine.day_ahead_gate().all())
        self.curves = self.decode(rows) if gate else None
        t = int(env.engine.t[0])
        s = t % env.engine.params.da_slots
        settled = self.desk.mw[0, s].copy()  # the position this period liquidates
        live = env.agents
        env.agents = [a for a in live if a not in self.index]
        try:
            obs, rewards, terms, truncs, infos = env._step_market(market)
        except BaseException:
            env.agents = live
            raise
        finally:
            self.curves = None
        done = not env.agents
        self.settled = settled
        cash = self.desk.da_cash[0] + self.desk.liquidation[0]
        self.last_reward = cash.copy()
        reward = cash / self.learning_scale if env.reward_mode == "learning" else cash
        obs.update(self._obs_dict())
        for v, a in enumerate(self.ids):
            rewards[a] = float(reward[v])
            terms[a] = False
            truncs[a] = done
            infos[a] = self._info(v, t)
        if not done:
            env.agents = [*env.agents, *self.ids]
        return obs, rewards, terms, truncs, infos

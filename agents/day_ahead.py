"""Baselines for a market with a day-ahead auction (docs/day_ahead.md).

:class:`DayAheadForecastPolicy` (``da_forecast``) is the truthful merit order over two
settlements: at the gate (observation ``day_ahead_gate`` = 1) it bids the merit order's
curve for its mean forecast over the next day (``own_next_day_forecast``; thermal and
storage rows as the merit order); in every other period it bids the merit order's curve
less what it already holds day-ahead (``own_day_ahead``, MW, + sold): a seller removes
that many MW from its cheapest offer steps, a buyer from its dearest bid steps, so the
period's auction trades only the deviation. Without a day-ahead market it is the merit
order; the spread traders then do nothing.

:class:`VirtualTraderPolicy` (``virtual_trader``) plays a virtual participant's seat
(``virtual_<v>``, a scenario's ``market.day_ahead.virtuals``; elecbay_env/envs/virtual_seats.py):
at the gate it bids (``dec``) or offers (``inc``) ``mw`` MW day-ahead as a price taker,
spread evenly over its steps; the engine liquidates the position at the real-time price,
so it earns ``mw x (P_L - P_DA) x h`` (dec) or the opposite (inc).

:class:`StorageSpreadPolicy` (``storage_spread``) trades the same spread with a storage
row, without delivering: at the gate it buys (``dec``) or sells (``inc``) ``mw`` MW as a price
taker; in every delivery period it closes the position out in the period's auction, also
as a price taker, so it earns ``mw x (P_RT - P_DA) x h`` (dec) or the opposite (inc). It
serves storage rows (the only rows that may both buy and sell in both auctions); a
battery whose day-ahead and real-time trades cancel does not move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, TraderBids
from elecbay_env.envs.observations import feature_names
from elecbay_env.kernels import kinds

from .base import Policy
from .features import (
    OWN_COST_OR_VALUE,
    OWN_FORECAST,
    OWN_HOURS_OFF,
    OWN_KIND,
    OWN_MIN_STABLE,
    OWN_ON,
)
from .merit_order import PRICE_TAKER, MeritOrderPolicy, fill_steps

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv


def _indices(codec: AgentCodec) -> tuple[int, int, int] | None:
    """Where the day-ahead features are; None without a day-ahead market."""
    names = feature_names(codec.codec.params, "trader")
    if "day_ahead_gate" not in names:
        return None
    return (
        names.index("day_ahead_gate"),
        names.index("own_day_ahead"),
        names.index("own_next_day_forecast"),
    )


def remove_held(step_price: np.ndarray, step_qty: np.ndarray, held: np.ndarray) -> np.ndarray:
    """``step_qty`` (K, B) less ``held`` (K,) MW already sold (> 0: from the cheapest
    offer steps) or bought (< 0: from the dearest bid steps); a new array."""
    qty = step_qty.copy()
    for r in range(qty.shape[0]):
        left = abs(float(held[r]))
        sell = held[r] > 0.0
        side = qty[r] > 0.0 if sell else qty[r] < 0.0
        order = np.argsort(step_price[r] if sell else -step_price[r], kind="stable")
        for b in order:
            if left <= 0.0:
                break
            if side[b]:
                take = min(abs(qty[r, b]), left)
                qty[r, b] -= take if sell else -take
                left -= take
    return qty


class DayAheadForecastPolicy(MeritOrderPolicy):
    """The merit order over two settlements (module doc); arguments as the merit order."""

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        thermal_gate: str = "reach",
        **kw: Any,
    ) -> None:
        super().__init__(source, agent, **kw)
        if thermal_gate not in ("availability", "reach"):
            raise ValueError(
                f"thermal_gate={thermal_gate!r}: allowed values are 'availability', 'reach'"
            )
        self.thermal_gate = thermal_gate
        self.ix = _indices(self.codec)

    def bids(self, obs: np.ndarray, mean_price: np.ndarray | None = None) -> TraderBids:
        if self.ix is None:  # a single-settlement market: the merit order itself
            return super().bids(obs, mean_price)
        self.gate_ix, self.held_ix, self.next_ix = self.ix
        gate = obs[:, self.gate_ix] > 0.5
        x = obs.copy()
        kind = obs[:, OWN_KIND]
        shaped = (kind == kinds.WIND) | (kind == kinds.SOLAR) | (kind == kinds.CONSUMER)
        x[:, OWN_FORECAST] = np.where(gate & shaped, obs[:, self.next_ix], obs[:, OWN_FORECAST])
        b = super().bids(x, mean_price)
        held = np.where(gate, 0.0, obs[:, self.held_ix])
        thermal_gate = gate & (kind == kinds.THERMAL) & (self.thermal_gate == "availability")
        if thermal_gate.any():
            sp, sq = self.thermal_day_ahead(obs)
            t = thermal_gate[:, None]
            b = b._replace(
                step_price=np.where(t, sp, b.step_price), step_qty=np.where(t, sq, b.step_qty)
            )
        return b._replace(step_qty=remove_held(b.step_price, b.step_qty, held))

    def thermal_day_ahead(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A thermal unit's day-ahead curve, ``(K, B)`` prices and MW, the same for each
        period of the next day: its availability at the gate (``own_forecast``: the
        capacity, nothing while in a forced outage) at marginal cost, of which a unit
        running at the gate offers its minimum stable output as a price taker (it stays
        committed through the next day rather than stop and wait out its minimum off
        time); a unit that is off offers it all at marginal cost if its minimum off time
        is over by the start of the next day, else nothing."""
        params = self.codec.codec.params
        d, gate_period = 1440 // int(params.period_min), int(params.da_gate)
        avail = np.maximum(obs[:, OWN_FORECAST], 0.0)
        on = obs[:, OWN_ON] > 0.5
        off_by_morning = np.rint(obs[:, OWN_HOURS_OFF] / self.period_h) + (d - gate_period)
        avail = np.where(on | (off_by_morning >= self.min_off_periods), avail, 0.0)
        base = np.where(on, np.minimum(obs[:, OWN_MIN_STABLE], avail), 0.0)
        prices = np.stack([np.full_like(base, self.price_taker), obs[:, OWN_COST_OR_VALUE]], 1)
        return fill_steps(prices, np.stack([base, avail - base], 1), self.step_max, self.bid_steps)


class StorageSpreadPolicy(Policy):
    """Buy (``dec``) or sell (``inc``) ``mw`` MW day-ahead and close out in real time.

    Args:
        source, agent: the storage row's codec, or the environment and agent id.
        direction: ``"dec"`` (buy day-ahead, sell back) or ``"inc"`` (the mirror).
        mw: the position (MW, > 0).
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        direction: str = "dec",
        mw: float = 10.0,
    ) -> None:
        super().__init__(source, agent)
        params = self.codec.codec.params
        if self.codec.role == "broker" or params.kind[0, self.codec.row] != kinds.STORAGE:
            raise ValueError("StorageSpreadPolicy trades for a storage row")
        if direction not in ("dec", "inc"):
            raise ValueError(f"direction={direction!r}: allowed values are 'dec', 'inc'")
        if not mw > 0.0:
            raise ValueError(f"mw={mw}: allowed range (0, inf) MW")
        self.ix = _indices(self.codec)
        self.sign = -1.0 if direction == "dec" else 1.0
        self.mw = float(mw)
        self.low = max(float(params.price_floor[0]), PRICE_TAKER)
        self.high = float(params.price_cap[0])
        self.bid_steps = self.codec.codec.bid_steps

    def bids(self, obs: np.ndarray) -> TraderBids:
        """The gate's position or the close-out as price-taking steps (step 0 only)."""
        k, b = obs.shape[0], self.bid_steps
        if self.ix is None:  # no day-ahead market: nothing to trade on
            qty = np.zeros(k)
        else:
            gate = obs[:, self.ix[0]] > 0.5
            qty = np.where(gate, self.sign * self.mw, -obs[:, self.ix[1]])  # + sell
        step_qty = np.zeros((k, b))
        step_qty[:, 0] = qty
        step_price = np.zeros((k, b))
        step_price[:, 0] = np.where(qty > 0.0, self.low, self.high)
        zeros = np.zeros((k, 2))
        return TraderBids(step_price, step_qty, zeros, zeros, zeros)

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, Any]:
        return self.codec.encode(self.bids(obs)), state


class VirtualTraderPolicy(Policy):
    """A virtual participant's seat: bid (``dec``) or offer (``inc``) ``mw`` MW at the
    day-ahead gate as a price taker; nothing otherwise (its action is ignored there).

    Args:
        env: the environment, with ``market.day_ahead.virtuals``.
        agent: the seat, ``virtual_<v>``.
        direction: ``"dec"`` (buy day-ahead; the position is sold back at the
            liquidation price) or ``"inc"`` (the mirror).
        mw: the position (MW, in (0, max_mw]); None: ``min(10, max_mw)``.
    """

    def __init__(
        self,
        env: ElecbayParallelEnv,
        agent: str,
        *,
        direction: str = "dec",
        mw: float | None = None,
    ) -> None:
        seats = getattr(env, "_seats", None)
        if seats is None or agent not in seats.index:
            raise ValueError(
                f"VirtualTraderPolicy plays a virtual seat (virtual_<v> of a scenario with "
                f"market.day_ahead.virtuals); got {agent!r}"
            )
        if direction not in ("dec", "inc"):
            raise ValueError(f"direction={direction!r}: allowed values are 'dec', 'inc'")
        v = seats.index[agent]
        max_mw = float(seats.desk.max_mw[v])
        mw = min(10.0, max_mw) if mw is None else float(mw)
        if not 0.0 < mw <= max_mw:
            raise ValueError(f"mw={mw}: allowed range (0, {max_mw:g}] MW (the virtual's max_mw)")
        self.codec = None
        self.agent = agent
        self.seats, self.v = seats, v
        self.action_width = env.action_space(agent).shape[0]
        b = seats.bid_steps
        qty = np.full(b, (1.0 if direction == "inc" else -1.0) * mw / b)
        price = np.full(b, seats.price_lo if direction == "inc" else seats.price_hi)
        enc = seats.encode(np.tile(price, (len(seats.ids), 1)), np.tile(qty, (len(seats.ids), 1)))
        self.gate_action = enc[v]

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, Any]:
        gate = obs[:, 0] > 0.5  # the seat's observation: entry 0 is the gate flag
        return np.where(gate[:, None], self.gate_action[None, :], 0.0), state

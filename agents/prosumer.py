"""Baseline rules for a home battery in a local energy market (the ``community`` scenario).

Both serve storage units only and trade as price takers: a charge is a bid at
``buy_at`` (default the codec's highest price: buy whatever the price), a discharge an
offer at ``sell_at`` (default the lowest: sell whatever the price), split in B equal
steps; no reserve. Quantities are the most the battery can move in one period within
its power rating and state of charge (:func:`elecbay_agents._storage.storage_power_limits`),
so a filled order never runs it empty or full.

* :class:`SelfConsumptionPolicy`: keep the community's solar at home. Charge when the
  public renewable forecast exceeds the public demand forecast (a surplus the retailer
  would buy at the export price), discharge when demand exceeds it (energy otherwise
  imported at the import price). Public features ``renewable_forecast`` and
  ``demand_forecast`` (MW).
* :class:`TimeOfUsePolicy`: charge in the cheap hours ``[charge_from, charge_to)``,
  discharge in the peak hours ``[discharge_from, discharge_to)`` (hours of the UTC day of
  the period about to be traded, from ``time_sin``/``time_cos``); idle otherwise.

The truthful baseline for every prosumer row is ``merit_order`` (solar at marginal
cost, loads at value, batteries on price thresholds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, TraderBids
from elecbay_env.envs.observations import TRADER_FEATURES
from elecbay_env.kernels import kinds

from ._storage import storage_power_limits
from .base import Policy

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv

TIME_SIN = TRADER_FEATURES.index("time_sin")
TIME_COS = TRADER_FEATURES.index("time_cos")
DEMAND = TRADER_FEATURES.index("demand_forecast")
RENEWABLE = TRADER_FEATURES.index("renewable_forecast")


def hour_of_day(obs: np.ndarray) -> np.ndarray:
    """(K,) hour of the day in [0, 24) of the period about to be traded, from the
    ``time_sin``/``time_cos`` features of ``(K, F)`` observations."""
    angle = np.arctan2(obs[:, TIME_SIN], obs[:, TIME_COS])
    return np.mod(angle / (2.0 * np.pi), 1.0) * 24.0


class _BatteryRule(Policy):
    """Shared checks and bid building of the battery rules (see the module doc)."""

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None,
        buy_at: float | None,
        sell_at: float | None,
    ) -> None:
        super().__init__(source, agent)
        params = self.codec.codec.params
        kind = int(params.kind[0, self.codec.row])
        if kind != kinds.STORAGE:
            who = agent or f"row {self.codec.row}"
            raise ValueError(
                f"{type(self).__name__} is for storage units; {who} is {kinds.NAMES[kind]}"
            )
        lo, hi = self.codec.codec.price_range
        self.buy_at = hi if buy_at is None else float(buy_at)
        self.sell_at = lo if sell_at is None else float(sell_at)
        for name, value in (("buy_at", self.buy_at), ("sell_at", self.sell_at)):
            if not lo <= value <= hi:
                raise ValueError(f"{name}={value}: allowed range is the price range [{lo}, {hi}]")
        self.bid_steps = self.codec.codec.bid_steps
        self.period_h = params.period_h

    def direction(self, obs: np.ndarray) -> np.ndarray:
        """(K,) +1 discharge, -1 charge, 0 idle."""
        raise NotImplementedError

    def bids(self, obs: np.ndarray) -> TraderBids:
        """The battery's bids for ``(K, F)`` observations (MW, currency per MWh)."""
        obs = np.asarray(obs, dtype=np.float64)
        k, b = obs.shape[0], self.bid_steps
        d = self.direction(obs)
        max_dis, max_chg = storage_power_limits(obs, self.period_h)
        qty = np.where(d > 0, max_dis, np.where(d < 0, -max_chg, 0.0))
        price = np.where(d < 0, self.buy_at, self.sell_at)
        zeros = np.zeros((k, 2))
        return TraderBids(
            np.repeat(price[:, None], b, axis=1),
            np.repeat((qty / b)[:, None], b, axis=1),
            zeros, zeros, zeros,
        )  # fmt: skip

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, Any]:
        return self.codec.encode(self.bids(obs)), None


class SelfConsumptionPolicy(_BatteryRule):
    """Charge on a community surplus of renewables, discharge on a deficit.

    Args:
        source, agent: the agent's codec, or the environment and the agent id.
        buy_at, sell_at: charge bid and discharge offer prices (currency per MWh);
            default the codec's price range ends (a price taker).

    Raises:
        ValueError: an agent that is not a storage unit, or a price out of range.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        buy_at: float | None = None,
        sell_at: float | None = None,
    ) -> None:
        super().__init__(source, agent, buy_at, sell_at)

    def direction(self, obs: np.ndarray) -> np.ndarray:
        return np.sign(obs[:, DEMAND] - obs[:, RENEWABLE])


class TimeOfUsePolicy(_BatteryRule):
    """Charge in cheap hours, discharge in peak hours (hours of the UTC day).

    Args:
        source, agent: the agent's codec, or the environment and the agent id.
        charge_hours: ``(from, to)`` hours, 0 <= from < to <= 24 (default 0 to 5).
        discharge_hours: ``(from, to)`` (default 16 to 20, the evening peak).
        buy_at, sell_at: as :class:`SelfConsumptionPolicy`.

    Raises:
        ValueError: a storage-less agent, hours out of range or overlapping.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        charge_hours: tuple[float, float] = (0.0, 5.0),
        discharge_hours: tuple[float, float] = (16.0, 20.0),
        buy_at: float | None = None,
        sell_at: float | None = None,
    ) -> None:
        super().__init__(source, agent, buy_at, sell_at)
        for name, (a, b) in (("charge_hours", charge_hours), ("discharge_hours", discharge_hours)):
            if not 0.0 <= a < b <= 24.0:
                raise ValueError(f"{name}=({a}, {b}): need 0 <= from < to <= 24")
        (c0, c1), (d0, d1) = charge_hours, discharge_hours
        if c0 < d1 and d0 < c1:
            raise ValueError(
                f"charge_hours {charge_hours} overlap discharge_hours {discharge_hours}"
            )
        self.charge_hours = (float(c0), float(c1))
        self.discharge_hours = (float(d0), float(d1))

    def direction(self, obs: np.ndarray) -> np.ndarray:
        h = hour_of_day(obs)
        charge = (h >= self.charge_hours[0]) & (h < self.charge_hours[1])
        discharge = (h >= self.discharge_hours[0]) & (h < self.discharge_hours[1])
        return np.where(discharge, 1.0, np.where(charge, -1.0, 0.0))

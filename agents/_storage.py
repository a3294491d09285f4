"""The threshold arbitrage rule of a storage unit, shared by several policies.

:class:`ThresholdRule` is the one implementation of "charge below a price threshold,
discharge above" that :class:`~elecbay_agents.merit_order.MeritOrderPolicy` (for its
storage rows) and :class:`~elecbay_agents.storage_threshold.StorageThresholdPolicy` call.
The rule and its feasibility limits are documented in
:mod:`elecbay_agents.merit_order` (storage, kind 3) and
:mod:`elecbay_agents.storage_threshold`.

Units: prices in currency per MWh, power in MW, energy in MWh, ``period_h`` in hours.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from elecbay_env.envs.codecs import TraderBids

from .features import (
    LAST_PRICE,
    OWN_CAPACITY,
    OWN_COST_OR_VALUE,
    OWN_ENERGY,
    OWN_ROUND_TRIP,
    OWN_SOC,
)

DEFAULT_STORAGE_BAND = 0.2
"""Storage thresholds: the running mean price -/+ this fraction of its magnitude."""
DEFAULT_STORAGE_EMA = 0.1
"""Weight of the newest ``last_price`` in the storage running mean."""


def storage_power_limits(obs: np.ndarray, period_h: float) -> tuple[np.ndarray, np.ndarray]:
    """``(max_discharge, max_charge)`` in MW for ``(K, F)`` storage observations.

    Limited by the power rating (``own_capacity``) and by the energy the battery holds
    (discharge) or can still take (charge) over one period of ``period_h`` hours, from
    the state of charge ``own_soc`` (a fraction of ``own_energy``, MWh) and the one-way
    efficiency ``sqrt(own_round_trip)``:
    ``discharge <= soc x energy x eff / period_h``,
    ``charge <= (1 - soc) x energy / (eff x period_h)``.
    """
    cap = obs[:, OWN_CAPACITY]
    soc = np.clip(obs[:, OWN_SOC], 0.0, 1.0)
    energy_h = obs[:, OWN_ENERGY] / period_h  # MW that empties the battery in one period
    eff = np.sqrt(np.clip(obs[:, OWN_ROUND_TRIP], 0.0, 1.0))
    max_dis = np.minimum(cap, soc * energy_h * eff)
    max_chg = np.minimum(cap, (1.0 - soc) * energy_h / np.maximum(eff, 1e-12))
    return max_dis, max_chg


class ThresholdRule:
    """Charge below ``low``, discharge above ``high``; thresholds fixed or adaptive.

    Args:
        low, high: fixed thresholds (currency per MWh); give both or neither (then
            ``low = m - band x |m|`` and ``high = m + band x |m|`` around the running
            mean ``m`` of ``last_price``).
        band: half-width of the adaptive thresholds, a fraction of ``|m|``, >= 0.
        ema: weight of the newest ``last_price`` in the running mean, in (0, 1].
        reference_price: the running mean's value with no state or at an episode start
            (currency per MWh).
        names: the parameter names error messages use (the caller's spelling).

    Raises:
        ValueError: only one of low/high, low > high, or a parameter out of range.
    """

    def __init__(
        self,
        low: float | None = None,
        high: float | None = None,
        band: float = DEFAULT_STORAGE_BAND,
        ema: float = DEFAULT_STORAGE_EMA,
        reference_price: float = 50.0,
        *,
        names: tuple[str, str, str, str] = ("low", "high", "band", "ema"),
    ) -> None:
        n_low, n_high, n_band, n_ema = names
        if (low is None) != (high is None):
            raise ValueError(f"{n_low} and {n_high}: give both or neither")
        if low is not None and not (np.isfinite(low) and np.isfinite(high) and low <= high):
            raise ValueError(f"storage thresholds: need finite low <= high, got {low}, {high}")
        if not 0.0 < ema <= 1.0:
            raise ValueError(f"{n_ema}={ema}: allowed range (0, 1]")
        if not band >= 0:
            raise ValueError(f"{n_band}={band}: allowed range [0, inf)")
        if not np.isfinite(reference_price):
            raise ValueError(f"reference_price={reference_price}: must be finite")
        self.low = None if low is None else float(low)
        self.high = None if high is None else float(high)
        self.band = float(band)
        self.ema = float(ema)
        self.reference_price = float(reference_price)

    def thresholds(self, mean_price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) thresholds for running means ``mean_price`` (currency per MWh)."""
        m = np.asarray(mean_price, dtype=np.float64)
        if self.low is not None:
            return np.full_like(m, self.low), np.full_like(m, self.high)
        half = self.band * np.abs(m)
        return m - half, m + half

    def means(self, state: Any, episode_start: np.ndarray) -> np.ndarray:
        """The ``(K,)`` running means to decide with: the state, reset where a row starts."""
        k = episode_start.shape[0]
        if state is None:
            return np.full(k, self.reference_price)
        m = np.asarray(state, dtype=np.float64).reshape(-1)
        if m.shape != (k,):
            raise ValueError(f"state: expected {k} running means (one per row), got {m.shape}")
        return np.where(episode_start, self.reference_price, m)

    def update(self, means: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """The running means after this period's ``last_price`` (the next state)."""
        return means + self.ema * (obs[:, LAST_PRICE] - means)

    def forward(
        self, obs: np.ndarray, means: np.ndarray, period_h: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Signed forward MW (+ discharge/sell, - charge/buy) and its price, ``(K,)`` each.

        ``last_price < low``: buy ``max_charge`` MW at ``low``; ``last_price > high``: sell
        ``max_discharge`` MW at ``high``; otherwise 0 MW (at the degradation cost
        ``own_cost_or_value``, unused).
        """
        low, high = self.thresholds(means)
        last = obs[:, LAST_PRICE]
        max_dis, max_chg = storage_power_limits(obs, period_h)
        charge = last < low
        discharge = last > high
        qty = np.select([charge, discharge], [-max_chg, max_dis], 0.0)
        price = np.select([charge, discharge], [low, high], obs[:, OWN_COST_OR_VALUE])
        return qty, price

    def bids(
        self,
        obs: np.ndarray,
        means: np.ndarray,
        *,
        bid_steps: int,
        period_h: float,
        availability_price: float,
        offer_reserve: bool,
    ) -> TraderBids:
        """The storage unit's whole bid for ``(K, F)`` observations.

        Forward: :meth:`forward` split in ``bid_steps`` equal steps at one price. Reserve
        (when ``offer_reserve``): up and down ``own_capacity`` MW (the market caps both by
        the state of charge and the forward position) at utilisation prices ``high``
        (up) and ``low`` (down), availability price ``availability_price`` (currency per
        MW per hour).
        """
        k = obs.shape[0]
        qty, price = self.forward(obs, means, period_h)
        low, high = self.thresholds(means)
        step_qty = np.repeat((qty / bid_steps)[:, None], bid_steps, axis=1)
        step_price = np.repeat(price[:, None], bid_steps, axis=1)
        res_qty = np.zeros((k, 2))
        res_util = np.zeros((k, 2))
        if offer_reserve:
            res_qty[:] = obs[:, OWN_CAPACITY][:, None]
            res_util[:, 0] = high
            res_util[:, 1] = low
        res_avail = np.where(res_qty > 0.0, availability_price, 0.0)
        res_util = np.where(res_qty > 0.0, res_util, 0.0)
        return TraderBids(step_price, step_qty, res_qty, res_avail, res_util)

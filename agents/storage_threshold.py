"""Threshold storage arbitrage: charge below a price threshold, discharge above.

:class:`StorageThresholdPolicy` serves storage units only (asset kind 3). With
``p = last_price`` (trader feature 3, the last clearing price, currency per MWh):

* ``p < low``: bid to buy (charge) at price ``low``;
* ``p > high``: offer to sell (discharge) at price ``high``;
* otherwise: no forward steps (0 MW).

The quantity (MW) is the most the unit can move in one period: limited by its power
rating (``own_capacity``) and by the energy it holds or can take within its state-of-
charge bounds (``own_soc`` x ``own_energy``, one-way efficiency
``sqrt(own_round_trip)``), so a filled order never runs it empty or full. It is split
in B equal steps at one price.

Thresholds are fixed (``low``, ``high``) or follow the price: ``low = m - band x |m|``,
``high = m + band x |m|`` around a running mean ``m`` of ``last_price``, an exponential
moving average with weight ``ema`` kept in the policy state (``(K,)`` float64,
currency per MWh; the decision uses the mean before this period's update). With no
state or at an episode start ``m`` is ``reference_price`` (default: the scenario's
initial reference price).

Reserve (when ``offer_reserve``): up and down ``own_capacity`` MW at utilisation prices
``high`` (up: discharge more) and ``low`` (down: charge more), availability price
``availability_price`` per MW per hour; the market caps both by the state of charge and
the forward position.

This is the same rule :class:`~elecbay_agents.merit_order.MeritOrderPolicy` applies to
storage rows (both call :class:`~elecbay_agents._storage.ThresholdRule`); this policy
exists so that thresholds can be named on their own (registry spec
``storage_threshold:LOW,HIGH``) and so that a non-storage agent is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, TraderBids
from elecbay_env.kernels import kinds

from ._storage import DEFAULT_STORAGE_BAND, DEFAULT_STORAGE_EMA, ThresholdRule
from .base import Policy
from .merit_order import DEFAULT_AVAILABILITY_PRICE

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv


class StorageThresholdPolicy(Policy):
    """Price-threshold arbitrage for a storage unit (rules in the module doc).

    Args:
        source: the agent's :class:`AgentCodec`, or the environment (then ``agent``).
        agent: the agent id when ``source`` is an environment.
        low, high: fixed thresholds (currency per MWh), ``low <= high``; give both or
            neither (then they follow the running mean).
        band: half-width of the adaptive thresholds, a fraction of ``|mean|`` (default
            0.2).
        ema: weight of the newest price in the running mean, in (0, 1] (default 0.1).
        reference_price: the running mean's starting value (currency per MWh); default
            the scenario's initial reference price.
        availability_price: availability price of the reserve offers (currency per MW
            per hour), >= 0 (default 3).
        offer_reserve: offer balancing reserve at all.

    Raises:
        ValueError: an agent that is not a storage unit, or a bad parameter.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        low: float | None = None,
        high: float | None = None,
        band: float = DEFAULT_STORAGE_BAND,
        ema: float = DEFAULT_STORAGE_EMA,
        reference_price: float | None = None,
        availability_price: float = DEFAULT_AVAILABILITY_PRICE,
        offer_reserve: bool = True,
    ) -> None:
        super().__init__(source, agent)
        params = self.codec.codec.params
        kind = int(params.kind[0, self.codec.row])
        if kind != kinds.STORAGE:
            who = agent or f"row {self.codec.row}"
            raise ValueError(
                f"StorageThresholdPolicy is for storage units; {who} is {kinds.NAMES[kind]}"
            )
        if not availability_price >= 0:
            raise ValueError(f"availability_price={availability_price}: allowed range [0, inf)")
        self.rule = ThresholdRule(
            low, high, band, ema,
            float(params.initial_price[0]) if reference_price is None else reference_price,
        )  # fmt: skip
        self.bid_steps = self.codec.codec.bid_steps
        self.period_h = params.period_h
        self.availability_price = float(availability_price)
        self.offer_reserve = bool(offer_reserve)

    def thresholds(self, mean_price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) thresholds for running means ``mean_price`` (currency per MWh)."""
        return self.rule.thresholds(mean_price)

    def bids(self, obs: np.ndarray, mean_price: np.ndarray | None = None) -> TraderBids:
        """The physical bids for ``(K, F)`` observations (MW, currency per MWh).

        Args:
            obs: the agent's observations, batch first.
            mean_price: ``(K,)`` running means of ``last_price``; default the reference
                price.
        """
        obs = np.asarray(obs, dtype=np.float64)
        if mean_price is None:
            mean_price = np.full(obs.shape[0], self.rule.reference_price)
        return self.rule.bids(
            obs, np.asarray(mean_price, dtype=np.float64), bid_steps=self.bid_steps,
            period_h=self.period_h, availability_price=self.availability_price,
            offer_reserve=self.offer_reserve,
        )  # fmt: skip

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        means = self.rule.means(state, episode_start)
        return self.codec.encode(self.bids(obs, means)), self.rule.update(means, obs)

"""Forecast-following retailer: a consumer that bids the load it expects, error included.

A consumer's realised load is ``forecast x (1 + e_t)`` where the relative forecast error
``e_t`` follows an AR(1) process, ``e_t = phi x e_{t-1} + noise`` (the scenario's
``forecast_error.ar1``). The observation carries the public forecast ``own_forecast``
(trader feature 8, MW) and the last realised error ``own_last_error`` (feature 20, a
fraction, clipped to [-3, 3]).

:class:`~elecbay_agents.merit_order.MeritOrderPolicy` bids the public forecast and
ignores the error, so an error that persists leaves it short or long period after
period. :class:`RetailerPolicy` bids its conditional expectation instead:

    q = max(own_forecast x (1 + phi x own_last_error), 0)    [MW]

laid into steps as merit order does: the inflexible share as a price taker (at the
price cap), the flexible share at the value of energy ``own_cost_or_value`` (currency
per MWh). ``phi`` (``persistence``) defaults to the row's AR(1) coefficient
in the scenario (read once from the codec's parameters); ``persistence=0`` gives back
merit order. Reserve, as merit order on the adjusted load: up only, ``own_flexible x q``
MW at utilisation price = value, availability price ``availability_price`` per MW per
hour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, TraderBids
from elecbay_env.kernels import kinds

from .features import OWN_FORECAST, OWN_LAST_ERROR
from .merit_order import DEFAULT_AVAILABILITY_PRICE, MeritOrderPolicy

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv


class RetailerPolicy(MeritOrderPolicy):
    """Bid the expected load given the last forecast error, at value (module doc).

    Args:
        source: the consumer's :class:`AgentCodec`, or the environment (then ``agent``).
        agent: the agent id when ``source`` is an environment.
        persistence: weight ``phi`` of the last relative error in the bid, in [-1, 1];
            default the scenario's AR(1) coefficient of this consumer's forecast error.
        availability_price: availability price of the reserve offer (currency per MW
            per hour), >= 0.
        offer_reserve: offer (up) reserve at all.

    Raises:
        ValueError: an agent that is not a consumer, or ``persistence`` out of range.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        persistence: float | None = None,
        *,
        availability_price: float = DEFAULT_AVAILABILITY_PRICE,
        offer_reserve: bool = True,
    ) -> None:
        super().__init__(
            source, agent, availability_price=availability_price, offer_reserve=offer_reserve
        )
        if self.asset_kind != kinds.CONSUMER:
            who = agent or f"row {self.codec.row}"
            raise ValueError(
                f"RetailerPolicy is for consumers; {who} is {kinds.NAMES[self.asset_kind]}"
            )
        if persistence is None:
            persistence = float(self.codec.codec.params.err_ar1[0, self.codec.row])
        if not -1.0 <= persistence <= 1.0:
            raise ValueError(f"persistence={persistence!r}: allowed range is [-1, 1]")
        self.persistence = float(persistence)

    def expected_load(self, obs: np.ndarray) -> np.ndarray:
        """``(K,)`` MW: the forecast corrected by ``persistence x`` the last error."""
        obs = np.asarray(obs, dtype=np.float64)
        fc = np.maximum(obs[:, OWN_FORECAST], 0.0)
        return np.maximum(fc * (1.0 + self.persistence * obs[:, OWN_LAST_ERROR]), 0.0)

    def bids(self, obs: np.ndarray, mean_price: np.ndarray | None = None) -> TraderBids:
        """Merit-order bids for the expected load of :meth:`expected_load` (MW, currency)."""
        adjusted = np.array(obs, dtype=np.float64)
        adjusted[:, OWN_FORECAST] = self.expected_load(adjusted)
        return super().bids(adjusted, mean_price)

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, None]:
        return self.codec.encode(self.bids(obs)), None

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, persistence={self.persistence})"

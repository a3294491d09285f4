"""Rule-based broker: reserve = z x the standard deviation of the forecast error.

The broker (the balancing authority) states, every period, how much up and down reserve
it wants and the most it pays for it. :class:`RuleBasedBroker` asks for

* up reserve = down reserve = ``z x forecast_error_std`` MW, where
  ``forecast_error_std`` (broker feature 8,
  :data:`~elecbay_env.envs.observations.BROKER_FEATURES`) is the standard deviation of
  the system's forecast error in MW (renewables and loads, independent errors);
* availability price cap ``max_avail`` (currency per MW per hour) and utilisation price
  cap ``max_util`` (currency per MWh) in both directions.

Defaults come from the scenario's ``broker`` block when the policy is built from the
environment (``reserve_z``, ``max_availability_price_per_mw_h``,
``max_utilisation_price_per_mwh``); built from a codec alone they are z = 2.0, 100 per
MW per hour (the schema's defaults) and the top of the codec's price range. A
requirement above the codec's range (``reserve_hi``, default half the peak load) is
clipped by the encoding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, BrokerBids

from .base import Policy
from .features import FORECAST_ERROR_STD

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv


DEFAULT_Z = 2.0
"""Reserve in standard deviations of the system's forecast error."""
DEFAULT_MAX_AVAIL = 100.0
"""Availability price cap (currency per MW per hour), the scenario schema's default."""


class RuleBasedBroker(Policy):
    """Reserve up = down = ``z x forecast_error_std`` MW, with fixed price caps.

    Args:
        source: the broker's :class:`AgentCodec`, or the environment (then ``agent``,
            default ``"broker_0"``).
        agent: the agent id when ``source`` is an environment.
        z: reserve in standard deviations (>= 0); default the scenario's
            ``broker.reserve_z`` (2.0 from a codec).
        max_avail: availability price cap (currency per MW per hour, >= 0); default
            the scenario's ``broker.max_availability_price_per_mw_h`` (100 from a codec).
        max_util: utilisation price cap (currency per MWh, >= 0); default the
            scenario's ``broker.max_utilisation_price_per_mwh`` (the top of the codec's
            price range from a codec).

    Raises:
        ValueError: a trader's codec, or a negative parameter.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        z: float | None = None,
        max_avail: float | None = None,
        max_util: float | None = None,
    ) -> None:
        if agent is None and not isinstance(source, AgentCodec):
            agent = "broker_0"
        super().__init__(source, agent)
        if self.codec.role != "broker":
            raise ValueError(f"RuleBasedBroker is for the broker, not a {self.codec.role}")
        broker = getattr(getattr(source, "scenario", None), "broker", None)
        if broker is not None:
            z = broker.reserve_z if z is None else z
            max_avail = broker.max_availability_price_per_mw_h if max_avail is None else max_avail
            if max_util is None:
                max_util = broker.max_utilisation_price_per_mwh
        z = DEFAULT_Z if z is None else z
        max_avail = DEFAULT_MAX_AVAIL if max_avail is None else max_avail
        max_util = float(self.codec.hi[4]) if max_util is None else max_util
        for name, value in (("z", z), ("max_avail", max_avail), ("max_util", max_util)):
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name}={value!r}: allowed range is [0, inf)")
        self.z = float(z)
        self.max_avail = float(max_avail)
        self.max_util = float(max_util)

    def bids(self, obs: np.ndarray) -> BrokerBids:
        """The reserve request for ``(K, F)`` broker observations (MW, currency)."""
        obs = np.asarray(obs, dtype=np.float64)
        k = obs.shape[0]
        req = self.z * np.maximum(obs[:, FORECAST_ERROR_STD], 0.0)
        return BrokerBids(
            req_mw=np.repeat(req[:, None], 2, axis=1),
            max_avail=np.full((k, 2), self.max_avail),
            max_util=np.full((k, 2), self.max_util),
        )

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, None]:
        return self.codec.encode(self.bids(obs)), None

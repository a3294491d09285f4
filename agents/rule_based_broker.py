"""Rule-based broker: reserve for the largest loss, forecast error and ramping.

The broker (the balancing authority) states, every period, how much up and down reserve
it wants and the most it pays for it. :class:`RuleBasedBroker` asks for

* up reserve = ``largest_loss_frac x largest_infeed + z x forecast_error_std +
  ramp_frac x max(net_demand_ramp, 0)`` MW;
* down reserve = ``z x forecast_error_std + ramp_frac x max(-net_demand_ramp, 0)`` MW,

where ``largest_infeed`` (broker feature 15) is the largest thermal unit's output, the
loss a single trip causes; ``forecast_error_std`` (feature 8) is the standard deviation
of the system's forecast error in MW (renewables and loads, independent errors); and
``net_demand_ramp`` (feature 16) is the change of the net demand forecast (load minus
renewables) from the last period, MW (see
:data:`~elecbay_env.envs.observations.BROKER_FEATURES`). Price caps:
``max_avail`` (currency per MW per hour) and ``max_util`` (currency per MWh) in both
directions.

Defaults come from the scenario's ``broker`` block when the policy is built from the
environment (``reserve_z``, ``largest_loss_frac``, ``ramp_frac``,
``max_availability_price_per_mw_h``, ``max_utilisation_price_per_mwh``); built from a
codec alone they are the schema's defaults (z = 2.0, the whole largest loss, a quarter
of the ramp, 100 per MW per hour) and the top of the codec's price range. A requirement
above the codec's range (``reserve_hi``, default half the peak load) is clipped by the
encoding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, BrokerBids

from .base import Policy
from .features import FORECAST_ERROR_STD, LARGEST_INFEED, NET_DEMAND_RAMP

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv


DEFAULT_Z = 2.0
"""Reserve in standard deviations of the system's forecast error."""
DEFAULT_LARGEST_LOSS_FRAC = 1.0
"""Share of the largest single infeed held as up reserve."""
DEFAULT_RAMP_FRAC = 0.25
"""Share of the expected change of net demand held in the direction of the change."""
DEFAULT_MAX_AVAIL = 100.0
"""Availability price cap (currency per MW per hour), the scenario schema's default."""


class RuleBasedBroker(Policy):
    """Reserve for the largest loss, forecast error and ramping (module doc), with fixed
    price caps.

    Args:
        source: the broker's :class:`AgentCodec`, or the environment (then ``agent``,
            default ``"broker_0"``).
        agent: the agent id when ``source`` is an environment.
        z: reserve in standard deviations (>= 0); default the scenario's
            ``broker.reserve_z`` (2.0 from a codec).
        largest_loss_frac: share of the largest infeed held as up reserve (>= 0);
            default the scenario's ``broker.largest_loss_frac`` (1.0 from a codec).
        ramp_frac: share of the net demand ramp held (>= 0); default the scenario's
            ``broker.ramp_frac`` (0.25 from a codec).
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
        largest_loss_frac: float | None = None,
        ramp_frac: float | None = None,
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
            if largest_loss_frac is None:
                largest_loss_frac = broker.largest_loss_frac
            ramp_frac = broker.ramp_frac if ramp_frac is None else ramp_frac
            max_avail = broker.max_availability_price_per_mw_h if max_avail is None else max_avail
            if max_util is None:
                max_util = broker.max_utilisation_price_per_mwh
        z = DEFAULT_Z if z is None else z
        if largest_loss_frac is None:
            largest_loss_frac = DEFAULT_LARGEST_LOSS_FRAC
        ramp_frac = DEFAULT_RAMP_FRAC if ramp_frac is None else ramp_frac
        max_avail = DEFAULT_MAX_AVAIL if max_avail is None else max_avail
        max_util = float(self.codec.hi[4]) if max_util is None else max_util
        checks = (
            ("z", z), ("largest_loss_frac", largest_loss_frac), ("ramp_frac", ramp_frac),
            ("max_avail", max_avail), ("max_util", max_util),
        )  # fmt: skip
        for name, value in checks:
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name}={value!r}: allowed range is [0, inf)")
        self.z = float(z)
        self.largest_loss_frac = float(largest_loss_frac)
        self.ramp_frac = float(ramp_frac)
        self.max_avail = float(max_avail)
        self.max_util = float(max_util)

    def bids(self, obs: np.ndarray) -> BrokerBids:
        """The reserve request for ``(K, F)`` broker observations (MW, currency)."""
        obs = np.asarray(obs, dtype=np.float64)
        k = obs.shape[0]
        error = self.z * np.maximum(obs[:, FORECAST_ERROR_STD], 0.0)
        ramp = self.ramp_frac * obs[:, NET_DEMAND_RAMP]
        up = self.largest_loss_frac * np.maximum(obs[:, LARGEST_INFEED], 0.0) + error
        up += np.maximum(ramp, 0.0)
        down = error + np.maximum(-ramp, 0.0)
        return BrokerBids(
            req_mw=np.stack([up, down], axis=1),
            max_avail=np.full((k, 2), self.max_avail),
            max_util=np.full((k, 2), self.max_util),
        )

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, None]:
        return self.codec.encode(self.bids(obs)), None

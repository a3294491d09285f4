"""Strategies for zonal markets: what a seat behind a border might try (issue 15).

The honest baseline in a zonal market is :class:`~elecbay_agents.merit_order.
MeritOrderPolicy` as it is: a unit's truthful offer goes into its own zone's book, so the
merit order holds per zone (the zonal auction, not the bidder, sorts out the borders).
:class:`ZoneOfferPolicy` changes only the price of a seller's forward offers, to test
that no price a seat behind a full border names wins it part of the congestion rent:

* ``"national"``: offer at the last national reference price (``last_price``,
  currency per MWh): inflate towards the dear side of the border;
* ``"floor"``: offer at the price floor: deflate to be sure of export, as if the flow
  could be captured;
* ``"zone"``: offer at the own zone's last price (``own_zone_price``): shade towards
  the price the zone last cleared at.

Quantities, reserve offers and consumers' bids stay the merit order's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, TraderBids

from .features import LAST_PRICE
from .merit_order import MeritOrderPolicy

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv

MODES = ("national", "floor", "zone")


class ZoneOfferPolicy(MeritOrderPolicy):
    """Merit order whose forward offers (positive steps) name another price.

    Args:
        source, agent: as :class:`MeritOrderPolicy`.
        mode: one of :data:`MODES` (see the module docstring).
        own_zone_price: index of ``own_zone_price`` in the observation (mode ``"zone"``;
            :func:`elecbay_env.envs.observations.feature_names` gives it).
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        mode: str = "national",
        own_zone_price: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(source, agent, **kwargs)
        if mode not in MODES:
            raise ValueError(f"mode={mode!r}: allowed values are {', '.join(MODES)}")
        if mode == "zone" and own_zone_price is None:
            raise ValueError("mode='zone' needs own_zone_price (the feature's index)")
        self.mode = mode
        self.own_zone_price = own_zone_price

    def bids(self, obs: np.ndarray, mean_price: np.ndarray | None = None) -> TraderBids:
        """The merit order's bids with every forward offer at the mode's price."""
        truthful = super().bids(obs, mean_price)
        obs = np.asarray(obs, dtype=np.float64)
        if self.mode == "national":
            price = obs[:, LAST_PRICE]
        elif self.mode == "floor":
            price = np.full(obs.shape[0], self.codec.codec.price_range[0])
        else:
            price = obs[:, self.own_zone_price]
        step_price = np.where(truthful.step_qty > 0.0, price[:, None], truthful.step_price)
        return truthful._replace(step_price=step_price)

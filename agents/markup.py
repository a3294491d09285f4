"""Fixed markup and capacity withholding: the merit-order bid, made strategic.

:class:`MarkupPolicy` starts from the truthful bid of
:class:`~elecbay_agents.merit_order.MeritOrderPolicy` (same quantities, same storage
thresholds, same reserve offers) and changes it in two ways, alone or combined:

**Markup** ``m >= 0`` (a fraction) moves every price in the agent's favour, in
proportion to its magnitude:

* a price at which the agent *sells* goes up: ``p + m x |p|`` (``= p x (1 + m)`` for
  ``p >= 0``). Forward steps with a positive quantity (a producer's offer at marginal
  cost becomes ``cost x (1 + m)``; a discharging battery's ``high`` threshold), the
  up-reserve utilisation price (the provider is paid it for extra energy) and the
  availability price (currency per MW per hour);
* a price at which it *buys* goes down: ``p - m x |p|`` (``= p x (1 - m)`` for
  ``p >= 0``). Forward steps with a negative quantity (a consumer's bid at its value
  becomes ``value x (1 - m)``; a charging battery's ``low`` threshold) and the
  down-reserve utilisation price (the provider pays it for energy it no longer
  produces, or takes).

A cost of zero (wind, solar) stays at zero: the markup is a fraction of the cost, not
an amount.

**Withholding** ``w`` in [0, 1] offers only ``(1 - w)`` of every quantity the truthful
bid offers: the forward steps (a thermal unit's available capacity, a renewable's
forecast, a consumer's expected load, a battery's feasible charge or discharge) and the
reserve offers, as if only ``(1 - w)`` of the asset existed. The rest is withheld from
both markets (a consumer's withheld load is then bought, short, at the imbalance price).

``markup=0, withhold=0`` is exactly the merit-order bid. Prices and quantities are
clipped to the codec's ranges by the encoding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, TraderBids

from .merit_order import MeritOrderPolicy

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv

DEFAULT_MARKUP = 0.2
"""Markup of the ``markup`` spec without arguments (fraction of the truthful price)."""
DEFAULT_WITHHOLD = 0.2
"""Withheld share of the ``withhold`` spec without arguments (fraction of quantity)."""


def sell_price(price: np.ndarray, markup: float) -> np.ndarray:
    """A selling price raised by ``markup`` (fraction) of its magnitude: ``p + m |p|``."""
    return price + markup * np.abs(price)


def buy_price(price: np.ndarray, markup: float) -> np.ndarray:
    """A buying price lowered by ``markup`` (fraction) of its magnitude: ``p - m |p|``."""
    return price - markup * np.abs(price)


class MarkupPolicy(MeritOrderPolicy):
    """Merit order with a fixed markup and/or capacity withholding (rules in the module doc).

    Args:
        source: the agent's :class:`AgentCodec`, or the environment (then ``agent``).
        agent: the agent id when ``source`` is an environment.
        markup: fraction by which selling prices rise and buying prices fall, >= 0
            (default 0.2: offers at 1.2 x cost, bids at 0.8 x value).
        withhold: share of every offered quantity held back, in [0, 1] (default 0).
        **kwargs: passed to :class:`MeritOrderPolicy` (``availability_price``,
            ``offer_reserve``, storage thresholds...).

    Raises:
        ValueError: a broker codec, or a parameter out of range.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        markup: float = DEFAULT_MARKUP,
        withhold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(source, agent, **kwargs)
        if not (np.isfinite(markup) and markup >= 0):
            raise ValueError(f"markup={markup!r}: allowed range is [0, inf)")
        if not 0.0 <= withhold <= 1.0:
            raise ValueError(f"withhold={withhold!r}: allowed range is [0, 1]")
        self.markup = float(markup)
        self.withhold = float(withhold)

    def bids(self, obs: np.ndarray, mean_price: np.ndarray | None = None) -> TraderBids:
        """The marked-up, partly withheld bids for ``(K, F)`` observations (MW, currency)."""
        truthful = super().bids(obs, mean_price)
        m, keep = self.markup, 1.0 - self.withhold
        step_price = np.where(
            truthful.step_qty < 0.0,
            buy_price(truthful.step_price, m),
            sell_price(truthful.step_price, m),
        )
        res_util = np.stack(
            [sell_price(truthful.res_util[:, 0], m), buy_price(truthful.res_util[:, 1], m)],
            axis=1,
        )
        return TraderBids(
            step_price=step_price,
            step_qty=truthful.step_qty * keep,
            res_qty=truthful.res_qty * keep,
            res_avail=sell_price(truthful.res_avail, m),
            res_util=res_util,
        )

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, markup={self.markup}, withhold={self.withhold})"

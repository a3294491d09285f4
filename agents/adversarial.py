"""Adversarial strategies: the flaws a cash-maximising learner would find first.

Cash is the reward, so a learner exploits every flaw of the market rules. These
policies play the obvious exploits by hand, so that the test suite
(``tests/economics/test_exploits.py``, with :mod:`elecbay_evaluate.exploits`) can check
that none of them pays more than honest merit-order bidding on the same seeds.

Every trader strategy is :class:`AdversarialPolicy`: the truthful
:class:`~elecbay_agents.merit_order.MeritOrderPolicy` bids, then one deliberate
distortion, set by parameters rather than by near-duplicate classes:

* **contract_factor** (dimensionless): the forward quantity is ``factor x`` the
  honest one. Above 1 the seat contracts more than it can deliver (thermal: sells
  ``factor x own_capacity`` even in an outage or before it could ramp there; wind and
  solar: ``factor x forecast``; storage: the power rating ``factor x own_capacity``
  whatever its state of charge; consumers: buy ``factor x expected load``, i.e. run
  long). Below 1 it contracts less (consumers run short; producers follow their
  position, so for them it is mostly withholding, a form of market power that
  :func:`elecbay_evaluate.exploits.market_power` reports separately). Quantities
  outside the codec's range clip to it (thermal and renewables: the capacity).
* **reserve_factor** (dimensionless) and **reserve_avail** (currency per MW per
  hour): reserve offered is ``factor x`` the honest offer (phantom flexibility it
  cannot deliver) at this availability price.
* **up_util**, **down_util** (currency per MWh, or None for the honest price): the
  utilisation prices of the reserve offers; the price cap on up reserve while long
  (or the floor on down reserve while short) tries to set the imbalance price in the
  seat's favour.
* **down_reserve_frac** (fraction of the expected load): a consumer offering down
  reserve (consume extra energy when instructed) of this size; with a low
  utilisation price it is activated first in a long system and, under the old rules,
  credited the full value of energy it did not want.

:class:`NivChasingStorage` makes a battery deliberately long or short by contracting
beyond what its state of charge allows, on the side it expects to pay from the last
net imbalance volume. :class:`ScaledReserveBroker` buys a multiple of the rule-based
broker's reserve.

Specs in :mod:`elecbay_agents.registry`: ``misforecast:FACTOR``,
``phantom_reserve:FACTOR[,AVAIL]``, ``imbalance_setter:SIDE[,FACTOR]``,
``consumer_down_reserve:[FRAC[,UTIL]]``, ``niv_chase:SIDE[,FRAC]``,
``broker_reserve_scale:FACTOR``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, BrokerBids, TraderBids
from elecbay_env.kernels import kinds

from .base import Policy
from .features import (
    LAST_PRICE,
    OWN_CAPACITY,
    OWN_FORECAST,
    OWN_KIND,
)
from .merit_order import MeritOrderPolicy
from .rule_based_broker import RuleBasedBroker

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv

LAST_IMBALANCE_PRICE = 4
"""Index of ``last_imbalance_price`` (currency per MWh) in the trader features."""
LAST_NIV = 5
"""Index of ``last_niv`` (MWh, + short) in the trader features."""


class AdversarialPolicy(MeritOrderPolicy):
    """Merit-order bids with one deliberate distortion (see the module doc).

    Args:
        source, agent: as :class:`MeritOrderPolicy`.
        contract_factor: forward quantity multiplier (>= 0; 1: honest).
        reserve_factor: reserve quantity multiplier (>= 0; 1: honest).
        reserve_avail: availability price of every reserve offer (currency per MW per
            hour); None: the merit order's.
        up_util, down_util: utilisation prices (currency per MWh) of the up / down
            reserve offers; None: the merit order's.
        down_reserve_frac: consumers only, down reserve offered as a fraction of the
            expected load (>= 0; 0: none, as the merit order).
        **kwargs: passed to :class:`MeritOrderPolicy`.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        contract_factor: float = 1.0,
        reserve_factor: float = 1.0,
        reserve_avail: float | None = None,
        up_util: float | None = None,
        down_util: float | None = None,
        down_reserve_frac: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(source, agent, **kwargs)
        for name, value in (
            ("contract_factor", contract_factor),
            ("reserve_factor", reserve_factor),
            ("down_reserve_frac", down_reserve_frac),
        ):
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name}={value!r}: allowed range is [0, inf)")
        self.contract_factor = float(contract_factor)
        self.reserve_factor = float(reserve_factor)
        self.reserve_avail = reserve_avail
        self.up_util = up_util
        self.down_util = down_util
        self.down_reserve_frac = float(down_reserve_frac)

    def distort(self, obs: np.ndarray, bids: TraderBids, mean_price: np.ndarray) -> TraderBids:
        """The distorted bids (MW, currency) for ``(K, F)`` observations."""
        kind = np.rint(obs[:, OWN_KIND]).astype(np.int64)
        thermal = kind == kinds.THERMAL
        storage = kind == kinds.STORAGE
        consumer = kind == kinds.CONSUMER
        f = self.contract_factor
        step_qty = bids.step_qty * f
        step_price = bids.step_price.copy()
        b = self.bid_steps
        if f > 1.0:
            # thermal: the nameplate capacity, in an outage or not, ramp or not
            cap_step = (f * obs[:, OWN_CAPACITY] / b)[:, None]
            step_qty = np.where(thermal[:, None], cap_step, step_qty)
            # storage: the power rating in the threshold rule's direction, whatever the
            # state of charge (it cannot deliver what it holds no energy for)
            low, high = self.thresholds(mean_price)
            p = obs[:, LAST_PRICE]
            side = np.where(p > high, 1.0, np.where(p < low, -1.0, 0.0))
            st_qty = (side * f * obs[:, OWN_CAPACITY] / b)[:, None]
            st_price = np.where(side > 0, high, low)[:, None]
            step_qty = np.where(storage[:, None], st_qty, step_qty)
            step_price = np.where(storage[:, None] & (side[:, None] != 0), st_price, step_price)
        res_qty = bids.res_qty * self.reserve_factor
        res_util = bids.res_util.copy()
        if self.down_reserve_frac > 0.0:
            down = self.down_reserve_frac * np.maximum(obs[:, OWN_FORECAST], 0.0)
            res_qty[:, 1] = np.where(consumer, down, res_qty[:, 1])
            low_util = 0.0 if self.down_util is None else self.down_util
            res_util[:, 1] = np.where(consumer, low_util, res_util[:, 1])
        if self.up_util is not None:
            res_util[:, 0] = self.up_util
        if self.down_util is not None:
            res_util[:, 1] = self.down_util
        avail = self.availability_price if self.reserve_avail is None else self.reserve_avail
        res_avail = np.where(res_qty > 0.0, avail, 0.0)
        return TraderBids(step_price, step_qty, res_qty, res_avail, res_util)

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        means = self.storage_rule.means(state, episode_start)
        bids = self.distort(obs, self.bids(obs, means), means)
        return self.codec.encode(bids), self.storage_rule.update(means, obs)


def imbalance_setter(
    source: AgentCodec | ElecbayParallelEnv,
    agent: str | None = None,
    side: float = 1.0,
    factor: float = 0.2,
) -> AdversarialPolicy:
    """Hold an imbalance and bid reserve utilisation at the extreme that pays it.

    ``side = +1``: run long (a consumer buys ``1 + factor`` times its load, a producer
    sells ``1 - factor`` times its honest quantity) and offer up reserve at the price cap,
    so that if it is activated the imbalance price, which the long party receives, is the
    cap. ``side = -1``: run short (buy ``1 - factor``, sell ``1 + factor``) and offer down
    reserve at the price floor, so the imbalance price the short party pays is the floor.
    Prices in currency per MWh.
    """
    codec = resolve(source, agent)
    consumer = codec.role == "consumer"
    grow = (side > 0) == consumer  # long consumer buys more; long producer sells less
    cf = 1.0 + factor if grow else max(1.0 - factor, 0.0)
    lo, hi = float(codec.lo[0]), float(codec.hi[0])
    if side > 0:
        return AdversarialPolicy(source, agent, contract_factor=cf, up_util=hi)
    return AdversarialPolicy(
        source, agent, contract_factor=cf, down_util=lo, down_reserve_frac=0.2 if consumer else 0
    )


def resolve(source: AgentCodec | ElecbayParallelEnv, agent: str | None) -> AgentCodec:
    """The agent's codec (:func:`elecbay_agents.base.resolve_codec`)."""
    from .base import resolve_codec

    return resolve_codec(source, agent)


class NivChasingStorage(MeritOrderPolicy):
    """A battery that is long or short on purpose, on the side the last NIV suggests.

    With ``s = sign(last_niv)`` (+1: the system was short) and ``side`` (+1: chase, i.e.
    be long when the system is expected short and short when it is expected long,
    which helps the system; -1: aggravate), the battery contracts to buy (to be long)
    or sell (to be short) ``frac x own_capacity`` MW *beyond* what its state of charge
    allows (the full rating plus nothing it could deliver: a full battery cannot charge,
    an empty one cannot discharge, so the contract it cannot follow is imbalance).
    Buys are bid at up to the last imbalance price, sells offered at no less: it trades
    forward energy against the imbalance price it expects (currency per MWh).

    Args:
        source, agent: as :class:`MeritOrderPolicy`.
        side: +1 chase the NIV (help the system), -1 aggravate it.
        frac: share of the power rating contracted each period, in (0, 1].
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        side: float = 1.0,
        frac: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(source, agent, **kwargs)
        if side not in (-1.0, 1.0):
            raise ValueError(f"side={side!r}: expected +1 (chase) or -1 (aggravate)")
        if not 0.0 < frac <= 1.0:
            raise ValueError(f"frac={frac!r}: allowed range (0, 1]")
        self.side = float(side)
        self.frac = float(frac)

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        means = self.storage_rule.means(state, episode_start)
        bids = self.bids(obs, means)
        kind = np.rint(obs[:, OWN_KIND]).astype(np.int64)
        storage = kind == kinds.STORAGE
        expect = np.sign(obs[:, LAST_NIV])  # + system short
        want_long = expect * self.side > 0
        want_short = expect * self.side < 0
        b = self.bid_steps
        q = self.frac * obs[:, OWN_CAPACITY] / b
        qty = np.where(want_long, -q, np.where(want_short, q, 0.0))  # long: buy; short: sell
        price = obs[:, LAST_IMBALANCE_PRICE]
        step_qty = np.where(storage[:, None], np.repeat(qty[:, None], b, 1), bids.step_qty)
        step_price = np.where(storage[:, None], np.repeat(price[:, None], b, 1), bids.step_price)
        bids = TraderBids(step_price, step_qty, bids.res_qty, bids.res_avail, bids.res_util)
        return self.codec.encode(bids), self.storage_rule.update(means, obs)


class ScaledReserveBroker(Policy):
    """The rule-based broker buying ``factor x`` its requirement (MW), same price caps.

    ``factor < 1`` saves availability payments at the risk of unserved energy and
    curtailment; ``factor > 1`` buys insurance it does not need. Wraps
    :class:`~elecbay_agents.rule_based_broker.RuleBasedBroker` so that it follows
    whatever rule that broker uses.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        factor: float = 1.0,
    ) -> None:
        if agent is None and not isinstance(source, AgentCodec):
            agent = "broker_0"
        super().__init__(source, agent)
        if not (np.isfinite(factor) and factor >= 0):
            raise ValueError(f"factor={factor!r}: allowed range is [0, inf)")
        self.factor = float(factor)
        self.rule = RuleBasedBroker(source, agent)

    def bids(self, obs: np.ndarray) -> BrokerBids:
        """The scaled reserve request for ``(K, F)`` broker observations."""
        b = self.rule.bids(obs)
        return BrokerBids(b.req_mw * self.factor, b.max_avail, b.max_util)

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, None]:
        return self.codec.encode(self.bids(obs)), None


__all__ = [
    "AdversarialPolicy",
    "NivChasingStorage",
    "ScaledReserveBroker",
    "imbalance_setter",
]

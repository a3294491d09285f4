"""Zero-intelligence traders (Gode and Sunder 1993) and uniformly random actions.

Gode, D. K. and Sunder, S. (1993), "Allocative efficiency of markets with
zero-intelligence traders: market as a partial substitute for individual rationality",
Journal of Political Economy 101(1), 119-137.

**Traders** (producers and consumers). Quantities are those of merit order
(:class:`~elecbay_agents.merit_order.MeritOrderPolicy`: available capacity, forecast,
expected load, the battery's threshold decision limited by power and state of charge,
and the same reserve offers); only the prices are random, drawn independently for each
of the B forward steps and each reserve price, every call, from the policy's seeded
``numpy.random.Generator``. ``[P_lo, P_hi]`` is the codec's price range (default the
scenario's price floor and cap, currency per MWh) and ``A_hi`` the top of its
availability-price range (currency per MW per hour).

* **ZI-U** (unconstrained, :class:`ZIUPolicy`): every step price and every utilisation
  price uniform on ``[P_lo, P_hi]``, every availability price uniform on ``[0, A_hi]``:
  a ZI-U trader may sell below its cost and buy above its value.
* **ZI-C** (budget-constrained, :class:`ZICPolicy`): it never trades at a loss. A
  price at which it sells lies uniformly in ``[limit, P_hi]``, a price at which it buys
  in ``[P_lo, limit]``, where ``limit`` is the merit-order (truthful) price of the
  same step:

  - forward, positive quantity (sell): ``limit`` = the step's merit-order price:
    marginal cost, or the price-taking -1 of a thermal unit's must-deliver block (a
    battery discharging: its ``high`` threshold);
  - forward, negative quantity (buy): ``limit`` = the step's merit-order price: the
    value for flexible load, the price cap for inflexible load (a battery charging:
    its ``low`` threshold). A battery thus never buys above ``low`` nor sells below
    ``high``;
  - up-reserve utilisation price (it is paid it for extra energy): at or above the
    merit-order price (cost, cost + up markup, value or ``high``);
  - down-reserve utilisation price (it pays it for energy it no longer produces): at
    or below the merit-order price (cost or ``low``);
  - availability price: uniform on ``[0, A_hi]`` (holding capacity back costs nothing
    here, so any non-negative fee is no loss).

  A limit outside ``[P_lo, P_hi]`` is clipped into it.

**Broker**. ZI-U: each of its six actions (requirements up/down in MW, availability and
utilisation price caps) uniform over the codec's range. ZI-C: the requirement uniform
on ``[0, 2 r]`` MW where ``r`` is the rule-based broker's requirement (largest loss,
forecast error and ramping), so its mean is the rule's, and each cap uniform on
``[0, cap]`` where ``cap`` is
the rule-based broker's (the scenario's ``broker`` block): it never pays more than
the rule-based broker would.

**Random** (:class:`RandomPolicy`, any role): every action entry uniform on [-1, 1].

``deterministic`` has no effect on these policies: they are random by nature, and
``deterministic=True`` still draws. Runs are reproducible through the generator: two
policies built with the same ``seed`` (or generators in the same state) give the same
actions for the same sequence of calls. The state is that of merit order (the storage
running mean) for traders and None otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, BrokerBids, TraderBids
from elecbay_env.kernels import kinds

from .base import Policy
from .merit_order import MeritOrderPolicy
from .rule_based_broker import RuleBasedBroker

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv


def make_rng(
    seed: int | None = None, rng: np.random.Generator | None = None
) -> np.random.Generator:
    """A generator from ``rng`` or ``seed`` (both None: fresh OS entropy).

    Raises:
        ValueError: both given, or a ``rng`` that is not a ``numpy.random.Generator``.
    """
    if rng is not None:
        if seed is not None:
            raise ValueError("give seed or rng, not both")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
        return rng
    return np.random.default_rng(seed)


class RandomPolicy(Policy):
    """Uniformly random actions on [-1, 1] for any agent (the action space's own range).

    Args:
        source: the agent's :class:`AgentCodec`, or the environment (then ``agent``).
        agent: the agent id when ``source`` is an environment.
        seed: seeds the policy's generator (ignored when ``rng`` is given).
        rng: a ``numpy.random.Generator`` to draw from.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__(source, agent)
        self.seed = seed
        self.rng = make_rng(seed, rng)

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, None]:
        return self.rng.uniform(-1.0, 1.0, size=(obs.shape[0], self.action_width)), None


class ZeroIntelligencePolicy(Policy):
    """Zero-intelligence bids: merit-order quantities, random prices (module doc).

    Args:
        source: the agent's :class:`AgentCodec`, or the environment (then ``agent``).
        agent: the agent id when ``source`` is an environment.
        constrained: True for ZI-C (no loss-making price), False for ZI-U.
        seed: seeds the policy's generator (ignored when ``rng`` is given).
        rng: a ``numpy.random.Generator`` to draw from.
        **kwargs: passed to the policy whose quantities it takes
            (:class:`MeritOrderPolicy` for traders, :class:`RuleBasedBroker` for the
            broker), e.g. ``offer_reserve=False`` or ``z=3.0``.
    """

    constrained: bool = False

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        constrained: bool | None = None,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(source, agent)
        if constrained is not None:
            self.constrained = bool(constrained)
        self.seed = seed
        self.rng = make_rng(seed, rng)
        self.base: MeritOrderPolicy | RuleBasedBroker
        if self.codec.role == "broker":
            self.base = RuleBasedBroker(source, agent, **kwargs)
        else:
            self.base = MeritOrderPolicy(source, agent, **kwargs)
        b = self.codec.codec.bid_steps if self.codec.role != "broker" else 0
        self.price_lo = float(self.codec.lo[0]) if b else 0.0
        self.price_hi = float(self.codec.hi[0]) if b else float(self.codec.hi[4])
        self.avail_hi = float(self.codec.hi[2 * b + 2]) if b else float(self.codec.hi[2])

    # -- draws ----------------------------------------------------------------------
    def _uniform(
        self, lo: np.ndarray | float, hi: np.ndarray | float, shape: tuple[int, ...]
    ) -> np.ndarray:
        u = self.rng.random(shape)
        return lo + u * (np.asarray(hi) - lo)

    def _sell(self, limit: np.ndarray) -> np.ndarray:
        """Selling prices: ZI-C uniform on [limit, P_hi], ZI-U on [P_lo, P_hi]."""
        lo = np.clip(limit, self.price_lo, self.price_hi) if self.constrained else self.price_lo
        return self._uniform(lo, self.price_hi, np.shape(limit))

    def _buy(self, limit: np.ndarray) -> np.ndarray:
        """Buying prices: ZI-C uniform on [P_lo, limit], ZI-U on [P_lo, P_hi]."""
        hi = np.clip(limit, self.price_lo, self.price_hi) if self.constrained else self.price_hi
        return self._uniform(self.price_lo, hi, np.shape(limit))

    def trader_bids(self, obs: np.ndarray, mean_price: np.ndarray) -> TraderBids:
        """Random-price bids on merit-order quantities for ``(K, F)`` trader observations."""
        truthful = self.base.bids(obs, mean_price)
        buy = (truthful.step_qty < 0.0) | (self.base.asset_kind == kinds.CONSUMER)
        step_price = np.where(buy, self._buy(truthful.step_price), self._sell(truthful.step_price))
        res_util = np.stack(
            [self._sell(truthful.res_util[:, 0]), self._buy(truthful.res_util[:, 1])], axis=1
        )
        has = truthful.res_qty > 0.0
        res_avail = self._uniform(0.0, self.avail_hi, truthful.res_avail.shape)
        return TraderBids(
            step_price=step_price,
            step_qty=truthful.step_qty,
            res_qty=truthful.res_qty,
            res_avail=np.where(has, res_avail, 0.0),
            res_util=np.where(has, res_util, 0.0),
        )

    def broker_bids(self, obs: np.ndarray) -> BrokerBids:
        """Random reserve requests for ``(K, F)`` broker observations (MW, currency)."""
        k = obs.shape[0]
        if not self.constrained:
            x = self._uniform(self.codec.lo, self.codec.hi, (k, self.codec.width))
            return BrokerBids(x[:, 0:2], x[:, 2:4], x[:, 4:6])
        rule = self.base.bids(obs)
        return BrokerBids(
            req_mw=self._uniform(0.0, 2.0 * rule.req_mw, (k, 2)),
            max_avail=self._uniform(0.0, rule.max_avail, (k, 2)),
            max_util=self._uniform(0.0, rule.max_util, (k, 2)),
        )

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, Any]:
        if self.codec.role == "broker":
            return self.codec.encode(self.broker_bids(obs)), None
        rule = self.base.storage_rule
        means = rule.means(state, episode_start)
        bids = self.trader_bids(obs, means)
        return self.codec.encode(bids), rule.update(means, obs)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, seed={self.seed})"


class ZIUPolicy(ZeroIntelligencePolicy):
    """Zero intelligence, unconstrained (ZI-U): prices uniform over the whole range."""

    constrained = False


class ZICPolicy(ZeroIntelligencePolicy):
    """Zero intelligence, budget-constrained (ZI-C): never a loss-making price."""

    constrained = True

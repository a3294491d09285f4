"""Truthful merit order: offer at marginal cost, bid at value (DESIGN section 7).

:class:`MeritOrderPolicy` serves any producer or consumer. It reads the asset kind and
every number it needs from the agent's observation (indices of
:data:`~elecbay_env.envs.observations.TRADER_FEATURES`), decides physical bids in MW and
currency per MWh, and encodes them with the agent's codec. The forward step curve has
B steps (the scenario's ``market.bid_steps``); a quantity is always split in B equal
steps at the same price, so the curve is one flat block.

Rules, by asset kind (``own_kind``, index 21):

* **Thermal** (0): truthful about the marginal cost ``own_cost_or_value`` (index 10) and
  about what the unit can physically deliver. Contracts are ramped profiles that start
  from the last position ``own_last_contract`` (index 18; ``own_level`` at the start of
  an episode), so the unit can reach at most ``last + R`` and at least ``last - R`` with
  ``R = own_ramp x ramp minutes`` (the scenario's ``schedule_ramp_min``, at least one
  meter interval). A running unit that cannot stop this period (it is still inside its
  minimum run time, or cannot ramp to zero), or that chooses to stay on because the last
  price ``last_price`` is at least ``(1 - stay_band)`` times its cost, offers the part
  it must deliver,
  ``max(last - R, own_min_stable)``, as a price taker (at ``PRICE_TAKER``, -1) and the rest up to
  ``min(capacity, last + R)`` at marginal cost; otherwise it offers everything it can
  reach at marginal cost (a unit that is off: ``min_stable + R``, once it has been off
  for its minimum off time, ``own_hours_off``). During a forced outage
  (``own_forecast`` 0) it offers nothing. Start-up cost is not in the bids.
  Reserve (when ``offer_reserve``): up ``own_forecast`` MW at utilisation price
  ``cost + up_markup``; down ``own_forecast - own_min_stable`` MW at utilisation price
  ``cost`` (the provider pays its utilisation price for energy it no longer produces,
  and saves its marginal cost: break-even). Both at availability price
  ``availability_price`` (currency per MW per hour). The offered MW are an upper bound:
  the market caps each at what the unit can physically still do after its forward
  position (``capacity - schedule`` up, ``schedule - min stable`` down, within one
  period's ramp; zero when the unit does not run), so in effect the unit offers its
  headroom and footroom.
* **Wind, solar** (1, 2): offer the forecast ``own_forecast`` at the marginal cost (about
  zero). Reserve: down only (they can curtail), ``own_forecast`` MW at utilisation price
  = marginal cost; the market caps it at the forward position.
* **Storage** (3): a price-threshold arbitrageur. With ``p = last_price`` (index 3):
  ``p < low``: bid to buy (charge) at price ``low``; ``p > high``: offer to sell
  (discharge) at price ``high``; otherwise no forward steps. Quantities (MW) are limited
  by the power rating (``own_capacity``) and by the energy the battery holds or can
  take within its state-of-charge bounds over one period, from ``own_soc`` (index 14,
  the fraction of the usable energy), ``own_energy`` (index 23, MWh) and the one-way
  efficiency ``sqrt(own_round_trip)`` (index 24), so a filled order never runs the
  battery empty or full:
  ``discharge <= soc_frac x energy x eff / period_h``,
  ``charge <= (1 - soc_frac) x energy / (eff x period_h)``.
  Thresholds: fixed when ``storage_low`` and ``storage_high`` are given; otherwise
  ``low = m - storage_band x |m|`` and ``high = m + storage_band x |m|`` around a running
  mean ``m`` of ``last_price``, an exponential moving average with weight
  ``storage_ema`` kept in the policy state (``(K,)`` float64, currency per MWh; the
  decision uses the mean before this period's update). With no state (``state=None``)
  or at an episode start the mean starts at ``reference_price`` (default: the
  scenario's initial reference price), so calling without passing the state back
  trades around fixed thresholds. Reserve: up ``own_capacity`` MW at utilisation
  price ``high``, down ``own_capacity`` MW at ``low`` (the market caps both by the
  state of charge and the forward position). The rule is the shared
  :class:`~elecbay_agents._storage.ThresholdRule`, also behind
  :class:`~elecbay_agents.storage_threshold.StorageThresholdPolicy`.
* **Consumer** (4): the inflexible share of the expected load ``own_forecast`` (``1 -
  own_flexible``) is drawn whatever is bought, so it is bid as a price taker (at the top
  of the price range); the flexible share is drawn only as far as it is bought, so it is
  bid at the value of energy ``own_cost_or_value``. With one bid step, all of it at the
  value. Reserve: up only (curtail load), ``flexible_frac x
  own_forecast`` MW at utilisation price = value (paid the value of the energy it does
  without: break-even); ``flexible_frac`` is the observation's ``own_flexible``. No down
  reserve: the truthful price of extra consumption would be the value itself, which
  would make the broker activate consumers first in a long system and set the
  imbalance price at their value.

Every reserve offer uses ``availability_price`` (default 3 currency per MW per hour, an
assumption of the size of GB short-term operating reserve fees). The state is the
running mean of ``last_price``; every kind carries it (only storage uses it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec, TraderBids
from elecbay_env.kernels import kinds

from ._storage import DEFAULT_STORAGE_BAND, DEFAULT_STORAGE_EMA, ThresholdRule
from .base import Policy
from .features import (
    LAST_PRICE,
    OWN_CAPACITY,
    OWN_COST_OR_VALUE,
    OWN_FLEXIBLE,
    OWN_FORECAST,
    OWN_HOURS_OFF,
    OWN_HOURS_RUN,
    OWN_KIND,
    OWN_LAST_CONTRACT,
    OWN_LEVEL,
    OWN_MIN_STABLE,
    OWN_ON,
    OWN_PROGRESS,
    OWN_RAMP,
)

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv


DEFAULT_AVAILABILITY_PRICE = 3.0
"""Availability price of every reserve offer (currency per MW per hour)."""
PRICE_TAKER = -1.0
"""Price of the output a running thermal unit must deliver (currency per MWh): just below
the zero cost of wind and sun, so inflexible output is dispatched before they are."""
DEFAULT_STAY_BAND = 0.0
"""A running thermal unit stays on while the last price is within this share below its
marginal cost (hysteresis against costly stops and starts)."""
DEFAULT_UP_MARKUP = 5.0
"""Thermal up-reserve utilisation price above marginal cost (currency per MWh)."""


def fill_steps(
    prices: np.ndarray, qty: np.ndarray, step_max: float, n_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lay blocks of (price, MW) into ``n_steps`` steps of at most ``step_max`` MW each.

    Args:
        prices, qty: ``(K, J)`` blocks in the order they fill steps (MW >= 0).
        step_max: the codec's largest step (MW).
        n_steps: B.

    Returns:
        ``(step_price, step_qty)``, each ``(K, B)``. Where the blocks fit in whole steps
        each block gets its own equal steps (the first blocks as few as they need, the
        last block the steps left). Where they do not, steps are filled in order at
        ``step_max`` and a step takes the price of the first block it holds, so MW of a
        later block may sell at an earlier block's price (never the other way); MW beyond
        ``B x step_max`` are dropped.
    """
    k, j_blocks = qty.shape
    left = np.maximum(qty, 0.0).astype(np.float64)
    need = np.ceil(left / step_max - 1e-9).astype(np.int64)
    need[:, -1] = np.maximum(need[:, -1], 1)
    fits = need.sum(axis=1) <= n_steps
    step_price = np.repeat(prices[:, :1], n_steps, axis=1).astype(np.float64)
    step_qty = np.zeros((k, n_steps))
    rows = np.arange(k)
    # aligned layout: block j spans need[j] steps (the last block all the steps left)
    first = np.zeros(k, np.int64)
    for j in range(j_blocks):
        span = n_steps - first if j == j_blocks - 1 else need[:, j]
        for s in range(n_steps):
            inside = fits & (s >= first) & (s < first + span)
            step_price[inside, s] = prices[inside, j]
            step_qty[inside, s] = (left[:, j] / np.maximum(span, 1))[inside]
        first = first + span
    # packed layout where the aligned one does not fit
    if not fits.all():
        rest = ~fits
        for s in range(n_steps):
            block = np.argmax(left > 1e-9, axis=1)
            step_price[rest, s] = prices[rows, block][rest]
            room = np.full(k, step_max)
            for j in range(j_blocks):
                take = np.minimum(left[:, j], room) * (j >= block) * rest
                left[:, j] -= take
                room -= take
                step_qty[:, s] += take
    return step_price, step_qty


class MeritOrderPolicy(Policy):
    """Truthful merit-order bids for a producer or a consumer (rules in the module doc).

    Args:
        source: the agent's :class:`AgentCodec`, or the environment (then ``agent``).
        agent: the agent id when ``source`` is an environment.
        availability_price: availability price of every reserve offer (currency per MW
            per hour), >= 0.
        up_markup: thermal up-reserve utilisation price above marginal cost (currency
            per MWh).
        offer_reserve: offer balancing reserve at all.
        storage_low, storage_high: fixed storage thresholds (currency per MWh); give
            both or neither (then they follow the running mean).
        storage_band: half-width of the adaptive thresholds, a fraction of ``|mean|``.
        storage_ema: weight of the newest price in the running mean, in (0, 1].
        reference_price: the running mean's starting value (currency per MWh); default
            the scenario's initial reference price.
        stay_band: a running thermal unit stays on (offers its minimum stable output as a
            price taker) while ``last_price >= (1 - stay_band) x marginal cost``, in [0, 1].

    Raises:
        ValueError: a broker codec, or a bad parameter.
    """

    def __init__(
        self,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        *,
        availability_price: float = DEFAULT_AVAILABILITY_PRICE,
        up_markup: float = DEFAULT_UP_MARKUP,
        offer_reserve: bool = True,
        storage_low: float | None = None,
        storage_high: float | None = None,
        storage_band: float = DEFAULT_STORAGE_BAND,
        storage_ema: float = DEFAULT_STORAGE_EMA,
        reference_price: float | None = None,
        stay_band: float = DEFAULT_STAY_BAND,
    ) -> None:
        super().__init__(source, agent)
        if self.codec.role == "broker":
            raise ValueError("MeritOrderPolicy is for producers and consumers, not the broker")
        if not availability_price >= 0:
            raise ValueError(f"availability_price={availability_price}: allowed range [0, inf)")
        params = self.codec.codec.params
        self.bid_steps = self.codec.codec.bid_steps
        self.period_h = params.period_h
        self.asset_kind = int(params.kind[0, self.codec.row])
        row = self.codec.row
        self.min_run_periods = int(params.min_run[0, row])
        self.min_off_periods = int(params.min_off[0, row])
        if not 0.0 <= stay_band <= 1.0:
            raise ValueError(f"stay_band={stay_band}: allowed range [0, 1]")
        self.stay_band = float(stay_band)
        self.ramp_minutes = float(max(params.ramp_min, params.meter_min))
        self.price_taker = max(float(params.price_floor[0]), PRICE_TAKER)
        self.price_cap = float(params.price_cap[0])
        b = self.bid_steps  # the codec's largest step (MW)
        self.step_max = max(abs(float(self.codec.hi[b])), abs(float(self.codec.lo[b])))
        self.storage_rule = ThresholdRule(
            storage_low, storage_high, storage_band, storage_ema,
            float(params.initial_price[0]) if reference_price is None else reference_price,
            names=("storage_low", "storage_high", "storage_band", "storage_ema"),
        )  # fmt: skip
        self.availability_price = float(availability_price)
        self.up_markup = float(up_markup)
        self.offer_reserve = bool(offer_reserve)

    @property
    def storage_low(self) -> float | None:
        """Fixed low storage threshold (currency per MWh), or None (adaptive)."""
        return self.storage_rule.low

    @property
    def storage_high(self) -> float | None:
        """Fixed high storage threshold (currency per MWh), or None (adaptive)."""
        return self.storage_rule.high

    @property
    def reference_price(self) -> float:
        """The running mean's starting value (currency per MWh)."""
        return self.storage_rule.reference_price

    @property
    def storage_band(self) -> float:
        """Half-width of the adaptive storage thresholds, a fraction of ``|mean|``."""
        return self.storage_rule.band

    @property
    def storage_ema(self) -> float:
        """Weight of the newest ``last_price`` in the running mean."""
        return self.storage_rule.ema

    def thresholds(self, mean_price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Storage (low, high) thresholds for running means ``mean_price`` (currency/MWh)."""
        return self.storage_rule.thresholds(mean_price)

    # -- bids -----------------------------------------------------------------------
    def bids(self, obs: np.ndarray, mean_price: np.ndarray | None = None) -> TraderBids:
        """The physical bids for ``(K, F)`` observations (MW, currency per MWh).

        Args:
            obs: the agent's observations, batch first.
            mean_price: ``(K,)`` running means of ``last_price`` for the storage
                thresholds; default ``reference_price``.
        """
        obs = np.asarray(obs, dtype=np.float64)
        k = obs.shape[0]
        b = self.bid_steps
        if mean_price is None:
            mean_price = np.full(k, self.reference_price)
        kind = np.rint(obs[:, OWN_KIND]).astype(np.int64)
        fc = np.maximum(obs[:, OWN_FORECAST], 0.0)
        cost = obs[:, OWN_COST_OR_VALUE]
        zeros = np.zeros(k)

        thermal = kind == kinds.THERMAL
        renewable = (kind == kinds.WIND) | (kind == kinds.SOLAR)
        storage = kind == kinds.STORAGE
        consumer = kind == kinds.CONSUMER

        # forward: signed MW (+ sell) and the price of the whole block
        # nested np.where: the same as np.select, several times cheaper on small batches
        qty = np.where(thermal | renewable, fc, np.where(consumer, -fc, zeros))
        step_qty = np.repeat((qty / b)[:, None], b, axis=1)
        step_price = np.repeat(cost[:, None], b, axis=1)
        if thermal.any():
            self._thermal_steps(obs, thermal, step_qty, step_price)
        if consumer.any():
            inflexible = fc * (1.0 - np.clip(obs[:, OWN_FLEXIBLE], 0.0, 1.0))
            prices = np.stack([np.full(k, self.price_cap), cost], 1)
            sp, sq = fill_steps(
                prices, np.stack([inflexible, fc - inflexible], 1), self.step_max, b
            )
            step_price[consumer] = sp[consumer]
            step_qty[consumer] = -sq[consumer]

        # reserve [up, down]: MW, availability price, utilisation price
        res_qty = np.zeros((k, 2))
        res_util = np.zeros((k, 2))
        if self.offer_reserve:
            min_stable = obs[:, OWN_MIN_STABLE]
            flexible = obs[:, OWN_FLEXIBLE] * fc
            res_qty[:, 0] = np.where(thermal, fc, np.where(consumer, flexible, zeros))
            down = np.maximum(fc - min_stable, 0.0)
            res_qty[:, 1] = np.where(thermal, down, np.where(renewable, fc, zeros))
            res_util[:, 0] = np.where(thermal, cost + self.up_markup, cost)
            res_util[:, 1] = cost
        res_avail = np.where(res_qty > 0.0, self.availability_price, 0.0)
        res_util = np.where(res_qty > 0.0, res_util, 0.0)
        bids = TraderBids(step_price, step_qty, res_qty, res_avail, res_util)
        if not storage.any():
            return bids
        # storage rows: the shared threshold rule (agents/_storage.py)
        sb = self.storage_rule.bids(
            obs, np.asarray(mean_price, dtype=np.float64), bid_steps=b, period_h=self.period_h,
            availability_price=self.availability_price, offer_reserve=self.offer_reserve,
        )  # fmt: skip
        merged = (np.where(storage[:, None], s, m) for s, m in zip(sb, bids, strict=True))
        return TraderBids(*merged)

    def _thermal_steps(
        self, obs: np.ndarray, thermal: np.ndarray, step_qty: np.ndarray, step_price: np.ndarray
    ) -> None:
        """Overwrite thermal rows' steps with deliverable ones (module doc), in place."""
        b = self.bid_steps
        fc = np.maximum(obs[:, OWN_FORECAST], 0.0)
        cap = np.minimum(obs[:, OWN_CAPACITY], fc)  # 0 during an outage
        min_stable = obs[:, OWN_MIN_STABLE]
        reach = obs[:, OWN_RAMP] * self.ramp_minutes
        start = obs[:, OWN_PROGRESS] <= 0.0
        last = np.where(start, np.maximum(obs[:, OWN_LEVEL], 0.0), obs[:, OWN_LAST_CONTRACT])
        on = obs[:, OWN_ON] > 0.5
        run_periods = np.rint(obs[:, OWN_HOURS_RUN] / self.period_h)
        lowest = np.maximum(last - reach, 0.0)
        cost = obs[:, OWN_COST_OR_VALUE]
        in_money = obs[:, LAST_PRICE] >= (1.0 - self.stay_band) * cost
        must = on & ((run_periods < self.min_run_periods) | (lowest > 0.0) | in_money)
        base = np.where(must, np.minimum(np.maximum(lowest, min_stable), cap), 0.0)
        top = np.where(on, np.minimum(cap, last + reach), np.minimum(cap, min_stable + reach))
        top = np.maximum(top, base)
        off_periods = np.rint(obs[:, OWN_HOURS_OFF] / self.period_h)
        can_start = off_periods >= self.min_off_periods
        rows = thermal & (cap > 0.0) & (on | can_start)
        base = np.where(rows, base, 0.0)
        top = np.where(rows, top, 0.0)
        prices = np.stack([np.full_like(base, self.price_taker), obs[:, OWN_COST_OR_VALUE]], 1)
        sp, sq = fill_steps(prices, np.stack([base, top - base], 1), self.step_max, b)
        step_price[thermal] = sp[thermal]
        step_qty[thermal] = sq[thermal]

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        means = self.storage_rule.means(state, episode_start)
        bids = self.bids(obs, means)
        return self.codec.encode(bids), self.storage_rule.update(means, obs)

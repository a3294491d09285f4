"""Fixed markup and capacity withholding (:mod:`elecbay_agents.markup`).

Expected bids are computed here from the scenario and the observation (1.2 x cost,
0.7 x capacity...), not from the policy, by the truthful rules of
:mod:`elecbay_agents.merit_order` (a thermal unit's must-run block at the price-taker
price -1 and the rest it can reach at cost; a consumer's inflexible load at the price
cap and its flexible share at value, each block in its own equal steps). Decoded values
are exact up to float32 rounding of the action: ``ATOL = 1e-3`` (see
test_merit_order.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents.markup import MarkupPolicy
from elecbay_agents.merit_order import (
    DEFAULT_AVAILABILITY_PRICE,
    DEFAULT_UP_MARKUP,
    PRICE_TAKER,
    MeritOrderPolicy,
)

from elecbay_env import parallel_env
from elecbay_env.envs.codecs import STEP_SLACK
from elecbay_env.envs.observations import TRADER_FEATURES

ATOL = 1e-3
F = {name: i for i, name in enumerate(TRADER_FEATURES)}
THERMAL = [f"producer_{i}" for i in range(6)]
STORAGE = "producer_8"
CONSUMERS = ["consumer_0", "consumer_1", "consumer_2", "consumer_3"]


@pytest.fixture(scope="module")
def env():
    return parallel_env("default", **{"market.days": 1})


@pytest.fixture(scope="module")
def obs(env):
    o, _ = env.reset(seed=0)
    return o


def decoded(env, agent, observation, **kwargs):
    action, _ = MarkupPolicy(env, agent, **kwargs).predict(observation)
    assert env.action_space(agent).contains(action)
    return env.codec_for(agent).decode(action)


def two_blocks(first, rest, p_first, p_rest, step_max, b):
    """Two blocks in B steps, each in its own equal steps (the first in as few steps of
    at most ``step_max`` MW as it needs, the rest in the steps left): (prices, MW)."""
    n = int(np.ceil(first / step_max - 1e-9))
    assert n + max(int(np.ceil(rest / step_max - 1e-9)), 1) <= b
    price = np.array([p_first] * n + [p_rest] * (b - n))
    qty = np.array([first / max(n, 1)] * n + [rest / (b - n)] * (b - n))
    return price, qty


def startable(env, obs, agent):
    """The agent's first observation as if the unit were off and free to start: it then
    offers all it can reach from synchronising, ``min(capacity, min stable + ramp x 30
    min)``, at marginal cost (no must-run block). Returns (observation, MW)."""
    spec = env.scenario.producers[env.possible_agents.index(agent)]
    o = obs[agent].copy()
    o[F["own_on"]] = 0.0
    o[F["own_level"]] = 0.0
    o[F["own_hours_run"]] = 0.0
    o[F["own_hours_off"]] = 100.0
    reach = spec.ramp_mw_per_min * env.scenario.market.ramp_min
    return o, min(spec.capacity_mw, spec.min_stable_mw + reach)


@pytest.mark.parametrize("agent", THERMAL)
def test_markup_offers_at_cost_times_one_plus_markup(env, obs, agent) -> None:
    spec = env.scenario.producers[env.possible_agents.index(agent)]
    cost = spec.marginal_cost_per_mwh
    b = env.scenario.market.bid_steps
    o, reach = startable(env, obs, agent)
    bids = decoded(env, agent, o, markup=0.2)
    np.testing.assert_allclose(bids.step_price, 1.2 * cost, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, reach / b, atol=ATOL)  # all it can reach
    bids = decoded(env, agent, obs[agent], markup=0.2)
    # reserve: up utilisation (sold) marked up, down utilisation (bought back) marked down
    np.testing.assert_allclose(
        bids.res_util, [1.2 * (cost + DEFAULT_UP_MARKUP), 0.8 * cost], atol=ATOL
    )
    np.testing.assert_allclose(bids.res_avail, 1.2 * DEFAULT_AVAILABILITY_PRICE, atol=ATOL)


@pytest.mark.parametrize("agent", CONSUMERS)
def test_markup_bids_at_value_times_one_minus_markup(env, obs, agent) -> None:
    spec = env.scenario.consumers[env.possible_agents.index(agent) - len(env.scenario.producers)]
    load = float(obs[agent][F["own_forecast"]])
    b = env.scenario.market.bid_steps
    cap = env.scenario.market.price_cap_per_mwh
    bids = decoded(env, agent, obs[agent], markup=0.3)
    # inflexible load at the cap, the flexible share at value: both bought 30 % cheaper
    inflexible = (1.0 - spec.flexible_frac) * load
    step_max = STEP_SLACK * 1.5 * spec.peak_mw / b
    price, qty = two_blocks(
        inflexible, load - inflexible, 0.7 * cap, 0.7 * spec.value_per_mwh, step_max, b
    )
    np.testing.assert_allclose(bids.step_price, price, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, -qty, atol=ATOL)
    # the curtailment offer (up reserve) is a sale: its price rises
    np.testing.assert_allclose(bids.res_util[0], 1.3 * spec.value_per_mwh, atol=ATOL)


def test_negative_cost_offer_rises_by_markup_of_its_magnitude(env, obs) -> None:
    # coal at its first period: 160 MW must run (price taker, -1), 240 MW more at cost
    # (see test_merit_order.py); both prices are selling prices and rise by 20 % of
    # their magnitude: -1 + 0.2 = -0.8 and -20 + 0.2 x 20 = -16.
    o = obs["producer_1"].copy()
    o[F["own_cost_or_value"]] = -20.0
    bids = decoded(env, "producer_1", o, markup=0.2)
    assert PRICE_TAKER == -1.0
    np.testing.assert_allclose(bids.step_price, [-0.8, -16.0, -16.0, -16.0], atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, [160.0, 80.0, 80.0, 80.0], atol=ATOL)


@pytest.mark.parametrize("withhold", [0.3, 1.0])
def test_withholding_offers_the_kept_share_of_capacity(env, obs, withhold) -> None:
    agent = "producer_2"
    spec = env.scenario.producers[2]
    b = env.scenario.market.bid_steps
    bids = decoded(env, agent, obs[agent], markup=0.0, withhold=withhold)
    keep = 1.0 - withhold
    np.testing.assert_allclose(bids.step_qty, keep * spec.capacity_mw / b, atol=ATOL)
    np.testing.assert_allclose(bids.step_price, spec.marginal_cost_per_mwh, atol=ATOL)
    np.testing.assert_allclose(
        bids.res_qty, keep * np.array([spec.capacity_mw, spec.capacity_mw - spec.min_stable_mw]),
        atol=ATOL,
    )  # fmt: skip


def test_withholding_a_consumer_bids_for_less_load(env, obs) -> None:
    load = float(obs["consumer_1"][F["own_forecast"]])
    spec = env.scenario.consumers[1]
    b = env.scenario.market.bid_steps
    bids = decoded(env, "consumer_1", obs["consumer_1"], markup=0.0, withhold=0.25)
    inflexible = (1.0 - spec.flexible_frac) * load
    step_max = STEP_SLACK * 1.5 * spec.peak_mw / b
    _, qty = two_blocks(inflexible, load - inflexible, 0.0, 0.0, step_max, b)
    np.testing.assert_allclose(bids.step_qty, -0.75 * qty, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty.sum(), -0.75 * load, atol=ATOL * b)


def test_markup_and_withholding_combine(env, obs) -> None:
    # nuclear at its first period: it cannot ramp below 800 - 8 x 30 = 560 MW (its min
    # stable output), so 560 MW must run (at -1, in 2 steps of 280) and 240 MW more are
    # offered at cost (2 steps of 120); 60 % of each, at -1 + 0.5 and 1.5 x cost.
    spec = env.scenario.producers[0]
    bids = decoded(env, "producer_0", obs["producer_0"], markup=0.5, withhold=0.4)
    cost = 1.5 * spec.marginal_cost_per_mwh
    np.testing.assert_allclose(bids.step_price, [-0.5, -0.5, cost, cost], atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, 0.6 * np.array([280, 280, 120, 120]), atol=ATOL)


def test_storage_charges_cheaper_and_discharges_dearer(env, obs) -> None:
    kw = {"storage_low": 30.0, "storage_high": 70.0, "markup": 0.1}
    charge = obs[STORAGE].copy()
    charge[F["last_price"]] = 10.0
    discharge = obs[STORAGE].copy()
    discharge[F["last_price"]] = 99.0
    bids_in = decoded(env, STORAGE, charge, **kw)
    bids_out = decoded(env, STORAGE, discharge, **kw)
    assert np.all(bids_in.step_qty < 0) and np.all(bids_out.step_qty > 0)
    np.testing.assert_allclose(bids_in.step_price, 27.0, atol=ATOL)  # 30 x 0.9
    np.testing.assert_allclose(bids_out.step_price, 77.0, atol=ATOL)  # 70 x 1.1


def test_zero_markup_and_withholding_is_merit_order(env, obs) -> None:
    for agent in (*THERMAL, "producer_6", "producer_7", STORAGE, *CONSUMERS):
        a, sa = MarkupPolicy(env, agent, markup=0.0, withhold=0.0).predict(obs[agent])
        b, sb = MeritOrderPolicy(env, agent).predict(obs[agent])
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(sa, sb)


def test_batched_and_bad_parameters(env, obs) -> None:
    policy = MarkupPolicy(env, "producer_1", markup=0.2)
    rows = np.stack([obs["producer_1"]] * 3)
    rows[1, F["own_cost_or_value"]] = 100.0
    actions, _ = policy.predict(rows)
    assert actions.shape == (3, env.action_space("producer_1").shape[0])
    prices = env.codec_for("producer_1").decode(actions).step_price
    # the must-run step (at -1) rises to -0.8; the steps at cost to 1.2 x 100
    np.testing.assert_allclose(prices[1], [-0.8, 120.0, 120.0, 120.0], atol=ATOL)
    with pytest.raises(ValueError, match="markup="):
        MarkupPolicy(env, "producer_1", markup=-0.1)
    with pytest.raises(ValueError, match="withhold="):
        MarkupPolicy(env, "producer_1", withhold=1.5)
    with pytest.raises(ValueError, match="broker"):
        MarkupPolicy(env, "broker_0")

"""Fixed markup and capacity withholding (:mod:`elecbay_agents.markup`).

Expected bids are computed here from the scenario and the observation (1.2 x cost,
0.7 x capacity...), not from the policy. Decoded values are exact up to float32
rounding of the action: ``ATOL = 1e-3`` (see test_merit_order.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents.markup import MarkupPolicy
from elecbay_agents.merit_order import (
    DEFAULT_AVAILABILITY_PRICE,
    DEFAULT_UP_MARKUP,
    MeritOrderPolicy,
)

from elecbay_env import parallel_env
from elecbay_env.envs.observations import TRADER_FEATURES

ATOL = 1e-3
F = {name: i for i, name in enumerate(TRADER_FEATURES)}
THERMAL = ["producer_0", "producer_1", "producer_2", "producer_3", "producer_4"]
STORAGE = "producer_7"
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


@pytest.mark.parametrize("agent", THERMAL)
def test_markup_offers_at_cost_times_one_plus_markup(env, obs, agent) -> None:
    spec = env.scenario.producers[env.possible_agents.index(agent)]
    cost = spec.marginal_cost_per_mwh
    b = env.scenario.market.bid_steps
    bids = decoded(env, agent, obs[agent], markup=0.2)
    np.testing.assert_allclose(bids.step_price, 1.2 * cost, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, spec.capacity_mw / b, atol=ATOL)  # all of it
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
    bids = decoded(env, agent, obs[agent], markup=0.3)
    np.testing.assert_allclose(bids.step_price, 0.7 * spec.value_per_mwh, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, -load / b, atol=ATOL)
    # the curtailment offer (up reserve) is a sale: its price rises
    np.testing.assert_allclose(bids.res_util[0], 1.3 * spec.value_per_mwh, atol=ATOL)


def test_negative_cost_offer_rises_by_markup_of_its_magnitude(env, obs) -> None:
    o = obs["producer_1"].copy()
    o[F["own_cost_or_value"]] = -20.0
    bids = decoded(env, "producer_1", o, markup=0.2)
    np.testing.assert_allclose(bids.step_price, -16.0, atol=ATOL)  # -20 + 0.2 x 20


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
    b = env.scenario.market.bid_steps
    bids = decoded(env, "consumer_1", obs["consumer_1"], markup=0.0, withhold=0.25)
    np.testing.assert_allclose(bids.step_qty, -0.75 * load / b, atol=ATOL)


def test_markup_and_withholding_combine(env, obs) -> None:
    spec = env.scenario.producers[0]
    b = env.scenario.market.bid_steps
    bids = decoded(env, "producer_0", obs["producer_0"], markup=0.5, withhold=0.4)
    np.testing.assert_allclose(bids.step_price, 1.5 * spec.marginal_cost_per_mwh, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, 0.6 * spec.capacity_mw / b, atol=ATOL)


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
    for agent in (*THERMAL, "producer_5", STORAGE, *CONSUMERS):
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
    np.testing.assert_allclose(prices[1], 120.0, atol=ATOL)
    with pytest.raises(ValueError, match="markup="):
        MarkupPolicy(env, "producer_1", markup=-0.1)
    with pytest.raises(ValueError, match="withhold="):
        MarkupPolicy(env, "producer_1", withhold=1.5)
    with pytest.raises(ValueError, match="broker"):
        MarkupPolicy(env, "broker_0")

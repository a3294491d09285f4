"""Truthful merit order (:mod:`elecbay_agents.merit_order`) and the policy base.

Each test decodes the policy's action with the agent's codec and checks it against
the documented rule, with numbers computed here from the observation and the
scenario (not from the policy). Tolerance: ``AgentCodec.encode`` returns float32, so a
decoded value is exact up to ``1e-7 x`` its range (prices span 4500 per MWh in the
default scenario: about 5e-4); ``ATOL = 1e-3``.
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents.base import Policy, SupportsPredict, make_policies, policy_names
from elecbay_agents.merit_order import (
    DEFAULT_AVAILABILITY_PRICE,
    DEFAULT_UP_MARKUP,
    MeritOrderPolicy,
)
from elecbay_agents.rule_based_broker import RuleBasedBroker

from elecbay_env import parallel_env
from elecbay_env.envs.observations import TRADER_FEATURES

ATOL = 1e-3
F = {name: i for i, name in enumerate(TRADER_FEATURES)}
# default scenario, agent -> asset (configs/default.yaml)
THERMAL = ["producer_0", "producer_1", "producer_2", "producer_3", "producer_4"]
WIND, SOLAR, STORAGE = "producer_5", "producer_6", "producer_7"
CONSUMERS = ["consumer_0", "consumer_1", "consumer_2", "consumer_3"]


@pytest.fixture(scope="module")
def env():
    e = parallel_env("default", **{"market.days": 1})
    e.reset(seed=0)
    return e


@pytest.fixture(scope="module")
def obs(env):
    o, _ = env.reset(seed=0)
    return o


def decoded(env, agent: str, observation: np.ndarray, **kwargs):
    policy = MeritOrderPolicy(env, agent, **kwargs)
    action, _ = policy.predict(observation)
    return env.codec_for(agent).decode(action)


def test_actions_lie_in_every_traders_action_space(env, obs) -> None:
    for agent in [*THERMAL, WIND, SOLAR, STORAGE, *CONSUMERS]:
        action, _ = MeritOrderPolicy(env, agent).predict(obs[agent])
        assert action.dtype == np.float32
        assert env.action_space(agent).contains(action), agent


@pytest.mark.parametrize("agent", THERMAL)
def test_thermal_offers_available_capacity_at_marginal_cost(env, obs, agent) -> None:
    i = env.possible_agents.index(agent)
    producer = env.scenario.producers[i]
    bids = decoded(env, agent, obs[agent])
    b = env.scenario.market.bid_steps
    cost = producer.marginal_cost_per_mwh
    np.testing.assert_allclose(bids.step_price, cost, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, producer.capacity_mw / b, atol=ATOL)
    # reserve: up = capacity at cost + markup, down = capacity - min stable at cost
    np.testing.assert_allclose(
        bids.res_qty, [producer.capacity_mw, producer.capacity_mw - producer.min_stable_mw],
        atol=ATOL,
    )  # fmt: skip
    np.testing.assert_allclose(bids.res_util, [cost + DEFAULT_UP_MARKUP, cost], atol=ATOL)
    np.testing.assert_allclose(bids.res_avail, DEFAULT_AVAILABILITY_PRICE, atol=ATOL)


def test_thermal_in_outage_offers_nothing(env, obs) -> None:
    o = obs["producer_2"].copy()
    o[F["own_forecast"]] = 0.0  # what the observation says during a forced outage
    o[F["own_outage_left"]] = 5.0
    bids = decoded(env, "producer_2", o)
    np.testing.assert_allclose(bids.step_qty, 0.0, atol=ATOL)
    np.testing.assert_allclose(bids.res_qty, 0.0, atol=ATOL)


@pytest.mark.parametrize("agent", [WIND, SOLAR])
def test_renewables_offer_their_forecast_at_marginal_cost(env, obs, agent) -> None:
    o = obs[agent].copy()
    o[F["own_forecast"]] = 123.0  # the solar forecast at midnight is zero: set one
    bids = decoded(env, agent, o)
    b = env.scenario.market.bid_steps
    np.testing.assert_allclose(bids.step_qty, 123.0 / b, atol=ATOL)
    np.testing.assert_allclose(bids.step_price, o[F["own_cost_or_value"]], atol=ATOL)
    np.testing.assert_allclose(bids.res_qty, [0.0, 123.0], atol=ATOL)
    np.testing.assert_allclose(bids.res_util[1], o[F["own_cost_or_value"]], atol=ATOL)


@pytest.mark.parametrize("agent", CONSUMERS)
def test_consumers_bid_expected_load_at_value(env, obs, agent) -> None:
    i = env.possible_agents.index(agent) - len(env.scenario.producers)
    consumer = env.scenario.consumers[i]
    load = float(obs[agent][F["own_forecast"]])
    assert load > 0
    bids = decoded(env, agent, obs[agent])
    b = env.scenario.market.bid_steps
    np.testing.assert_allclose(bids.step_price, consumer.value_per_mwh, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, -load / b, atol=ATOL)
    # up reserve only: the flexible share of the expected load, at the value
    np.testing.assert_allclose(bids.res_qty, [consumer.flexible_frac * load, 0.0], atol=ATOL)
    np.testing.assert_allclose(bids.res_util[0], consumer.value_per_mwh, atol=ATOL)


def test_no_reserve_when_switched_off(env, obs) -> None:
    for agent in ("producer_1", STORAGE, "consumer_3"):
        bids = decoded(env, agent, obs[agent], offer_reserve=False)
        np.testing.assert_allclose(bids.res_qty, 0.0, atol=ATOL)


# -- storage ----------------------------------------------------------------------------


def battery(env):
    spec = env.scenario.producers[7]
    assert spec.type == "storage"
    energy = spec.energy_mwh * (spec.max_soc_frac - spec.min_soc_frac)
    eff = np.sqrt(spec.round_trip_efficiency_frac)
    period_h = env.scenario.market.period_min / 60
    return spec.power_mw, energy, eff, period_h


def storage_obs(obs, last_price: float, soc: float) -> np.ndarray:
    o = obs[STORAGE].copy()
    o[F["last_price"]] = last_price
    o[F["own_soc"]] = soc
    return o


def test_storage_charges_below_the_low_threshold(env, obs) -> None:
    power, energy, eff, period_h = battery(env)
    bids = decoded(env, STORAGE, storage_obs(obs, 20.0, 0.5), storage_low=30.0, storage_high=70.0)
    b = env.scenario.market.bid_steps
    expected = min(power, 0.5 * energy / (eff * period_h))
    np.testing.assert_allclose(bids.step_qty, -expected / b, atol=ATOL)
    np.testing.assert_allclose(bids.step_price, 30.0, atol=ATOL)


def test_storage_discharges_above_the_high_threshold(env, obs) -> None:
    power, energy, eff, period_h = battery(env)
    bids = decoded(env, STORAGE, storage_obs(obs, 90.0, 0.25), storage_low=30.0, storage_high=70.0)
    b = env.scenario.market.bid_steps
    expected = min(power, 0.25 * energy * eff / period_h)
    assert expected < power  # the state of charge, not the power rating, binds
    np.testing.assert_allclose(bids.step_qty, expected / b, atol=ATOL)
    np.testing.assert_allclose(bids.step_price, 70.0, atol=ATOL)


def test_storage_idles_between_the_thresholds(env, obs) -> None:
    bids = decoded(env, STORAGE, storage_obs(obs, 50.0, 0.5), storage_low=30.0, storage_high=70.0)
    np.testing.assert_allclose(bids.step_qty, 0.0, atol=ATOL)


def test_storage_neither_runs_empty_nor_full(env, obs) -> None:
    kw = {"storage_low": 30.0, "storage_high": 70.0}
    full = decoded(env, STORAGE, storage_obs(obs, 10.0, 1.0), **kw)
    empty = decoded(env, STORAGE, storage_obs(obs, 99.0, 0.0), **kw)
    np.testing.assert_allclose(full.step_qty, 0.0, atol=ATOL)
    np.testing.assert_allclose(empty.step_qty, 0.0, atol=ATOL)
    _, energy, eff, period_h = battery(env)
    nearly_full = decoded(env, STORAGE, storage_obs(obs, 10.0, 0.95), **kw)
    charge_mwh = -nearly_full.step_qty.sum() * period_h * eff  # energy stored if filled
    np.testing.assert_allclose(charge_mwh, 0.05 * energy, atol=ATOL)


def test_storage_adaptive_thresholds_follow_the_running_mean(env, obs) -> None:
    policy = MeritOrderPolicy(env, STORAGE, storage_band=0.2, storage_ema=0.5)
    codec = env.codec_for(STORAGE)
    # mean 100: thresholds 80 and 120
    state = np.array([100.0])
    for price, sign in ((79.0, -1), (81.0, 0), (119.0, 0), (121.0, 1)):
        action, new_state = policy.predict(storage_obs(obs, price, 0.5), state)
        qty = codec.decode(action).step_qty
        assert np.sign(np.round(qty.sum(), 6)) == sign, price
        np.testing.assert_allclose(new_state, [100.0 + 0.5 * (price - 100.0)])
    # an episode start forgets the state: the mean restarts at the reference price (50)
    action, new_state = policy.predict(storage_obs(obs, 39.0, 0.5), state, episode_start=True)
    assert codec.decode(action).step_qty.sum() < 0  # 39 < 0.8 x 50
    np.testing.assert_allclose(new_state, [50.0 + 0.5 * (39.0 - 50.0)])


def test_baseline_storage_bids_are_feasible_along_an_episode(env) -> None:
    """Against the engine's true state of charge, every filled storage order fits."""
    e = parallel_env("default", **{"market.days": 1})
    policies = make_policies(e)
    o, _ = e.reset(seed=3)
    states = dict.fromkeys(e.possible_agents)
    power, _, eff, period_h = battery(e)
    params = e.engine.params
    row = e.possible_agents.index(STORAGE)
    traded = 0
    while e.agents:
        actions = {}
        for a in e.agents:
            actions[a], states[a] = policies[a].predict(o[a], states[a])
        q = e.codec_for(STORAGE).decode(actions[STORAGE]).step_qty.sum()
        soc = e.engine.state.soc_mwh[0, row]
        room_out = (soc - params.soc_min_mwh[0, row]) * eff / period_h
        room_in = (params.soc_max_mwh[0, row] - soc) / (eff * period_h)
        assert -min(power, room_in) - 1e-3 <= q <= min(power, room_out) + 1e-3
        traded += q != 0
        o, *_ = e.step(actions)
    assert traded > 0  # the battery did trade


# -- batching, state, construction ---------------------------------------------------------


def test_predict_batched_equals_unbatched(env, obs) -> None:
    for agent in ("producer_1", WIND, STORAGE, "consumer_0"):
        policy = MeritOrderPolicy(env, agent)
        rows = np.stack([obs[agent], obs[agent], obs[agent]])
        rows[1, F["own_forecast"]] *= 0.5
        rows[2, F["last_price"]] = 5.0
        batch, state = policy.predict(rows)
        assert batch.shape == (3, env.action_space(agent).shape[0])
        assert state.shape == (3,)
        for k in range(3):
            single, _ = policy.predict(rows[k])
            assert single.shape == env.action_space(agent).shape
            np.testing.assert_array_equal(batch[k], single)
        assert not np.array_equal(batch[0], batch[1]) or agent == STORAGE


def test_predict_rejects_bad_observations(env, obs) -> None:
    policy = MeritOrderPolicy(env, "producer_0")
    with pytest.raises(ValueError, match="shape"):
        policy.predict(np.zeros((2, 2, len(TRADER_FEATURES))))
    bad = obs["producer_0"].copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        policy.predict(bad)
    with pytest.raises(ValueError, match="running means"):
        policy.predict(np.stack([obs["producer_0"]] * 2), state=np.zeros(3))


def test_built_from_the_codec_equals_built_from_the_env(env, obs) -> None:
    a, _ = MeritOrderPolicy(env.codec_for("consumer_1")).predict(obs["consumer_1"])
    b, _ = MeritOrderPolicy(env, "consumer_1").predict(obs["consumer_1"])
    np.testing.assert_array_equal(a, b)


def test_construction_errors(env) -> None:
    with pytest.raises(ValueError, match="broker"):
        MeritOrderPolicy(env, "broker_0")
    with pytest.raises(ValueError, match="agent id"):
        MeritOrderPolicy(env)
    with pytest.raises(ValueError, match="both or neither"):
        MeritOrderPolicy(env, STORAGE, storage_low=10.0)
    with pytest.raises(ValueError, match="low <= high"):
        MeritOrderPolicy(env, STORAGE, storage_low=10.0, storage_high=5.0)


def test_make_policies_baseline_and_overrides(env) -> None:
    policies = make_policies(env)
    assert list(policies) == env.possible_agents
    assert all(isinstance(p, MeritOrderPolicy) for a, p in policies.items() if a != "broker_0")
    assert isinstance(policies["broker_0"], RuleBasedBroker)
    assert all(isinstance(p, SupportsPredict) and isinstance(p, Policy)
               for p in policies.values())  # fmt: skip
    assert {"merit_order", "rule_based_broker"} <= set(policy_names())

    custom = MeritOrderPolicy(env, "producer_1", up_markup=50.0)
    policies = make_policies(
        env,
        {"producer_1": custom,
         "producer": lambda e, a: MeritOrderPolicy(e, a, offer_reserve=False)},
    )  # fmt: skip
    assert policies["producer_1"] is custom
    assert policies["producer_0"].offer_reserve is False
    assert policies["consumer_0"].offer_reserve is True
    with pytest.raises(ValueError, match="known names"):
        make_policies(env, {"consumer": "no_such_policy"})
    with pytest.raises(ValueError, match="spec key"):
        make_policies(env, {"trader": "merit_order"})

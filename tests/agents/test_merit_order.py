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
from elecbay_agents.base import Policy, SupportsPredict
from elecbay_agents.merit_order import (
    DEFAULT_AVAILABILITY_PRICE,
    DEFAULT_UP_MARKUP,
    PRICE_TAKER,
    MeritOrderPolicy,
    fill_steps,
)
from elecbay_agents.registry import make_policies, policy_names
from elecbay_agents.rule_based_broker import RuleBasedBroker

from elecbay_env import parallel_env
from elecbay_env.envs.codecs import STEP_SLACK
from elecbay_env.envs.observations import TRADER_FEATURES

ATOL = 1e-3
F = {name: i for i, name in enumerate(TRADER_FEATURES)}
# default scenario, agent -> asset (configs/default.yaml)
THERMAL = [f"producer_{i}" for i in range(6)]
WIND, SOLAR, STORAGE = "producer_6", "producer_7", "producer_8"
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


def step_max(env, agent: str) -> float:
    """The codec's largest forward step (MW): ``STEP_SLACK x q / B`` with ``q`` the
    capacity (producers) or 1.5 x the peak load (consumers)."""
    i = env.possible_agents.index(agent)
    b = env.scenario.market.bid_steps
    n_prod = len(env.scenario.producers)
    if i < n_prod:
        q = env.scenario.producers[i].capacity_mw
    else:
        q = 1.5 * env.scenario.consumers[i - n_prod].peak_mw
    return STEP_SLACK * q / b


def two_blocks(first: float, rest: float, p_first: float, p_rest: float, step_max: float,
               b: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Two blocks laid into B steps, each in its own equal steps (``fill_steps``' aligned
    layout): the first in as few steps of at most ``step_max`` as it needs, the rest in
    all the steps left. Asserts that this layout fits."""
    n_first = int(np.ceil(first / step_max - 1e-9))
    assert n_first + max(int(np.ceil(rest / step_max - 1e-9)), 1) <= b
    price = np.array([p_first] * n_first + [p_rest] * (b - n_first))
    qty = np.array([first / max(n_first, 1)] * n_first + [rest / (b - n_first)] * (b - n_first))
    return price, qty


def thermal_blocks(env, agent: str, o: np.ndarray) -> tuple[float, float]:
    """(must-run MW, total MW) a thermal unit offers, by the module doc's rule, from
    the scenario and the observation."""
    spec = env.scenario.producers[env.possible_agents.index(agent)]
    market = env.scenario.market
    period_h = market.period_min / 60
    reach = spec.ramp_mw_per_min * max(market.ramp_min, market.meter_interval_min)
    cap = min(spec.capacity_mw, max(float(o[F["own_forecast"]]), 0.0))
    if cap <= 0.0:
        return 0.0, 0.0
    start = o[F["progress"]] <= 0.0
    last = max(float(o[F["own_level"]]), 0.0) if start else float(o[F["own_last_contract"]])
    if o[F["own_on"]] > 0.5:
        lowest = max(last - reach, 0.0)
        must = (
            round(o[F["own_hours_run"]] / period_h) < spec.min_run_periods
            or lowest > 0.0
            or o[F["last_price"]] >= spec.marginal_cost_per_mwh
        )
        base = min(max(lowest, spec.min_stable_mw), cap) if must else 0.0
        return base, max(min(cap, last + reach), base)
    if round(o[F["own_hours_off"]] / period_h) < spec.min_off_periods:
        return 0.0, 0.0
    return 0.0, min(cap, spec.min_stable_mw + reach)


def assert_thermal_bids(env, agent: str, o: np.ndarray, base: float, top: float) -> None:
    b = env.scenario.market.bid_steps
    cost = float(o[F["own_cost_or_value"]])
    price, qty = two_blocks(base, top - base, PRICE_TAKER, cost, step_max(env, agent), b)
    bids = decoded(env, agent, o)
    np.testing.assert_allclose(bids.step_price, price, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, qty, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty.sum(), top, atol=ATOL * b)


@pytest.mark.parametrize("agent", THERMAL)
def test_thermal_offers_what_it_can_reach_at_marginal_cost(env, obs, agent) -> None:
    i = env.possible_agents.index(agent)
    producer = env.scenario.producers[i]
    cost = producer.marginal_cost_per_mwh
    base, top = thermal_blocks(env, agent, obs[agent])
    assert top > 0.0
    assert_thermal_bids(env, agent, obs[agent], base, top)
    bids = decoded(env, agent, obs[agent])
    # reserve: up = capacity at cost + markup, down = capacity - min stable at cost
    np.testing.assert_allclose(
        bids.res_qty, [producer.capacity_mw, producer.capacity_mw - producer.min_stable_mw],
        atol=ATOL,
    )  # fmt: skip
    np.testing.assert_allclose(bids.res_util, [cost + DEFAULT_UP_MARKUP, cost], atol=ATOL)
    np.testing.assert_allclose(bids.res_avail, DEFAULT_AVAILABILITY_PRICE, atol=ATOL)


def test_thermal_blocks_by_hand(env, obs) -> None:
    # The default scenario at its first period (last price 50, positions from the
    # initial levels, ramp over the whole 30-minute period):
    # nuclear at 800 MW, ramp 8 MW/min: it reaches no lower than 800 - 240 = 560 (its
    #   min stable), so 560 MW must run (price taker) and 240 MW more at cost 10.
    assert thermal_blocks(env, "producer_0", obs["producer_0"]) == (560.0, 800.0)
    # coal at 240 MW, min stable 160, ramp 6: inside its 12-period minimum run
    #   (6 h = 12 periods run: may stop) but 240 - 180 = 60 > 0, so it cannot stop
    #   within the period: 160 MW must run, up to min(400, 240 + 180) = 400.
    assert thermal_blocks(env, "producer_1", obs["producer_1"]) == (160.0, 400.0)
    # ccgt_1 at 360 MW, ramp 18 (540 MW in the period), run 4 periods >= min run 4,
    #   last price 50 < cost 54: may stop, so all 600 MW at cost.
    assert thermal_blocks(env, "producer_2", obs["producer_2"]) == (0.0, 600.0)
    # ccgt_2 is off (4 periods >= min off 4): min stable 180 + 8 x 30 = 420 -> 400.
    assert thermal_blocks(env, "producer_3", obs["producer_3"]) == (0.0, 400.0)
    # a price at the ccgt's cost keeps it on: min stable 240 as a price taker.
    o = obs["producer_2"].copy()
    o[F["last_price"]] = 54.0
    assert thermal_blocks(env, "producer_2", o) == (240.0, 600.0)
    assert_thermal_bids(env, "producer_2", o, 240.0, 600.0)


def test_thermal_ramp_limits_its_offer_from_the_last_contract(env, obs) -> None:
    # Later in an episode (progress > 0) a running unit starts from its last contract:
    # coal with a last contract of 200 MW reaches [200 - 180, 200 + 180] = [20, 380]:
    # 160 MW (min stable) must run, 380 MW in all.
    o = obs["producer_1"].copy()
    o[F["progress"]] = 0.5
    o[F["own_last_contract"]] = 200.0
    assert thermal_blocks(env, "producer_1", o) == (160.0, 380.0)
    assert_thermal_bids(env, "producer_1", o, 160.0, 380.0)
    # ccgt_2 off for only 1 period (min off 4) may not start: no forward offer.
    o = obs["producer_3"].copy()
    o[F["own_hours_off"]] = 0.5
    assert thermal_blocks(env, "producer_3", o) == (0.0, 0.0)
    bids = decoded(env, "producer_3", o)
    np.testing.assert_allclose(bids.step_qty, 0.0, atol=ATOL)


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
def test_consumers_bid_inflexible_load_as_price_takers_and_the_rest_at_value(
    env, obs, agent
) -> None:
    i = env.possible_agents.index(agent) - len(env.scenario.producers)
    consumer = env.scenario.consumers[i]
    load = float(obs[agent][F["own_forecast"]])
    assert load > 0
    bids = decoded(env, agent, obs[agent])
    b = env.scenario.market.bid_steps
    cap = env.scenario.market.price_cap_per_mwh
    inflexible = (1.0 - consumer.flexible_frac) * load
    price, qty = two_blocks(
        inflexible, load - inflexible, cap, consumer.value_per_mwh, step_max(env, agent), b
    )
    np.testing.assert_allclose(bids.step_price, price, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty, -qty, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty.sum(), -load, atol=ATOL * b)
    # up reserve only: the flexible share of the expected load, at the value
    np.testing.assert_allclose(bids.res_qty, [consumer.flexible_frac * load, 0.0], atol=ATOL)
    np.testing.assert_allclose(bids.res_util[0], consumer.value_per_mwh, atol=ATOL)


def test_fill_steps_packs_blocks_that_do_not_fit_in_whole_steps() -> None:
    # step_max 100, B 3: blocks 150 @ 1 and 120 @ 2 need 2 + 2 steps > 3, so steps are
    # filled in order at 100 MW: [100 @ 1, 100 (50 of block 1, 50 of block 2) @ 1,
    # 70 @ 2]; a step takes its first block's price.
    price, qty = fill_steps(np.array([[1.0, 2.0]]), np.array([[150.0, 120.0]]), 100.0, 3)
    np.testing.assert_allclose(price, [[1.0, 1.0, 2.0]])
    np.testing.assert_allclose(qty, [[100.0, 100.0, 70.0]])
    # what fits: block 0 in ceil(150 / 100) = 2 equal steps, block 1 in the rest
    price, qty = fill_steps(np.array([[1.0, 2.0]]), np.array([[150.0, 120.0]]), 200.0, 3)
    np.testing.assert_allclose(price, [[1.0, 2.0, 2.0]])
    np.testing.assert_allclose(qty, [[150.0, 60.0, 60.0]])
    # beyond B x step_max MW are dropped; an empty first block takes no step
    price, qty = fill_steps(np.array([[1.0, 2.0]]), np.array([[0.0, 500.0]]), 100.0, 3)
    np.testing.assert_allclose(qty, [[100.0, 100.0, 100.0]])
    np.testing.assert_allclose(price, [[2.0, 2.0, 2.0]])


def test_no_reserve_when_switched_off(env, obs) -> None:
    for agent in ("producer_1", STORAGE, "consumer_3"):
        bids = decoded(env, agent, obs[agent], offer_reserve=False)
        np.testing.assert_allclose(bids.res_qty, 0.0, atol=ATOL)


# -- storage ----------------------------------------------------------------------------


def battery(env):
    spec = env.scenario.producers[env.possible_agents.index(STORAGE)]
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

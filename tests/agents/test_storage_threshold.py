"""Threshold storage arbitrage (:mod:`elecbay_agents.storage_threshold`).

Quantities are checked against the battery's power and state-of-charge limits computed
here from the scenario (configs/default.yaml: 150 MW, 300 MWh between 5 % and 95 %,
85 % round trip). ``ATOL = 1e-3`` (float32 actions, see test_merit_order.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents.merit_order import MeritOrderPolicy
from elecbay_agents.storage_threshold import StorageThresholdPolicy
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env import parallel_env
from elecbay_env.envs.observations import TRADER_FEATURES

ATOL = 1e-3
F = {name: i for i, name in enumerate(TRADER_FEATURES)}
STORAGE = "producer_8"


@pytest.fixture(scope="module")
def env():
    return parallel_env("default", **{"market.days": 1})


@pytest.fixture(scope="module")
def obs(env):
    o, _ = env.reset(seed=0)
    return o[STORAGE]


def battery(env):
    spec = env.scenario.producers[env.possible_agents.index(STORAGE)]
    energy = spec.energy_mwh * (spec.max_soc_frac - spec.min_soc_frac)
    eff = np.sqrt(spec.round_trip_efficiency_frac)
    return spec.power_mw, energy, eff, env.scenario.market.period_min / 60


def at(obs, last_price: float, soc: float) -> np.ndarray:
    o = obs.astype(np.float64)  # exact prices: float32 would round them
    o[F["last_price"]] = last_price
    o[F["own_soc"]] = soc
    return o


def forward(env, policy, o):
    action, _ = policy.predict(o)
    assert env.action_space(STORAGE).contains(action)
    bids = env.codec_for(STORAGE).decode(action)
    return bids.step_qty.sum(), bids.step_price


def test_charges_below_low_at_low(env, obs) -> None:
    power, energy, eff, period_h = battery(env)
    policy = StorageThresholdPolicy(env, STORAGE, low=40.0, high=90.0)
    qty, price = forward(env, policy, at(obs, 39.0, 0.5))
    np.testing.assert_allclose(qty, -min(power, 0.5 * energy / (eff * period_h)), atol=ATOL)
    np.testing.assert_allclose(price, 40.0, atol=ATOL)


def test_discharges_above_high_at_high(env, obs) -> None:
    power, energy, eff, period_h = battery(env)
    policy = StorageThresholdPolicy(env, STORAGE, low=40.0, high=90.0)
    qty, price = forward(env, policy, at(obs, 91.0, 0.5))
    np.testing.assert_allclose(qty, min(power, 0.5 * energy * eff / period_h), atol=ATOL)
    np.testing.assert_allclose(price, 90.0, atol=ATOL)


@given(
    last=st.floats(-500.0, 4000.0),
    soc=st.floats(0.0, 1.0),
    low=st.floats(-100.0, 300.0),
    width=st.floats(0.0, 300.0),
)
@settings(max_examples=60, deadline=None)
def test_direction_and_limits_for_any_price_and_charge(env, obs, last, soc, low, width) -> None:
    """Buy iff last < low, sell iff last > high, never beyond power or stored energy."""
    high = low + width
    power, energy, eff, period_h = battery(env)
    qty, _ = forward(env, StorageThresholdPolicy(env, STORAGE, low=low, high=high),
                     at(obs, last, soc))  # fmt: skip
    room_out = min(power, soc * energy * eff / period_h)
    room_in = min(power, (1.0 - soc) * energy / (eff * period_h))
    if last < low:
        np.testing.assert_allclose(qty, -room_in, atol=ATOL)
    elif last > high:
        np.testing.assert_allclose(qty, room_out, atol=ATOL)
    else:
        assert abs(qty) <= ATOL


def test_adaptive_thresholds_follow_the_running_mean(env, obs) -> None:
    policy = StorageThresholdPolicy(env, STORAGE, band=0.1, ema=1.0)
    state = np.array([200.0])  # thresholds 180 and 220
    # no state: the mean is the reference price 50, thresholds 45 and 55
    assert forward(env, policy, at(obs, 179.0, 0.5))[0] > 0
    action, new_state = policy.predict(at(obs, 179.0, 0.5), state)
    assert env.codec_for(STORAGE).decode(action).step_qty.sum() < 0
    np.testing.assert_allclose(new_state, [179.0])  # ema 1: the mean is the last price
    action, _ = policy.predict(at(obs, 221.0, 0.5), state)
    assert env.codec_for(STORAGE).decode(action).step_qty.sum() > 0
    action, _ = policy.predict(at(obs, 200.0, 0.5), state)
    assert env.codec_for(STORAGE).decode(action).step_qty.sum() == pytest.approx(0, abs=ATOL)


def test_same_rule_as_merit_orders_storage_rows(env, obs) -> None:
    """Both policies call the shared rule: identical actions and states."""
    rows = np.stack([at(obs, p, s) for p in (10.0, 50.0, 95.0) for s in (0.0, 0.3, 1.0)])
    for kw_t, kw_m in (
        ({}, {}),
        ({"low": 40.0, "high": 90.0}, {"storage_low": 40.0, "storage_high": 90.0}),
    ):
        a, sa = StorageThresholdPolicy(env, STORAGE, **kw_t).predict(rows)
        b, sb = MeritOrderPolicy(env, STORAGE, **kw_m).predict(rows)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(sa, sb)


def test_reserve_offers(env, obs) -> None:
    power = battery(env)[0]
    bids = env.codec_for(STORAGE).decode(
        StorageThresholdPolicy(env, STORAGE, low=40.0, high=90.0).predict(obs)[0]
    )
    np.testing.assert_allclose(bids.res_qty, [power, power], atol=ATOL)
    np.testing.assert_allclose(bids.res_util, [90.0, 40.0], atol=ATOL)
    bids = env.codec_for(STORAGE).decode(
        StorageThresholdPolicy(env, STORAGE, offer_reserve=False).predict(obs)[0]
    )
    np.testing.assert_allclose(bids.res_qty, 0.0, atol=ATOL)


def test_refuses_other_assets_and_bad_thresholds(env) -> None:
    for agent, kind in (("producer_0", "thermal"), ("producer_6", "wind"),
                        ("consumer_0", "consumer"), ("broker_0", "broker")):  # fmt: skip
        with pytest.raises(ValueError, match=f"storage units; {agent} is {kind}"):
            StorageThresholdPolicy(env, agent)
    with pytest.raises(ValueError, match="both or neither"):
        StorageThresholdPolicy(env, STORAGE, low=10.0)
    with pytest.raises(ValueError, match="low <= high"):
        StorageThresholdPolicy(env, STORAGE, low=90.0, high=40.0)
    with pytest.raises(ValueError, match="ema="):
        StorageThresholdPolicy(env, STORAGE, ema=0.0)

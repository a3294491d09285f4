"""Rule-based broker (:mod:`elecbay_agents.rule_based_broker`).

The requirement must equal, computed here from the broker's features,

* up: ``largest_loss_frac x largest_infeed + z x forecast_error_std + ramp_frac x
  max(net_demand_ramp, 0)``,
* down: ``z x forecast_error_std + ramp_frac x max(-net_demand_ramp, 0)``

(features 15, 8, 16), with the parameters and caps from the constructor or the
scenario's ``broker`` block. Tolerance ``1e-7 x`` the decoded range (float32 actions):
``ATOL = 1e-3``.
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents.rule_based_broker import RuleBasedBroker

from elecbay_env import parallel_env
from elecbay_env.envs.observations import BROKER_FEATURES

ATOL = 1e-3
STD = BROKER_FEATURES.index("forecast_error_std")
INFEED = BROKER_FEATURES.index("largest_infeed")
RAMP = BROKER_FEATURES.index("net_demand_ramp")


def expected(o, z=2.0, loss=1.0, ramp=0.25):
    """(up, down) MW by the documented rule, for one or many observations."""
    o = np.asarray(o, dtype=np.float64)
    error = z * np.maximum(o[..., STD], 0.0)
    r = ramp * o[..., RAMP]
    up = loss * np.maximum(o[..., INFEED], 0.0) + error + np.maximum(r, 0.0)
    return np.stack([up, error + np.maximum(-r, 0.0)], axis=-1)


@pytest.fixture(scope="module")
def env():
    e = parallel_env("default", **{"market.days": 1})
    e.reset(seed=0)
    return e


@pytest.fixture(scope="module")
def obs(env):
    o, _ = env.reset(seed=0)
    return o["broker_0"]


def test_requirement_is_largest_loss_plus_z_std_plus_ramping(env, obs) -> None:
    std = float(obs[STD])
    assert std > 1.0
    assert obs[INFEED] > 0.0  # the running units that can trip
    # defaults: the scenario's reserve_z 2.0, largest_loss_frac 1.0, ramp_frac 0.25
    broker = env.scenario.broker
    assert (broker.reserve_z, broker.largest_loss_frac, broker.ramp_frac) == (2.0, 1.0, 0.25)
    for z in (None, 0.0, 1.0, 3.5):
        policy = RuleBasedBroker(env, z=z)
        action, state = policy.predict(obs)
        assert state is None
        assert env.action_space("broker_0").contains(action)
        bids = env.codec_for("broker_0").decode(action)
        want = expected(obs, z=2.0 if z is None else z)
        np.testing.assert_allclose(bids.req_mw, want, atol=ATOL)


@pytest.mark.parametrize("ramp", [-200.0, 0.0, 120.0])
def test_each_part_of_the_requirement(env, obs, ramp) -> None:
    # std 10, largest infeed 400, ramp as given; z 1.5, half the largest loss, ramp_frac
    # 0.5: up = 200 + 15 + max(0.5 ramp, 0), down = 15 + max(-0.5 ramp, 0), so
    # ramp -200: (215, 115); 0: (215, 15); 120: (275, 15).
    o = obs.copy()
    o[STD], o[INFEED], o[RAMP] = 10.0, 400.0, ramp
    policy = RuleBasedBroker(env, z=1.5, largest_loss_frac=0.5, ramp_frac=0.5)
    bids = env.codec_for("broker_0").decode(policy.predict(o)[0])
    by_hand = {-200.0: [215.0, 115.0], 0.0: [215.0, 15.0], 120.0: [275.0, 15.0]}[ramp]
    np.testing.assert_allclose(bids.req_mw, by_hand, atol=ATOL)
    np.testing.assert_allclose(by_hand, expected(o, z=1.5, loss=0.5, ramp=0.5))


def test_caps_default_to_the_scenarios_broker_block(env, obs) -> None:
    bids = env.codec_for("broker_0").decode(RuleBasedBroker(env).predict(obs)[0])
    broker = env.scenario.broker
    np.testing.assert_allclose(bids.max_avail, broker.max_availability_price_per_mw_h, atol=ATOL)
    np.testing.assert_allclose(bids.max_util, broker.max_utilisation_price_per_mwh, atol=ATOL)
    assert broker.max_utilisation_price_per_mwh == 4000.0  # the price cap, by default


def test_scenario_overrides_reach_the_policy(obs) -> None:
    e = parallel_env(
        "default",
        **{"market.days": 1, "broker.reserve_z": 1.5, "broker.max_availability_price_per_mw_h": 7,
           "broker.max_utilisation_price_per_mwh": 900, "broker.largest_loss_frac": 0.5,
           "broker.ramp_frac": 0.75},
    )  # fmt: skip
    o, _ = e.reset(seed=0)
    o["broker_0"][RAMP] = -40.0  # a falling net demand: down reserve 0.75 x 40 = 30 more
    policy = RuleBasedBroker(e)
    assert (policy.z, policy.largest_loss_frac, policy.ramp_frac) == (1.5, 0.5, 0.75)
    bids = e.codec_for("broker_0").decode(policy.predict(o["broker_0"])[0])
    want = expected(o["broker_0"], z=1.5, loss=0.5, ramp=0.75)
    assert want[1] == pytest.approx(1.5 * o["broker_0"][STD] + 30.0)
    np.testing.assert_allclose(bids.req_mw, want, atol=ATOL)
    np.testing.assert_allclose(bids.max_avail, 7.0, atol=ATOL)
    np.testing.assert_allclose(bids.max_util, 900.0, atol=ATOL)


def test_constructor_caps_and_codec_defaults(env, obs) -> None:
    codec = env.codec_for("broker_0")
    bids = codec.decode(RuleBasedBroker(env, max_avail=12.0, max_util=345.0).predict(obs)[0])
    np.testing.assert_allclose(bids.max_avail, 12.0, atol=ATOL)
    np.testing.assert_allclose(bids.max_util, 345.0, atol=ATOL)
    # from the codec alone: z = 2, the whole largest loss, a quarter of the ramp, 100 per
    # MW per hour, the top of the price range
    policy = RuleBasedBroker(codec)
    assert (policy.z, policy.max_avail, policy.max_util) == (2.0, 100.0, 4000.0)
    assert (policy.largest_loss_frac, policy.ramp_frac) == (1.0, 0.25)


def test_predict_batched(env, obs) -> None:
    policy = RuleBasedBroker(env, z=2.0)
    rows = np.stack([obs, obs, obs])
    rows[1, STD] = 10.0
    rows[2, STD] = 0.0
    rows[2, INFEED] = 0.0
    rows[2, RAMP] = 0.0
    actions, _ = policy.predict(rows)
    assert actions.shape == (3, 6)
    bids = env.codec_for("broker_0").decode(actions)
    np.testing.assert_allclose(bids.req_mw, expected(rows), atol=ATOL)
    np.testing.assert_allclose(bids.req_mw[2], [0.0, 0.0], atol=ATOL)
    np.testing.assert_array_equal(actions[0], policy.predict(obs)[0])


def test_requirement_beyond_the_codec_range_is_clipped(env, obs) -> None:
    codec = env.codec_for("broker_0")
    big = obs.copy()
    big[STD] = 10 * codec.hi[0]
    bids = codec.decode(RuleBasedBroker(env).predict(big)[0])
    np.testing.assert_allclose(bids.req_mw, codec.hi[0], atol=ATOL)


def test_construction_errors(env) -> None:
    with pytest.raises(ValueError, match="for the broker"):
        RuleBasedBroker(env, "producer_0")
    with pytest.raises(ValueError, match="z="):
        RuleBasedBroker(env, z=-1.0)
    with pytest.raises(ValueError, match="largest_loss_frac="):
        RuleBasedBroker(env, largest_loss_frac=-0.1)
    with pytest.raises(ValueError, match="ramp_frac="):
        RuleBasedBroker(env, ramp_frac=float("inf"))
    with pytest.raises(ValueError, match="max_util="):
        RuleBasedBroker(env, max_util=float("nan"))

"""Rule-based broker (:mod:`elecbay_agents.rule_based_broker`).

The requirement must equal ``z x forecast_error_std`` (broker feature 8) in both
directions, with the caps from the constructor or the scenario's ``broker`` block.
Tolerance ``1e-7 x`` the decoded range (float32 actions): ``ATOL = 1e-3``.
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents.rule_based_broker import RuleBasedBroker

from elecbay_env import parallel_env
from elecbay_env.envs.observations import BROKER_FEATURES

ATOL = 1e-3
STD = BROKER_FEATURES.index("forecast_error_std")


@pytest.fixture(scope="module")
def env():
    e = parallel_env("default", **{"market.days": 1})
    e.reset(seed=0)
    return e


@pytest.fixture(scope="module")
def obs(env):
    o, _ = env.reset(seed=0)
    return o["broker_0"]


def test_requirement_is_z_times_the_forecast_error_std(env, obs) -> None:
    std = float(obs[STD])
    assert std > 1.0
    for z in (None, 0.0, 1.0, 3.5):
        policy = RuleBasedBroker(env, z=z)
        action, state = policy.predict(obs)
        assert state is None
        assert env.action_space("broker_0").contains(action)
        bids = env.codec_for("broker_0").decode(action)
        expected = (2.0 if z is None else z) * std  # default: the scenario's reserve_z, 2.0
        np.testing.assert_allclose(bids.req_mw, [expected, expected], atol=ATOL)


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
           "broker.max_utilisation_price_per_mwh": 900},
    )  # fmt: skip
    o, _ = e.reset(seed=0)
    bids = e.codec_for("broker_0").decode(RuleBasedBroker(e).predict(o["broker_0"])[0])
    np.testing.assert_allclose(bids.req_mw, 1.5 * o["broker_0"][STD], atol=ATOL)
    np.testing.assert_allclose(bids.max_avail, 7.0, atol=ATOL)
    np.testing.assert_allclose(bids.max_util, 900.0, atol=ATOL)


def test_constructor_caps_and_codec_defaults(env, obs) -> None:
    codec = env.codec_for("broker_0")
    bids = codec.decode(RuleBasedBroker(env, max_avail=12.0, max_util=345.0).predict(obs)[0])
    np.testing.assert_allclose(bids.max_avail, 12.0, atol=ATOL)
    np.testing.assert_allclose(bids.max_util, 345.0, atol=ATOL)
    # from the codec alone: z = 2, 100 per MW per hour, the top of the price range
    policy = RuleBasedBroker(codec)
    assert (policy.z, policy.max_avail, policy.max_util) == (2.0, 100.0, 4000.0)


def test_predict_batched(env, obs) -> None:
    policy = RuleBasedBroker(env, z=2.0)
    rows = np.stack([obs, obs, obs])
    rows[1, STD] = 10.0
    rows[2, STD] = 0.0
    actions, _ = policy.predict(rows)
    assert actions.shape == (3, 6)
    bids = env.codec_for("broker_0").decode(actions)
    np.testing.assert_allclose(bids.req_mw[:, 0], [2.0 * obs[STD], 20.0, 0.0], atol=ATOL)
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
    with pytest.raises(ValueError, match="max_util="):
        RuleBasedBroker(env, max_util=float("nan"))

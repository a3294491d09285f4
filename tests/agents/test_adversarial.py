"""The adversarial policies (elecbay_agents.adversarial) and their registry specs."""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents.adversarial import AdversarialPolicy, ScaledReserveBroker
from elecbay_agents.merit_order import MeritOrderPolicy
from elecbay_agents.registry import make_policy
from elecbay_agents.rule_based_broker import RuleBasedBroker

from elecbay_env.envs.parallel import parallel_env


@pytest.fixture(scope="module")
def env():
    e = parallel_env("default", **{"market.days": 1})
    e.reset(seed=0)
    return e


def _obs(env, agent):
    obs, _ = env.reset(seed=0)
    return np.asarray(obs[agent])[None, :]


@pytest.mark.parametrize("agent", ["producer_2", "producer_6", "producer_8", "consumer_0"])
def test_neutral_parameters_are_merit_order(env, agent):
    x = _obs(env, agent)
    a, _ = AdversarialPolicy(env, agent).predict(x)
    b, _ = MeritOrderPolicy(env, agent).predict(x)
    np.testing.assert_array_equal(a, b)


def test_consumer_contract_factor_scales_the_bid(env):
    x = _obs(env, "consumer_0")
    honest = MeritOrderPolicy(env, "consumer_0").bids(x)
    pol = AdversarialPolicy(env, "consumer_0", contract_factor=1.2)
    long = pol.distort(x, honest, np.full(1, 50.0))
    np.testing.assert_allclose(long.step_qty, 1.2 * honest.step_qty)


def test_consumer_down_reserve_offer(env):
    x = _obs(env, "consumer_0")
    pol = make_policy("consumer_down_reserve:0.1,0,0", env, "consumer_0")
    bids = pol.codec.decode(pol.predict(x)[0])
    assert bids.res_qty[0, 1] > 0 and abs(bids.res_util[0, 1]) < 1e-3


def test_broker_scale(env):
    x = _obs(env, "broker_0")
    rule = RuleBasedBroker(env, "broker_0").bids(x)
    half = ScaledReserveBroker(env, "broker_0", factor=0.5).bids(x)
    np.testing.assert_allclose(half.req_mw, 0.5 * rule.req_mw)


@pytest.mark.parametrize(
    ("spec", "agent"),
    [
        ("misforecast:1.3", "producer_0"),
        ("phantom_reserve:3,0.5", "consumer_1"),
        ("imbalance_setter:1", "consumer_0"),
        ("imbalance_setter:-1", "producer_2"),
        ("niv_chase:1", "producer_8"),
        ("broker_reserve_scale:2", "broker_0"),
    ],
)
def test_specs_build_and_act(env, spec, agent):
    pol = make_policy(spec, env, agent)
    a, _ = pol.predict(_obs(env, agent))
    assert np.all(np.abs(a) <= 1.0)


def test_niv_chase_fits_storage_only(env):
    with pytest.raises(ValueError):
        make_policy("niv_chase:1", env, "producer_0")

"""Zero-intelligence policies and random actions (:mod:`elecbay_agents.zero_intelligence`).

ZI-C must never submit a loss-making price: hypothesis draws seeds and observations
(cost or value, forecast, last price, state of charge) and every step and reserve price
is checked against its merit-order limit: the agent's cost or value read from the
observation, except where merit order itself is a price taker (a thermal unit's
must-run block at -1, a consumer's inflexible load at the price cap), where the limit
is that price. ZI-U must
sometimes offer below cost and bid above value: over 200 draws of 4 steps the chance
that a uniform price on [-500, 4000] never falls below a cost of 54 is
``(1 - 554/4500)^800 < 1e-45``. ``ATOL = 1e-3`` (float32 actions).
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents.merit_order import PRICE_TAKER, MeritOrderPolicy
from elecbay_agents.rule_based_broker import RuleBasedBroker
from elecbay_agents.zero_intelligence import RandomPolicy, ZICPolicy, ZIUPolicy, make_rng
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env import parallel_env
from elecbay_env.envs.observations import BROKER_FEATURES, TRADER_FEATURES

ATOL = 1e-3
F = {name: i for i, name in enumerate(TRADER_FEATURES)}
TRADERS = [f"producer_{i}" for i in range(9)] + [f"consumer_{i}" for i in range(4)]
STORAGE = "producer_8"
STD = BROKER_FEATURES.index("forecast_error_std")


@pytest.fixture(scope="module")
def env():
    return parallel_env("default", **{"market.days": 1})


@pytest.fixture(scope="module")
def obs(env):
    o, _ = env.reset(seed=0)
    return o


def decode(env, agent, action):
    space = env.action_space(agent)
    assert all(space.contains(a) for a in np.reshape(action, (-1, space.shape[0]))), agent
    return env.codec_for(agent).decode(action)


@given(
    seed=st.integers(0, 2**32 - 1),
    agent=st.sampled_from(TRADERS),
    cost=st.floats(-400.0, 3900.0),
    forecast_frac=st.floats(0.0, 1.0),
    last_price=st.floats(-500.0, 4000.0),
    soc=st.floats(0.0, 1.0),
)
@settings(max_examples=150, deadline=None)
def test_zi_c_never_submits_a_loss_making_price(
    env, obs, seed, agent, cost, forecast_frac, last_price, soc
) -> None:
    o = obs[agent].astype(np.float64)
    o[F["own_cost_or_value"]] = cost
    o[F["own_forecast"]] = forecast_frac * o[F["own_capacity"]]
    o[F["last_price"]] = last_price
    o[F["own_soc"]] = soc
    policy = ZICPolicy(env, agent, seed=seed, storage_low=40.0, storage_high=90.0)
    bids = decode(env, agent, policy.predict(o)[0])
    sells, buys = bids.step_qty > ATOL, bids.step_qty < -ATOL
    # merit order's step prices: cost or value, or a price taker's (-1, the cap)
    truthful = MeritOrderPolicy(env, agent, storage_low=40.0, storage_high=90.0).bids(o[None])
    limit = truthful.step_price[0]
    cap = env.scenario.market.price_cap_per_mwh
    if agent == STORAGE:  # sells at or above its high threshold, buys at or below low
        assert np.all(bids.step_price[sells] >= 90.0 - ATOL)
        assert np.all(bids.step_price[buys] <= 40.0 + ATOL)
        up_limit, down_limit = 90.0, 40.0
    elif agent.startswith("consumer"):  # buyer: price <= value (inflexible load: the cap)
        assert not sells.any()
        assert np.all((limit == cost) | (limit == cap))
        assert np.all(bids.step_price <= limit + ATOL)
        up_limit, down_limit = cost, None
    else:  # seller: price >= cost (a thermal unit's must-run block: the price taker's)
        assert not buys.any()
        assert np.all((limit == cost) | (limit == PRICE_TAKER))
        assert np.all(bids.step_price >= limit - ATOL)
        at_cost = (limit == cost) & sells
        assert np.all(bids.step_price[at_cost] >= cost - ATOL)
        up_limit, down_limit = cost, cost
    # reserve: paid for up energy at least its cost / value, pays for down at most it
    if bids.res_qty[0] > ATOL:
        assert bids.res_util[0] >= up_limit - ATOL
    if down_limit is not None and bids.res_qty[1] > ATOL:
        assert bids.res_util[1] <= down_limit + ATOL
    assert np.all(bids.res_avail >= -ATOL)


@pytest.mark.parametrize("policy_cls", [ZIUPolicy, ZICPolicy])
def test_quantities_are_merit_orders(env, obs, policy_cls) -> None:
    for agent in TRADERS:
        zi = decode(env, agent, policy_cls(env, agent, seed=1).predict(obs[agent])[0])
        mo = decode(env, agent, MeritOrderPolicy(env, agent).predict(obs[agent])[0])
        np.testing.assert_allclose(zi.step_qty, mo.step_qty, atol=ATOL)
        np.testing.assert_allclose(zi.res_qty, mo.res_qty, atol=ATOL)


def test_zi_u_sometimes_sells_below_cost_and_buys_above_value(env, obs) -> None:
    rows = 200
    for agent, side in (("producer_2", "sell"), ("consumer_2", "buy")):
        limit = float(obs[agent][F["own_cost_or_value"]])
        actions, _ = ZIUPolicy(env, agent, seed=7).predict(np.stack([obs[agent]] * rows))
        prices = decode(env, agent, actions).step_price
        assert prices.shape == (rows, env.scenario.market.bid_steps)
        if side == "sell":
            assert np.any(prices < limit) and np.any(prices > limit)
        else:
            assert np.any(prices > limit) and np.any(prices < limit)
        # uniform over the whole range: the extremes come close to the floor and the cap
        assert prices.min() < -400.0 and prices.max() > 3900.0
        # and ZI-C never does, on the same draws, where merit order offers at cost or bids
        # at value (its price-taker steps, a consumer's inflexible load at the cap, are
        # bounded by the price taker's price instead)
        actions, _ = ZICPolicy(env, agent, seed=7).predict(np.stack([obs[agent]] * rows))
        prices = decode(env, agent, actions).step_price
        truthful = MeritOrderPolicy(env, agent).bids(obs[agent][None]).step_price[0]
        at_limit = truthful == limit
        assert at_limit.any()
        if side == "sell":
            assert np.all(prices[:, at_limit] >= limit - ATOL)
            assert np.all(prices >= truthful - ATOL)
        else:
            assert np.all(prices[:, at_limit] <= limit + ATOL)
            assert np.all(prices <= truthful + ATOL)


def test_prices_are_uniform(env, obs) -> None:
    """ZI-U step prices: mean and spread of a uniform on [floor, cap] (4 sigma bounds)."""
    actions, _ = ZIUPolicy(env, "producer_0", seed=3).predict(np.stack([obs["producer_0"]] * 500))
    p = decode(env, "producer_0", actions).step_price.ravel()
    lo, hi = -500.0, 4000.0
    mean, sd = (lo + hi) / 2, (hi - lo) / np.sqrt(12)
    assert abs(p.mean() - mean) < 4 * sd / np.sqrt(p.size)
    assert abs(p.std() - sd) < 0.05 * sd


def test_broker(env, obs) -> None:
    o = obs["broker_0"]
    rule = env.codec_for("broker_0").decode(RuleBasedBroker(env).predict(o)[0])
    rows = np.stack([o] * 300)
    zic = decode(env, "broker_0", ZICPolicy(env, "broker_0", seed=0).predict(rows)[0])
    assert np.all(zic.req_mw >= -ATOL) and np.all(zic.req_mw <= 2 * rule.req_mw + ATOL)
    assert np.all(zic.max_avail <= rule.max_avail + ATOL)
    assert np.all(zic.max_util <= rule.max_util + ATOL)
    # the mean requirement is the rule-based one in each direction (uniform on [0, 2 x
    # the rule's]), within 5 standard errors
    for d in (0, 1):
        se = 2 * rule.req_mw[d] / np.sqrt(12 * len(rows))
        assert abs(zic.req_mw[:, d].mean() - rule.req_mw[d]) < 5 * se
    ziu = decode(env, "broker_0", ZIUPolicy(env, "broker_0", seed=0).predict(rows)[0])
    codec = env.codec_for("broker_0")
    assert ziu.req_mw.max() > 0.9 * codec.hi[0]  # the whole range, not the rule's
    assert ziu.max_util.max() > 0.9 * codec.hi[4]


@pytest.mark.parametrize("policy_cls", [ZIUPolicy, ZICPolicy, RandomPolicy])
def test_seeded_reproducible_and_seeds_differ(env, obs, policy_cls) -> None:
    for agent in ("producer_0", STORAGE, "consumer_1", "broker_0"):
        a = policy_cls(env, agent, seed=11)
        b = policy_cls(env, agent, seed=11)
        c = policy_cls(env, agent, seed=12)
        xs = [a.predict(obs[agent], deterministic=True)[0] for _ in range(3)]
        ys = [b.predict(obs[agent], deterministic=True)[0] for _ in range(3)]
        zs = [c.predict(obs[agent], deterministic=True)[0] for _ in range(3)]
        for x, y, z in zip(xs, ys, zs, strict=True):
            np.testing.assert_array_equal(x, y)  # same seed, same calls: same actions
            assert not np.array_equal(x, z)  # another seed: other prices
        assert not np.array_equal(xs[0], xs[1])  # deterministic=True still draws
        # a generator given directly is used as is
        d = policy_cls(env, agent, rng=np.random.default_rng(11))
        np.testing.assert_array_equal(d.predict(obs[agent])[0], xs[0])


def test_random_policy_covers_the_action_space(env, obs) -> None:
    for agent in ("producer_3", "consumer_0", "broker_0"):
        rows = np.stack([obs[agent]] * 400)
        actions, state = RandomPolicy(env, agent, seed=5).predict(rows)
        assert state is None
        assert actions.shape == (400, env.action_space(agent).shape[0])
        assert all(env.action_space(agent).contains(a) for a in actions)
        assert actions.min() < -0.99 and actions.max() > 0.99
        assert abs(actions.mean()) < 4 / np.sqrt(3 * actions.size)


def test_storage_state_is_carried_like_merit_order(env, obs) -> None:
    o = obs[STORAGE].astype(np.float64)
    o[F["last_price"]] = 100.0
    _, s_zi = ZICPolicy(env, STORAGE, seed=0).predict(o, np.array([60.0]))
    _, s_mo = MeritOrderPolicy(env, STORAGE).predict(o, np.array([60.0]))
    np.testing.assert_array_equal(s_zi, s_mo)


def test_make_rng_rejects_seed_and_rng(env) -> None:
    with pytest.raises(ValueError, match="not both"):
        make_rng(1, np.random.default_rng(1))
    with pytest.raises(ValueError, match="Generator"):
        ZIUPolicy(env, "producer_0", rng=np.random.RandomState(0))

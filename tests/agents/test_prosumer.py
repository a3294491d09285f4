"""The home-battery baselines of the ``community`` scenario: rules, limits and checks."""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents._storage import storage_power_limits
from elecbay_agents.prosumer import SelfConsumptionPolicy, TimeOfUsePolicy, hour_of_day
from elecbay_agents.registry import make_policy
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env import parallel_env
from elecbay_env.community import community_scenario
from elecbay_env.envs.observations import TRADER_FEATURES


@pytest.fixture(scope="module")
def env():
    e = parallel_env(community_scenario(40, data=False, bid_steps=2))
    e.reset(seed=0)
    return e


def _battery(env) -> str:
    return next(
        a for a in env.possible_agents if env.codec_for(a).codec.params.kind[0, env._row[a]] == 3
    )


def _obs(hour: float, demand: float, renewable: float, soc: float) -> np.ndarray:
    x = np.zeros(len(TRADER_FEATURES))
    f = TRADER_FEATURES.index
    x[f("time_sin")], x[f("time_cos")] = (
        np.sin(2 * np.pi * hour / 24),
        np.cos(2 * np.pi * hour / 24),
    )
    x[f("demand_forecast")], x[f("renewable_forecast")] = demand, renewable
    x[f("own_capacity")], x[f("own_energy")], x[f("own_round_trip")] = 0.005, 0.0135, 0.9
    x[f("own_soc")] = soc
    return x


def test_hour_of_day_inverts_the_time_features():
    hours = np.arange(48) / 2.0
    obs = np.stack([_obs(h, 0, 0, 0.5) for h in hours])
    assert np.allclose(hour_of_day(obs), hours)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0, 23.9),
    st.floats(0, 10),
    st.floats(0, 10),
    st.floats(0, 1),
)
def test_rules_move_the_most_the_battery_allows_in_the_right_direction(env, hour, d, r, soc):
    agent = _battery(env)
    obs = _obs(hour, d, r, soc)[None]
    max_dis, max_chg = storage_power_limits(obs, env.engine.params.period_h)
    sc = SelfConsumptionPolicy(env, agent).bids(obs)
    want = max_dis[0] if d > r else (-max_chg[0] if r > d else 0.0)
    assert np.isclose(sc.step_qty.sum(), want, rtol=1e-12, atol=1e-15)
    tou = TimeOfUsePolicy(env, agent).bids(obs)
    want = max_dis[0] if 16 <= hour < 20 else (-max_chg[0] if hour < 5 else 0.0)
    assert np.isclose(tou.step_qty.sum(), want, rtol=1e-12, atol=1e-15)
    for bids in (sc, tou):
        assert not bids.res_qty.any()
        lo, hi = env.codec.price_range
        assert np.all((bids.step_qty >= 0) | (bids.step_price == hi))  # charging: price taker
        assert np.all((bids.step_qty <= 0) | (bids.step_price == lo))


def test_checks_name_the_problem(env):
    agent = _battery(env)
    home = next(a for a in env.possible_agents if a.startswith("consumer"))
    with pytest.raises(ValueError, match="is for storage units"):
        SelfConsumptionPolicy(env, home)
    with pytest.raises(ValueError, match=r"charge_hours=\(5.0, 3.0\)"):
        TimeOfUsePolicy(env, agent, charge_hours=(5.0, 3.0))
    with pytest.raises(ValueError, match="overlap"):
        TimeOfUsePolicy(env, agent, charge_hours=(0, 17), discharge_hours=(16, 20))
    with pytest.raises(ValueError, match=r"buy_at=5000.0: allowed range"):
        SelfConsumptionPolicy(env, agent, buy_at=5000.0)


def test_registry_builds_them_and_an_episode_runs(env):
    agent = _battery(env)
    policies = {
        a: make_policy("self_consumption" if a == agent else "merit_order", env, a, seed=0)
        for a in env.possible_agents
        if not a.startswith("broker")
    }
    policies[agent] = make_policy("time_of_use:1,6,17,21", env, agent, seed=0)
    assert policies[agent].charge_hours == (1.0, 6.0)
    obs, _ = env.reset(seed=1)
    while env.agents:
        acts = {a: np.zeros(env.action_space(a).shape, np.float32) for a in env.agents}
        for a, p in policies.items():
            acts[a] = p.predict(obs[a])[0]
        obs, *_ = env.step(acts)
    soc = env.engine.state.soc_mwh[0, env._row[agent]]
    assert 0.0 <= soc <= 0.0135 * 2

"""Forecast-following retailer (:mod:`elecbay_agents.retailer`).

The bid is checked against ``forecast x (1 + phi x last error)`` computed here, with
``phi`` the scenario's AR(1) coefficient (configs/default.yaml: households 0.9), laid
out as merit order lays a consumer's load: the inflexible share at the price cap, the
flexible share at the value, each block in its own equal steps. The
episode test checks the point of the policy: following the persistent forecast error
leaves a consumer less out of balance than merit order does.
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_agents.merit_order import MeritOrderPolicy
from elecbay_agents.registry import make_policies
from elecbay_agents.retailer import RetailerPolicy

from elecbay_env import parallel_env
from elecbay_env.envs.codecs import STEP_SLACK
from elecbay_env.envs.observations import TRADER_FEATURES

ATOL = 1e-3
F = {name: i for i, name in enumerate(TRADER_FEATURES)}


@pytest.fixture(scope="module")
def env():
    return parallel_env("default", **{"market.days": 1})


@pytest.fixture(scope="module")
def obs(env):
    o, _ = env.reset(seed=0)
    return o


def with_error(o: np.ndarray, err: float) -> np.ndarray:
    o = o.astype(np.float64)
    o[F["own_last_error"]] = err
    return o


def load_steps(env, i: int, load: float) -> tuple[np.ndarray, np.ndarray]:
    """Consumer ``i``'s merit-order steps for ``load`` MW: (prices, MW bought >= 0). The
    inflexible share ``(1 - flexible) x load`` at the price cap in as few steps of at
    most the codec's step (``STEP_SLACK x 1.5 x peak / B``) as it needs, the flexible
    share at the value in the steps left."""
    spec = env.scenario.consumers[i]
    b = env.scenario.market.bid_steps
    step_max = STEP_SLACK * 1.5 * spec.peak_mw / b
    first = (1.0 - spec.flexible_frac) * load
    n = int(np.ceil(first / step_max - 1e-9))
    assert n < b
    cap = env.scenario.market.price_cap_per_mwh
    price = np.array([cap] * n + [spec.value_per_mwh] * (b - n))
    qty = np.array([first / max(n, 1)] * n + [(load - first) / (b - n)] * (b - n))
    return price, qty


@pytest.mark.parametrize("err", [-0.1, 0.0, 0.05, 0.3])
def test_bids_the_expected_load_at_value(env, obs, err) -> None:
    agent = "consumer_0"
    spec = env.scenario.consumers[0]
    assert spec.forecast_error.ar1 == 0.9
    o = with_error(obs[agent], err)
    fc = float(o[F["own_forecast"]])
    action, state = RetailerPolicy(env, agent).predict(o)
    assert state is None
    assert env.action_space(agent).contains(action)
    bids = env.codec_for(agent).decode(action)
    expected = fc * (1.0 + 0.9 * err)
    price, qty = load_steps(env, 0, expected)
    np.testing.assert_allclose(bids.step_qty, -qty, atol=ATOL)
    np.testing.assert_allclose(bids.step_qty.sum(), -expected, atol=ATOL)
    np.testing.assert_allclose(bids.step_price, price, atol=ATOL)
    np.testing.assert_allclose(bids.res_qty, [spec.flexible_frac * expected, 0.0], atol=ATOL)


def test_explicit_persistence_and_clipping_at_zero(env, obs) -> None:
    agent = "consumer_2"
    o = with_error(obs[agent], 0.2)
    fc = float(o[F["own_forecast"]])
    bids = env.codec_for(agent).decode(RetailerPolicy(env, agent, 0.5).predict(o)[0])
    np.testing.assert_allclose(bids.step_qty, -load_steps(env, 2, fc * 1.1)[1], atol=ATOL)
    # an error of -300 % would mean negative load: bid nothing
    bids = env.codec_for(agent).decode(RetailerPolicy(env, agent, 1.0).predict(
        with_error(obs[agent], -3.0))[0])  # fmt: skip
    np.testing.assert_allclose(bids.step_qty, 0.0, atol=ATOL)


def test_no_error_or_no_persistence_is_merit_order(env, obs) -> None:
    for agent in ("consumer_0", "consumer_3"):
        o = with_error(obs[agent], 0.0)
        a, _ = RetailerPolicy(env, agent).predict(o)
        np.testing.assert_array_equal(a, MeritOrderPolicy(env, agent).predict(o)[0])
        o = with_error(obs[agent], 0.4)
        a, _ = RetailerPolicy(env, agent, persistence=0.0).predict(o)
        np.testing.assert_array_equal(a, MeritOrderPolicy(env, agent).predict(o)[0])
        assert not np.array_equal(RetailerPolicy(env, agent).predict(o)[0], a)


def _abs_imbalance(spec: dict[str, str], seed: int, **overrides: float) -> float:
    e = parallel_env("default", **{"market.days": 2, **overrides})
    policies = make_policies(e, spec)
    o, _ = e.reset(seed=seed)
    states = dict.fromkeys(e.possible_agents)
    total = 0.0
    while e.agents:
        actions = {}
        for a in e.agents:
            actions[a], states[a] = policies[a].predict(o[a], states[a])
        o, _, _, _, infos = e.step(actions)
        total += sum(abs(infos[a]["imbalance_mwh"]) for a in infos if a.startswith("consumer"))
    return total


INFLEXIBLE = {f"consumers.{i}.flexible_frac": 0.0 for i in range(4)}


@pytest.mark.parametrize("overrides", [{}, INFLEXIBLE], ids=["default", "inflexible"])
def test_following_the_error_cuts_consumer_imbalance_over_episodes(overrides) -> None:
    """Same market seeds, same forecast errors: the retailer's imbalance is smaller,
    with the scenario's flexible shares and with all load inflexible."""
    for seed in (1, 2):
        merit = _abs_imbalance({}, seed, **overrides)
        retail = _abs_imbalance({"consumer": "retailer"}, seed, **overrides)
        assert retail < 0.8 * merit, (seed, retail, merit)


def test_refuses_non_consumers_and_bad_persistence(env) -> None:
    for agent in ("producer_0", "producer_8", "broker_0"):
        with pytest.raises(ValueError, match=r"for consumers|not the broker"):
            RetailerPolicy(env, agent)
    with pytest.raises(ValueError, match="persistence="):
        RetailerPolicy(env, "consumer_0", persistence=1.5)

"""Observations: inside their spaces, honest bounds, no private leaks, documented values.

Covers :mod:`elecbay_env.envs.observations` through the parallel environment:

- every observation of whole seeded random-action episodes of every shipped scenario
  is float32, finite and inside its agent's Box; ``state()`` inside ``state_space``;
  the same space object for an agent on every call;
- the bounds are honest: the features computed without the final clip stay inside the
  documented bounds (the clip is a safety net, not a silent saturation);
- private information does not leak: changing one agent's private parameters changes
  no other agent's observation at reset, except the public aggregates that
  legitimately depend on them (listed per case);
- the observation of a known situation holds the documented values at the documented
  indices.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from elecbay_env import load_scenario, parallel_env
from elecbay_env.envs.observations import BROKER_FEATURES, TRADER_FEATURES, observe, row_bounds

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
CONFIGS = sorted(p for p in CONFIG_DIR.glob("*.yaml") if p.name != "demo_book.yaml")
DEFAULT = str(CONFIG_DIR / "default.yaml")
SMALL = str(CONFIG_DIR / "small.yaml")
ONE_DAY = {"market.days": 1}

# Documented indices (module docstring of elecbay_env.envs.observations).
T = {name: i for i, name in enumerate(TRADER_FEATURES)}
BR = {name: i for i, name in enumerate(BROKER_FEATURES)}
KIND = {"thermal": 0, "wind": 1, "solar": 2, "storage": 3, "consumer": 4}


def _ids(path: Path) -> str:
    return path.stem


def test_documented_index_tables() -> None:
    """The index tables of the module docstring, pinned."""
    trader = (
        "time_sin time_cos progress last_price last_imbalance_price last_niv demand_forecast "
        "renewable_forecast own_forecast own_capacity own_cost_or_value own_min_stable "
        "own_level own_headroom own_soc own_hours_run own_outage_left own_on "
        "own_last_contract own_last_imbalance own_last_error own_kind own_startup_cost "
        "own_energy own_round_trip own_flexible own_ramp own_hours_off"
    ).split()
    broker = (
        trader[:8]
        + (
            "forecast_error_std thermal_available last_unserved last_curtailed "
            "last_activated_up last_activated_down value_of_lost_load largest_infeed "
            "net_demand_ramp"
        ).split()
    )
    assert (len(trader), len(broker)) == (28, 17)
    assert list(TRADER_FEATURES) == trader
    assert list(BROKER_FEATURES) == broker


# --------------------------------------------------------------------------------------
# Inside the spaces, over whole episodes
# --------------------------------------------------------------------------------------


def _random_actions(e, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {a: rng.uniform(-1.0, 1.0, e.action_space(a).shape).astype(np.float32) for a in e.agents}


def _check_obs(e, obs: dict[str, np.ndarray], live: list[str], where: str) -> None:
    assert set(obs) == set(live), where
    for agent, o in obs.items():
        space = e.observation_space(agent)
        assert isinstance(o, np.ndarray) and o.dtype == np.float32, (where, agent, o.dtype)
        assert o.shape == space.shape, (where, agent)
        assert np.all(np.isfinite(o)), (where, agent, o)
        bad = np.flatnonzero((o < space.low) | (o > space.high))
        assert space.contains(o), (where, agent, bad, o[bad], space.low[bad], space.high[bad])


def _check_state(e, where: str) -> None:
    s = e.state()
    assert s.dtype == np.float32 and s.shape == e.state_space.shape, where
    assert np.all(np.isfinite(s)), where
    assert e.state_space.contains(s), where


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_observations_inside_their_box_over_random_episodes(config: Path, seed: int) -> None:
    e = parallel_env(str(config))
    obs_spaces = {a: e.observation_space(a) for a in e.possible_agents}
    act_spaces = {a: e.action_space(a) for a in e.possible_agents}
    rng = np.random.default_rng(seed)
    obs, _ = e.reset(seed=seed)
    _check_obs(e, obs, e.agents, "reset")
    _check_state(e, "reset")
    steps = 0
    while e.agents:
        live = list(e.agents)
        obs, *_ = e.step(_random_actions(e, rng))
        steps += 1
        _check_obs(e, obs, live, f"step {steps}")
        _check_state(e, f"step {steps}")
        for a in e.possible_agents:  # the same object on every call
            assert e.observation_space(a) is obs_spaces[a]
            assert e.action_space(a) is act_spaces[a]
    assert steps == e.num_periods


def test_state_is_every_observation_concatenated() -> None:
    e = parallel_env(SMALL)
    obs, _ = e.reset(seed=0)
    np.testing.assert_array_equal(e.state(), np.concatenate([obs[a] for a in e.possible_agents]))
    low = np.concatenate([e.observation_space(a).low for a in e.possible_agents])
    np.testing.assert_array_equal(e.state_space.low, low)


def test_spaces_are_shared_per_role_and_finite() -> None:
    e = parallel_env(DEFAULT, **ONE_DAY)
    traders = [a for a in e.possible_agents if a != "broker_0"]
    assert all(e.observation_space(a) is e.observation_space(traders[0]) for a in traders)
    assert e.observation_space("broker_0").shape == (len(BROKER_FEATURES),)
    assert e.observation_space(traders[0]).shape == (len(TRADER_FEATURES),)
    for space in (e.observation_space(traders[0]), e.observation_space("broker_0"), e.state_space):
        assert space.dtype == np.float32
        assert np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))
        assert np.all(space.low <= space.high)


# --------------------------------------------------------------------------------------
# Honest bounds: the clip never has to bite
# --------------------------------------------------------------------------------------


def _scripted(e, policy: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``random``; ``flood``: producers offer everything at the floor, consumers bid
    everything at the cap, so every unit runs all episode."""
    if policy == "random":
        return _random_actions(e, rng)
    b = e.codec.bid_steps
    out = {}
    for a in e.agents:
        x = np.zeros(e.action_space(a).shape, np.float32)
        if policy == "flood" and a.startswith("producer"):
            x[:b], x[b : 2 * b] = -1.0, 1.0
        elif policy == "flood" and a.startswith("consumer"):
            x[:b], x[b : 2 * b] = 1.0, -1.0
        out[a] = x
    return out


@pytest.mark.parametrize("policy", ["random", "flood"])
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_features_stay_inside_bounds_before_the_clip(config: Path, policy: str) -> None:
    """The documented bounds cover the values: computed without the clip, every
    feature lies inside them (else the observation silently saturates)."""
    e = parallel_env(str(config))
    lo, hi = row_bounds(e.engine.params)
    no_clip = (np.full_like(lo, -np.inf), np.full_like(hi, np.inf))
    rng = np.random.default_rng(0)
    e.reset(seed=0)
    problems: dict[tuple[str, str], str] = {}
    while True:
        raw = observe(e.engine.params, e.engine.state, no_clip)[0]
        for i, f in zip(*np.nonzero((raw < lo) | (raw > hi)), strict=True):
            agent = e.possible_agents[i]
            name = (BROKER_FEATURES if agent == "broker_0" else TRADER_FEATURES)[f]
            problems.setdefault(
                (agent, name),
                f"{raw[i, f]:g} outside [{lo[i, f]:g}, {hi[i, f]:g}] at period "
                f"{int(e.engine.t[0])}",
            )
        if not e.agents:
            break
        e.step(_scripted(e, policy, rng))
    assert not problems, problems


# --------------------------------------------------------------------------------------
# Private information does not leak
# --------------------------------------------------------------------------------------

# (case id, overrides, agent whose parameters change, whether its own observation must
# change at reset, {other agent or "traders": feature indices allowed to change}).
# Public aggregates: the demand forecast depends on every load, the renewable forecast
# on every renewable's capacity; the broker (the system operator) also sees the
# forecast-error spread of loads and renewables and the thermal capacity available.
LEAK_CASES: list[tuple[str, dict[str, Any], str, bool, dict[str, set[int]]]] = [
    ("thermal cost", {"producers.1.marginal_cost_per_mwh": 70}, "producer_1", True, {}),
    ("thermal startup", {"producers.1.startup_cost": 30_000}, "producer_1", True, {}),
    ("thermal min stable", {"producers.1.min_stable_mw": 150}, "producer_1", True, {}),
    ("thermal ramp", {"producers.1.ramp_mw_per_min": 5}, "producer_1", True, {}),
    ("thermal min run", {"producers.1.min_run_periods": 10}, "producer_1", False, {}),
    ("thermal outage", {"producers.1.forced_outage_prob_per_period": 0.01}, "producer_1",
     False, {}),
    ("thermal output", {"producers.1.initial_output_frac": 0.9}, "producer_1", True, {}),
    ("thermal on", {"producers.3.initial_on": True, "producers.3.initial_output_frac": 0.5},
     "producer_3", True, {}),
    ("thermal capacity", {"producers.1.capacity_mw": 380}, "producer_1", True,
     {"broker_0": {BR["thermal_available"]}}),
    ("wind cost", {"producers.6.marginal_cost_per_mwh": 2}, "producer_6", True, {}),
    ("wind capacity", {"producers.6.capacity_mw": 600}, "producer_6", True,
     {"traders": {T["renewable_forecast"]},
      "broker_0": {BR["renewable_forecast"], BR["forecast_error_std"]}}),
    ("wind error", {"producers.6.forecast_error.std_frac": 0.1}, "producer_6", False,
     {"broker_0": {BR["forecast_error_std"]}}),
    ("storage cost", {"producers.8.degradation_cost_per_mwh": 20}, "producer_8", True, {}),
    ("storage soc", {"producers.8.initial_soc_frac": 0.7}, "producer_8", True, {}),
    ("storage power", {"producers.8.power_mw": 120}, "producer_8", True, {}),
    ("storage efficiency", {"producers.8.round_trip_efficiency_frac": 0.9}, "producer_8",
     False, {}),
    ("consumer value", {"consumers.0.value_per_mwh": 2500}, "consumer_0", True, {}),
    ("consumer flexibility", {"consumers.2.flexible_frac": 0.3}, "consumer_2", False, {}),
    ("consumer peak", {"consumers.0.peak_mw": 1300}, "consumer_0", True,
     {"traders": {T["demand_forecast"]},
      "broker_0": {BR["demand_forecast"], BR["forecast_error_std"]}}),
    ("consumer error", {"consumers.3.forecast_error.std_frac": 0.1}, "consumer_3", False,
     {"broker_0": {BR["forecast_error_std"]}}),
    ("broker reserve", {"broker.reserve_z": 3.0}, "broker_0", False, {}),
    ("broker price cap", {"broker.max_availability_price_per_mw_h": 50}, "broker_0", False, {}),
]  # fmt: skip


@pytest.fixture(scope="module")
def baseline_obs() -> dict[str, np.ndarray]:
    return parallel_env(DEFAULT, **ONE_DAY).reset(seed=0)[0]


@pytest.mark.parametrize(
    ("overrides", "agent", "own_changes", "allowed"),
    [case[1:] for case in LEAK_CASES],
    ids=[case[0] for case in LEAK_CASES],
)
def test_private_parameters_do_not_leak_into_other_observations(
    baseline_obs, overrides, agent, own_changes, allowed
) -> None:
    changed = parallel_env(DEFAULT, **ONE_DAY, **overrides).reset(seed=0)[0]
    assert set(changed) == set(baseline_obs)
    if own_changes:  # the override reached the agent we think it did
        assert not np.array_equal(changed[agent], baseline_obs[agent])
    for other in baseline_obs:
        if other == agent:
            continue
        may = allowed.get(other, allowed.get("traders", set()) if other != "broker_0" else set())
        diff = set(np.flatnonzero(changed[other] != baseline_obs[other]).tolist())
        names = BROKER_FEATURES if other == "broker_0" else TRADER_FEATURES
        leaked = sorted(diff - may)
        assert not leaked, f"{other} sees {[names[i] for i in leaked]} change with {overrides}"


# --------------------------------------------------------------------------------------
# Documented values in a known situation
# --------------------------------------------------------------------------------------


def _participants(scenario) -> dict[str, Any]:
    out = {f"producer_{i}": p for i, p in enumerate(scenario.producers)}
    out.update({f"consumer_{i}": c for i, c in enumerate(scenario.consumers)})
    return out


@pytest.mark.parametrize("config", [DEFAULT, SMALL], ids=["default", "small"])
def test_observation_at_reset_has_the_documented_values(config: str) -> None:
    scenario = load_scenario(config, **ONE_DAY)
    m = scenario.market
    e = parallel_env(scenario)
    obs, _ = e.reset(seed=0)
    people = _participants(scenario)
    assert set(e.possible_agents) == {*people, "broker_0"}

    for agent, o in obs.items():  # common features, every agent
        assert o[0] == 0.0 and o[1] == 1.0, agent  # midnight: sin 0, cos 1
        assert o[2] == 0.0  # progress
        assert o[3] == np.float32(m.initial_price_per_mwh)  # last_price = initial price
        assert o[5] == 0.0  # last_niv

    demand = renewable = 0.0
    thermal_mw = err_var = 0.0
    for agent, p in people.items():
        o = obs[agent]
        kind = "consumer" if agent.startswith("consumer") else p.type
        assert o[T["own_kind"]] == KIND[kind], agent
        assert o[T["own_outage_left"]] == 0.0
        assert o[T["own_last_contract"]] == 0.0 and o[T["own_last_imbalance"]] == 0.0
        assert o[T["own_last_error"]] == 0.0
        if kind == "thermal":
            assert o[T["own_capacity"]] == np.float32(p.capacity_mw)
            assert o[T["own_cost_or_value"]] == np.float32(p.marginal_cost_per_mwh)
            assert o[T["own_min_stable"]] == np.float32(p.min_stable_mw)
            assert o[T["own_startup_cost"]] == np.float32(p.startup_cost)
            assert o[T["own_on"]] == float(p.initial_on)
            level = p.capacity_mw * p.initial_output_frac if p.initial_on else 0.0
            assert o[T["own_level"]] == pytest.approx(level, rel=1e-6)
            assert o[T["own_headroom"]] == pytest.approx(p.capacity_mw - level, rel=1e-6)
            assert o[T["own_forecast"]] == np.float32(p.capacity_mw)  # not in outage
            assert o[T["own_soc"]] == 0.0
            thermal_mw += p.capacity_mw
        elif kind in ("wind", "solar"):
            assert o[T["own_capacity"]] == np.float32(p.capacity_mw)
            assert o[T["own_cost_or_value"]] == np.float32(p.marginal_cost_per_mwh)
            assert 0.0 <= o[T["own_forecast"]] <= p.capacity_mw
            assert o[T["own_on"]] == 0.0 and o[T["own_hours_run"]] == 0.0
            renewable += float(o[T["own_forecast"]])
            err_var += (p.forecast_error.std_frac * float(o[T["own_forecast"]])) ** 2
        elif kind == "storage":
            assert o[T["own_capacity"]] == np.float32(p.power_mw)
            assert o[T["own_cost_or_value"]] == np.float32(p.degradation_cost_per_mwh)
            soc = (p.initial_soc_frac - p.min_soc_frac) / (p.max_soc_frac - p.min_soc_frac)
            assert o[T["own_soc"]] == pytest.approx(soc, rel=1e-6)
            assert o[T["own_forecast"]] == 0.0
        else:
            assert o[T["own_capacity"]] == np.float32(p.peak_mw)
            assert o[T["own_cost_or_value"]] == np.float32(p.value_per_mwh)
            assert 0.0 < o[T["own_forecast"]] <= p.peak_mw
            assert o[T["own_startup_cost"]] == 0.0 and o[T["own_min_stable"]] == 0.0
            demand += float(o[T["own_forecast"]])
            err_var += (p.forecast_error.std_frac * float(o[T["own_forecast"]])) ** 2

    # public forecasts are the sums of the own forecasts
    for agent, o in obs.items():
        assert o[6] == pytest.approx(demand, rel=1e-5), agent
        assert o[7] == pytest.approx(renewable, rel=1e-5, abs=1e-4), agent
    b = obs["broker_0"]
    assert b[BR["value_of_lost_load"]] == np.float32(m.value_of_lost_load_per_mwh)
    assert b[BR["thermal_available"]] == pytest.approx(thermal_mw, rel=1e-6)
    assert b[BR["forecast_error_std"]] == pytest.approx(math.sqrt(err_var), rel=1e-5)
    for name in ("last_unserved", "last_curtailed", "last_activated_up", "last_activated_down"):
        assert b[BR[name]] == 0.0


def test_observation_after_a_period_reports_that_period() -> None:
    """After one step: time moved one period; last price, NIV, own contract and own
    imbalance are those of the period just settled (as reported in ``infos``)."""
    e = parallel_env(SMALL)
    n = e.num_periods
    e.reset(seed=0)
    rng = np.random.default_rng(4)
    obs, _, _, _, infos = e.step(_random_actions(e, rng))
    out = e.last_outcome
    angle = 2 * math.pi / (1440 // e.scenario.market.period_min)
    for agent, o in obs.items():
        assert o[0] == pytest.approx(math.sin(angle), abs=1e-6)
        assert o[1] == pytest.approx(math.cos(angle), abs=1e-6)
        assert o[2] == pytest.approx(1.0 / n)
        assert o[5] == pytest.approx(float(out.niv_mwh[0]), rel=1e-5, abs=1e-4)
        info = infos[agent]
        if not math.isnan(info["clearing_price"]):
            assert o[3] == pytest.approx(info["clearing_price"], rel=1e-6)
        if agent != "broker_0":
            assert o[T["own_last_contract"]] == pytest.approx(info["contract_mw"], abs=1e-4)
            assert o[T["own_last_imbalance"]] == pytest.approx(info["imbalance_mwh"], abs=1e-4)
    b = obs["broker_0"]
    assert b[BR["last_unserved"]] == pytest.approx(float(out.unserved_mwh[0]), abs=1e-4)
    assert b[BR["last_curtailed"]] == pytest.approx(float(out.curtailed_mwh[0]), abs=1e-4)
    assert b[BR["last_activated_up"]] == pytest.approx(float(out.activated_up_mwh[0]), abs=1e-4)
    up = float(out.activated_down_mwh[0])
    assert b[BR["last_activated_down"]] == pytest.approx(up, abs=1e-4)


def test_no_trade_keeps_the_last_traded_price_as_reference() -> None:
    """Nothing offered: the period does not trade, and last_price stays the reference."""
    e = parallel_env(SMALL)
    obs, _ = e.reset(seed=0)
    b = e.codec.bid_steps
    actions = {}
    for a in e.agents:
        x = np.zeros(e.action_space(a).shape, np.float32)
        if a.startswith("producer"):
            x[b : 2 * b] = -1.0  # zero MW offered
        actions[a] = x
    obs2, _, _, _, infos = e.step(actions)
    # infos are finite (docs of elecbay_env.envs.parallel): no trade, the reference price
    assert infos["producer_0"]["traded"] == 0.0
    assert infos["producer_0"]["clearing_price"] == e.scenario.market.initial_price_per_mwh
    for a in obs2:
        assert obs2[a][3] == obs[a][3] == np.float32(e.scenario.market.initial_price_per_mwh)

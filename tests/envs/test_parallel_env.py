"""The parallel environment's contract: bad actions, clipping, episode end, infos,
rewards, rendering and determinism (:mod:`elecbay_env.envs.parallel`)."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from elecbay_env import parallel_env
from elecbay_env.kernels import kinds
from elecbay_env.kernels.ledger_codes import N_CASH, NAMES

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
SMALL = str(CONFIG_DIR / "small.yaml")
DEFAULT = str(CONFIG_DIR / "default.yaml")
CSV = str(CONFIG_DIR / "csv_profile.yaml")


def _plan(e, n: int, seed: int, scale: float = 1.0) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        {
            a: (scale * rng.uniform(-1, 1, e.action_space(a).shape)).astype(np.float32)
            for a in e.possible_agents
        }
        for _ in range(n)
    ]


def _snapshot(e) -> dict[str, Any]:
    """Everything a step may touch: market state, random streams, ledger, bookkeeping."""
    draws = e.engine.draws
    return {
        "state": {k: v.copy() for k, v in e.engine.state._asdict().items()},
        "rng": [g.bit_generator.state for g in draws._gens],
        "draw_pos": draws._pos.copy(),
        "ledger": len(e.engine.ledger),
        "agents": list(e.agents),
        "history": {k: list(v) for k, v in e.history.items()},
        "last_outcome": e.last_outcome,
        "actions": e._actions.copy(),
    }


def _assert_same_snapshot(before: dict[str, Any], after: dict[str, Any]) -> None:
    for k, v in before["state"].items():
        np.testing.assert_array_equal(after["state"][k], v, err_msg=k)
    assert after["rng"] == before["rng"]
    np.testing.assert_array_equal(after["draw_pos"], before["draw_pos"])
    assert after["ledger"] == before["ledger"]
    assert after["agents"] == before["agents"]
    assert after["history"] == before["history"]
    assert after["last_outcome"] is before["last_outcome"]
    np.testing.assert_array_equal(after["actions"], before["actions"])


def _assert_same_step(r1, r2) -> None:
    obs1, rew1, term1, trunc1, info1 = r1
    obs2, rew2, term2, trunc2, info2 = r2
    assert obs1.keys() == obs2.keys()
    for a in obs1:
        np.testing.assert_array_equal(obs1[a], obs2[a])
    assert rew1 == rew2
    assert term1 == term2 and trunc1 == trunc2
    assert info1 == info2


# --------------------------------------------------------------------------------------
# Bad actions
# --------------------------------------------------------------------------------------


def _bad_actions(case: str, good: dict[str, np.ndarray]) -> tuple[dict[str, Any], str]:
    """A bad action dict and the agent its error message must name."""
    bad: dict[str, Any] = {a: v.copy() for a, v in good.items()}
    if case == "missing":
        del bad["consumer_1"]
        return bad, "consumer_1"
    if case == "unknown":
        bad["producer_99"] = good["producer_0"]
        return bad, "producer_99"
    if case == "long":
        bad["producer_1"] = np.zeros(good["producer_1"].size + 1, np.float32)
        return bad, "producer_1"
    if case == "2d":
        bad["consumer_0"] = good["consumer_0"][None, :]
        return bad, "consumer_0"
    if case == "scalar":
        bad["producer_0"] = np.float32(0.5)
        return bad, "producer_0"
    if case == "broker-width":
        bad["broker_0"] = np.zeros(good["producer_0"].shape, np.float32)
        return bad, "broker_0"
    if case in ("nan", "inf", "-inf"):
        bad["consumer_1"][2] = float(case)
        return bad, "consumer_1"
    raise AssertionError(case)


BAD_CASES = ["missing", "unknown", "long", "2d", "scalar", "broker-width", "nan", "inf", "-inf"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_action_raises_naming_the_agent_and_leaves_the_market_untouched(case: str) -> None:
    e = parallel_env(SMALL)
    fresh = parallel_env(SMALL)
    plan = _plan(e, 4, seed=1)
    e.reset(seed=7)
    fresh.reset(seed=7)
    for actions in plan[:2]:  # mid-episode, with history and a buffered random stream
        e.step(actions)
        fresh.step(actions)

    bad, agent = _bad_actions(case, plan[2])
    before = _snapshot(e)
    with pytest.raises(ValueError, match=agent):
        e.step(bad)
    _assert_same_snapshot(before, _snapshot(e))

    # the next valid steps are those of an env that never saw the bad call
    for actions in plan[2:]:
        _assert_same_step(e.step(actions), fresh.step(actions))


def test_actions_that_are_not_a_dict_raise() -> None:
    e = parallel_env(SMALL)
    e.reset(seed=0)
    with pytest.raises(ValueError, match="dict"):
        e.step([np.zeros(e.action_space(a).shape) for a in e.agents])


def test_step_before_reset_or_after_the_end_raises() -> None:
    e = parallel_env(SMALL, **{"market.period_min": 360})  # 4 periods
    with pytest.raises(RuntimeError, match="reset"):
        e.step({})
    e.reset(seed=0)
    for actions in _plan(e, e.num_periods, seed=0):
        e.step(actions)
    with pytest.raises(RuntimeError, match="reset"):
        e.step(_plan(e, 1, seed=0)[0])


@pytest.mark.parametrize("scale", [1.5, 10.0, 1e30])
def test_out_of_range_finite_actions_are_clipped(scale: float) -> None:
    e1, e2 = parallel_env(SMALL), parallel_env(SMALL)
    plan = _plan(e1, 6, seed=2, scale=scale)
    e1.reset(seed=3)
    e2.reset(seed=3)
    assert any(np.abs(v).max() > 1.0 for v in plan[0].values())
    for actions in plan:
        clipped = {a: np.clip(v, -1.0, 1.0) for a, v in actions.items()}
        _assert_same_step(e1.step(actions), e2.step(clipped))


def test_actions_as_lists_and_float64_are_accepted() -> None:
    e1, e2 = parallel_env(SMALL), parallel_env(SMALL)
    (actions,) = _plan(e1, 1, seed=5)
    e1.reset(seed=0)
    e2.reset(seed=0)
    as_lists = {a: v.astype(np.float64).tolist() for a, v in actions.items()}
    _assert_same_step(e1.step(as_lists), e2.step(actions))


# --------------------------------------------------------------------------------------
# Episode end
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "overrides", "periods"),
    [
        (SMALL, {}, 48),  # 1 day of 30-minute periods
        (SMALL, {"market.days": 2, "market.period_min": 60}, 48),
        (SMALL, {"market.days": 3, "market.period_min": 240}, 18),
        (CSV, {}, 96),  # the CSV series runs 2 days
    ],
)
def test_episode_ends_by_truncation_after_days_times_periods(config, overrides, periods) -> None:
    e = parallel_env(config, **overrides)
    m = e.scenario.market
    assert e.num_periods == m.days * (1440 // m.period_min) == periods
    for seed in (0, 1):  # and again after a reset
        e.reset(seed=seed)
        plan = _plan(e, periods, seed=seed)
        for t, actions in enumerate(plan, start=1):
            assert e.agents == e.possible_agents
            _, rewards, terms, truncs, infos = e.step(actions)
            assert set(rewards) == set(terms) == set(truncs) == set(infos) == set(actions)
            assert not any(terms.values()), "elecbay never terminates"
            assert all(v is (t == periods) for v in truncs.values()), t
            assert infos["broker_0"]["period"] == t - 1
        assert e.agents == []


# --------------------------------------------------------------------------------------
# Infos and rewards
# --------------------------------------------------------------------------------------


def _ramp(p, now, before, first: bool) -> np.ndarray:
    """(M,) per-interval values of a quantity moving from ``before`` to ``now`` as a
    contract profile does (a linear ramp over ``ramp_min`` minutes, averaged over each
    meter interval; flat in the first period)."""
    start = now if first else before
    w = np.ones(p.n_meters)
    ramp, meter = float(p.ramp_min), float(p.meter_min)
    for m in range(p.n_meters):
        t0, t1 = m * meter, (m + 1) * meter
        if ramp > 0.0 and t0 < ramp:
            w[m] = ((min(t1, ramp) ** 2 - t0**2) / (2 * ramp) + max(t1 - ramp, 0.0)) / meter
    return start + (now - start) * w


def _extra(e, before, i: int) -> float:
    """MWh consumer ``i`` took beyond what it would have drawn uninstructed (its realised
    load less the flexible load it shed, interval by interval): energy it took only
    because it was instructed down."""
    p, out = e.engine.params, e.last_outcome
    first = bool(before.t[0] == 0)
    load = _ramp(p, out.available_mw[0, i], before.last_available_mw[0, i], first)
    shed = _ramp(p, out.shed_mw[0, i], before.last_shed_mw[0, i], first)
    reference = np.maximum(load - shed, 0.0)
    drawn = -out.meter_mwh[0, i] / p.meter_h
    return float(np.maximum(drawn - reference, 0.0).sum() * p.meter_h)


def _welfare(e, before) -> float:
    """The period's welfare from physical quantities: value of energy consumed (energy
    a consumer took only because it was instructed down at its shifted value) - cost
    of production (storage: degradation per MWh of throughput) - start-up costs -
    cost of unserved energy and of curtailment. ``before``: the state before the step."""
    p, out = e.engine.params, e.last_outcome
    kind, metered = p.kind[0], out.metered_mwh[0]
    consumer = kind == kinds.CONSUMER
    storage = kind == kinds.STORAGE
    producer = ~consumer & ~storage & (kind != kinds.BROKER)
    value = 0.0
    for i in np.flatnonzero(consumer):
        used = max(-metered[i], 0.0)
        shifted = min(_extra(e, before, i), used)
        value += p.value_per_mwh[0, i] * (used - shifted)
        value += p.shifted_value_per_mwh[0, i] * shifted
    cost = (p.cost_per_mwh[0] * metered)[producer].sum()
    cost += (p.cost_per_mwh[0][:, None] * np.abs(out.meter_mwh[0]))[storage].sum()
    cost += (p.startup_cost[0] * out.started[0]).sum()
    cost += p.voll_per_mwh[0] * out.unserved_mwh[0]
    cost += p.curtailment_cost_per_mwh[0] * out.curtailed_mwh[0]
    return float(value - cost)


@pytest.mark.parametrize("config", [SMALL, DEFAULT], ids=["small", "default"])
def test_statements_sum_to_rewards_and_rewards_to_welfare(config: str) -> None:
    e = parallel_env(config, info_statement=True, **{"market.days": 1})
    e.reset(seed=4)
    shifted = 0
    for t, actions in enumerate(_plan(e, e.num_periods, seed=4)):
        before = copy.deepcopy(e.engine.state)
        _, rewards, _, _, infos = e.step(actions)
        shifted += any(_extra(e, before, i) > 1e-9 for i in np.flatnonzero(
            e.engine.params.kind[0] == kinds.CONSUMER))  # fmt: skip
        cash = non_cash = turnover = 0.0
        for agent, reward in rewards.items():
            statement = infos[agent]["statement"]
            assert set(statement) <= set(NAMES), statement
            amounts = [line["amount"] for line in statement.values()]
            assert math.fsum(amounts) == pytest.approx(reward, rel=1e-9, abs=1e-6), (t, agent)
            for name, line in statement.items():
                assert set(line) == {"mwh", "price", "amount"}
                if NAMES.index(name) < N_CASH:
                    cash += line["amount"]
                    turnover += abs(line["amount"])
                else:
                    non_cash += line["amount"]
        assert abs(cash) <= 1e-9 * max(turnover, 1.0), (t, cash, turnover)  # transfers cancel
        total = math.fsum(rewards.values())
        scale = max(turnover, abs(non_cash), 1.0)
        assert total == pytest.approx(non_cash, abs=1e-9 * scale), t
        assert total == pytest.approx(_welfare(e, before), abs=1e-9 * scale), t
    assert shifted > 0  # some consumer was instructed down: its extra energy counted


def test_infos_carry_the_documented_fields() -> None:
    e = parallel_env(SMALL)
    _, reset_infos = e.reset(seed=0)
    (actions,) = _plan(e, 1, seed=0)
    _, rewards, _, _, infos = e.step(actions)
    out = e.last_outcome
    for i, agent in enumerate(e.possible_agents):
        info = infos[agent]
        # flat and numeric, the same keys after reset and step (TorchRL, Tianshou)
        assert set(reset_infos[agent]) == set(info)
        assert reset_infos[agent]["period"] == -1
        for value in (*info.values(), *reset_infos[agent].values()):
            assert isinstance(value, int | float) and not isinstance(value, bool)
        assert info["reward_raw"] == rewards[agent]
        amounts = [info[f"amount_{name}"] for name in NAMES]
        assert math.fsum(amounts) == pytest.approx(rewards[agent], rel=1e-9, abs=1e-6)
        assert {k: v["amount"] for k, v in e.statement(agent).items()} == {
            name: info[f"amount_{name}"] for name in NAMES
            if info[f"amount_{name}"] != 0.0 or out.ledger_mwh[0, i, NAMES.index(name)] != 0.0
        }  # fmt: skip
        assert info["period"] == 0
        assert info["imbalance_price"] == float(out.imbalance_price[0])
        if math.isnan(out.price[0]):
            assert info["traded"] == 0.0
            assert info["clearing_price"] == float(out.forward_ref_price[0])
        else:
            assert info["traded"] == 1.0
            assert info["clearing_price"] == float(out.price[0])
        assert all(math.isfinite(v) for v in info.values())
        if agent == "broker_0":
            assert "contract_mw" not in info
        else:
            assert info["contract_mw"] == float(out.contract_mw[0, i])
            assert info["imbalance_mwh"] == float(out.imbalance_mwh[0, i])
        for line in e.statement(agent).values():
            assert line["price"] is None or math.isfinite(line["price"])


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def test_render_modes() -> None:
    plan = _plan(parallel_env(SMALL), 3, seed=0)
    for mode in (None, "ansi", "rgb_array", "human"):
        e = parallel_env(SMALL, render_mode=mode)
        e.reset(seed=0)
        results = [e.render()]
        for actions in plan:
            e.step(actions)
            results.append(e.render())
        for r in results:
            if mode == "ansi":
                assert isinstance(r, str) and r
            elif mode == "rgb_array":
                assert isinstance(r, np.ndarray) and r.dtype == np.uint8
                assert r.ndim == 3 and r.shape[2] == 3 and r.shape[0] > 0 and r.shape[1] > 0
            else:
                assert r is None
        e.close()


def test_render_ansi_names_every_agent_and_the_price() -> None:
    e = parallel_env(SMALL, render_mode="ansi")
    e.reset(seed=0)
    (actions,) = _plan(e, 1, seed=0)
    e.step(actions)
    text = e.render()
    assert all(a in text for a in e.possible_agents)
    assert "clearing price" in text


def test_render_human_prints(capsys) -> None:
    e = parallel_env(SMALL, render_mode="human")
    e.reset(seed=0)
    (actions,) = _plan(e, 1, seed=0)
    e.step(actions)
    assert "producer_0" in capsys.readouterr().out


def test_rendering_does_not_change_the_market() -> None:
    plain, drawn = parallel_env(SMALL), parallel_env(SMALL, render_mode="rgb_array")
    plain.reset(seed=2)
    drawn.reset(seed=2)
    for actions in _plan(plain, 4, seed=2):
        drawn.render()
        _assert_same_step(plain.step(actions), drawn.step(actions))


@pytest.mark.parametrize("mode", ["rgb", "RGB_ARRAY", "", "humans"])
def test_invalid_render_mode_raises(mode: str) -> None:
    with pytest.raises(ValueError, match="render_mode"):
        parallel_env(SMALL, render_mode=mode)


# --------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------


def _trajectory(config: str, seed: int, plan) -> list[Any]:
    e = parallel_env(config, **{"market.days": 1})
    steps = [e.reset(seed=seed)]
    steps += [e.step(actions) for actions in plan]
    steps.append(e.engine.ledger.amounts.copy())
    return steps


def _same(x, y) -> bool:
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, list | tuple):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y, strict=True))
    if isinstance(x, np.ndarray):
        return x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)
    if isinstance(x, float) and math.isnan(x):
        return isinstance(y, float) and math.isnan(y)
    return x == y


@pytest.mark.parametrize("config", [SMALL, DEFAULT], ids=["small", "default"])
def test_same_seed_and_actions_give_identical_trajectories(config: str) -> None:
    plan = _plan(parallel_env(config, **{"market.days": 1}), 48, seed=9)
    first = _trajectory(config, 123, plan)
    assert _same(first, _trajectory(config, 123, plan))
    # and the seed matters: forecast errors differ, so do meters and rewards
    assert not _same(first, _trajectory(config, 124, plan))


def test_reset_restarts_the_same_episode() -> None:
    e = parallel_env(SMALL)
    plan = _plan(e, 10, seed=1)
    e.reset(seed=8)
    first = [e.step(actions) for actions in plan]
    e.reset(seed=8)  # mid-episode reset with the same seed replays it
    assert _same(first, [e.step(actions) for actions in plan])


def test_returned_arrays_are_not_reused_by_later_steps() -> None:
    e = parallel_env(SMALL)
    plan = _plan(e, 3, seed=0)
    obs0, _ = e.reset(seed=0)
    obs1 = e.step(plan[0])[0]
    kept = ({a: o.copy() for a, o in obs0.items()}, {a: o.copy() for a, o in obs1.items()})
    for actions in plan[1:]:
        e.step(actions)
    assert _same((obs0, obs1), kept)

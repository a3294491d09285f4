"""Virtual participants as seats of the PettingZoo env (elecbay_env/envs/virtual_seats.py).

A small scenario with two virtuals (``inc`` and ``dec``) over two days, so the first
day's gate positions settle on the second day. Checked: PettingZoo's own tests on both
forms, money to the cent every period (market rows' cash, congestion rent, the virtual
seats' rewards and the operator's virtual account), a seeded run reproducible, the seats'
rewards equal to a replay through the engine with curves decoded by hand, and a virtual
seat's action outside the gate period changes nothing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, state_test

from elecbay_env import env as aec_env
from elecbay_env import parallel_env
from elecbay_env.engine import Engine
from elecbay_env.envs.day_ahead_phase import gate_orders
from elecbay_env.kernels import ledger_codes as L

VIRTUALS = [
    {"name": "inc", "max_mw": 40.0},
    {"name": "dec", "max_mw": 30.0},
]
OVERRIDES = {
    "market.days": 2,
    "market.day_ahead": {"gate_hour": 11, "virtuals": VIRTUALS},
}
SEATS = ["virtual_0", "virtual_1"]
ALLOWED = (
    "Agents have different observation space sizes",
    "Agents have different action space sizes",
    "Observations are different shapes",
)


def _make(**kwargs):
    return parallel_env("small", **OVERRIDES, **kwargs)


def _checked(fn, *args, **kwargs) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args, **kwargs)
    bad = sorted({str(w.message) for w in caught if not str(w.message).startswith(ALLOWED)})
    assert not bad, f"{fn.__name__} warned: {bad}"


def _plan(e, seed: int) -> list[dict[str, np.ndarray]]:
    """A seeded action for every agent in every period."""
    rng = np.random.default_rng(seed)
    return [
        {
            a: rng.uniform(-1.0, 1.0, e.action_space(a).shape).astype(np.float32)
            for a in e.possible_agents
        }
        for _ in range(e.num_periods)
    ]


def _run(e, plan, seed: int):
    e.reset(seed=seed)
    rewards, cash = [], []
    for actions in plan:
        _, r, _, _, _ = e.step(actions)
        rewards.append([r[a] for a in e.possible_agents])
        out, desk = e.last_outcome, e.engine.virtuals
        rows = out.ledger_amount[0, :, : L.N_CASH].sum() + out.congestion_rent[0]
        cash.append(rows + sum(r[a] for a in SEATS) + desk.operator[0])
    return np.array(rewards), np.array(cash)


def test_seats_only_with_virtuals() -> None:
    e = _make()
    assert e.possible_agents[-2:] == SEATS
    assert e.action_space("virtual_0").shape == e.action_space("producer_0").shape
    plain = parallel_env("small", **{"market.days": 2})
    assert not any(a.startswith("virtual") for a in plain.possible_agents)
    assert plain.possible_agents == e.possible_agents[:-2]


def test_parallel_api_with_virtuals() -> None:
    _checked(parallel_api_test, _make(), num_cycles=1000)


def test_aec_api_with_virtuals() -> None:
    _checked(api_test, aec_env("small", **OVERRIDES), num_cycles=1000)


def test_seed_and_state_with_virtuals() -> None:
    _checked(parallel_seed_test, _make)
    _checked(state_test, aec_env("small", **OVERRIDES), _make())


@pytest.mark.parametrize("seed", [0, 7])
def test_money_to_the_cent_and_reproducible(seed: int) -> None:
    e = _make()
    plan = _plan(e, seed)
    rewards, cash = _run(e, plan, seed)
    np.testing.assert_allclose(cash, 0.0, atol=0.005)
    seat_rewards = rewards[:, -2:]
    assert np.any(seat_rewards != 0.0), "the virtuals never traded: the test checks nothing"
    assert np.array_equal(_run(_make(), plan, seed)[0], rewards)
    total = e.engine.virtuals.total[0]
    np.testing.assert_allclose(seat_rewards.sum(axis=0), total, rtol=1e-12, atol=1e-9)


def test_rewards_equal_an_engine_replay_with_hand_decoded_curves() -> None:
    """Replay the same actions through the engine: market rows through the env's codec,
    the virtuals' curves decoded by hand (prices affine on [floor, cap], quantities
    ``a x max_mw / B``); the desk's cash each period equals the seats' rewards."""
    e = _make()
    plan = _plan(e, 3)
    rewards, _ = _run(e, plan, 3)
    eng = Engine("small", n_markets=1, **OVERRIDES)
    eng.reset(seed=3)
    p = eng.params
    b, lo, hi = p.bid_steps, float(p.price_floor[0]), float(p.price_cap[0])
    max_mw = np.array([v["max_mw"] for v in VIRTUALS])
    market = e.possible_agents[:-2]
    last = None
    for t, actions in enumerate(plan):
        a = np.stack([actions[g] for g in SEATS]).astype(np.float64)
        vp = (lo + (a[:, :b] + 1.0) / 2.0 * (hi - lo))[None]
        vq = (a[:, b : 2 * b] * (max_mw / b)[:, None])[None]
        acts = np.zeros((1, len(market), e.codec.width))
        for i, g in enumerate(market):
            acts[0, i, : len(actions[g])] = actions[g]
        orders = gate_orders(eng, e.codec.decode(acts), last, (vp, vq))
        eng.step(orders)
        last = orders
        desk = eng.virtuals
        want = desk.da_cash[0] + desk.liquidation[0]
        np.testing.assert_allclose(rewards[t, -2:], want, rtol=1e-12, atol=1e-9)


def test_virtual_action_outside_the_gate_is_ignored() -> None:
    e = _make()
    plan = _plan(e, 5)
    base, _ = _run(e, plan, 5)
    rng = np.random.default_rng(99)
    gates = []
    e.reset(seed=5)
    for actions in plan:
        gates.append(bool(e.engine.day_ahead_gate()[0]))
        e.step(actions)
    assert any(gates)
    changed = [dict(x) for x in plan]
    for t, g in enumerate(gates):
        if not g:
            for s in SEATS:
                changed[t][s] = rng.uniform(-1.0, 1.0, plan[t][s].shape).astype(np.float32)
    assert np.array_equal(_run(_make(), changed, 5)[0], base)
    # ... while changing the gate period's action does change the seats' cash
    for t, g in enumerate(gates):
        if g:
            for s in SEATS:
                changed[t][s] = -plan[t][s]
    assert not np.array_equal(_run(_make(), changed, 5)[0][:, -2:], base[:, -2:])


def test_bad_virtual_actions_name_the_seat() -> None:
    e = _make()
    e.reset(seed=0)
    actions = {a: e.action_space(a).sample() for a in e.agents}
    with pytest.raises(ValueError, match="virtual_1"):
        e.step({a: x for a, x in actions.items() if a != "virtual_1"})
    bad = dict(actions)
    bad["virtual_0"] = np.full_like(actions["virtual_0"], np.nan)
    with pytest.raises(ValueError, match="virtual_0"):
        e.step(bad)
    assert int(e.engine.t[0]) == 0
    with pytest.raises(ValueError, match="virtual seats"):
        e.step_array(np.zeros((len(e.possible_agents), e.codec.width)))


def test_virtual_trader_plays_a_seat() -> None:
    """``virtual_trader`` (the seats' baseline) bids its MW at the price cap at the gate,
    nothing elsewhere; an episode of baselines keeps money to the cent."""
    from elecbay_agents.registry import make_policies, make_policy

    e = _make()
    pols = make_policies(e, {"virtual_1": "virtual_trader:-20"}, seed=0)
    assert type(pols["virtual_0"]).__name__ == "VirtualTraderPolicy"
    seats, b = e._seats, e.engine.params.bid_steps
    obs, _ = e.reset(seed=1)
    gate_seen = False
    while e.agents:
        actions = {a: pols[a].predict(obs[a])[0] for a in e.agents}
        if obs["virtual_0"][0] > 0.5:
            gate_seen = True
            price, qty = seats.decode(np.stack([actions[s] for s in SEATS]))
            np.testing.assert_allclose(qty[0].sum(axis=1), [-10.0, 20.0])
            assert np.all(price[0, 0] == e.engine.params.price_cap[0])
            assert np.all(price[0, 1] == e.engine.params.price_floor[0])
        else:
            assert not np.any(actions["virtual_0"]) and not np.any(actions["virtual_1"])
        obs, r, *_ = e.step(actions)
        out, desk = e.last_outcome, e.engine.virtuals
        rows = out.ledger_amount[0, :, : L.N_CASH].sum() + out.congestion_rent[0]
        assert abs(rows + r["virtual_0"] + r["virtual_1"] + desk.operator[0]) < 0.005
    assert gate_seen and b > 0
    with pytest.raises(ValueError, match="mw="):
        make_policy("virtual_trader:50", e, "virtual_0")  # max_mw 40
    with pytest.raises(ValueError, match="does not fit producer_0"):
        make_policy("virtual_trader", e, "producer_0")

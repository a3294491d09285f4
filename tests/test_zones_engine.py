"""Zones in the engine (issue 15, item 2): settlement at zone prices, congestion rent to
the transmission owner, one-zone scenarios unchanged, bad networks refused.

The worked example is by hand: a northern wind farm behind a 50 MW border, a southern
CCGT and southern households.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from elecbay_evaluate.zones import two_zone_small
from pytest import approx

from elecbay_env import parallel_env
from elecbay_env.config import ScenarioError, load_scenario
from elecbay_env.engine import Engine
from elecbay_env.envs.observations import feature_names, observe
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.ledger import TRANSMISSION_OWNER
from elecbay_env.testing import random_orders

CONFIGS = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "configs").glob("*.yaml")
    if "producers" in p.read_text()
)  # fmt: skip
SMALL = load_scenario("small").model_dump()


def _run(scenario, n_periods: int, seed: int = 3, n_markets: int = 2):
    eng = Engine(scenario, n_markets=n_markets)
    eng.reset(seed=seed)
    rng = np.random.default_rng(seed + 100)
    outs = []
    for _ in range(min(n_periods, eng.n_periods)):
        out = eng.step(random_orders(eng.params, eng.state, rng, 0.5))
        outs.append({k: np.array(v, copy=True) for k, v in out._asdict().items()})
    return eng, outs


# ----------------------------------------------------------------- one zone unchanged


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_one_zone_runs_as_before(path: Path) -> None:
    """Every shipped scenario, as it is, with an explicit one-zone network, and with a
    second, empty zone (which sends the period through the zonal auction): the same
    fills, prices, ledger and rewards, bit for bit."""
    base = load_scenario(path)
    explicit = load_scenario(path, **{"market.zones": 1, "borders": []})
    zonal = load_scenario(path, **{"market.zones": 2})
    assert Engine(zonal).params.n_zones == 2
    ref, ref_out = _run(base, 12)
    for other in (explicit, zonal):
        eng, outs = _run(other, 12)
        np.testing.assert_array_equal(eng.ledger.amounts, ref.ledger.amounts)
        np.testing.assert_array_equal(eng.ledger.rewards, ref.ledger.rewards)
        for a, b in zip(outs, ref_out, strict=True):
            for key in ("price", "volume_mw", "imbalance_price", "contract_mw", "meter_mwh"):
                np.testing.assert_array_equal(a[key], b[key], err_msg=key)
            assert np.all(a["congestion_rent"] == 0.0)
    plain = [r for r in ref.ledger.statements() if r["agent"] != TRANSMISSION_OWNER]
    assert plain == ref.ledger.statements()  # no transmission owner with one zone


@pytest.mark.parametrize("zonal", [False, True], ids=["one_zone", "two_zones"])
def test_parallel_batch_equals_single_markets(zonal: bool) -> None:
    """E = 16 markets run the parallel kernel (a network in the params must not stop it
    compiling); market e equals the same market run alone (seeded seed + e)."""
    sc = load_scenario(two_zone_small(50.0)) if zonal else load_scenario("small")
    batch = Engine(sc, n_markets=16)
    batch.reset(seed=5)
    single = Engine(sc, n_markets=1)
    single.reset(seed=5 + 3)
    rng = np.random.default_rng(1)
    for _ in range(4):
        orders = random_orders(batch.params, batch.state, rng, 0.5)
        a = batch.step(orders)
        b = single.step(type(orders)(*(np.array(x[3:4], copy=True) for x in orders)))
        for name in ("price", "zone_price", "flow_mw", "ledger_amount", "reward"):
            np.testing.assert_array_equal(getattr(a, name)[3:4], getattr(b, name), err_msg=name)


# ----------------------------------------------------------------- worked example


def _truthful(eng: Engine, wind_mw: float = 100.0):
    o = eng.empty_orders()
    row = {a: i for i, a in enumerate(eng.agents)}
    o.step_price[0, row["producer_0"], 0], o.step_qty[0, row["producer_0"], 0] = 54.0, 450.0
    o.step_price[0, row["producer_1"], 0], o.step_qty[0, row["producer_1"], 0] = 0.0, wind_mw
    o.step_price[0, row["consumer_0"], 0], o.step_qty[0, row["consumer_0"], 0] = 3000.0, -200.0
    return o, row


@pytest.mark.parametrize(("limit", "north", "flow"), [(50.0, 0.0, 50.0), (500.0, 54.0, 100.0)])
def test_worked_example_two_zones(limit: float, north: float, flow: float) -> None:
    """Wind 100 MW at 0 north; CCGT 450 MW at 54 and households 200 MW at 3000 south.

    Border 50 MW: 50 MW of wind flows south, the north clears at 0 (wind's residual
    offer is the marginal one), the south at 54 (the CCGT sells 150 MW); the rent is
    (54 - 0) x 50 MW x 0.5 h = 1350. Border 500 MW: one price, 54, no rent.
    """
    eng = Engine(two_zone_small(limit), n_markets=1)
    eng.reset(seed=0)
    o, row = _truthful(eng)
    out = eng.step(o)
    assert out.zone_price[0] == approx([north, 54.0])
    assert out.flow_mw[0, 0] == approx(flow)
    rent = (54.0 - north) * flow * 0.5
    assert out.congestion_rent[0] == approx(rent)
    assert out.contract_mw[0, row["producer_1"]] == approx(flow)
    assert out.contract_mw[0, row["producer_0"]] == approx(200.0 - flow)
    fwd = out.ledger_amount[0, :, L.FORWARD]
    assert fwd[row["producer_1"]] == approx(north * flow * 0.5)
    assert fwd[row["producer_0"]] == approx(54.0 * (200.0 - flow) * 0.5)
    assert fwd[row["consumer_0"]] == approx(-54.0 * 200.0 * 0.5)
    assert fwd[row["broker_0"]] == approx(0.0, abs=1e-9)
    # cash: the agents' lines and the transmission owner's rent sum to zero
    cash = out.ledger_amount[0, :, : L.N_CASH].sum()
    assert cash + out.congestion_rent[0] == approx(0.0, abs=1e-6)
    to = [r for r in eng.ledger.statements() if r["agent"] == TRANSMISSION_OWNER]
    assert len(to) == 1 and float(to[0]["amount"]) == approx(rent)
    assert to[0]["mwh"] == approx(flow * 0.5)


# ----------------------------------------------------------------- invariants


@pytest.mark.parametrize("scheme", ["gb_single", "dual"])
@pytest.mark.parametrize("limit", [0.0, 20.0, 80.0, 1e5])
def test_money_and_zone_energy_with_borders(scheme: str, limit: float) -> None:
    """Random orders in the two-zone market: cash of agents plus rent is zero, to the
    cent in the exported decimals; each zone's contracts balance with its border flows;
    flows within limits; rent = price difference x flow, never negative."""
    eng, outs = _run(load_scenario(two_zone_small(limit, imbalance_pricing=scheme)), 24)
    zone = eng.params.zone[0]
    for out in outs:
        cash = out["ledger_amount"][:, :, : L.N_CASH]
        turnover = np.abs(cash).sum(axis=(1, 2)) + 1.0
        gap = cash.sum(axis=(1, 2)) + out["congestion_rent"]
        assert np.all(np.abs(gap) <= 1e-9 * turnover)
        flow = out["flow_mw"][:, 0]
        assert np.all(np.abs(flow) <= limit + 1e-9)
        north = out["contract_mw"][:, zone == 0].sum(axis=1)
        south = out["contract_mw"][:, zone == 1].sum(axis=1)
        assert north == approx(flow, abs=1e-6)  # net sales north leave over the border
        assert south == approx(-flow, abs=1e-6)
        p = out["zone_price"]
        rent = np.where(flow != 0.0, (p[:, 1] - p[:, 0]) * flow * eng.params.period_h, 0.0)
        assert out["congestion_rent"] == approx(rent, abs=1e-6)
        assert np.all(out["congestion_rent"] >= -1e-9)
    dec = eng.ledger.decimal_amounts()
    rents = eng.ledger.decimal_rents()
    for p, period in enumerate(dec):
        for e, rows in enumerate(period):
            total = sum(sum(r[: L.N_CASH]) for r in rows) + rents[p][e]
            assert total == 0


def test_rent_is_never_reallocated_to_parties() -> None:
    """With residual reallocation on, the parties' residual line returns imbalance cash
    only: the broker stays cost-neutral and the transmission owner keeps the rent."""
    eng = Engine(two_zone_small(50.0), n_markets=1)
    eng.reset(seed=0)
    o, row = _truthful(eng)
    out = eng.step(o)
    parties = [i for a, i in row.items() if a != "broker_0"]
    imbalance = out.ledger_amount[0, parties, L.IMBALANCE].sum()
    residual = out.ledger_amount[0, parties, L.RESIDUAL].sum()
    assert residual == approx(-imbalance, abs=1e-6)
    assert out.ledger_amount[0, row["broker_0"], L.FORWARD] == approx(0.0, abs=1e-9)


# ----------------------------------------------------------------- bad input


B = {"forward_mw": 1, "backward_mw": 1}


@pytest.mark.parametrize(
    ("zones", "borders", "market", "field"),
    [
        (2, [{"from_zone": 0, "to_zone": 2, **B}], {}, "borders[0].to_zone"),
        (2, [{"from_zone": 1, "to_zone": 1, **B}], {}, "borders[0].to_zone"),
        (2, [{"from_zone": 0, "to_zone": 1, "forward_mw": -1, "backward_mw": 1}], {},
         "forward_mw"),
        (3, [{"from_zone": 0, "to_zone": 1, **B}, {"from_zone": 1, "to_zone": 2, **B},
             {"from_zone": 2, "to_zone": 0, **B}], {}, "borders[2].to_zone"),
        (2, [{"from_zone": 0, "to_zone": 1, **B}, {"from_zone": 1, "to_zone": 0, **B}], {},
         "borders[1].to_zone"),
        (2, [], {"pricing": "pay_as_bid"}, "market.pricing"),
    ],
)  # fmt: skip
def test_bad_networks_are_refused_naming_the_field(zones, borders, market, field) -> None:
    data = copy.deepcopy(SMALL)
    data["market"].update(zones=zones, **market)
    data["borders"] = borders
    with pytest.raises(ScenarioError) as err:
        load_scenario(data)
    assert field in str(err.value)


def test_observations_carry_zone_price_flows_and_limits() -> None:
    env = parallel_env(two_zone_small(50.0))
    obs, _ = env.reset(seed=0)
    one = parallel_env("small")
    base, _ = one.reset(seed=0)
    for agent, x in obs.items():
        assert env.observation_space(agent).contains(x)
        width = base[agent].shape[0]
        assert x.shape[0] > width  # zone features appended after the role's own
    eng = env.engine
    o, _row = _truthful(eng)
    eng.step(o)
    x = observe(eng.params, eng.state)
    trader = feature_names(eng.params, "trader")
    wind = eng.agents.index("producer_1")
    assert x[0, wind, trader.index("own_zone")] == 0
    assert x[0, wind, trader.index("own_zone_price")] == approx(0.0)
    assert x[0, wind, trader.index("border_0_flow")] == approx(50.0)
    assert x[0, wind, trader.index("border_0_forward_limit")] == approx(50.0)
    broker = feature_names(eng.params, "broker")
    b = eng.agents.index("broker_0")
    assert x[0, b, broker.index("zone_1_price")] == approx(54.0)
    env.render_mode = "ansi"
    env.last_outcome = eng.outcome
    text = env.render()
    assert "zone prices" in text and "B6" in text and "FULL" in text

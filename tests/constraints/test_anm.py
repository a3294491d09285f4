"""Distribution constraints and active network management (issue 16, item 1).

By hand: last-in-first-off with three non-firm units and a limit that varies by period
(kernel :func:`elecbay_env.kernels.anm.curtail`), pro rata, a firm unit that cannot be
curtailed (the excess is reported). In the engine: scenarios without constraints run
bit-identically to the same scenario with a constraint that never binds; the shipped
constraint scenario curtails, settles curtailment as an instruction (not an
imbalance) and its cash sums to zero to the cent; bad constraint fields are refused
with the field named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from elecbay_env.config import ScenarioError, load_scenario
from elecbay_env.constraints import curtailment_order, lookahead
from elecbay_env.engine import Engine
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.kernels.anm import curtail
from elecbay_env.params import build_params
from elecbay_env.testing import random_orders

from .conftest import three_units

CONFIGS = sorted(
    p for p in (Path(__file__).resolve().parents[2] / "configs").glob("*.yaml")
    if "producers" in p.read_text() and p.stem != "constraint"
)  # fmt: skip
SMALL = load_scenario("small").model_dump()


def _apply(params, t: int, levels: list[float]) -> tuple[np.ndarray, np.ndarray, float]:
    lv = np.array(levels, np.float64)
    cut = np.zeros_like(lv)
    order = np.argsort(params.anm_rank[0])
    excess = np.zeros(params.n_constraints)
    curtail(params, 0, t, lv, cut, order, excess)
    return lv, cut, float(excess[0])


def test_lifo_by_hand_three_units_varying_limit() -> None:
    """Rows: ccgt (firm, not a member), a 30 MW, b 40 MW, c 50 MW (flow 120 MW), then the
    two consumers and the broker. c (latest) goes first, then b, then a."""
    limits = [100.0, 70.0, 30.0, 10.0] + [120.0] * 44
    params = build_params(load_scenario(three_units(limits)))
    assert curtailment_order(params) == [3, 2, 1]  # c, b, a
    levels = [300.0, 30.0, 40.0, 50.0, -100.0, -50.0, 0.0]
    expected = {  # limit -> (a, b, c) after curtailment, by hand
        0: (30.0, 40.0, 30.0),  # 20 over: c 50 -> 30
        1: (30.0, 40.0, 0.0),  # 50 over: c 50 -> 0
        2: (30.0, 0.0, 0.0),  # 90 over: c 50, b 40
        3: (10.0, 0.0, 0.0),  # 110 over: c 50, b 40, a 20
        4: (30.0, 40.0, 50.0),  # 120 = the limit: nothing
    }
    for t, abc in expected.items():
        lv, cut, excess = _apply(params, t, levels)
        assert tuple(lv[1:4]) == abc
        assert tuple(cut[1:4]) == tuple(x - y for x, y in zip((30, 40, 50), abc, strict=True))
        assert lv[0] == 300.0 and tuple(lv[4:]) == (-100.0, -50.0, 0.0)  # others untouched
        assert excess == 0.0


def test_pro_rata_by_hand() -> None:
    """60 MW over 120 MW of non-firm flow: every unit keeps half."""
    params = build_params(load_scenario(three_units(60.0, "pro_rata")))
    lv, cut, _ = _apply(params, 0, [300.0, 30.0, 40.0, 50.0, -100.0, -50.0, 0.0])
    assert lv[1:4] == pytest.approx([15.0, 20.0, 25.0], abs=1e-12)
    assert cut[1:4] == pytest.approx([15.0, 20.0, 25.0], abs=1e-12)


def test_firm_unit_is_never_curtailed_and_the_excess_is_reported() -> None:
    """A firm 15 MW member and a 10 MW limit: every non-firm unit off, 5 MW unresolved."""
    params = build_params(load_scenario(three_units(10.0, firm_extra=True)))
    lv, cut, excess = _apply(params, 0, [300.0, 30.0, 40.0, 50.0, 15.0, -100.0, -50.0, 0.0])
    assert tuple(lv[1:5]) == (0.0, 0.0, 0.0, 15.0)
    assert cut[4] == 0.0
    assert excess == 5.0


def test_lookahead_matches_the_kernel() -> None:
    """The published look-ahead applies the same order to expected flows."""
    limits = [100.0, 70.0, 30.0, 10.0] + [120.0] * 44
    params = build_params(load_scenario(three_units(limits)))
    expected = np.tile(np.array([[300.0, 30.0, 40.0, 50.0, -100.0, -50.0, 0.0]]).T, (1, 5))
    excess, curtailed = lookahead(params, expected, 0)
    assert excess[0].tolist() == [20.0, 50.0, 90.0, 110.0, 0.0]
    for t in range(5):
        _, cut, _ = _apply(params, t, expected[:, t].tolist())
        assert curtailed[:, t].tolist() == cut.tolist()


# ----------------------------------------------------------------- engine


def _run(scenario, n_periods: int, seed: int = 3, n_markets: int = 2):
    eng = Engine(scenario, n_markets=n_markets, keep_ledger=False)
    eng.reset(seed=seed)
    rng = np.random.default_rng(seed + 100)
    outs = []
    for _ in range(min(n_periods, eng.n_periods)):
        out = eng.step(random_orders(eng.params, eng.state, rng, 0.5))
        outs.append({k: np.array(v, copy=True) for k, v in out._asdict().items()})
    return eng, outs


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_without_constraints_runs_as_before(path: Path) -> None:
    """Every shipped scenario, and the same with a constraint on every participant that
    never binds (which sends every period through the ANM hooks): bit-identical."""
    sc = load_scenario(path)
    plain = sc.model_dump()
    names = [x.name for x in sc.participants]
    hooked = {**plain, "distribution_constraints": [
        {"name": "loose", "limit_mw": 1e6, "members": names, "allocation": "pro_rata"}
    ]}  # fmt: skip
    _, a = _run(plain, 12)
    eng, b = _run(hooked, 12)
    assert eng.params.n_constraints == 1
    for x, y in zip(a, b, strict=True):
        for key, value in x.items():
            if key.startswith("anm_"):
                continue
            np.testing.assert_array_equal(value, y[key], err_msg=key)
        assert not y["anm_curtailed_mwh"].any()


def test_constraint_scenario_curtails_as_an_instruction() -> None:
    """The shipped scenario: curtailment happens, is not an imbalance, and cash balances."""
    eng, outs = _run("constraint", 48)
    p = eng.params
    cut = sum(o["anm_curtailed_mwh"] for o in outs)
    assert cut.sum() > 1.0  # the constraint binds
    for o in outs:
        # money sums to zero to the cent over every row (broker included)
        cash = o["ledger_amount"][:, :, : L.N_CASH].sum(axis=(1, 2))
        assert np.abs(cash).max() < 0.005
        # curtailment is instructed: imbalance = metered - profile - instructed, and
        # instructed includes the net injection change ANM made
        imb = o["metered_mwh"] - o["profile_mwh"] - o["instructed_mwh"]
        np.testing.assert_allclose(o["imbalance_mwh"][:, :-1], imb[:, :-1], atol=1e-9)
        assert (o["anm_delta_mwh"] <= 1e-12).all()  # export: injection only goes down
        np.testing.assert_allclose(-o["anm_delta_mwh"], o["anm_curtailed_mwh"], atol=1e-9)
        assert (o["anm_curtailed_mwh"][:, p.anm_nonfirm[0] == 0] == 0.0).all()


def test_bad_constraint_fields_name_the_field() -> None:
    sc = three_units(50.0)
    bad = {**sc, "distribution_constraints": [
        {"name": "gsp", "limit_mw": [1.0, 2.0], "members": ["a", "nobody"]}
    ]}  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    text = str(err.value)
    assert "distribution_constraints[0].limit_mw" in text and "48" in text
    assert "distribution_constraints[0].members" in text and "nobody" in text
    undated = three_units(50.0)
    undated["producers"][1].pop("connection_date")
    with pytest.raises(ScenarioError, match="connection_date"):
        load_scenario(undated)
    events = [{"period": 5, "limit_mw": 1.0}, {"period": 5, "members": ["a"]}]
    with pytest.raises(ScenarioError, match=r"events\[1\]\.period.*at least 6"):
        load_scenario({**sc, "distribution_constraints": [
            {"name": "gsp", "limit_mw": 5.0, "members": ["a"], "events": events}
        ]})  # fmt: skip
    with pytest.raises(ScenarioError, match="limit_mw"):
        load_scenario({**sc, "distribution_constraints": [
            {"name": "gsp", "limit_mw": -5, "members": ["a"]}
        ]})  # fmt: skip

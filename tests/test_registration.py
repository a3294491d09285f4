"""Registration and pre-qualification (issue 16 item 5), and the shipped scenarios.

The registrations are checked against the scenario's own fields; the rules by
examples on either side of each threshold; reserve offers through the engine and the
env (the reason in the info and a statement line).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from elecbay_env.config import ScenarioError, load_scenario
from elecbay_env.engine import Engine
from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.registration import (
    SERVICES,
    PrequalificationWarning,
    prequalify,
    registrations,
)
from elecbay_env.testing import random_orders

CONFIGS = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "configs").glob("*.yaml")
    if "producers" in p.read_text()
)  # fmt: skip
HOUSES = 2


def test_registrations_follow_the_scenario():
    sc = load_scenario("default")
    regs = registrations(sc)
    assert [r.name for r in regs] == [x.name for x in sc.participants]
    for r, x in zip(regs, sc.participants, strict=True):
        assert r.meter_interval_min == sc.market.meter_interval_min and r.zone == x.zone
        kind = getattr(x, "type", "consumer")
        assert r.kind == kind
        if kind == "thermal":
            assert (r.capability_mw, r.ramp_mw_per_min) == (x.capacity_mw, x.ramp_mw_per_min)
            assert (r.min_stable_mw, r.min_run_periods) == (x.min_stable_mw, x.min_run_periods)
        elif kind == "consumer":
            assert r.capability_mw == pytest.approx(x.flexible_frac * x.peak_mw)
            assert math.isinf(r.ramp_mw_per_min)
        elif kind == "storage":
            assert r.capability_mw == x.power_mw
        else:
            assert r.capability_mw == x.capacity_mw
    assert registrations(Engine(sc)) == regs  # an engine (or env) gives the same


def _rules(**reserve):
    return load_scenario("small", **{"market.prequalification": {"reserve": reserve}})


def test_each_rule_on_either_side():
    sc = load_scenario("small")
    ccgt = sc.producers[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrequalificationWarning)
        at = prequalify(_rules(min_mw=ccgt.capacity_mw), "reserve")["producer_0"]
        above = prequalify(_rules(min_mw=ccgt.capacity_mw + 1), "reserve")["producer_0"]
        ramp_ok = prequalify(_rules(min_ramp_mw_per_min=ccgt.ramp_mw_per_min), "reserve")
        ramp_no = prequalify(_rules(min_ramp_mw_per_min=ccgt.ramp_mw_per_min * 2), "reserve")
        meter = sc.market.meter_interval_min
        meter_ok = prequalify(_rules(max_meter_interval_min=meter), "reserve")
        meter_no = prequalify(_rules(max_meter_interval_min=meter - 1), "reserve")
    assert at.qualified and not above.qualified and "reserve.min_mw" in above.reason
    assert ramp_ok["producer_0"].qualified
    assert (
        not ramp_no["producer_0"].qualified
        and "min_ramp_mw_per_min" in ramp_no["producer_0"].reason
    )
    assert ramp_no["consumer_0"].qualified  # loads are not ramp-limited in the model
    assert all(q.qualified for q in meter_ok.values())
    assert not any(q.qualified for q in meter_no.values())
    with pytest.raises(ValueError, match="service='regulation'"):
        prequalify(sc, "regulation")


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_defaults_qualify_every_shipped_participant(path):
    sc = load_scenario(path)
    for service in SERVICES:
        assert all(q.qualified for q in prequalify(sc, service).values()), service


def test_validator_names_a_registration_that_never_qualifies():
    with pytest.warns(PrequalificationWarning, match=r"reserve.*consumer_0 \(households\)"):
        _rules(min_mw=20)
    with pytest.raises(ScenarioError, match="min_mw"):
        _rules(min_mw=-1)


def test_unqualified_reserve_offer_rejected_with_reason():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrequalificationWarning)
        sc = _rules(min_mw=20)  # households register 12.5 MW of flexible load
    env = ElecbayParallelEnv(sc, info_statement=True)
    env.reset(seed=0)
    eng = env.engine
    o = eng.empty_orders()
    o.res_qty[0, HOUSES, 0] = 5.0
    o.res_qty[0, 0, 0] = 5.0  # the CCGT qualifies
    eng.step(o)
    seen = eng.ledger.orders[0][2]
    assert seen[0, HOUSES, 0] == 0.0 and seen[0, 0, 0] == 5.0
    (line,) = [r for r in eng.ledger.statements() if r["component"] == "reserve_rejected"]
    assert (line["agent"], line["mwh"], line["amount"]) == ("consumer_0", 2.5, 0)
    (reason,) = eng.participation.notices()["consumer_0"]
    assert "not pre-qualified" in reason and "reserve.min_mw (20 MW)" in reason
    # through the env: the info carries the reason, the statement the line
    actions = {a: np.ones(env.action_space(a).shape, np.float32) for a in env.agents}
    _, _, _, _, infos = env.step(actions)  # all ones: the largest reserve offers
    assert all("notices" in infos[a] for a in env.agents)
    assert infos["producer_0"]["notices"] == []
    (reason,) = infos["consumer_0"]["notices"]
    assert reason.startswith("reserve offer of") and "not pre-qualified" in reason
    assert infos["consumer_0"]["statement"]["reserve_rejected"]["amount"] == 0.0


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_shipped_scenarios_run_as_before(path):
    """No participation settings: no participation object (the old path); the
    permissive default pre-qualification and limits that never bind change no bit."""
    assert Engine(path, keep_ledger=False).participation is None

    def run(**over):
        eng = Engine(path, n_markets=2, keep_ledger=False, **over)
        eng.reset(seed=5)
        rng = np.random.default_rng(5)
        out = []
        for _ in range(3):
            out.append(eng.step(random_orders(eng.params, eng.state, rng)).reward.copy())
        return np.array(out)

    loose = {"max_bid_mw": 1e6, "position_limit_mwh": 1e8}
    with_rules = run(**{"market.prequalification": {}, "producers.0.risk": loose})
    assert np.array_equal(run(), with_rules)

"""Invariants of active network management (issue 16, item 1), on random constraints
and random orders (:func:`elecbay_env.testing.random_orders`):

* the metered flow through every constraint never exceeds its limit in any meter
  interval, unless no non-firm member has flow left in the constraint's direction
  (then the excess is reported);
* money: every period's cash components sum to zero to the cent (broker included);
* curtailment is an instruction: each row's imbalance is metered - profile - instructed
  and the curtailed energy equals the net injection ANM removed.
"""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elecbay_env.config import load_scenario
from elecbay_env.engine import Engine
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.testing import random_orders

BASE = load_scenario("constraint").model_dump()
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GENERATORS = ["ccgt", "wind_early", "solar_farm", "wind_late"]
ALL = [*GENERATORS, "households", "factory"]


@st.composite
def constrained(draw: st.DrawFn) -> dict:
    data = copy.deepcopy(BASE)
    members = draw(st.lists(st.sampled_from(ALL), min_size=1, max_size=6, unique=True))
    firm = draw(st.lists(st.booleans(), min_size=6, max_size=6))
    for x, f in zip([*data["producers"], *data["consumers"]], firm, strict=True):
        x["firm"] = f
        x["connection_date"] = f"20{draw(st.integers(10, 25))}-01-01"
    n = 48
    direction = draw(st.sampled_from(["export", "import"]))
    per_period = draw(st.booleans())
    if per_period:
        limit = draw(st.lists(st.floats(0.0, 300.0), min_size=n, max_size=n))
    else:
        limit = draw(st.floats(0.0, 300.0))
    data["distribution_constraints"] = [
        {
            "name": "gsp",
            "direction": direction,
            "limit_mw": limit,
            "members": members,
            "allocation": draw(st.sampled_from(["lifo", "pro_rata"])),
            "compensation": draw(st.sampled_from(["none", 0.0, 40.0])),
            "events": [{"period": 20, "members": members[:1], "limit_mw": 10.0}]
            if draw(st.booleans())
            else [],
        }
    ]
    return data


@SETTINGS
@given(data=constrained(), seed=st.integers(0, 2**16))
def test_flow_within_limit_and_money_balances(data: dict, seed: int) -> None:
    eng = Engine(data, n_markets=2, keep_ledger=False)
    eng.reset(seed=seed)
    rng = np.random.default_rng(seed)
    p = eng.params
    meter_h = p.meter_h
    for t in range(24):
        out = eng.step(random_orders(p, eng.state, rng, 0.5))
        for e in range(2):
            for k in range(p.n_constraints):
                d = p.anm_dir[e, k]
                mem = p.anm_member[e, k, t].astype(bool)
                nonfirm = mem & (p.anm_nonfirm[e] == 1)
                flow = d * out.meter_mwh[e, mem].sum(axis=0) / meter_h  # (M,) MW
                left = (d * out.meter_mwh[e, nonfirm] / meter_h > 1e-9).any(axis=0)
                over = flow - p.anm_limit_mw[e, k, t]
                # over the limit only where no non-firm member has flow left to cut
                assert not ((over > 1e-6) & left).any(), (t, k, over)
                assert out.anm_excess_mw[e, k] >= over.max() - 1e-6
        cash = out.ledger_amount[:, :, : L.N_CASH].sum(axis=(1, 2))
        assert np.abs(cash).max() < 0.005
        imb = out.metered_mwh - out.profile_mwh - out.instructed_mwh
        np.testing.assert_allclose(out.imbalance_mwh[:, :-1], imb[:, :-1], atol=1e-9)
        np.testing.assert_allclose(
            np.abs(out.anm_delta_mwh), out.anm_curtailed_mwh, rtol=1e-9, atol=1e-9
        )

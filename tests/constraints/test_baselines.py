"""The curtailment trader and network operator baselines, and ``elecbay classroom
curtailment`` (issue 16, item 8).

The trader values curtailment at its lost margin (forward price - marginal cost -
compensation); in the classroom scenario the subsidised last-connected wind farm buys
relief from the earliest one, so the welfare gain is exactly the subsidy times the
curtailment moved (the total curtailed is the same, only who is curtailed changes).
"""

from __future__ import annotations

import numpy as np
from elecbay_agents.curtailment import curtailment_cost_per_mwh
from elecbay_evaluate.classroom.command import run_experiment
from elecbay_evaluate.classroom.curtailment import SUBSIDY, run_curtailment, scenario
from pytest import approx

from elecbay_env.config import load_scenario
from elecbay_env.params import build_params


def test_curtailment_cost_by_hand() -> None:
    data = scenario(60.0)
    data["distribution_constraints"][0]["compensation"] = 15.0
    p = build_params(load_scenario(data))
    assert curtailment_cost_per_mwh(p, 3, 50.0) == 50.0 + 60.0 - 15.0  # wind_late
    assert curtailment_cost_per_mwh(p, 1, 50.0) == 50.0 - 15.0  # wind_early
    assert curtailment_cost_per_mwh(p, 0, 50.0) == 50.0 - 54.0  # ccgt: no compensation


def test_trading_moves_curtailment_to_the_cheaper_unit_with_the_welfare_gain() -> None:
    res = run_curtailment(seeds=[0, 1], subsidy=SUBSIDY)
    late = res.units.index("wind_late")
    early = res.units.index("wind_early")
    assert (res.moved_mwh > 0.0).all()
    assert (res.curtailed[1, late] < res.curtailed[0, late]).all()
    assert (res.curtailed[1, early] > res.curtailed[0, early]).all()
    np.testing.assert_allclose(res.curtailed[1].sum(axis=0), res.curtailed[0].sum(axis=0))
    assert res.gain == approx(SUBSIDY * res.moved_mwh, rel=1e-6)


def test_classroom_command_runs(tmp_path) -> None:
    outcome = run_experiment("curtailment", {"seeds": 1})
    assert "welfare gain" in outcome.table
    files = outcome.write(tmp_path)
    assert all(f.exists() for f in files)

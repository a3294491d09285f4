"""Look-ahead and the order list in the observations (issue 16, item 2).

Only a scenario with distribution constraints has the extra features (the spaces of
every other scenario keep their layout); they lie in the observation space; the order
place, the expected constrained periods and each member's expected curtailment are the
operator's look-ahead (:func:`elecbay_env.constraints.lookahead`) on the visible
forecasts, computed here independently of the observation code.
"""

from __future__ import annotations

import numpy as np
from pytest import approx

from elecbay_env import parallel_env
from elecbay_env.config import load_scenario
from elecbay_env.constraints import lookahead
from elecbay_env.envs.observations import feature_names, observation_table, observe
from elecbay_env.episodes import visible_forecast
from elecbay_env.kernels import kinds

PLAIN = {**load_scenario("constraint").model_dump(), "distribution_constraints": []}


def test_features_only_with_constraints_and_inside_the_space() -> None:
    env = parallel_env("constraint")
    obs, _ = env.reset(seed=0)
    plain = parallel_env(PLAIN)
    base, _ = plain.reset(seed=0)
    for agent, x in obs.items():
        assert env.observation_space(agent).contains(x)
        assert x.shape[0] > base[agent].shape[0]
    assert "anm_" not in " ".join(feature_names(plain.engine.params, "trader"))
    assert "anm_expected_curtailment" in observation_table(env.engine.params, "trader")


def test_lookahead_reaches_the_members() -> None:
    env = parallel_env("constraint")
    env.reset(seed=1)
    eng = env.engine
    p, s = eng.params, eng.state
    x = observe(p, s)
    names = feature_names(p, "trader")
    day = 48
    expected = np.zeros((p.n_rows, day))
    for j in range(day):
        fc = visible_forecast(p, s, j)[0]
        for i in range(p.n_rows):
            k = p.kind[0, i]
            if k in (kinds.WIND, kinds.SOLAR):
                expected[i, j] = fc[i]
            elif k == kinds.CONSUMER:
                expected[i, j] = -fc[i]
    excess, curtailed = lookahead(p, expected, 0)
    assert excess.max() > 0.0  # the shipped scenario is expected to bind
    wind_late = eng.agents.index("producer_3")
    ccgt = eng.agents.index("producer_0")
    f = names.index
    assert x[0, wind_late, f("anm_member")] == 1.0
    assert x[0, wind_late, f("anm_order_place")] == 0.0  # the latest connection
    assert x[0, ccgt, f("anm_member")] == 0.0
    assert x[0, ccgt, f("anm_order_place")] == p.n_rows  # firm
    assert x[0, wind_late, f("anm_constrained_periods")] == (excess > 0).any(axis=0).sum()
    assert x[0, wind_late, f("anm_expected_curtailment")] == approx(
        curtailed[wind_late].sum() * p.period_h, rel=1e-5
    )

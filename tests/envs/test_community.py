"""The ``community`` scenario generator: its mix, its checks, PettingZoo's API tests at
N = 100 prosumers and steps at N = 5 000."""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test

from elecbay_env import env, parallel_env
from elecbay_env.community import PATTERN, community_scenario
from elecbay_env.params import agents_of

ALLOWED_WARNINGS = (
    "Agents have different observation space sizes",
    "Agents have different action space sizes",
    "Observations are different shapes",
)


def _kinds(scenario) -> Counter:
    names = [p.name for p in scenario.producers] + [c.name for c in scenario.consumers]
    return Counter(name.rsplit("_", 1)[0] for name in names)


def test_mix_sizes_and_seed():
    s = community_scenario(40, data=False)
    assert len(agents_of(s)) == 43
    mix = _kinds(s)
    assert mix == Counter({**Counter(PATTERN * 2), "retailer": 2})
    again = community_scenario(40, data=False)
    other = community_scenario(40, data=False, seed=1)
    assert again.model_dump() == s.model_dump()
    assert other.model_dump() != s.model_dump()
    sizes = [c.peak_mw for c in s.consumers if c.name.startswith("home_")]
    assert len(set(sizes)) == len(sizes) and 0 < min(sizes) < max(sizes) < 0.01
    grid = next(p for p in s.producers if p.name == "retailer_import")
    load = sum(c.peak_mw for c in s.consumers if not c.name.startswith("retailer"))
    assert grid.capacity_mw >= 2 * load


@pytest.mark.parametrize("bad", [0, -3, 100_001, True, 2.5])
def test_bad_sizes_name_the_argument(bad):
    with pytest.raises(ValueError, match=r"n_prosumers=.*allowed range is 1 to 100000"):
        community_scenario(bad)


def test_rooftop_solar_follows_the_gb2024_data():
    s = community_scenario(20)
    e = parallel_env(s)
    e.reset(seed=0, options={"date": "2024-06-21"})
    solar = [i for i, p in enumerate(s.producers) if p.name.startswith("solar_")]
    day = e.engine.params.forecast_mw[solar][:, :48]  # (rows, periods) of the data window
    assert day.max() > 0.0 and day[:, :6].max() == 0.0  # sun by day, none after midnight


def _checked(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args, **kwargs)
    bad = {str(w.message) for w in caught if not str(w.message).startswith(ALLOWED_WARNINGS)}
    assert not bad, bad


def test_pettingzoo_api_at_100_prosumers():
    s = community_scenario(100)
    _checked(parallel_api_test, parallel_env(s, max_cycles=6), num_cycles=10)
    _checked(api_test, env(s, max_cycles=3), num_cycles=10)


def test_steps_at_5000_prosumers():
    e = parallel_env(community_scenario(5_000), max_cycles=3)
    obs, _ = e.reset(seed=0)
    assert len(obs) == 5_003
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (5_003, e.codec.width))
    obs, rew, term, _trunc, infos = e.step(
        {ag: a[i, : e._width[ag]] for i, ag in enumerate(e.agents)}
    )
    assert len(rew) == len(infos) == 5_003 and not any(term.values())
    assert abs(sum(rew.values()) - float(e.last_outcome.reward.sum())) < 1e-6 * (
        1.0 + float(np.abs(e.last_outcome.reward).sum())
    )
    o, r, _, done = e.step_array(a)
    assert o.shape[0] == 5_003 and np.isfinite(r).all() and not done
    assert e.step_array(a)[3] is True

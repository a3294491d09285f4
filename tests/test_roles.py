"""Agent ids and the asset names of their rows (elecbay_env.roles)."""

from __future__ import annotations

import pytest

from elecbay_env import parallel_env
from elecbay_env.config import load_scenario, shipped_scenarios
from elecbay_env.roles import agent_ids, asset_names, role_of


@pytest.mark.parametrize("name", shipped_scenarios())
def test_asset_names_follow_the_env_rows(name):
    scenario = load_scenario(name)
    env = parallel_env(scenario)
    got = asset_names(scenario)
    assert list(got) == env.possible_agents
    producers = [got[a] for a in got if role_of(a) == "producer"]
    consumers = [got[a] for a in got if role_of(a) == "consumer"]
    assert producers == [p.name for p in scenario.producers]
    assert consumers == [c.name for c in scenario.consumers]
    assert got["broker_0"] == "balancing"


def test_agent_ids_by_hand():
    assert agent_ids(2, 1) == ["producer_0", "producer_1", "consumer_0", "broker_0"]

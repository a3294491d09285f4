"""The array-native step against the dict API, and the batched dict building.

``step_array`` must run the very period ``step`` runs with the same actions as a dict;
the dicts ``step`` returns must hold exactly the outcome's numbers, for every agent.
"""

from __future__ import annotations

import numpy as np
import pytest

from elecbay_env import parallel_env
from elecbay_env.kernels.ledger_codes import NAMES as COMPONENTS
from elecbay_env.testing import replicated_scenario


def _as_dict(env, a: np.ndarray) -> dict[str, np.ndarray]:
    return {ag: a[i, : env.action_space(ag).shape[0]].copy() for i, ag in enumerate(env.agents)}


@pytest.mark.parametrize("reward_mode", ["raw", "learning"])
def test_step_array_runs_the_period_step_runs(reward_mode):
    scenario = replicated_scenario(30, 4)
    by_dict = parallel_env(scenario, reward_mode=reward_mode, max_cycles=6)
    by_array = parallel_env(scenario, reward_mode=reward_mode, max_cycles=6)
    obs, _ = by_dict.reset(seed=4)
    by_array.reset(seed=4)
    first = by_array.observation_array()
    for i, agent in enumerate(by_dict.possible_agents):
        assert np.array_equal(obs[agent], first[i, : obs[agent].shape[0]])
    rng = np.random.default_rng(4)
    n, width = len(by_dict.possible_agents), by_dict.codec.width
    while by_dict.agents:
        a = rng.uniform(-1.3, 1.3, (n, width))  # some clipped values; padding is ignored
        obs, rew, term, trunc, _ = by_dict.step(_as_dict(by_dict, a))
        obs_a, rew_a, term_a, trunc_a = by_array.step_array(a)
        assert obs_a.dtype == np.float32 and obs_a.shape[0] == n
        for i, agent in enumerate(by_dict.possible_agents):
            assert np.array_equal(obs[agent], obs_a[i, : obs[agent].shape[0]])
            assert rew[agent] == rew_a[i]
            assert term[agent] is False and trunc[agent] == trunc_a
        assert term_a is False
        for x, y in zip(by_dict.last_outcome, by_array.last_outcome, strict=True):
            assert x.tobytes() == y.tobytes()
    assert by_array.agents == [] and trunc_a is True
    with pytest.raises(RuntimeError, match="reset"):
        by_array.step_array(a)


def test_infos_and_observations_hold_the_outcome_numbers_for_every_agent():
    env = parallel_env(replicated_scenario(40, 2))
    env.reset(seed=1)
    rng = np.random.default_rng(1)
    acts = {a: rng.uniform(-1, 1, env.action_space(a).shape) for a in env.agents}
    obs, rewards, _, _, infos = env.step(acts)
    out = env.last_outcome
    for i, agent in enumerate(env.possible_agents):
        info = infos[agent]
        assert info["period"] == 0 and isinstance(info["period"], int)
        assert info["reward_raw"] == out.reward[0, i] == rewards[agent]
        assert info["traded"] == (1.0 if out.volume_mw[0] > 0 else 0.0)
        assert info["clearing_price"] == out.forward_ref_price[0]
        assert info["imbalance_price"] == out.imbalance_price[0]
        for c, name in enumerate(COMPONENTS):
            assert info[f"amount_{name}"] == out.ledger_amount[0, i, c]
        trader = not agent.startswith("broker")
        assert ("contract_mw" in info) is trader and ("imbalance_mwh" in info) is trader
        if trader:
            assert info["contract_mw"] == out.contract_mw[0, i]
            assert info["imbalance_mwh"] == out.imbalance_mwh[0, i]
        assert all(type(v) in (int, float) for v in info.values())
        width = env.observation_space(agent).shape[0]
        assert obs[agent].shape == (width,) and np.array_equal(obs[agent], env._obs[0, i, :width])
    # each agent's observation is its own: writing one changes no other
    first, second = env.possible_agents[:2]
    before = obs[second].copy()
    obs[first][:] = 123.0
    assert np.array_equal(obs[second], before)


def test_step_array_refuses_bad_actions_without_touching_the_market():
    env = parallel_env("small")
    env.reset(seed=0)
    n, width = len(env.possible_agents), env.codec.width
    with pytest.raises(ValueError, match=r"actions: expected a real array of shape"):
        env.step_array(np.zeros((n, width + 1)))
    with pytest.raises(ValueError, match=r"actions: expected a real array"):
        env.step_array(np.zeros((n, width), complex))
    bad = np.zeros((n, width))
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match=rf"actions\[1\] \('{env.possible_agents[1]}'\)"):
        env.step_array(bad)
    assert int(env.engine.t[0]) == 0 and env.last_outcome is None


def test_dict_actions_with_one_bad_agent_still_name_it():
    env = parallel_env(replicated_scenario(12, 2))
    env.reset(seed=0)
    acts = {a: np.zeros(env.action_space(a).shape) for a in env.agents}
    agent = env.agents[3]
    for bad, message in (
        (np.zeros(1), "expected shape"),
        (np.full(env.action_space(agent).shape, np.inf), "finite"),
        ("x", "expected an array of numbers"),
    ):
        with pytest.raises(ValueError, match=message) as err:
            env.step({**acts, agent: bad})
        assert agent in str(err.value)
    assert int(env.engine.t[0]) == 0

"""Environment conventions researchers' libraries rely on (issue 13, item 1 and 2):
``max_cycles``, continuing a seeded stream on ``reset(seed=None)``, flat info dicts, the
registered Gymnasium id, and learning rewards."""

from __future__ import annotations

import math

import gymnasium
import numpy as np
import pytest
from pettingzoo.test import max_cycles_test

import elecbay_env
from elecbay_env.envs.parallel import parallel_env
from elecbay_env.kernels import kinds
from elecbay_env.rewards import reward_baseline, reward_scale


def test_pettingzoo_max_cycles_test_passes() -> None:
    max_cycles_test(elecbay_env)


def test_max_cycles_truncates_and_is_checked() -> None:
    env = parallel_env("small", max_cycles=3)
    env.reset(seed=0)
    steps = 0
    while env.agents:
        _, _, term, trunc, _ = env.step({a: np.zeros(env.action_space(a).shape)
                                         for a in env.agents})  # fmt: skip
        steps += 1
    assert steps == 3 and all(trunc.values()) and not any(term.values())
    assert parallel_env("small", max_cycles=10_000).num_periods == parallel_env("small").num_periods
    for bad in (0, -1, 2.5, True, "4"):
        with pytest.raises(ValueError, match="max_cycles"):
            parallel_env("small", max_cycles=bad)


def _episode(env, n: int = 6) -> list[np.ndarray]:
    seen = []
    for _ in range(n):
        obs, *_ = env.step({a: np.zeros(env.action_space(a).shape) for a in env.agents})
        seen.append(np.concatenate([obs[a] for a in sorted(obs)]))
    return seen


@pytest.mark.parametrize("config", ["small", "gb2024"])
def test_reset_without_seed_continues_the_seeded_stream(config: str) -> None:
    a, b = parallel_env(config, max_cycles=6), parallel_env(config, max_cycles=6)
    a.reset(seed=5)
    b.reset(seed=5)
    first = _episode(a)
    assert all(np.array_equal(x, y) for x, y in zip(first, _episode(b), strict=True))
    a.reset()
    b.reset(seed=None)
    second_a, second_b = _episode(a), _episode(b)
    assert all(np.array_equal(x, y) for x, y in zip(second_a, second_b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(first, second_a, strict=True))
    if config == "gb2024":  # the continued stream draws a new day too, reproducibly
        assert a.engine.dates[0] == b.engine.dates[0]


def test_unseeded_first_reset_draws_fresh_entropy() -> None:
    a, b = parallel_env("small", max_cycles=6), parallel_env("small", max_cycles=6)
    a.reset()
    b.reset()
    assert not all(np.array_equal(x, y) for x, y in zip(_episode(a), _episode(b), strict=True))


def test_single_agent_view_is_a_registered_gymnasium_env() -> None:
    from gymnasium.utils.env_checker import check_env

    env = gymnasium.make(elecbay_env.SINGLE_AGENT_ID, config="small", agent="producer_0")
    assert env.spec.id == "elecbay/SingleAgent-v0"
    assert env.unwrapped.metadata["render_fps"] > 0
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)


@pytest.mark.parametrize("config", ["default", "gb2024"])
def test_learning_rewards_drop_fixed_terms_and_scale_to_order_one(config: str) -> None:
    from elecbay_agents.registry import make_policies

    env = parallel_env(config, reward_mode="learning", **{"market.days": 1})
    p = env.engine.params
    scale = reward_scale(p)[0]
    policies = make_policies(env, None)
    obs, _ = env.reset(seed=1)
    states = dict.fromkeys(env.possible_agents)
    day_abs = dict.fromkeys(env.possible_agents, 0.0)
    first = True
    while env.agents:
        t = int(env.engine.t[0])
        seen = elecbay_env.episodes.visible_forecast(p, env.engine.state, t)
        acts = {}
        for a in env.agents:
            acts[a], states[a] = policies[a].predict(obs[a], states[a], episode_start=first)
        first = False
        obs, rewards, _, _, infos = env.step(acts)
        base = reward_baseline(p, seen)[0]
        for i, a in enumerate(env.possible_agents):
            if a not in rewards:
                continue
            # learning = (raw - fixed value of the forecast load) / scale, raw kept in infos
            expected = (infos[a]["reward_raw"] - base[i]) / scale[i]
            assert rewards[a] == pytest.approx(expected, rel=1e-12, abs=1e-12)
            day_abs[a] += abs(rewards[a])  # one day: the episode's return scale
    consumers = p.kind[0] == kinds.CONSUMER
    assert np.all(reward_baseline(p, np.ones_like(p.cap_mw))[0][~consumers] == 0.0)
    active = [v for v in day_abs.values() if v > 0.0]
    assert max(active) < 5.0, day_abs  # a day's return of order one per agent
    assert max(active) / min(active) < 1e3  # raw rewards span more than 1e4


def test_reward_mode_is_checked() -> None:
    with pytest.raises(ValueError, match="reward_mode='scaled': allowed values are raw, learning"):
        parallel_env("small", reward_mode="scaled")


def test_infos_are_flat_and_finite_after_reset_and_step() -> None:
    env = parallel_env("gb2024", max_cycles=2)
    _, reset_infos = env.reset(seed=0)
    _, _, _, _, infos = env.step({a: np.zeros(env.action_space(a).shape) for a in env.agents})
    for agent, info in infos.items():
        assert set(info) == set(reset_infos[agent])
        for v in (*info.values(), *reset_infos[agent].values()):
            assert isinstance(v, int | float) and math.isfinite(v)


def test_ppo_value_function_learns_on_learning_rewards() -> None:
    pytest.importorskip("stable_baselines3")
    from elecbay_evaluate.benchmarks.bench_reward_modes import TARGET_EV, train_once

    learned = train_once("consumer_0", "learning", 8192)
    assert learned["explained_variance"] > TARGET_EV, learned

"""ElecbayMultiAgentEnv: RLlib's checker, learning rewards, seeding per runner, render."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import RAY_MISSING

pytest.importorskip("ray.rllib", reason=RAY_MISSING)

from elecbay_train.rllib import SEED_STRIDE, ElecbayMultiAgentEnv, role_spaces
from ray.rllib.env.env_context import EnvContext
from ray.rllib.utils.pre_checks.env import check_multiagent_environments

from elecbay_env.roles import role_of

BASE = {"scenario": "small", "max_cycles": 6, "torch_threads": None}


def rollout(env: ElecbayMultiAgentEnv, seed: int | None, steps: int = 6) -> np.ndarray:
    """Observations of a rollout with fixed actions (the market's draws only differ)."""
    obs, _ = env.reset(seed=seed)
    rows = [np.concatenate(list(obs.values()))]
    for _ in range(steps):
        act = {a: np.full(env.action_spaces[a].shape, 0.2, np.float32) for a in env.agents}
        obs, *_ = env.step(act)
        if obs:
            rows.append(np.concatenate(list(obs.values())))
    return np.concatenate(rows)


def test_rllib_checker_passes_and_spaces_are_shared_within_a_role() -> None:
    env = ElecbayMultiAgentEnv(BASE)
    check_multiagent_environments(env)
    spaces = role_spaces(env)
    assert set(spaces) == {"producer", "consumer", "broker"}
    for agent in env.possible_agents:
        obs_space, act_space = spaces[role_of(agent)]
        assert env.observation_spaces[agent] == obs_space
        assert env.action_spaces[agent] == act_space
    obs, infos = env.reset(seed=0)
    assert set(infos) == set(obs) == set(env.possible_agents)
    assert all(env.observation_spaces[a].contains(o) for a, o in obs.items())


def test_episode_ends_by_truncation_with_learning_rewards() -> None:
    env = ElecbayMultiAgentEnv(BASE)
    env.reset(seed=1)
    for t in range(6):
        act = {a: env.action_spaces[a].sample() for a in env.agents}
        _, rewards, terms, truncs, infos = env.step(act)
        assert terms["__all__"] is False
        assert truncs["__all__"] is (t == 5)
        # learning rewards are about order one; raw ones are currency (thousands)
        raw = max(abs(i["reward_raw"]) for i in infos.values())
        assert max(abs(r) for r in rewards.values()) < max(50.0, raw / 10)
    assert env.agents == []


def test_a_runner_index_moves_the_seed_and_later_resets_continue_the_stream() -> None:
    def on_runner(w: int) -> ElecbayMultiAgentEnv:
        return ElecbayMultiAgentEnv(EnvContext(dict(BASE), worker_index=w))

    # RLlib seeds copy i of runner w with seed + w + i: runner 1's copy 1 and runner 2's
    # copy 0 would share a seed. Here they play seed + w * SEED_STRIDE + i.
    a = rollout(on_runner(1), 7 + 1 + 1)
    b = rollout(on_runner(2), 7 + 2 + 0)
    assert not np.array_equal(a, b)
    plain = ElecbayMultiAgentEnv(BASE)
    np.testing.assert_array_equal(a, rollout(plain, 7 + SEED_STRIDE + 1))
    # a reset without a seed continues the seeded stream: same episodes on every run
    first = on_runner(1)
    rollout(first, 3)
    second = on_runner(1)
    rollout(second, 3)
    np.testing.assert_array_equal(rollout(first, None), rollout(second, None))


def test_a_first_reset_without_a_seed_uses_the_config_seed() -> None:
    one = rollout(ElecbayMultiAgentEnv({**BASE, "seed": 5}), None)
    two = rollout(ElecbayMultiAgentEnv({**BASE, "seed": 5}), None)
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, rollout(ElecbayMultiAgentEnv({**BASE, "seed": 6}), None))


def test_render_returns_the_market_text_and_image() -> None:
    env = ElecbayMultiAgentEnv({**BASE, "render_mode": "ansi"})
    env.reset(seed=0)
    env.step({a: env.action_spaces[a].sample() for a in env.agents})
    assert "clearing price" in env.render()
    img = ElecbayMultiAgentEnv({**BASE, "render_mode": "rgb_array"})
    img.reset(seed=0)
    img.step({a: img.action_spaces[a].sample() for a in img.agents})
    frame = img.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    img.close()


def test_unknown_config_keys_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"\['sead'\]"):
        ElecbayMultiAgentEnv({**BASE, "sead": 1})

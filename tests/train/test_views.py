"""The trainer views: checkers, equivalence of the vectorised and single views, PPO."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from elecbay_train.core import TrainingCore, resolve_seats
from elecbay_train.single_agent import SingleAgentEnv
from elecbay_train.transforms import LearnerSpec, load_trained_policy
from elecbay_train.vec_env import RoleVecEnv
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.vec_env import DummyVecEnv

SMALL = {"market.days": 1}


def test_single_agent_env_passes_gymnasium_checker() -> None:
    env = SingleAgentEnv("small", agent="producer_0", **SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        gym_check_env(env, skip_render_check=True)


@pytest.mark.parametrize("agent", ["producer_0", "consumer_1", "broker_0"])
def test_single_agent_env_passes_sb3_checker(agent: str) -> None:
    env = SingleAgentEnv("small", agent=agent, **SMALL)
    sb3_check_env(env, warn=False)


def test_episode_truncates_after_every_period() -> None:
    env = SingleAgentEnv("small", agent="producer_0", **SMALL)
    env.reset(seed=1)
    steps = 0
    while True:
        _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        steps += 1
        assert np.isfinite(reward) and not terminated
        if truncated:
            break
    assert steps == env.core.engine.n_periods == 48


def test_vec_env_equals_single_environments_with_the_same_seeds_and_actions() -> None:
    n_markets, seed = 3, 11
    venv = RoleVecEnv("small", ["producer_1"], n_markets, seed=seed, **SMALL)
    venv.seed(seed)
    obs_v = venv.reset()
    singles = [SingleAgentEnv("small", agent="producer_1", **SMALL) for _ in range(n_markets)]
    obs_s = [env.reset(seed=seed + e)[0] for e, env in enumerate(singles)]
    np.testing.assert_array_equal(obs_v, np.stack(obs_s))
    rng = np.random.default_rng(0)
    for _ in range(10):
        actions = rng.uniform(-1, 1, (n_markets, venv.action_space.shape[0])).astype(np.float32)
        obs_v, rew_v, done_v, _ = venv.step(actions)
        for e, env in enumerate(singles):
            o, r, _, trunc, _ = env.step(actions[e])
            np.testing.assert_array_equal(obs_v[e], o)
            assert rew_v[e] == np.float32(r)
            assert done_v[e] == trunc


def test_role_seats_share_one_network_per_role() -> None:
    venv = RoleVecEnv("default", "producer", 2, **{"market.days": 1})
    assert venv.n_seats == 9 and venv.num_envs == 18  # 9 producers, 2 markets
    obs = venv.reset()
    assert obs.shape == (18, venv.observation_space.shape[0])
    assert np.all(np.abs(obs) <= 1.0)
    with pytest.raises(ValueError, match="different spaces"):
        resolve_seats(venv.core.agents, ["producer_0", "broker_0"])
    with pytest.raises(ValueError, match="seat 'nobody'"):
        resolve_seats(venv.core.agents, "nobody")


def test_vec_env_autoresets_with_terminal_observation() -> None:
    venv = RoleVecEnv("small", "consumer", 2, **SMALL)
    venv.reset()
    for t in range(48):
        _, _, dones, infos = venv.step(
            np.zeros((venv.num_envs, venv.action_space.shape[0]), np.float32)
        )
        assert dones.all() == (t == 47)
    assert all("terminal_observation" in i and i["TimeLimit.truncated"] for i in infos)
    assert venv.core.engine.t.max() == 0  # reset for the next episode


def _finite_losses(model: PPO) -> None:
    values = model.logger.name_to_value
    losses = [v for k, v in values.items() if "loss" in k]
    assert losses and all(np.isfinite(v) for v in losses)


def test_ppo_runs_on_the_vectorised_view() -> None:
    venv = RoleVecEnv("small", "producer", 4, **SMALL)
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(256)
    _finite_losses(model)


def test_ppo_runs_on_the_single_agent_view() -> None:
    env = DummyVecEnv([lambda: SingleAgentEnv("small", agent="producer_0", **SMALL)])
    model = PPO("MlpPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0, device="cpu")
    model.learn(256)
    _finite_losses(model)


def test_saved_model_reloads_with_identical_deterministic_actions(tmp_path) -> None:
    spec = LearnerSpec(role="producer", agents=("producer_0",), config="small")
    venv = RoleVecEnv("small", ["producer_0"], 2, spec=spec, **SMALL)
    model = PPO("MlpPolicy", venv, n_steps=16, batch_size=32, n_epochs=1, seed=3, device="cpu")
    model.learn(64)
    model.save(tmp_path / "model.zip")
    spec.save(tmp_path)
    obs = venv.reset()
    before, _ = model.predict(obs, deterministic=True)
    again = PPO.load(tmp_path / "model.zip", device="cpu")
    after, _ = again.predict(obs, deterministic=True)
    np.testing.assert_array_equal(before, after)

    # replayed through the standard environment, it bids what the learner codec meant
    from elecbay_env import parallel_env

    env = parallel_env("small", **SMALL)
    raw_obs, _ = env.reset(seed=0)
    policy = load_trained_policy(tmp_path, env, "producer_0")
    env_action, _ = policy.predict(raw_obs["producer_0"])
    assert env.action_space("producer_0").contains(env_action)
    core = TrainingCore("small", ["producer_0"], 1, spec=spec, **SMALL)
    learner_obs = core.reset(seed=0)[0, 0]
    learner_action, _ = again.predict(learner_obs, deterministic=True)
    learner_codec, env_codec = core.bridge.agent(0, "producer")
    meant = learner_codec.decode(learner_action)
    got = env_codec.decode(env_action)
    for a, b in zip(meant, got, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-3)

"""RLlib PPO on elecbay: reproducible sampling, every role trains, checkpoints replay exactly."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import RAY_MISSING

pytest.importorskip("ray.rllib", reason=RAY_MISSING)

from elecbay_train.rllib import module_stats, ppo_config, save_contracts
from elecbay_train.rllib_policy import RLlibModel, load_rllib_policy
from elecbay_train.transforms import scale_box

import elecbay_env

ENV = {"scenario": "small", "max_cycles": 12}
SMALL_PPO = {"train_batch_size": 240, "minibatch_size": 120, "num_epochs": 2}


def sampled(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Observations and actions of 60 agent-steps sampled by a fresh algorithm."""
    algo = ppo_config(ENV, seed=seed, **SMALL_PPO).build_algo()
    try:
        episodes = algo.env_runner.sample(num_timesteps=60, random_actions=False)
    finally:
        algo.stop()
    obs, act = [], []
    for episode in episodes:
        for agent in sorted(episode.agent_episodes):
            single = episode.agent_episodes[agent]
            obs.append(np.asarray(single.get_observations()).ravel())
            act.append(np.asarray(single.get_actions()).ravel())
    return np.concatenate(obs), np.concatenate(act)


def test_sampling_repeats_with_a_seed(local_ray) -> None:
    obs_a, act_a = sampled(3)
    obs_b, act_b = sampled(3)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(act_a, act_b)
    obs_c, _ = sampled(4)
    assert obs_c.shape != obs_a.shape or not np.array_equal(obs_a, obs_c)


@pytest.fixture(scope="module")
def trained(local_ray, tmp_path_factory):
    """Two PPO iterations (one module per role), saved as a training folder."""
    config = ppo_config(ENV, seed=0, **SMALL_PPO)
    algo = config.build_algo()
    stats = [module_stats(algo.train()) for _ in range(2)]
    folder = tmp_path_factory.mktemp("rllib")
    algo.save_to_path(str(folder / "checkpoint"))
    save_contracts(folder, config.env_config)
    yield algo, config, stats, folder
    algo.stop()


def test_two_iterations_train_every_role_below_the_value_clip(trained) -> None:
    _, config, stats, _ = trained
    clip = config.vf_clip_param
    for it in stats:
        assert set(it) == {"producer", "consumer", "broker"}
        for module, s in it.items():
            assert np.isfinite(s["policy_loss"]), module
            # raw currency rewards keep every sample at the clip (vf_loss == clip)
            assert 0.0 < s["vf_loss"] < 0.9 * clip, (module, s)
    for role in ("producer", "consumer"):  # traders' returns are learnt outright
        assert stats[-1][role]["vf_loss_unclipped"] < clip, stats[-1][role]


def test_a_checkpoint_replays_the_same_actions(trained) -> None:
    algo, _, _, folder = trained
    env = elecbay_env.parallel_env("small", max_cycles=12)
    obs, _ = env.reset(seed=11)
    for agent in env.possible_agents:
        policy = load_rllib_policy(folder, env, agent)
        live = RLlibModel(algo.get_module(policy.spec.role))
        batch = np.stack([obs[agent], obs[agent] * 0.5])
        scaled = scale_box(env.observation_space(agent), batch)
        want, _ = live.predict(scaled)
        got, _ = policy.model.predict(scaled)
        np.testing.assert_array_equal(got, want)
        env_actions, _ = policy.predict(batch)
        assert env_actions.shape == (2, *env.action_space(agent).shape)
        assert env.action_space(agent).contains(env_actions[0].astype(np.float32))


def test_a_folder_refuses_a_seat_of_another_shape(trained) -> None:
    _, _, _, folder = trained
    other = elecbay_env.parallel_env("default", **{"market.days": 1})
    with pytest.raises(ValueError, match=r"shape|scenario"):
        load_rllib_policy(folder, other, "producer_0")

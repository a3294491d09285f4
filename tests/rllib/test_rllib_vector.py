"""RoleVectorEnv: one role on the batched core as RLlib's vector env (single-role PPO)."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import RAY_MISSING

pytest.importorskip("ray.rllib", reason=RAY_MISSING)

from elecbay_train.core import TrainingCore
from elecbay_train.rllib_vector import RoleVectorEnv, role_ppo_config

DAY = {"overrides": {"market.days": 1}, "torch_threads": None}


def test_steps_are_the_core_s_and_the_vector_resets_on_the_next_step() -> None:
    env = RoleVectorEnv({**DAY, "num_envs": 4, "seed": 3})
    core = TrainingCore("small", "producer", 2, seed=3, reward_mode="learning",
                        **{"market.days": 1})  # fmt: skip
    obs, _ = env.reset()
    np.testing.assert_array_equal(obs, core.reset().reshape(4, -1))
    rng = np.random.default_rng(0)
    for t in range(core.engine.n_periods):
        act = rng.uniform(-1, 1, (4, 14)).astype(np.float32)
        obs, rew, term, trunc, _ = env.step(act)
        want_obs, want_rew, done = core.step(act.reshape(2, 2, 14))
        np.testing.assert_array_equal(obs, want_obs.reshape(4, -1))
        np.testing.assert_allclose(rew, want_rew.reshape(-1), rtol=1e-6)
        assert not term.any() and bool(trunc.all()) is done is (t == core.engine.n_periods - 1)
    obs, rew, term, trunc, _ = env.step(np.zeros((4, 14), np.float32))
    assert not trunc.any() and not rew.any()
    np.testing.assert_array_equal(obs, core.reset().reshape(4, -1))  # continues the stream


def test_num_envs_must_be_whole_markets() -> None:
    with pytest.raises(ValueError, match="num_envs=3: must be a multiple of the 2 producer"):
        RoleVectorEnv({**DAY, "num_envs": 3})


def test_single_role_ppo_trains_on_the_core(local_ray) -> None:
    config = role_ppo_config("producer", n_markets=2, env_config={"overrides": {"market.days": 1}},
                             train_batch_size=192, minibatch_size=96, num_epochs=2)  # fmt: skip
    algo = config.build_algo()
    try:
        for _ in range(2):
            stats = algo.train()["learners"]["default_policy"]
            assert 0.0 < stats["vf_loss"] < 0.9 * config.vf_clip_param
        episodes = algo.env_runner.sample(num_timesteps=24, random_actions=False)
        assert sum(len(e) for e in episodes) >= 24
    finally:
        algo.stop()

"""stable-baselines3 through SuperSuit: the wrapper's spaces, truncations, and the docs' snippet."""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("supersuit")
pytest.importorskip("stable_baselines3")

from elecbay_train.supersuit import TRUNCATED_KEY, SharedSpacesEnv, make_vec_env

DOC = Path(__file__).resolve().parents[2] / "docs" / "learning_libraries.md"


def doc_snippet(name: str) -> str:
    """The python block that follows ``<!-- snippet: NAME -->`` in the libraries page."""
    text = DOC.read_text()
    match = re.search(rf"<!-- snippet: {name} -->\s*```python\n(.*?)```", text, re.S)
    assert match, f"no snippet {name!r} in {DOC.name}"
    return match.group(1)


def test_shared_spaces_pad_observations_add_the_role_and_cut_actions() -> None:
    from pettingzoo.test import parallel_api_test

    env = SharedSpacesEnv("small", max_cycles=6)
    shared = env.observation_space("producer_0")
    assert all(env.observation_space(a) is shared for a in env.possible_agents)
    assert all(env.action_space(a).shape == (14,) for a in env.possible_agents)
    obs, infos = env.reset(seed=3)
    inner = env.env.observation_space("broker_0").shape[0]
    assert env.n_features > inner
    np.testing.assert_array_equal(obs["broker_0"][inner : env.n_features], 0.0)
    np.testing.assert_array_equal(obs["broker_0"][-3:], [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(obs["producer_0"][-3:], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(obs["consumer_1"][-3:], [0.0, 1.0, 0.0])
    assert all(env.observation_space("x").contains(o) for o in obs.values())
    assert TRUNCATED_KEY not in infos["producer_0"]
    wide = {a: np.full(env.action_space(a).shape, 0.5, np.float32) for a in env.agents}
    _, rewards, terms, truncs, infos = env.step(wide)
    assert max(abs(r) for r in rewards.values()) < 50.0  # learning rewards, not currency
    assert not any(terms.values()) and not any(truncs.values())
    assert TRUNCATED_KEY not in infos["producer_0"]
    parallel_api_test(SharedSpacesEnv("small", max_cycles=6), num_cycles=10)


def test_vec_env_reports_the_end_of_the_day_as_a_truncation() -> None:
    vec = make_vec_env("small", n_copies=2, seed=0, max_cycles=4)
    assert vec.num_envs == 10
    obs = vec.reset()
    assert obs.shape == (10, 31)
    actions = np.zeros((10, 14), np.float32)
    for _ in range(3):
        _, _, dones, infos = vec.step(actions)
        assert not dones.any()
    _, _, dones, infos = vec.step(actions)
    assert dones.all()
    for info in infos:
        assert info[TRUNCATED_KEY] is True  # SB3 bootstraps instead of treating it as terminal
        assert info["terminal_observation"].shape == (31,)
        assert info["episode"]["l"] == 4  # VecMonitor: episode returns are logged
        assert math.isfinite(info["episode"]["r"])
    vec.close()


def test_seeded_vec_envs_repeat_and_later_resets_continue_the_stream() -> None:
    def two_episodes(seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Observations after the first period of two consecutive episodes."""
        vec = make_vec_env("small", seed=seed, max_cycles=2)
        vec.reset()
        zeros = np.zeros((vec.num_envs, 14), np.float32)
        a = vec.step(zeros)[0]
        vec.step(zeros)  # the episode ends: SuperSuit resets without a seed
        b = vec.step(zeros)[0]
        return a, b

    a0, b0 = two_episodes(0)
    a1, b1 = two_episodes(0)
    np.testing.assert_array_equal(a0, a1)
    np.testing.assert_array_equal(b0, b1)
    assert not np.array_equal(a0, b0)  # the second episode is not a replay of the first


def test_docs_train_and_evaluate_snippet_runs_and_the_value_function_learns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(doc_snippet("sb3-supersuit"), "sb3-supersuit", "exec"), namespace)
    with open(os.path.join("runs", "sb3_supersuit", "progress.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 4
    returns = [float(r["rollout/ep_rew_mean"]) for r in rows if r.get("rollout/ep_rew_mean")]
    assert len(returns) == len(rows) and all(math.isfinite(x) for x in returns)
    losses = [float(r["train/value_loss"]) for r in rows if r.get("train/value_loss")]
    assert losses and all(math.isfinite(x) for x in losses)
    assert max(losses) < 1e4  # raw currency rewards give ~1e11
    scores = namespace["scores"]
    assert set(scores) == {"producer_0", "producer_1", "consumer_0", "consumer_1", "broker_0"}
    assert all(math.isfinite(v["return_raw"]) for v in scores.values())
    assert Path("runs/sb3_supersuit/model.zip").is_file()

"""One network for every prosumer (issue 19, item 4): features, residual actions, pairing,
a tiny training run, and the committed results cannot drift from docs/training.md."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from elecbay_agents.registry import make_policies
from elecbay_evaluate.benchmarks import bench_shared_policy as bs
from elecbay_train.core import TrainingCore, _opponent_rows
from elecbay_train.shared_policy import (
    KINDS,
    SharedProsumerEnv,
    play_day,
    prosumer_kinds,
    shared_features,
    train_shared,
)

from elecbay_env.community import community_scenario
from elecbay_env.envs.parallel import ElecbayParallelEnv

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "results" / "shared_policy.json"
PAGE = ROOT / "docs" / "training.md"


@pytest.fixture(scope="module")
def scenario():
    return community_scenario(20, seed=3)


def test_prosumer_kinds_leave_out_the_retailer_and_broker(scenario) -> None:
    kinds = prosumer_kinds(scenario)
    assert len(kinds) == 20
    assert Counter(kinds.values()) == {"home": 8, "solar": 5, "battery": 3, "ev": 2, "heat_pump": 2}
    assert "broker_0" not in kinds


def test_features_carry_the_role_indicator_and_own_state(scenario) -> None:
    env = SharedProsumerEnv(scenario, n_markets=2, seed=0, split="train")
    obs = env.reset().reshape(2, env.n_seats, -1)
    names = shared_features(env.bid_steps)
    assert obs.shape[-1] == len(names) == env.observation_space.shape[0]
    assert np.all(np.isfinite(obs))
    onehot = obs[..., [names.index(f"kind_{k}") for k in KINDS]]
    assert np.all(onehot.sum(-1) == 1.0)
    for s, kind in enumerate(env.kinds):
        assert onehot[0, s, KINDS.index(kind)] == 1.0
        producer = obs[0, s, names.index("is_producer")]
        assert producer == (kind in ("solar", "battery"))
    soc = obs[..., names.index("own_soc")][:, [k == "battery" for k in env.kinds]]
    assert np.all((soc > 0) & (soc < 1))  # home batteries start half full


def test_residual_moves_the_rule_bid_and_zero_is_the_rule(scenario) -> None:
    env = SharedProsumerEnv(scenario, n_markets=1, seed=0, residual_scale=0.5, split="train")
    env.reset()
    rule = env._rule_actions.copy()
    assert np.array_equal(env.to_env_actions(np.zeros((1, env.n_seats, 2))), rule)
    moved = env.to_env_actions(np.full((1, env.n_seats, 2), 1.0))
    assert np.array_equal(moved[..., :2], np.clip(rule[..., :2] + 0.5, -1, 1))
    assert np.array_equal(moved[..., 2:], rule[..., 2:])  # reserve entries stay the rule's


def test_zero_residual_is_the_self_consumption_line_up(scenario) -> None:
    """Oracle: the PettingZoo env with the rules as registry policies, seed for seed."""
    env = SharedProsumerEnv(scenario, n_markets=2, seed=0, split="test")
    got = play_day(env, None, seed=11)
    kinds = prosumer_kinds(scenario)
    for e in range(2):
        pz = ElecbayParallelEnv(scenario, split="test")
        spec = {
            a: ("self_consumption" if k == "battery" else "merit_order") for a, k in kinds.items()
        }
        policies = make_policies(pz, spec, seed=0)
        obs, _ = pz.reset(seed=11 + e)
        total = dict.fromkeys(pz.possible_agents, 0.0)
        while pz.agents:
            acts = {a: policies[a].predict(obs[a], deterministic=True)[0] for a in pz.agents}
            obs, rew, *_ = pz.step(acts)
            for a, r in rew.items():
                total[a] += r
        want = np.array([total[a] for a in env.seats])
        np.testing.assert_allclose(got["profit"][e], want, rtol=1e-9, atol=1e-9)
        assert got["dates"][e] == str(pz.engine.dates[0])
    # the settlement components add up to the profit
    np.testing.assert_allclose(got["ledger"].sum(-1), got["profit"], rtol=1e-9, atol=1e-9)
    assert got["price"].shape == (2,) and np.all(np.isfinite(got["price"]))


def test_bad_arguments_name_the_field(scenario) -> None:
    with pytest.raises(ValueError, match="kinds="):
        SharedProsumerEnv(scenario, kinds=["wind"])
    with pytest.raises(ValueError, match="residual_scale="):
        SharedProsumerEnv(scenario, residual_scale=-1.0)


def test_tiny_training_run_plays_paired_days(scenario) -> None:
    model = train_shared(scenario, 48, n_markets=1, seed=0, split="train")
    env = SharedProsumerEnv(scenario, n_markets=2, seed=0, split="validation")
    rules, learned = play_day(env, None, 5), play_day(env, model, 5)
    assert rules["dates"] == learned["dates"]
    assert learned["profit"].shape == (2, 20) and np.all(np.isfinite(learned["profit"]))


def test_opponent_rows_follow_the_opponent_set(scenario) -> None:
    core = TrainingCore(scenario, ["producer_0"], 1, None, 0, None, split="train")
    rows = _opponent_rows(core)
    assert [(a, core.agents[r]) for a, r, _ in rows] == [(a, a) for a in core.opponents]
    core.opponents = {a: p for a, p in list(core.opponents.items())[:3]}
    assert [a for a, _, _ in _opponent_rows(core)] == list(core.opponents)


def test_page_block_matches_the_committed_results() -> None:
    res = json.loads(RESULTS.read_text())
    assert not res["quick"], "the committed results must come from a full run"
    assert bs.doc_block(PAGE) == bs.render(res)


def test_committed_results_are_paired_on_test_dates() -> None:
    res = json.loads(RESULTS.read_text())
    assert len(res["test_dates"]) == res["steps"]["test_days"] >= 16
    weeks = {date.fromisoformat(d).isocalendar().week % 4 for d in res["test_dates"]}
    assert weeks == {0}  # the test split: ISO weeks divisible by 4
    assert set(res["experiments"]) == set(bs.EXPERIMENTS)
    for ex in res["experiments"].values():
        assert ex["test_dates"] == res["test_dates"]
        assert ex["total"]["n"] == len(res["test_dates"])
        assert sum(v["seats"] for v in ex["by_kind"].values()) == ex["seats"]
        for p in [ex["total"], *(v["profit"] for v in ex["by_kind"].values())]:
            assert p["low"] <= p["diff"] <= p["high"]
            assert p["diff"] == pytest.approx(p["b"] - p["a"])

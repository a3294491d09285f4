"""``elecbay evaluate --backend ray``: the same episodes as the local pool; rllib:DIR seats."""

from __future__ import annotations

import json

import pytest

from .conftest import RAY_MISSING

pytest.importorskip("ray.rllib", reason=RAY_MISSING)

from elecbay_evaluate.tournament import main, run_tournament
from elecbay_train.rllib import ppo_config, save_contracts

SPEC = {
    "name": "ray_check",
    "scenarios": [{"name": "small", "overrides": {"market.days": 1}}],
    "seeds": [0, 1, 2],
    "entries": [
        {"name": "truthful", "policies": {"*": "merit_order"}},
        {"name": "zi", "policies": {"*": "zi_c"}},
    ],
}


def test_ray_tasks_give_the_local_pool_s_episodes(local_ray) -> None:
    local = run_tournament(SPEC, workers=1, progress=False)
    remote = run_tournament(SPEC, workers=2, progress=False, backend="ray")
    assert len(remote.episodes) == 6
    assert json.dumps(remote.episodes, sort_keys=True, default=str) == json.dumps(
        local.episodes, sort_keys=True, default=str
    )


def test_an_unknown_backend_is_refused(local_ray) -> None:
    from elecbay_evaluate.spec import SpecError

    with pytest.raises(SpecError, match="backend='dask'"):
        run_tournament(SPEC, workers=1, progress=False, backend="dask")


def test_an_rllib_folder_plays_a_tournament_on_ray(local_ray, tmp_path) -> None:
    env_config = {"scenario": "small", "max_cycles": 8}
    config = ppo_config(env_config, seed=0, train_batch_size=80, minibatch_size=40, num_epochs=1)
    algo = config.build_algo()
    algo.train()
    algo.save_to_path(str(tmp_path / "model" / "checkpoint"))
    algo.stop()
    save_contracts(tmp_path / "model", config.env_config)
    out = tmp_path / "out"
    argv = ["--scenario", "small", "--days", "1", "--seeds", "2", "--entry", "truthful",
            "*=merit_order", "--entry", "learned", f"producer=rllib:{tmp_path / 'model'}",
            "--backend", "ray", "--workers", "2", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    rows = (out / "results.csv").read_text().splitlines()
    assert len(rows) == 1 + 4
    assert sum("learned" in r for r in rows) == 2

"""Saved models carry their contract (:mod:`elecbay_train.transforms`).

``elecbay train`` stores the seat role, observation and action shapes and the scenario
(name and hash) in ``elecbay.json``; loading checks them: another role or other shapes
are refused naming the folder, the seat and what differs; another scenario is refused
unless ``sb3:DIR:allow_scenario_mismatch`` (a warning); a model saved without a
contract loads with a warning. Trains one tiny model (256 steps on ``small``).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from elecbay_agents.registry import make_policy
from elecbay_app.cli import RUN_FILES, main
from elecbay_train.transforms import METADATA_FILE, scenario_hash

from elecbay_env.envs.parallel import parallel_env


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from elecbay_train.train import train

    out = tmp_path_factory.mktemp("model") / "p0"
    return train(config="small", seats="producer_0", timesteps=256, n_markets=2, out=out)


def _copy(model_dir: Path, tmp_path: Path, **changes) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(model_dir, folder)
    meta = json.loads((folder / METADATA_FILE).read_text())
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    (folder / METADATA_FILE).write_text(json.dumps(meta))
    return folder


def test_the_contract_is_saved_and_fits_its_seat(model_dir: Path) -> None:
    env = parallel_env("small")
    meta = json.loads((model_dir / METADATA_FILE).read_text())
    assert meta["role"] == "producer" and meta["scenario"] == "small"
    assert meta["obs_shape"] == list(env.observation_space("producer_0").shape)
    assert meta["action_shape"] == list(env.action_space("producer_0").shape)
    assert meta["scenario_hash"] == scenario_hash(env.scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        policy = make_policy(f"sb3:{model_dir}", env, "producer_0")
        # the hash ignores the episode length: a longer run is the same market
        make_policy(f"sb3:{model_dir}", parallel_env("small", **{"market.days": 2}), "producer_0")
    obs, _ = env.reset(seed=0)
    action, _ = policy.predict(obs["producer_0"])
    assert action.shape == env.action_space("producer_0").shape and np.all(np.isfinite(action))


@pytest.mark.parametrize(
    "seat, needle",
    [
        ("consumer_0", "trained as a producer, but consumer_0 is a consumer"),
        ("broker_0", "trained as a producer, but broker_0"),
    ],
)
def test_a_model_in_the_wrong_seat_is_refused(model_dir: Path, seat: str, needle: str) -> None:
    with pytest.raises(ValueError) as info:
        make_policy(f"sb3:{model_dir}", parallel_env("small"), seat)
    text = str(info.value)
    assert str(model_dir) in text and f"seat {seat}" in text and needle in text


def test_other_shapes_are_refused(model_dir: Path, tmp_path: Path) -> None:
    folder = _copy(model_dir, tmp_path, obs_shape=[27])
    with pytest.raises(ValueError, match=r"observation shape \(27,\) saved, but the seat has "
                       r"\(28,\)"):  # fmt: skip
        make_policy(f"sb3:{folder}", parallel_env("small"), "producer_0")


def test_another_scenario_is_refused_unless_allowed(model_dir: Path) -> None:
    env = parallel_env("small", **{"market.price_cap_per_mwh": 3000.0})
    with pytest.raises(ValueError, match=r"trained on scenario 'small'.*allow_scenario_mismatch"):
        make_policy(f"sb3:{model_dir}", env, "producer_0")
    with pytest.warns(UserWarning, match="playing it anyway"):
        policy = make_policy(f"sb3:{model_dir}:allow_scenario_mismatch", env, "producer_0")
    assert hasattr(policy, "predict")


def test_a_model_without_a_contract_loads_with_a_warning(model_dir: Path, tmp_path: Path):
    folder = _copy(model_dir, tmp_path, obs_shape=None, action_shape=None, scenario=None,
                   scenario_hash=None)  # fmt: skip
    with pytest.warns(UserWarning, match="saved without a contract"):
        policy = make_policy(f"sb3:{folder}", parallel_env("small"), "producer_0")
    assert hasattr(policy, "predict")
    with pytest.raises(ValueError, match="trained as a producer"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make_policy(f"sb3:{folder}", parallel_env("small"), "consumer_0")


def test_run_plays_a_trained_model_and_refuses_a_wrong_seat(model_dir, tmp_path, capsys):
    base = ["run", "--config", "small", "--days", "1", "--no-progress"]
    out = tmp_path / "out"
    assert main([*base, "--out", str(out), "--policy", f"producer_0=sb3:{model_dir}"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
    summary = json.loads((out / "summary.json").read_text())
    assert "TrainedPolicy" in summary["policies"]["producer_0"]
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "o2"), "--policy",
                 f"consumer_0=sb3:{model_dir}"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "--policy" in err and "trained as a producer" in err

"""Training you can watch: the progress bar of ``elecbay train`` and the first-run notice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from elecbay_train.progress import format_postfix, planned_steps

from elecbay_env import period


def test_postfix_shows_mean_reward_and_price() -> None:
    assert format_postfix([], []) == {"reward": "-", "price": "-"}
    assert format_postfix([1.0, 3.0], [50.0, float("nan"), 60.0]) == {
        "reward": "2",
        "price": "55.00",
    }


def test_planned_steps_counts_whole_rollouts() -> None:
    assert planned_steps(SimpleNamespace(n_steps=8, n_envs=4), 100) == 128
    assert planned_steps(SimpleNamespace(n_steps=8, n_envs=4), 64) == 64
    assert planned_steps(SimpleNamespace(), 100) == 100  # off-policy: as asked


def test_compile_notice_only_when_the_cache_is_cold(monkeypatch, capsys) -> None:
    monkeypatch.setattr(period, "kernels_cached", lambda n=1: False)
    assert period.announce_compile(1)
    assert capsys.readouterr().err == period.COMPILE_MESSAGE + "\n"
    for state in (True, None):  # warm, or cannot tell: nothing
        monkeypatch.setattr(period, "kernels_cached", lambda n=1, s=state: s)
        assert not period.announce_compile(1, 16)
    assert capsys.readouterr().err == ""


def test_cache_state_is_read_without_compiling() -> None:
    from elecbay_env.kernels import _jit

    assert period.kernels_cached(1) in (True, False, None)
    assert _jit.is_cached(object()) is None  # not a cached dispatcher: cannot tell


def test_train_draws_a_bar_with_reward_price_and_rate(tmp_path, capsys) -> None:
    pytest.importorskip("stable_baselines3")
    from elecbay_train.train import train

    train("small", "producer_0", timesteps=32, n_markets=2, out=tmp_path,
          algo_kwargs={"n_steps": 8, "batch_size": 16}, overrides={"market.days": 1},
          progress=True)  # fmt: skip
    err = capsys.readouterr().err.replace("\r", "\n")
    last = [line for line in err.splitlines() if line.startswith("training")][-1]
    assert "100%" in last and "step/s" in last
    assert "reward=" in last and "price=" in last
    train("small", "producer_0", timesteps=16, n_markets=2, out=tmp_path / "quiet",
          algo_kwargs={"n_steps": 8, "batch_size": 16}, overrides={"market.days": 1})  # fmt: skip
    assert "training" not in capsys.readouterr().err

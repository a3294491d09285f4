"""``elecbay train --backend rllib`` refuses what it cannot take before anything starts
(no Ray needed), and ``--backend sb3`` (the default) is elecbay's trainer unchanged."""

from __future__ import annotations

import pytest
from elecbay_app.cli import build_parser, main


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--num-env-runners", "-1"], "--num-env-runners -1: must be at least 0"),
        (["--envs-per-runner", "0"], "--envs-per-runner 0: must be at least 1"),
        (["--algo", "sac"], "--algo sac: --backend rllib trains PPO only"),
        (["--role", "producer"], "--role: not with --backend rllib"),
        (["--learners", "producer,broker"], "--learners: not with --backend rllib"),
        (["--opponents", "producer=markup:0.2"], "--opponents: not with --backend rllib"),
    ],
)
def test_rllib_backend_refuses_options_it_cannot_take(tmp_path, capsys, argv, message) -> None:
    out = tmp_path / "out"
    assert main(["train", "--backend", "rllib", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_backend_defaults_to_elecbay_s_trainer() -> None:
    args = build_parser().parse_args(["train", "--timesteps", "5"])
    assert args.backend == "sb3" and args.address is None
    assert (args.num_env_runners, args.envs_per_runner) == (0, 1)


def test_evaluate_has_a_ray_backend_option() -> None:
    args = build_parser().parse_args(["evaluate", "--backend", "ray", "--address", "h:6379"])
    assert (args.backend, args.address) == ("ray", "h:6379")
    assert build_parser().parse_args(["evaluate"]).backend == "local"

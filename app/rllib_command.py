"""``elecbay train --backend rllib``: train every role with Ray RLlib (PPO, one module per role).

The ``train`` subcommand's arguments are :func:`elecbay_train.train.build_parser`'s plus
the group below; ``--backend sb3`` (the default) runs elecbay's own trainer unchanged.
With ``--backend rllib`` every role of the scenario learns at once (one module per
role, parameter sharing inside a role; :mod:`elecbay_train.rllib`), sampling on
``--num-env-runners`` Ray processes that each step ``--envs-per-runner`` markets, on
this machine's Ray or on a running cluster (``--address``). The output folder replays
as ``rllib:DIR`` in ``elecbay evaluate`` and ``elecbay run``. It needs ``ray[rllib]``,
installed in its own virtual environment (``docs/learning_libraries.md``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

BATCH_AGENT_STEPS = 384
"""Agent-steps per RLlib iteration (``train_batch_size_per_learner``)."""


def add_train_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``elecbay train``'s arguments and the backend group."""
    from elecbay_train import train as training

    training.build_parser(parser)
    group = parser.add_argument_group("Ray RLlib (--backend rllib)")
    group.add_argument("--backend", choices=["sb3", "rllib"], default="sb3",
                       help="sb3: elecbay's trainer on the vectorised core; rllib: Ray "
                       "RLlib PPO, one module per role, every role learning "
                       "(default: %(default)s)")  # fmt: skip
    group.add_argument("--address", default=None, metavar="ADDR",
                       help="a running Ray cluster, e.g. ray://head:10001 (default: start a "
                       "local Ray on 127.0.0.1)")  # fmt: skip
    group.add_argument("--num-env-runners", type=int, default=0, metavar="N",
                       help="Ray sampling processes, >= 0; 0 samples in this process "
                       "(default: %(default)s)")  # fmt: skip
    group.add_argument(
        "--envs-per-runner",
        type=int,
        default=1,
        metavar="K",
        help="markets each sampling process steps, >= 1 (default: %(default)s)",
    )
    return parser


def run_train(args: argparse.Namespace) -> int:
    """``elecbay train``: the chosen backend; the exit code."""
    if getattr(args, "backend", "sb3") != "rllib":
        from elecbay_train import train as training

        return training.main(args=args)
    problem = _check(args)
    if problem:
        print(f"elecbay train: error: {problem}", file=sys.stderr)
        return 2
    from elecbay_env.outputs import OutputError, SafeOutput

    default = Path("runs") / f"train-rllib-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        target = SafeOutput.claim(args.out, default, overwrite=getattr(args, "overwrite", False))
    except OutputError as exc:
        print(f"elecbay train: error: {exc}", file=sys.stderr)
        return 2
    try:
        from elecbay_train.rllib import train_rllib
    except ImportError as exc:
        target.abort()
        print(f"elecbay train: error: --backend rllib needs ray[rllib] ({exc}); install it in "
              "its own venv: ELECBAY_VENV=.venv-rllib source scripts/venv.sh rllib",
              file=sys.stderr)  # fmt: skip
        return 2
    iterations = max(1, math.ceil(args.timesteps / BATCH_AGENT_STEPS))
    try:
        result = train_rllib(
            target.work, iterations, env_config(args), args.seed, args.num_env_runners,
            args.envs_per_runner, args.address, train_batch_size=BATCH_AGENT_STEPS,
        )  # fmt: skip
    except BaseException:
        target.abort()
        raise
    final = target.commit()
    for i, modules in enumerate(result["iterations"], start=1):
        if args.verbose or i == len(result["iterations"]):
            text = ", ".join(f"{m} return {s['return_mean']:.3g} vf_loss {s['vf_loss']:.3g}"
                             for m, s in modules.items())  # fmt: skip
            print(f"iteration {i}/{iterations}: {text}")
    print(f"saved in {final} (load every seat as rllib:{final})")
    return 0


def env_config(args: argparse.Namespace) -> dict[str, Any]:
    """The RLlib env's config from ``elecbay train`` options."""
    overrides: dict[str, Any] = {}
    if args.days is not None:
        overrides["market.days"] = args.days
    if args.split is not None:
        overrides["data.split"] = args.split
    return {
        "scenario": args.config or "default",
        "reward_mode": args.reward_mode or "learning",
        "scale_obs": not args.no_scale_obs,
        "price_range": tuple(args.price_range),
        "torch_threads": args.torch_threads,
        "overrides": overrides,
    }


def _check(args: argparse.Namespace) -> str | None:
    """The first option --backend rllib cannot take, as a message; None if all fit."""
    if args.num_env_runners < 0:
        return f"--num-env-runners {args.num_env_runners}: must be at least 0"
    if args.envs_per_runner < 1:
        return f"--envs-per-runner {args.envs_per_runner}: must be at least 1"
    if args.algo != "ppo":
        return f"--algo {args.algo}: --backend rllib trains PPO only"
    for flag, value in (("--agent", args.agent), ("--role", args.role),
                        ("--learners", args.learners), ("--opponents", args.opponents),
                        ("--checkpoint-every", args.checkpoint_every or None)):  # fmt: skip
        if value:
            return f"{flag}: not with --backend rllib (every role learns, one module each)"
    return None

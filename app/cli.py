"""The ``elecbay`` command: ``elecbay run`` (the main job) and ``elecbay clear [BOOK]``.

``elecbay run`` plays a scenario (default: the shipped ``default``) for ``--days`` days
with the baseline policies -- truthful merit order for producers and consumers
(:class:`elecbay_agents.merit_order.MeritOrderPolicy`) and the rule-based broker
(:class:`elecbay_agents.rule_based_broker.RuleBasedBroker`) -- shows a progress bar
over settlement periods, prints a summary table and writes the ledger, the meter
reads, a summary and a plot into an output folder (``docs/main_command.md``;
:mod:`elecbay_app.run_command` holds its options, :mod:`elecbay_app.episode` the episode).

``elecbay run --policy AGENT=SPEC`` plays chosen agents with other policies (any spec
of :mod:`elecbay_agents.registry`, trained models and import paths included); the
output folder is claimed and filled safely (:mod:`elecbay_env.outputs`).

``elecbay policies`` lists the built-in policy names, one line each.

``elecbay clear [BOOK]`` clears one order book given as YAML or CSV (default: the
embedded demonstration book ``configs/demo_book.yaml``), prints every order's fill and
the surplus, and with ``--plot`` draws the curves (:mod:`elecbay_app.clear_command`).

``elecbay cda [ORDERS]`` replays orders through the continuous double auction and prints
the trades (:mod:`elecbay_app.cda_command`, ``docs/cda.md``).

``elecbay --version`` prints the package version.

``elecbay classroom zi|withholding|reserve|curtailment`` runs one of the classroom experiments of
:mod:`elecbay_evaluate.classroom` (``docs/classroom.md``).

``elecbay evaluate SPEC.yaml`` plays a tournament of policy line-ups over scenarios and
seeds (:mod:`elecbay_evaluate.tournament`, ``docs/evaluator.md``).

``elecbay train`` trains a stable-baselines3 learner on the vectorised core
(:mod:`elecbay_train.train`, ``docs/training.md``).

Bad options print one line ``elecbay <command>: error: ...`` and exit with code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from elecbay_env.errors import UsageError

from . import run_command
from .episode import (
    DEFAULT_DAYS,
    DEFAULT_SEED,
    RUN_FILES,
    Episode,
    build_env,
    format_summary,
    plot_market,
    simulate,
    summarise,
    write_outputs,
)
from .run_command import RUN_HELP

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_SEED",
    "RUN_FILES",
    "RUN_HELP",
    "Episode",
    "build_env",
    "build_parser",
    "format_summary",
    "main",
    "plot_market",
    "simulate",
    "summarise",
    "write_outputs",
]


def _cmd_policies(args: argparse.Namespace) -> int:
    from elecbay_agents.registry import policy_lines

    print("policy specs (NAME[:ARGS]); docs/policies.md has the details")
    for line in policy_lines():
        print(f"  {line}")
    print("your own: MODULE:NAME[:ARGS] or path/to/file.py:NAME[:ARGS] (a class or function "
          "f(env, agent, *args) returning a policy, or a policy instance)")  # fmt: skip
    return 0


# --------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """Errors in one line (``elecbay run: error: ...``) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``elecbay`` command."""
    parser = _Parser(
        prog="elecbay", description="elecbay: a multi-agent electricity-market environment."
    )
    from elecbay_env import __version__

    parser.add_argument("--version", action="version", version=f"elecbay {__version__}")
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="{run,clear,cda,policies,classroom,evaluate,train,serve,agent}",
    )
    run = sub.add_parser(
        "run", help="the main job: play a scenario with the baseline policies",
        description=run_command.RUN_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    run_command.add_arguments(run)
    run.set_defaults(func=run_command.run_command)
    pol_help = "list the built-in policy names, one line each (docs/policies.md)"
    pol = sub.add_parser("policies", help=pol_help, description=pol_help)
    pol.set_defaults(func=_cmd_policies)
    from . import cda_command, clear_command, live_command

    for name, helptext, description, add_arguments, run in (
        ("clear", "clear one order book (YAML or CSV): fills, surplus, --plot",
         clear_command.CLEAR_HELP, clear_command.add_arguments, clear_command.run_command),
        ("cda", "replay orders through the continuous double auction, print the trades",
         cda_command.CDA_HELP, cda_command.add_arguments, cda_command.run_command),
    ):  # fmt: skip
        sp = sub.add_parser(name, help=helptext, description=description,
                            formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
        add_arguments(sp)
        sp.set_defaults(func=run)
    from elecbay_evaluate import tournament
    from elecbay_train import train as training

    from . import classroom_command, rllib_command

    # subcommands whose modules own their arguments: (name, help, description, add, run)
    plugins = (
        ("classroom", "classroom experiments: zi, withholding, reserve, curtailment; serve",
         classroom_command.CLASSROOM_HELP, classroom_command.add_arguments,
         classroom_command.run_command),
        ("evaluate", "play a tournament of policies over seeds and report metrics",
         tournament.EVALUATE_HELP, tournament.add_arguments, tournament.main),
        ("train", "train a stable-baselines3 learner on the vectorised core",
         training.__doc__, rllib_command.add_train_arguments, rllib_command.run_train),
    )  # fmt: skip
    for name, helptext, description, add_arguments, run in plugins + live_command.COMMANDS:
        sp = sub.add_parser(name, help=helptext, description=description,
                            formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
        add_arguments(sp)
        sp.set_defaults(func=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``elecbay`` console script; returns the exit code.

    0 on success; 2 for a bad option, with one line on stderr naming it.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a parse error (2, already printed)
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"elecbay {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `elecbay run | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # `python -m elecbay_app.cli`; `python -m elecbay_app` also works
    sys.exit(main())

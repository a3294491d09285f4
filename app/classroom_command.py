"""``elecbay classroom``: the batch experiments (:mod:`elecbay_evaluate.classroom`) and
``elecbay classroom serve``, the live class in the browser (:mod:`elecbay_classroom`)."""

from __future__ import annotations

import argparse

from elecbay_classroom.command import SERVE_OPTIONS, add_serve_arguments, serve
from elecbay_evaluate import classroom

CLASSROOM_HELP = classroom.CLASSROOM_HELP.replace(
    "\n\nPrints a table",
    "\n  serve        a live class in the browser: students join with a code and trade\n"
    "               against each other and bots (docs/classroom.md)\n\nPrints a table",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The batch experiments' options, ``serve`` among the experiments, and its options."""
    classroom.add_arguments(parser)
    for action in parser._actions:
        if action.dest == "experiment" and action.choices:
            action.choices = (*action.choices, "serve")
    add_serve_arguments(parser)


def run_command(args: argparse.Namespace) -> int:
    """``serve`` starts the live class; anything else runs a batch experiment."""
    if args.experiment == "serve":
        return serve(args)
    from elecbay_env.errors import UsageError

    for key in SERVE_OPTIONS:
        if getattr(args, key, None) is not None:
            name = "experiment" if key == "class_experiment" else key.replace("_", "-")
            raise UsageError(f"--{name}: applies to 'serve' only")
    return classroom.run_command(args)

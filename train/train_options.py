"""``elecbay train``'s options: its help text, the parser and the checks of whole numbers.

:func:`build_parser` adds every flag of ``elecbay train`` (each help line shows its
default) to a new parser or to the subcommand's parser of ``elecbay``; the training
itself is :func:`elecbay_train.train.train`.
"""

from __future__ import annotations

import argparse
from typing import Any

from elecbay_env.splits import SPLITS

from .transforms import ALGORITHMS, DEFAULT_PRICE_RANGE

TRAIN_HELP = """\
Train a stable-baselines3 learner on the vectorised core (needs the training extra:
pip install 'elecbay[train]').

The learner sits in one seat (--agent producer_2) or shares one network across every
agent of a role (--role producer); everyone else plays --opponents (default: the
baseline). Observations are scaled from their documented bounds to [-1, 1]; rewards
are normalised while training (VecNormalize); the learner's prices span --price-range.

Writes into --out: model.zip and elecbay.json (the model's contract: seat role,
observation and action shapes, scenario name and hash; load it as sb3:DIR in
'elecbay evaluate' or 'elecbay run --policy'), progress.csv, checkpoints/,
train_config.json. Details: docs/training.md."""


def _at_least(low: int) -> Any:
    """An argparse type: a whole number >= ``low`` (argparse names the flag)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    parse.__name__ = f"whole number >= {low}"
    return parse


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Arguments of ``elecbay train``; every help line shows its default."""
    p = parser or argparse.ArgumentParser(
        prog="elecbay train", description=TRAIN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    if parser is not None:
        p.description = TRAIN_HELP
    p.add_argument("--config", default=None, help="scenario name or YAML path (default: default)")
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--agent",
        action="append",
        help="learner seat(s), e.g. producer_2, repeatable (default: producer_0)",
    )
    who.add_argument(
        "--role",
        choices=["producer", "consumer", "broker", "all"],
        help="share one network across every agent of a role; 'all': every role learns "
        "together, as --learners producer,consumer,broker (default: none)",
    )
    who.add_argument(
        "--learners",
        default=None,
        metavar="ROLES",
        help="roles that learn together, one PPO model per role on one core, with "
        "self-play: e.g. producer,consumer,broker (default: none)",
    )
    p.add_argument("--opponents", default=None,
                   help="policies of the others: 'producer=markup:0.2;broker=rule_based_broker'"
                        " or a YAML file (default: the baseline)")  # fmt: skip
    p.add_argument(
        "--algo",
        default="ppo",
        choices=ALGORITHMS,
        help="stable-baselines3 algorithm (default: %(default)s)",
    )
    p.add_argument(
        "--timesteps",
        type=_at_least(1),
        default=100_000,
        metavar="N",
        help="environment steps, >= 1 (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=_at_least(0),
        default=0,
        metavar="S",
        help="seed of the markets and the algorithm, >= 0 (default: %(default)s)",
    )
    p.add_argument(
        "--n-markets",
        type=_at_least(1),
        default=16,
        metavar="E",
        help="markets stepped at once, >= 1 (default: %(default)s)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder, created if missing; must be empty unless --overwrite; "
        "written only when training ends (default: a new runs/train-<timestamp>[-N])",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a non-empty --out once training has finished (default: refuse)",
    )
    p.add_argument(
        "--price-range",
        type=float,
        nargs=2,
        default=DEFAULT_PRICE_RANGE,
        metavar=("LO", "HI"),
        help="learner's price range, per MWh (default: 0 500)",
    )
    p.add_argument(
        "--no-scale-obs",
        action="store_true",
        help="feed raw observations (default: scaled to [-1, 1])",
    )
    p.add_argument(
        "--no-norm-reward",
        action="store_true",
        help="raw rewards (default: normalised by VecNormalize)",
    )
    p.add_argument(
        "--checkpoint-every",
        type=_at_least(0),
        default=0,
        metavar="N",
        help="steps between checkpoints, >= 0; 0: none (default: %(default)s)",
    )
    p.add_argument(
        "--days",
        type=_at_least(1),
        default=None,
        metavar="N",
        help="override market.days, >= 1 (default: the scenario's)",
    )
    p.add_argument("--split", default=None, choices=SPLITS, metavar="SPLIT",
                   help="real-data scenarios (gb2024): the split episodes' dates come from "
                   "(default: the scenario's data.split, train)")  # fmt: skip
    p.add_argument(
        "--torch-threads",
        type=_at_least(1),
        default=1,
        metavar="N",
        help="torch CPU threads, >= 1 (default: %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (default: a bar on stderr)")  # fmt: skip
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="stable-baselines3 verbosity, repeatable (default: quiet)",
    )
    p.add_argument(
        "--reward-mode",
        default=None,
        choices=["raw", "learning"],
        help="raw currency rewards (normalised by VecNormalize) or learning rewards "
        "(elecbay_env.rewards) (default: raw for one learner, learning for --learners)",
    )
    roles = p.add_argument_group("roles learning together (--learners, --role all)")
    roles.add_argument(
        "--snapshot-every",
        type=_at_least(1),
        default=5,
        metavar="K",
        help="updates between snapshots of each role's policy into its pool, >= 1 "
        "(default: %(default)s)",
    )
    roles.add_argument(
        "--pool-prob",
        type=float,
        default=0.5,
        metavar="P",
        help="probability that a role is played by a past snapshot in a market for an "
        "episode, 0 to 1 (default: %(default)s)",
    )
    roles.add_argument(
        "--pool-size",
        type=_at_least(1),
        default=10,
        metavar="N",
        help="snapshots kept per role, >= 1 (default: %(default)s)",
    )
    roles.add_argument(
        "--metrics-every",
        type=_at_least(1),
        default=4,
        metavar="N",
        help="periods between market-power samples (HHI, markup) of market 0, >= 1 "
        "(default: %(default)s)",
    )
    return p

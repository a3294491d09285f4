"""What the teacher chooses for a live class: the experiment, periods, bots, limits.

:class:`SessionConfig` checks every option (a :class:`SessionError` names the field and
its allowed range); :func:`make_schedule` gives each experiment's cards and mechanism;
:func:`parse_bots` reads ``--bots``; :class:`Bucket` is the per-student rate limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from elecbay_classroom.bots import BOT_KINDS, Bot
from elecbay_classroom.schedules import (
    Schedule,
    electricity_cards,
    gode_sunder_market1,
    smith_1962_test1,
)

EXPERIMENTS = ("smith", "gode_sunder", "call", "electricity", "electricity_call", "withholding")
"""``smith`` and ``gode_sunder``: CDA with the shipped schedules; ``call``: the Smith
schedule in a call auction; ``electricity``: settlement periods of the environment on the
``small`` or ``default`` scenario (:mod:`elecbay_classroom.grid_session`);
``electricity_call``: a call auction of the ``small`` scenario's generators and loads as
role cards; ``withholding``: the ``default`` scenario with its largest CCGT
played by a markup bot that withholds capacity (or by a student)."""

NAME_MAX = 24
RATE = 5.0  # orders per second per student, sustained
BURST = 10.0  # orders a student may send at once


class SessionError(ValueError):
    """A request the session refuses; ``field`` names the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def make_schedule(experiment: str) -> tuple[Schedule, str]:
    """The schedule and mechanism of an experiment of :data:`EXPERIMENTS`."""
    if experiment == "smith":
        return smith_1962_test1(), "cda"
    if experiment == "gode_sunder":
        return gode_sunder_market1(), "cda"
    if experiment == "call":
        return smith_1962_test1(), "call"
    if experiment in ("electricity", "electricity_call"):
        return electricity_cards("small"), "call"
    if experiment == "withholding":
        return electricity_cards("default"), "call"
    raise SessionError("experiment", f"{experiment!r}: allowed values are {EXPERIMENTS}")


def withholding_seat(schedule: Schedule) -> tuple[int, Bot]:
    """The strategic producer of ``elecbay classroom withholding``
    (:data:`elecbay_evaluate.classroom.withholding.WITHHOLD_AGENT`, the ``default``
    scenario's 600 MW CCGT) and its bot: a markup of 50 % and 40 % of its blocks withheld
    (the middle of that experiment's grid, ``MARKUPS`` x ``WITHHOLDS``)."""
    from elecbay_evaluate.classroom.withholding import MARKUPS, WITHHOLD_AGENT, WITHHOLDS

    from elecbay_env import load_scenario

    row = int(WITHHOLD_AGENT.rpartition("_")[2])
    name = load_scenario("default").producers[row].name
    seat = next(i for i, c in enumerate(schedule.cards) if c.label == name)
    return seat, Bot("markup", MARKUPS[2], WITHHOLDS[2])


@dataclass
class Bucket:
    """A token bucket: ``rate`` per second, at most ``burst`` at once."""

    rate: float
    burst: float
    level: float = 0.0
    at: float = 0.0

    def take(self, now: float) -> bool:
        self.level = min(self.burst, self.level + (now - self.at) * self.rate)
        self.at = now
        if self.level < 1.0:
            return False
        self.level -= 1.0
        return True


@dataclass
class SessionConfig:
    """What the teacher chose (``elecbay classroom serve`` options)."""

    experiment: str = "smith"
    periods: int = 5
    period_seconds: float = 180.0
    bots: str = ""  # "zi-c" (fills every free seat), "zi-c:4", "markup:2" ...
    seed: int = 0
    allow_loss: bool = False
    bot_interval: float = 0.5  # seconds between two bot orders (CDA)
    scenario: str = "small"  # the electricity experiment's scenario: small or default

    def __post_init__(self) -> None:
        if self.experiment not in EXPERIMENTS:
            raise SessionError("experiment", f"{self.experiment!r}: allowed values are "
                                             f"{', '.join(EXPERIMENTS)}")  # fmt: skip
        if not 1 <= self.periods <= 100:
            raise SessionError("periods", f"{self.periods}: allowed range is 1..100")
        if not (math.isfinite(self.period_seconds) and 5 <= self.period_seconds <= 3600):
            text = f"{self.period_seconds}: allowed range is 5..3600 seconds"
            raise SessionError("period_seconds", text)
        if not (math.isfinite(self.bot_interval) and 0.0 <= self.bot_interval <= 60):
            raise SessionError("bot_interval", f"{self.bot_interval}: allowed range is 0..60 s")
        if self.scenario not in ("small", "default"):
            raise SessionError("scenario", f"{self.scenario!r}: allowed values are small, default")


def parse_bots(text: str) -> list[tuple[str, int | None]]:
    """``"zi-c:4,merit"`` -> ``[("zi-c", 4), ("merit", None)]`` (None: every free seat)."""
    out: list[tuple[str, int | None]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        kind, _, n = part.partition(":")
        if kind not in BOT_KINDS:
            raise SessionError("bots", f"{kind!r}: allowed kinds are {', '.join(BOT_KINDS)}")
        if n and not (n.isdigit() and int(n) >= 1):
            raise SessionError("bots", f"{part!r}: the count after ':' must be a whole number >= 1")
        out.append((kind, int(n) if n else None))
    return out

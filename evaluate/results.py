"""What a tournament produced: :class:`TournamentResult`.

:mod:`elecbay_evaluate.tournament` makes it (and re-exports it); the reports
(:mod:`elecbay_evaluate.report`, :mod:`elecbay_evaluate.protocol_report`) read it. It
lives here so that the reports need not import the tournament that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .spec import TournamentSpec

__all__ = ["TournamentResult"]


@dataclass
class TournamentResult:
    """Everything a tournament produced (see :func:`write_outputs` for the files)."""

    spec: TournamentSpec
    episodes: list[dict[str, Any]]  # one per episode, sorted by (scenario, entry, seed)
    markets: list[dict[str, Any]]  # per (scenario, entry): {metric: describe(...)}
    agents: list[dict[str, Any]]  # rows of agents.csv
    notes: list[str] = field(default_factory=list)
    paired: list[dict[str, Any]] = field(default_factory=list)  # paired_differences.csv
    aggregates: list[dict[str, Any]] = field(default_factory=list)  # aggregates.csv
    profiles: list[dict[str, Any]] = field(default_factory=list)  # performance_profile.csv
    workers: int = 1
    elapsed_s: float = 0.0

"""What ``elecbay serve`` runs: :class:`ServeConfig` (checked before anything starts)."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import messages as m
from .settle_reads import DEFAULT_TOLERANCE_MWH


@dataclass
class ServeConfig:
    """What ``elecbay serve`` runs.

    Attributes:
        scenario: a shipped scenario name or a YAML path.
        days: days in the episode (>= 1).
        seed: the market's seed (>= 0); house policies are seeded from it too.
        lockstep: close each gate when every registered seat has ordered.
        speed: with ``lockstep`` False, market minutes per wall minute (1800: a
            30-minute period per second).
        expect: agents to wait for before the first gate opens.
        register_timeout_s: the longest wait for them (seconds); then trading starts.
        order_timeout_s: lockstep: the longest wait for a silent seat (seconds).
        meter_timeout_s: the longest wait for meter reads after clearing (seconds).
        meter_tolerance_mwh: a read further than this from the check metering (MWh per
            interval) is flagged ``disputed`` (:mod:`.settle_reads`).
        house: policy specs for seats no agent plays (agent id / role / ``*`` -> spec).
        max_bytes: largest message read (bytes).
        registration_window_s: seconds before the market opens during which entrants
            register new assets (:mod:`.assets`); 0: no window. It closes early once
            every entrant slot holds an accepted asset.
        entrants: entrant slots (MQTT users ``entrant_0`` ..), the most assets accepted.
    """

    scenario: str = "small"
    days: int = 1
    seed: int = 0
    lockstep: bool = True
    speed: float = 1800.0
    expect: int = 0
    register_timeout_s: float = 60.0
    order_timeout_s: float = 30.0
    meter_timeout_s: float = 5.0
    meter_tolerance_mwh: float = DEFAULT_TOLERANCE_MWH
    house: dict[str, str] = field(default_factory=dict)
    max_bytes: int = m.MAX_BYTES
    registration_window_s: float = 0.0
    entrants: int = 0

    def check(self) -> None:
        """Raises ValueError naming a field out of range."""
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
            raise ValueError(f"days={self.days!r}: allowed values are integers >= 1")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r}: allowed values are integers >= 0")
        if not self.speed > 0:
            raise ValueError(f"speed={self.speed!r}: allowed values are numbers > 0")
        for name in ("register_timeout_s", "order_timeout_s", "meter_timeout_s",
                     "meter_tolerance_mwh", "registration_window_s"):  # fmt: skip
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name}={getattr(self, name)!r}: allowed values are >= 0")
        if self.expect < 0:
            raise ValueError(f"expect={self.expect!r}: allowed values are integers >= 0")
        if isinstance(self.entrants, bool) or not isinstance(self.entrants, int) or not (
                0 <= self.entrants <= 1000):  # fmt: skip
            raise ValueError(f"entrants={self.entrants!r}: allowed values are integers "
                             "0 .. 1000")  # fmt: skip

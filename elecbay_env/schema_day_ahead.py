"""The scenario schema of the optional day-ahead market: :class:`DayAhead`.

``market.day_ahead`` absent or ``null`` (the default) keeps the single-settlement market:
the per-period auction is the only forward market. When present, a day-ahead auction at
the daily gate clears every period of the next day at once and the per-period auction
trades deviations from the day-ahead positions (two settlements; docs/day_ahead.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DayAhead(BaseModel):
    """The day-ahead auction: its gate closure in the day and how curves spread over it."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )

    gate_hour: int = Field(11, ge=0, le=23)
    """Hour of the day (0-23, episode clock) whose period is the gate: the action of that
    period is a day-ahead curve for every period of the next day. GB's day-ahead auctions
    close at 11:00 UK time (EPEX and N2EX at 12:00 CET)."""
    shape: bool = True
    """True: each period's day-ahead quantity of a wind, solar or consumer row is the
    curve's quantity times the row's forecast for that period over its mean over the
    day (a curve for an average period); False: the same curve in every period."""

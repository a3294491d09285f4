"""Registration and pre-qualification of participants (MECHANISMS.md section 7).

Each participant's **registration** is its technical data as the scenario states it
(:class:`Registration`): capability for services (MW), ramp (MW per minute; ``inf``
for units the model does not ramp-limit), minimum stable output (MW), minimum run
(periods), metering interval (minutes), connection date, zone and the constraints it
sits behind (the last two empty where the scenario has none).

**Pre-qualification** (``market.prequalification``, :class:`~elecbay_env.schema.
Prequalification`) sets per service (``reserve``, ``flexibility``,
``curtailment_trading``) the rules a registration must meet: a smallest capability
(``min_mw``), a coarsest meter interval (``max_meter_interval_min``) and a slowest ramp
(``min_ramp_mw_per_min``). :func:`prequalify` answers, per participant, whether it
qualifies and why not. The engine applies it to reserve offers: an unqualified offer is
dropped before procurement, with the reason in the agent's info and a zero-amount
statement line (:mod:`elecbay_env.participation`).

Capability for a service (MW): thermal, wind and solar ``capacity_mw``, storage
``power_mw``, a consumer its flexible load ``flexible_frac x peak_mw``.

This module reads scenarios by their attributes and imports no schema module, so the
schema's validator can call :func:`warn_never_qualify`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

SERVICES = ("reserve", "flexibility", "curtailment_trading")
"""Services with pre-qualification rules."""


@dataclass(frozen=True)
class Registration:
    """One participant's registered technical data."""

    agent: str  # agent id, e.g. "producer_0"
    name: str  # the scenario's participant name
    kind: str  # thermal, wind, solar, storage or consumer
    capability_mw: float  # MW it can offer to a service (see the module docstring)
    ramp_mw_per_min: float  # MW per minute; inf where the model has no ramp limit
    min_stable_mw: float  # MW; 0 where none
    min_run_periods: int  # periods; 1 where none
    meter_interval_min: int  # minutes between meter reads
    connection_date: str | None  # ISO date, where the scenario gives one
    zone: int  # price zone
    constraints: tuple[str, ...]  # names of the constraints it sits behind


class Qualification(NamedTuple):
    """Whether a registration qualifies for a service, and why not (``""`` when it does)."""

    qualified: bool
    reason: str


def _scenario(scenario_or_params: Any) -> Any:
    """The scenario behind an engine, env, scenario name, path or dict."""
    for attr in ("scenario", "engine"):
        inner = getattr(scenario_or_params, attr, None)
        if inner is not None:
            return _scenario(inner)
    if hasattr(scenario_or_params, "producers"):
        return scenario_or_params
    raise TypeError(
        f"scenario_or_params: expected a Scenario (elecbay_env.load_scenario), an Engine "
        f"or an env, got {type(scenario_or_params).__name__}"
    )


def _constraints_of(scenario: Any, name: str) -> tuple[str, ...]:
    """Names of the distribution constraints ``name`` sits behind at the episode's start
    (``Scenario.distribution_constraints``; network events may move it later)."""
    found = getattr(scenario, "distribution_constraints", None) or ()
    return tuple(c.name for c in found if name in c.members)


def registrations(scenario_or_params: Any) -> list[Registration]:
    """Every participant's registration (producers then consumers, in agent-id order).

    Args:
        scenario_or_params: a Scenario (:func:`~elecbay_env.config.load_scenario`),
            or an object with a ``scenario`` (an Engine) or an ``engine`` (an env).
    """
    sc = _scenario(scenario_or_params)
    meter = int(sc.market.meter_interval_min)
    out = []
    rows = [(f"producer_{i}", x) for i, x in enumerate(sc.producers)]
    rows += [(f"consumer_{i}", x) for i, x in enumerate(sc.consumers)]
    for agent, x in rows:
        kind = getattr(x, "type", "consumer")
        if kind == "consumer":
            capability = float(x.flexible_frac * x.peak_mw)
        elif kind == "storage":
            capability = float(x.power_mw)
        else:
            capability = float(x.capacity_mw)
        date = getattr(x, "connection_date", None)
        out.append(
            Registration(
                agent=agent,
                name=x.name,
                kind=kind,
                capability_mw=capability,
                ramp_mw_per_min=float(getattr(x, "ramp_mw_per_min", math.inf)),
                min_stable_mw=float(getattr(x, "min_stable_mw", 0.0)),
                min_run_periods=int(getattr(x, "min_run_periods", 1)),
                meter_interval_min=meter,
                connection_date=None if date is None else str(date),
                zone=int(x.zone),
                constraints=_constraints_of(sc, x.name),
            )
        )
    return out


def check(reg: Registration, rules: Any, service: str) -> Qualification:
    """Whether ``reg`` meets ``rules`` (a :class:`~elecbay_env.schema.ServiceRules`)."""
    where = f"{reg.agent} ({reg.name})"
    if reg.capability_mw < rules.min_mw:
        return Qualification(
            False,
            f"{where}: capability {reg.capability_mw:g} MW is below {service}.min_mw "
            f"({rules.min_mw:g} MW); allowed: >= {rules.min_mw:g} MW",
        )
    limit = rules.max_meter_interval_min
    if limit is not None and reg.meter_interval_min > limit:
        return Qualification(
            False,
            f"{where}: meter interval {reg.meter_interval_min} min is coarser than "
            f"{service}.max_meter_interval_min ({limit} min); allowed: <= {limit} min",
        )
    if reg.ramp_mw_per_min < rules.min_ramp_mw_per_min:
        return Qualification(
            False,
            f"{where}: ramp {reg.ramp_mw_per_min:g} MW/min is below "
            f"{service}.min_ramp_mw_per_min ({rules.min_ramp_mw_per_min:g} MW/min); "
            f"allowed: >= {rules.min_ramp_mw_per_min:g} MW/min",
        )
    return Qualification(True, "")


def _rules(sc: Any, service: str) -> Any:
    if service not in SERVICES:
        raise ValueError(f"service={service!r}: allowed values are {', '.join(SERVICES)}")
    pq = sc.market.prequalification
    if pq is None:
        from .schema_participation import Prequalification

        pq = Prequalification()
    return getattr(pq, service)


def prequalify(scenario_or_params: Any, service: str) -> dict[str, Qualification]:
    """Per participant (agent id), whether it qualifies for ``service`` and why not.

    The scenario's ``market.prequalification`` rules apply, or the defaults where it
    has none (which qualify every shipped participant).

    Args:
        scenario_or_params: as for :func:`registrations`.
        service: ``"reserve"``, ``"flexibility"`` or ``"curtailment_trading"``.

    Raises:
        ValueError: an unknown service (naming the allowed ones).
    """
    sc = _scenario(scenario_or_params)
    rules = _rules(sc, service)
    return {r.agent: check(r, rules, service) for r in registrations(sc)}


def never_qualify(scenario: Any) -> list[tuple[str, str]]:
    """``(field, reason)`` for each participant that can never qualify for a service
    under the scenario's ``market.prequalification`` (empty without it)."""
    if scenario.market.prequalification is None:
        return []
    out = []
    for service in SERVICES:
        for q in prequalify(scenario, service).values():
            if not q.qualified:
                out.append((f"market.prequalification.{service}", q.reason))
    return out


class PrequalificationWarning(UserWarning):
    """A registration that can never qualify for a service (the scenario still loads)."""


def warn_never_qualify(scenario: Any) -> None:
    """Warn (:class:`PrequalificationWarning`) once per participant and service that
    can never qualify; called by the scenario validator."""
    for field, reason in never_qualify(scenario):
        warnings.warn(
            f"{field}: {reason}; its offers of this service will be rejected",
            PrequalificationWarning,
            stacklevel=2,
        )

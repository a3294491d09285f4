"""Tournament specs: the pydantic models of a spec and how one is loaded.

A **spec** (YAML, a shipped example name, a dict, or the same on the command line)
names scenarios, seeds and entries; an **entry** is a named line-up mapping agent ids,
roles (``producer``, ``consumer``, ``broker``) or ``"*"`` to policy spec strings of
:mod:`elecbay_agents.registry` (see :mod:`elecbay_evaluate.tournament` for an example).
:func:`load_spec` validates one into a :class:`TournamentSpec` (raising
:class:`SpecError`, one line per problem naming its field), :func:`update_spec` copies
one with fields replaced, and :func:`shipped_specs` lists the examples shipped in
``evaluate/specs/``. Playing a spec is :mod:`elecbay_evaluate.tournament`'s job.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

ROLES = ("producer", "consumer", "broker")
_AGENT_ID = re.compile(r"^(producer|consumer)_\d+$|^broker_0$")
DEFAULT_N_SEEDS = 5
"""Seeds when a spec gives neither ``seeds`` nor ``n_seeds``."""
SPEC_PACKAGE_DIR = "specs"
"""Folder of shipped example specs inside ``elecbay_evaluate`` (``evaluate/specs/``)."""


class SpecError(ValueError):
    """A tournament spec that cannot be run; one line per problem, each naming its field."""


# ------------------------------------------------------------------------------ spec


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioSpec(_Model):
    """One scenario: a shipped name or a YAML path, with optional dotted overrides.

    A plain string stands for ``{name: <string>}``.
    """

    name: str = Field(min_length=1)
    """Shipped scenario name (``default``, ``small``) or path of a scenario YAML file
    (relative paths start at the spec file's folder)."""
    label: str | None = Field(default=None, min_length=1)
    """Name in the outputs; default the scenario name (a path's file stem)."""
    overrides: dict[str, Any] = Field(default_factory=dict)
    """Dotted scenario overrides, e.g. ``{market.days: 1}``."""

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, v: Any) -> Any:
        return {"name": v} if isinstance(v, str) else v

    @property
    def display(self) -> str:
        """The label used in the outputs."""
        if self.label:
            return self.label
        p = Path(self.name)
        return p.stem if p.suffix in (".yaml", ".yml") else self.name


class EntrySpec(_Model):
    """A named line-up: agent id / role / ``"*"`` -> policy.

    A policy is a spec string (a built-in name or an import path such as
    ``my_pkg.rules:PeakMarkup``); from Python also a factory ``f(env, agent)`` or a
    ready policy (anything with ``predict``).
    """

    name: str = Field(min_length=1)
    """Name of the line-up in the outputs."""
    policies: dict[str, Any] = Field(default_factory=dict)
    """Policy per agent id, role or ``"*"``; empty: the baseline for everyone."""

    @field_validator("policies")
    @classmethod
    def _keys(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key, spec in v.items():
            if key != "*" and key not in ROLES and not _AGENT_ID.match(key):
                raise ValueError(
                    f"key {key!r}: expected an agent id (producer_<i>, consumer_<i>, "
                    "broker_0), a role (producer, consumer, broker) or '*'"
                )
            if isinstance(spec, str):
                if not spec.strip():
                    raise ValueError(f"{key!r}: empty policy spec")
            elif not (callable(spec) or hasattr(spec, "predict")):
                raise ValueError(
                    f"{key!r}: expected a policy spec string, a factory f(env, agent) or a "
                    f"policy with predict(), got {type(spec).__name__}"
                )
        return v


class TournamentSpec(_Model):
    """What to play: scenarios x entries x seeds, and how to summarise it."""

    name: str = Field(default="tournament", min_length=1)
    """Name of the tournament (report title)."""
    description: str = ""
    """Free text shown in the report."""
    scenarios: list[ScenarioSpec] = Field(min_length=1)
    """Scenarios to play every entry on."""
    seeds: list[NonNegativeInt] | None = Field(default=None, min_length=1)
    """Explicit seeds (distinct, >= 0); or give ``n_seeds``."""
    n_seeds: PositiveInt | None = None
    """Seeds ``seed0 .. seed0 + n_seeds - 1`` (default 5 when ``seeds`` is not given)."""
    seed0: NonNegativeInt = 0
    """First seed with ``n_seeds``."""
    entries: list[EntrySpec] = Field(min_length=1)
    """Line-ups to compare."""
    baseline: str | None = Field(default=None, min_length=1)
    """Name of the entry the others are compared with, seed by seed (default: the first
    entry)."""
    deterministic: bool = True
    """Passed to every ``predict`` call (False: stochastic policies sample)."""
    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    """Level of the bootstrap confidence intervals, in (0, 1)."""
    n_resamples: int = Field(default=9999, ge=100)
    """Bootstrap resamples, >= 100."""
    bootstrap_seed: NonNegativeInt = 0
    """Seed of the bootstrap's generator."""

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and len(set(v)) != len(v):
            raise ValueError(f"seeds must be distinct, got {v}")
        return v

    @field_validator("entries")
    @classmethod
    def _distinct_entries(cls, v: list[EntrySpec]) -> list[EntrySpec]:
        names = [e.name for e in v]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise ValueError(f"entry {i} has the same name {n!r} as entry {names.index(n)}")
        return v

    @field_validator("scenarios")
    @classmethod
    def _distinct_scenarios(cls, v: list[ScenarioSpec]) -> list[ScenarioSpec]:
        labels = [s.display for s in v]
        for i, n in enumerate(labels):
            if n in labels[:i]:
                raise ValueError(
                    f"scenario {i} has the same label {n!r} as scenario {labels.index(n)}; "
                    "give each a distinct 'label'"
                )
        return v

    @model_validator(mode="after")
    def _one_seed_rule(self) -> TournamentSpec:
        if self.seeds is not None and self.n_seeds is not None:
            raise ValueError("seeds, n_seeds: give one of them, not both")
        return self

    @model_validator(mode="after")
    def _baseline_is_an_entry(self) -> TournamentSpec:
        names = [e.name for e in self.entries]
        if self.baseline is not None and self.baseline not in names:
            raise ValueError(f"baseline: {self.baseline!r} is not an entry (entries: "
                             f"{', '.join(names)})")  # fmt: skip
        return self

    @property
    def baseline_name(self) -> str:
        """The baseline entry's name: ``baseline``, or the first entry's."""
        return self.baseline if self.baseline is not None else self.entries[0].name

    def seed_list(self) -> list[int]:
        """The seeds every (scenario, entry) is played with."""
        if self.seeds is not None:
            return list(self.seeds)
        n = self.n_seeds or DEFAULT_N_SEEDS
        return list(range(self.seed0, self.seed0 + n))


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{loc}: {msg}" if loc else msg)  # model checks name their fields
    return "\n".join(lines)


def shipped_specs() -> list[str]:
    """Names of the example specs shipped in ``evaluate/specs/``."""
    folder = resources.files("elecbay_evaluate").joinpath(SPEC_PACKAGE_DIR)
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _read_spec(source: str | os.PathLike[str]) -> tuple[Any, Path | None]:
    path = Path(source)
    if path.is_file():
        text, folder = path.read_text(encoding="utf-8"), path.resolve().parent
    elif str(source) in shipped_specs():
        item = resources.files("elecbay_evaluate").joinpath(SPEC_PACKAGE_DIR, f"{source}.yaml")
        text, folder = item.read_text(encoding="utf-8"), None
    else:
        shipped = ", ".join(shipped_specs()) or "none"
        raise SpecError(f"spec {str(source)!r}: no such file (shipped specs: {shipped})")
    try:
        return yaml.safe_load(text), folder
    except yaml.YAMLError as exc:
        raise SpecError(f"spec {str(source)!r}: not valid YAML: {exc}") from None


def _resolve_policy_files(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Policy files (``rules.py:Cls``) relative to the spec file's folder, when there."""
    entries = data.get("entries")
    if not isinstance(entries, list):
        return data
    out = []
    for e in entries:
        policies = e.get("policies") if isinstance(e, dict) else None
        if isinstance(policies, dict):
            fixed = {}
            for key, value in policies.items():
                text = value if isinstance(value, str) else ""
                head, sep, rest = text.partition(".py:")
                if sep and not Path(head + ".py").is_absolute():
                    candidate = folder / (head.strip() + ".py")
                    if candidate.is_file():
                        value = f"{candidate}:{rest}"
                fixed[key] = value
            e = {**e, "policies": fixed}
        out.append(e)
    return {**data, "entries": out}


def _resolve_paths(data: Any, folder: Path | None) -> Any:
    """Scenario paths and policy files relative to the spec file's folder (shipped names
    stay names; a policy file is looked up there first, then in the working directory)."""
    if folder is None or not isinstance(data, dict):
        return data
    data = _resolve_policy_files(data, folder)
    if not isinstance(data.get("scenarios"), list):
        return data
    from elecbay_env.config import shipped_scenarios

    shipped = set(shipped_scenarios())
    scenarios = []
    for s in data["scenarios"]:
        name = s if isinstance(s, str) else s.get("name") if isinstance(s, dict) else None
        if isinstance(name, str) and name not in shipped and not Path(name).is_absolute():
            candidate = folder / name
            if candidate.exists():
                s = str(candidate) if isinstance(s, str) else {**s, "name": str(candidate)}
        scenarios.append(s)
    return {**data, "scenarios": scenarios}


def load_spec(
    source: str | os.PathLike[str] | Mapping[str, Any] | TournamentSpec,
) -> TournamentSpec:
    """A validated spec from a YAML path, a shipped spec name, a dict or a spec.

    Raises:
        SpecError: a missing file, bad YAML, or one line per invalid field, each
            starting with the field's dotted path (``entries.1.policies: ...``).
    """
    if isinstance(source, TournamentSpec):
        return source
    if isinstance(source, Mapping):
        data: Any = dict(source)
    else:
        data, folder = _read_spec(source)
        data = _resolve_paths(data, folder)
    if not isinstance(data, dict):
        raise SpecError(f"spec: expected a mapping of fields, got {type(data).__name__}")
    try:
        return TournamentSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_format_errors(exc)) from None


def update_spec(spec: TournamentSpec, **changes: Any) -> TournamentSpec:
    """A copy of ``spec`` with fields replaced, validated again.

    ``n_seeds`` replaces explicit ``seeds``; ``days`` (an int) and ``overrides`` (a
    dict) add scenario overrides to every scenario.
    """
    data = spec.model_dump()
    days = changes.pop("days", None)
    extra = dict(changes.pop("overrides", None) or {})
    if days is not None:
        extra["market.days"] = days
    if changes.get("n_seeds") is not None:
        data["seeds"] = None
    data.update({k: v for k, v in changes.items() if v is not None})
    if extra:
        data["scenarios"] = [{**s, "overrides": {**s["overrides"], **extra}}
                             for s in data["scenarios"]]  # fmt: skip
    return load_spec(data)

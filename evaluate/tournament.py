"""Tournament evaluator: line-ups of policies, many seeds, market and profit metrics.

A **spec** (YAML, or the same on the command line) names scenarios, seeds and entries;
an **entry** is a named line-up mapping agent ids, roles (``producer``, ``consumer``,
``broker``) or ``"*"`` to policy spec strings of :mod:`elecbay_agents.registry`
(``merit_order``, ``markup:0.3``, ``zi_c``, ``sb3:PATH``; an agent id wins over its role,
a role over ``"*"``, and agents nothing matches play the registry's baseline)::

    name: example
    scenarios: [small, {name: default, overrides: {market.days: 1}}]
    n_seeds: 5                 # or seeds: [0, 1, 2]; seed0 shifts n_seeds
    entries:
      - {name: truthful, policies: {"*": merit_order}}
      - {name: markup_ccgt, policies: {producer_2: "markup:0.3"}}

:func:`run_tournament` plays every (scenario, entry, seed) episode, in parallel over
processes (:class:`concurrent.futures.ProcessPoolExecutor`, ``workers``) with a tqdm
progress bar. Episode ``(scenario, entry, seed)`` seeds the market with ``seed`` (the
same market draws for every entry: common random numbers) and the policies with
``seed`` through the registry, so results do not depend on the number of workers or the
order in which episodes finish; they are sorted by (scenario, entry, seed) in spec
order. :func:`write_outputs` writes ``results.csv`` (one row per episode),
``agents.csv`` (profit per agent and per policy with bootstrap confidence intervals
across seeds), ``summary.json``, ``report.md`` and three plots. The metrics are
defined in :mod:`elecbay_evaluate.metrics` and ``docs/evaluator.md``.

Command line: ``elecbay evaluate SPEC.yaml [--out DIR] [--workers N] [--seeds N]
[--quiet]`` (:func:`main`; ``elecbay evaluate --help``).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
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

from .metrics import MARKET_METRICS, EpisodeMetrics, describe

ROLES = ("producer", "consumer", "broker")
_AGENT_ID = re.compile(r"^(producer|consumer)_\d+$|^broker_0$")
DEFAULT_N_SEEDS = 5
"""Seeds when a spec gives neither ``seeds`` nor ``n_seeds``."""
SPEC_PACKAGE_DIR = "specs"
"""Folder of shipped example specs inside ``elecbay_evaluate`` (``evaluate/specs/``)."""
OUTPUT_FILES = (
    "results.csv",
    "agents.csv",
    "summary.json",
    "report.md",
    "profit_per_policy.png",
    "prices.png",
    "efficiency.png",
)
"""What :func:`write_outputs` writes into the output folder."""


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
    """A named line-up: agent id / role / ``"*"`` -> policy spec string."""

    name: str = Field(min_length=1)
    """Name of the line-up in the outputs."""
    policies: dict[str, str] = Field(default_factory=dict)
    """Policy spec per agent id, role or ``"*"``; empty: the baseline for everyone."""

    @field_validator("policies")
    @classmethod
    def _keys(cls, v: dict[str, str]) -> dict[str, str]:
        for key, spec in v.items():
            if key != "*" and key not in ROLES and not _AGENT_ID.match(key):
                raise ValueError(
                    f"key {key!r}: expected an agent id (producer_<i>, consumer_<i>, "
                    "broker_0), a role (producer, consumer, broker) or '*'"
                )
            if not spec.strip():
                raise ValueError(f"{key!r}: empty policy spec")
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


def _resolve_paths(data: Any, folder: Path | None) -> Any:
    """Scenario paths relative to the spec file's folder (shipped names stay names)."""
    if folder is None or not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
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


# ---------------------------------------------------------------------- policies


def _registry() -> Any:
    from elecbay_agents import registry

    return registry


def resolve_policy(env: Any, policies: Mapping[str, str], agent: str) -> str:
    """The spec string ``agent`` plays in an entry, as :func:`elecbay_agents.registry.
    make_policies` resolves it: its agent id; else its role's, then ``"*"``'s spec if
    that policy fits the agent (role and asset kind); else the baseline."""
    registry = _registry()
    role = agent.rsplit("_", 1)[0]
    if agent in policies:
        return policies[agent].strip()
    for key in (role, "*"):
        spec = policies.get(key)
        if spec is not None and registry.policy_info(spec).fits(env, agent):
            return spec.strip()
    return registry.BASELINE_SPEC[role]


# ---------------------------------------------------------------------- episodes


@dataclass(frozen=True)
class Task:
    """One episode to play (picklable: it travels to a worker process)."""

    key: tuple[int, int, int]  # (scenario index, entry index, seed index) in spec order
    scenario: str  # label
    source: str  # shipped name or path
    overrides: dict[str, Any]
    entry: str
    policies: dict[str, str]
    seed: int
    deterministic: bool = True


_ENVS: dict[tuple[str, str], Any] = {}


def _env(source: str, overrides: Mapping[str, Any]) -> Any:
    """The worker's environment of a scenario (built once per process, reset per episode)."""
    from elecbay_env.envs.parallel import parallel_env

    key = (source, json.dumps(overrides, sort_keys=True, default=str))
    if key not in _ENVS:
        env = parallel_env(source, **overrides)
        env.engine.keep_ledger = False  # statements are not needed: metrics read outcomes
        _ENVS[key] = env
    return _ENVS[key]


def _asset_names(env: Any) -> dict[str, str]:
    sc = env.scenario
    names = [p.name for p in sc.producers] + [c.name for c in sc.consumers] + ["balancing"]
    return dict(zip(env.possible_agents, names, strict=True))


def run_episode(task: Task) -> dict[str, Any]:
    """Play one episode and return its figures (:class:`EpisodeMetrics` and labels)."""
    env = _env(task.source, task.overrides)
    policies = _registry().make_policies(env, task.policies, seed=task.seed)
    metrics = EpisodeMetrics(env.engine.params, env.possible_agents)
    obs, _ = env.reset(seed=task.seed)
    states: dict[str, Any] = dict.fromkeys(env.possible_agents)
    first = True
    while env.agents:
        t = int(env.engine.t[0])
        in_outage = env.engine.state.outage_left[0] > 0
        actions = {}
        for agent in env.agents:
            actions[agent], states[agent] = policies[agent].predict(
                obs[agent], states[agent], episode_start=first, deterministic=task.deterministic
            )
        first = False
        obs, *_ = env.step(actions)
        metrics.record(t, in_outage, env.last_orders, env.last_outcome)
    return {
        "scenario": task.scenario,
        "entry": task.entry,
        "seed": task.seed,
        "n_periods": int(env.num_periods),
        **metrics.result(),
        "policy": {a: resolve_policy(env, task.policies, a) for a in env.possible_agents},
        "asset": _asset_names(env),
    }


def make_tasks(spec: TournamentSpec) -> list[Task]:
    """Every (scenario, entry, seed) episode of ``spec``, in spec order."""
    return [
        Task((i, j, k), s.display, s.name, dict(s.overrides), e.name, dict(e.policies), seed,
             spec.deterministic)
        for i, s in enumerate(spec.scenarios)
        for j, e in enumerate(spec.entries)
        for k, seed in enumerate(spec.seed_list())
    ]  # fmt: skip


def check_spec(spec: TournamentSpec) -> None:
    """Build every scenario and every entry's policies once, before any episode runs.

    Raises:
        SpecError: a scenario that does not load (``scenarios.<i>: ...``), or a policy
            key or spec a scenario cannot play (``entries.<j>.policies.<key>: ...``).
    """
    from elecbay_env.config import ScenarioError

    problems = []
    for i, s in enumerate(spec.scenarios):
        try:
            env = _env(s.name, s.overrides)
        except (ScenarioError, ValueError) as exc:
            problems.append(f"scenarios.{i}: " + "; ".join(str(exc).splitlines()))
            continue
        for j, entry in enumerate(spec.entries):
            for key, value in entry.policies.items():
                where = f"entries.{j}.policies.{key}"
                if _AGENT_ID.match(key) and key not in env.possible_agents:
                    problems.append(f"{where}: scenario {s.display!r} has no agent {key!r} "
                                    f"(it has {', '.join(env.possible_agents)})")  # fmt: skip
                    continue
                try:
                    _registry().make_policies(env, {key: value}, seed=0)
                except (ValueError, TypeError, KeyError, OSError, ImportError) as exc:
                    problems.append(f"{where} = {value!r}: {exc} (scenario {s.display!r})")
    if problems:
        raise SpecError("\n".join(problems))


def _pool_context() -> Any:
    """Fresh interpreters for workers: no fork of a process whose Numba threads run."""
    return multiprocessing.get_context("spawn")


def run_episodes(tasks: Sequence[Task], workers: int = 1, progress: bool = True) -> list[dict]:
    """Play ``tasks`` (in this process when ``workers == 1``), sorted by their keys."""
    from tqdm import tqdm

    done: dict[tuple[int, int, int], dict] = {}
    bar = tqdm(total=len(tasks), desc="episodes", unit="ep", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)  # fmt: skip
    with bar:
        if workers <= 1:
            for task in tasks:
                done[task.key] = run_episode(task)
                bar.update(1)
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
                futures = {pool.submit(run_episode, task): task for task in tasks}
                try:
                    for fut in as_completed(futures):
                        task = futures[fut]
                        try:
                            done[task.key] = fut.result()
                        except Exception as exc:
                            raise RuntimeError(
                                f"episode scenario={task.scenario!r} entry={task.entry!r} "
                                f"seed={task.seed}: {exc}"
                            ) from exc
                        bar.update(1)
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    return [done[k] for k in sorted(done)]


# ---------------------------------------------------------------------- summaries


@dataclass
class TournamentResult:
    """Everything a tournament produced (see :func:`write_outputs` for the files)."""

    spec: TournamentSpec
    episodes: list[dict[str, Any]]  # one per episode, sorted by (scenario, entry, seed)
    markets: list[dict[str, Any]]  # per (scenario, entry): {metric: describe(...)}
    agents: list[dict[str, Any]]  # rows of agents.csv
    notes: list[str] = field(default_factory=list)
    workers: int = 1
    elapsed_s: float = 0.0


def _groups(spec: TournamentSpec, episodes: list[dict]) -> list[tuple[str, str, list[dict]]]:
    out = []
    for s in spec.scenarios:
        for e in spec.entries:
            eps = [x for x in episodes if x["scenario"] == s.display and x["entry"] == e.name]
            out.append((s.display, e.name, eps))
    return out


def summarise(spec: TournamentSpec, episodes: list[dict[str, Any]]) -> TournamentResult:
    """Per (scenario, entry) market figures and per agent / policy profit, each with its
    mean, standard deviation and bootstrap confidence interval across seeds."""
    ci = {"confidence": spec.confidence, "n_resamples": spec.n_resamples,
          "seed": spec.bootstrap_seed}  # fmt: skip
    markets, agents = [], []
    for scenario, entry, eps in _groups(spec, episodes):
        figures = {m: describe([x[m] for x in eps], **ci) for m in MARKET_METRICS}
        markets.append({"scenario": scenario, "entry": entry, "n_seeds": len(eps),
                        "metrics": figures})  # fmt: skip
        if not eps:
            continue
        labels, assets = eps[0]["policy"], eps[0]["asset"]
        for agent, policy in labels.items():
            agents.append({"scenario": scenario, "entry": entry, "level": "agent",
                           "agent": agent, "asset": assets[agent],
                           "role": agent.rsplit("_", 1)[0], "policy": policy, "n_agents": 1,
                           **describe([x["profit"][agent] for x in eps], **ci)})  # fmt: skip
        groups: dict[tuple[str, str], list[str]] = {}
        for agent, policy in labels.items():
            groups.setdefault((agent.rsplit("_", 1)[0], policy), []).append(agent)
        for (role, policy), members in groups.items():
            per_seed = [float(np.mean([x["profit"][a] for a in members])) for x in eps]
            agents.append({"scenario": scenario, "entry": entry, "level": "policy",
                           "agent": "", "asset": "", "role": role, "policy": policy,
                           "n_agents": len(members), **describe(per_seed, **ci)})  # fmt: skip
    notes = []
    n_seeds = len(spec.seed_list())
    if n_seeds < 2:
        notes.append(f"only {n_seeds} seed: confidence intervals need at least 2 seeds, "
                     "so every interval is NaN")  # fmt: skip
    notes.append(
        f"intervals: {spec.confidence:.0%} bootstrap (BCa, scipy.stats.bootstrap, "
        f"{spec.n_resamples} resamples, seed {spec.bootstrap_seed}) of the mean across seeds"
    )
    return TournamentResult(spec, episodes, markets, agents, notes)


def run_tournament(
    spec: TournamentSpec | str | os.PathLike[str] | Mapping[str, Any],
    workers: int | None = None,
    progress: bool = True,
) -> TournamentResult:
    """Check the spec, play every episode and summarise.

    Args:
        spec: a :class:`TournamentSpec`, a YAML path, a shipped spec name or a dict.
        workers: processes (default ``os.cpu_count()``; 1 plays in this process).
        progress: show a tqdm progress bar over episodes on stderr.

    Raises:
        SpecError: an invalid spec, a scenario that does not load or a bad policy.
    """
    spec = load_spec(spec)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise SpecError(f"workers={workers}: must be at least 1")
    check_spec(spec)
    tasks = make_tasks(spec)
    workers = min(workers, len(tasks))
    start = time.perf_counter()
    episodes = run_episodes(tasks, workers, progress)
    result = summarise(spec, episodes)
    result.workers = workers
    result.elapsed_s = time.perf_counter() - start
    return result


# ---------------------------------------------------------------------- outputs


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    return str(v)


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows([_cell(v) for v in row] for row in rows)
    return path


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x


def _fmt(x: float, places: int = 2) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:,.{places}f}"


def _with_ci(d: Mapping[str, Any], places: int = 2) -> str:
    text = _fmt(d["mean"], places)
    if math.isfinite(d["ci_low"]):
        text += f" [{_fmt(d['ci_low'], places)}, {_fmt(d['ci_high'], places)}]"
    return text


MARKET_COLUMNS = (
    ("efficiency", "efficiency", 5, True),
    ("price_mean", "price mean", 2, False),
    ("price_std", "price std", 2, False),
    ("imbalance_volume_mwh", "imbalance MWh", 1, False),
    ("imbalance_cost", "imbalance cost", 0, False),
    ("unserved_mwh", "unserved MWh", 1, False),
    ("offer_acceptance", "offers cleared", 3, False),
    ("bid_acceptance", "bids cleared", 3, False),
)
"""Columns of the market table: (metric, heading, decimals, with its interval)."""


def market_table(result: TournamentResult) -> str:
    """The Markdown table of market figures per (scenario, entry): means across seeds,
    efficiency with its confidence interval."""
    head = ["scenario", "entry", "seeds"] + [h for _, h, _, _ in MARKET_COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in result.markets:
        cells = [m["scenario"], m["entry"], str(m["n_seeds"])]
        for name, _, places, ci in MARKET_COLUMNS:
            d = m["metrics"][name]
            cells.append(_with_ci(d, places) if ci else _fmt(d["mean"], places))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def profit_table(result: TournamentResult, level: str) -> str:
    """The Markdown table of profit per ``level`` (``"policy"`` or ``"agent"``)."""
    who = ["agent", "asset", "policy"] if level == "agent" else ["role", "policy", "agents"]
    head = ["scenario", "entry", *who, "profit (mean)", "CI low", "CI high", "std"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in result.agents:
        if r["level"] != level:
            continue
        ids = ([r["agent"], r["asset"], f"`{r['policy']}`"] if level == "agent"
               else [r["role"], f"`{r['policy']}`", str(r["n_agents"])])  # fmt: skip
        cells = [r["scenario"], r["entry"], *ids, _fmt(r["mean"], 0), _fmt(r["ci_low"], 0),
                 _fmt(r["ci_high"], 0), _fmt(r["std"], 0)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _report(result: TournamentResult) -> str:
    spec = result.spec
    seeds = spec.seed_list()
    scen = ", ".join(
        s.display + (f" ({', '.join(f'{k}={v}' for k, v in s.overrides.items())})"
                     if s.overrides else "")
        for s in spec.scenarios
    )  # fmt: skip
    parts = [f"# Tournament: {spec.name}", ""]
    if spec.description:
        parts += [spec.description.strip(), ""]
    parts += [
        f"- scenarios: {scen}",
        f"- seeds: {seeds} ({len(seeds)})",
        f"- episodes: {len(result.episodes)}, played in {result.elapsed_s:.1f} s on "
        f"{result.workers} worker{'s' * (result.workers != 1)}",
        "",
        "| entry | policies (agent / role / * -> spec; others play the baseline) |",
        "|---|---|",
    ]
    for e in spec.entries:
        pol = ", ".join(f"`{k}`: `{v}`" for k, v in e.policies.items()) or "baseline"
        parts.append(f"| {e.name} | {pol} |")
    ci = f"{spec.confidence:.0%}"
    parts += [
        "", "## Market", "",
        f"Means across seeds; efficiency with its {ci} confidence interval. Prices in "
        "currency per MWh, over periods that traded; imbalance volume = sum of |NIV|; "
        "imbalance cost = imbalance cash paid by producers and consumers; offers/bids "
        "cleared = share of offered/bid MWh that filled.", "",
        market_table(result), "",
        "![efficiency per entry](efficiency.png)", "",
        "![clearing prices per entry](prices.png)", "",
        "## Profit per policy", "",
        f"Profit = sum of an agent's rewards over the episode; per policy, the mean over "
        f"the agents of that role playing it. Mean across seeds and {ci} interval.", "",
        profit_table(result, "policy"), "",
        "![profit per policy](profit_per_policy.png)", "",
        "## Profit per agent", "",
        profit_table(result, "agent"), "",
        "## Notes", "",
    ]  # fmt: skip
    parts += [f"- {n}" for n in result.notes]
    return "\n".join(parts) + "\n"


def _figure(n_rows: int, n_cols: int, width: float, height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    return fig, axes


def _err(rows: list[dict]) -> np.ndarray:
    lo = np.array([r["mean"] - r["ci_low"] for r in rows])
    hi = np.array([r["ci_high"] - r["mean"] for r in rows])
    return np.nan_to_num(np.vstack([lo, hi]), nan=0.0)


def _money(x: float, _pos: Any = None) -> str:
    """Tick label of an amount: 1.5M, 250k, -3.2B."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:g}{suffix}"
    return f"{x:g}"


def plot_profit(result: TournamentResult, path: Path) -> Path:
    """Mean profit per (entry, policy) with confidence intervals: one panel per
    scenario (rows) and role (columns)."""
    from matplotlib.ticker import FuncFormatter

    scenarios = [s.display for s in result.spec.scenarios]
    rows = [r for r in result.agents if r["level"] == "policy"]
    roles = [x for x in ROLES if any(r["role"] == x for r in rows)] or list(ROLES)
    n_bars = max([sum(1 for r in rows if r["scenario"] == s and r["role"] == x)
                  for s in scenarios for x in roles] + [1])  # fmt: skip
    fig, axes = _figure(len(scenarios), len(roles), 5.0 * len(roles),
                        1.2 + (0.3 * n_bars + 0.8) * len(scenarios))  # fmt: skip
    entries = [e.name for e in result.spec.entries]
    colors = {e: f"C{i % 10}" for i, e in enumerate(entries)}
    for i, s in enumerate(scenarios):
        for j, role in enumerate(roles):
            ax = axes[i, j]
            sel = [r for r in rows if r["scenario"] == s and r["role"] == role]
            y = np.arange(len(sel))
            ax.barh(y, [r["mean"] for r in sel], xerr=_err(sel), capsize=3,
                    color=[colors[r["entry"]] for r in sel], alpha=0.8)  # fmt: skip
            ax.set_yticks(y, [f"{r['entry']}: {r['policy']}" for r in sel], fontsize=8)
            ax.invert_yaxis()
            ax.axvline(0.0, color="k", lw=0.6)
            ax.xaxis.set_major_formatter(FuncFormatter(_money))
            ax.tick_params(axis="x", labelsize=8)
            ax.set_title(f"{s}: {role if role == 'broker' else role + 's'}", fontsize=9)
    fig.suptitle("profit per agent playing each policy (currency; mean across seeds, "
                 f"{result.spec.confidence:.0%} interval)", fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


_PRICE_TICKS = (-1000.0, -100.0, 0.0, 25.0, 50.0, 75.0, 100.0, 250.0, 1000.0, 4000.0)


def plot_prices(result: TournamentResult, path: Path) -> Path:
    """Distribution of clearing prices per entry (all seeds pooled), one panel per
    scenario; the axis is linear up to 100 per MWh and logarithmic beyond."""
    scenarios = [s.display for s in result.spec.scenarios]
    entries = [e.name for e in result.spec.entries]
    fig, axes = _figure(len(scenarios), 1, max(6.0, 1.2 * len(entries) + 2), 3.2 * len(scenarios))
    for i, s in enumerate(scenarios):
        ax = axes[i, 0]
        data = []
        for e in entries:
            p = np.concatenate(
                [
                    np.asarray(x["prices"], float)
                    for x in result.episodes
                    if x["scenario"] == s and x["entry"] == e
                ]
                or [np.zeros(0)]
            )
            data.append(p[np.isfinite(p)])  # fmt: skip
        ax.boxplot([d if d.size else [np.nan] for d in data], showmeans=True, whis=(5, 95))
        ax.set_xticks(np.arange(1, len(entries) + 1), entries, fontsize=8)
        ax.set_yscale("symlog", linthresh=100.0, linscale=2.0)
        pooled = np.concatenate([d for d in data if d.size] or [np.zeros(1)])
        lo, hi = min(float(pooled.min()), 0.0), max(float(pooled.max()), 100.0)
        lo, hi = lo - 0.1 * abs(lo) - 5.0, hi + 0.1 * abs(hi)
        ax.set_ylim(lo, hi)
        ticks = [t for t in _PRICE_TICKS if lo <= t <= hi]
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_ylabel("clearing price per MWh", fontsize=8)
        ax.set_title(f"{s}: clearing prices (box: quartiles, whiskers 5-95 %, triangle: mean)",
                     fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_efficiency(result: TournamentResult, path: Path) -> Path:
    """Allocative efficiency per entry: every seed (dots), the mean and its interval."""
    scenarios = [s.display for s in result.spec.scenarios]
    entries = [e.name for e in result.spec.entries]
    fig, axes = _figure(len(scenarios), 1, max(6.0, 1.2 * len(entries) + 2), 3.0 * len(scenarios))
    for i, s in enumerate(scenarios):
        ax = axes[i, 0]
        for j, e in enumerate(entries):
            vals = [x["efficiency"] for x in result.episodes
                    if x["scenario"] == s and x["entry"] == e]  # fmt: skip
            jitter = np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else np.zeros(len(vals))
            ax.plot(j + jitter, vals, ".", color="grey", alpha=0.6)
            m = next(r for r in result.markets if r["scenario"] == s and r["entry"] == e)
            d = m["metrics"]["efficiency"]
            ax.errorbar([j + 0.3], [d["mean"]], yerr=_err([d]), fmt="o", color=f"C{j % 10}",
                        capsize=4)  # fmt: skip
        ax.axhline(1.0, color="k", lw=0.6, ls="--")
        ax.set_xticks(np.arange(len(entries)), entries, fontsize=8)
        ax.set_ylabel("realised / maximum surplus", fontsize=8)
        ax.set_title(f"{s}: allocative efficiency (dots: seeds; marker: mean and CI)",
                     fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


def write_outputs(result: TournamentResult, out: str | os.PathLike[str]) -> list[Path]:
    """Write :data:`OUTPUT_FILES` into ``out`` (created if missing); returns their paths.

    ``results.csv`` and ``agents.csv`` depend only on the spec (never on the number of
    workers or the timing); NaN is an empty cell. ``summary.json`` holds the spec, the
    per-(scenario, entry) figures, the profit rows, the notes and the run's timing.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    agents: list[str] = []
    for x in result.episodes:
        agents += [a for a in x["profit"] if a not in agents]
    metrics = list(MARKET_METRICS)
    rows = [[x["scenario"], x["entry"], x["seed"], x["n_periods"], *(x[m] for m in metrics),
             *(x["profit"].get(a, math.nan) for a in agents)]
            for x in result.episodes]  # fmt: skip
    written = [_write_csv(out / "results.csv",
                          ["scenario", "entry", "seed", "n_periods", *metrics,
                           *(f"profit_{a}" for a in agents)], rows)]  # fmt: skip
    keys = ["scenario", "entry", "level", "agent", "asset", "role", "policy", "n_agents", "n",
            "mean", "std", "ci_low", "ci_high"]  # fmt: skip
    header = [*keys[:8], "n_seeds", "profit_mean", "profit_std", "ci_low", "ci_high"]
    agent_rows = [[r[k] for k in keys] for r in result.agents]
    written.append(_write_csv(out / "agents.csv", header, agent_rows))
    summary = {
        "spec": result.spec.model_dump(),
        "seeds": result.spec.seed_list(),
        "n_episodes": len(result.episodes),
        "workers": result.workers,
        "elapsed_s": round(result.elapsed_s, 3),
        "confidence": result.spec.confidence,
        "markets": result.markets,
        "agents": result.agents,
        "notes": result.notes,
        "files": list(OUTPUT_FILES),
    }
    path = out / "summary.json"
    path.write_text(json.dumps(_json_safe(summary), indent=1) + "\n", encoding="utf-8")
    written.append(path)
    path = out / "report.md"
    path.write_text(_report(result), encoding="utf-8")
    written.append(path)
    written.append(plot_profit(result, out / "profit_per_policy.png"))
    written.append(plot_prices(result, out / "prices.png"))
    written.append(plot_efficiency(result, out / "efficiency.png"))
    return written


# ---------------------------------------------------------------------- command line

EVALUATE_HELP = """\
Play a tournament: every entry (a line-up of policies) on every scenario and seed,
in parallel over processes, and report market and profit metrics.

SPEC is a YAML file (or the name of a shipped example, e.g. 'example'):

  name: mine
  scenarios: [small, {name: default, overrides: {market.days: 1}}]
  n_seeds: 5                       # or seeds: [0, 1, 2]; seed0: first seed
  entries:
    - {name: truthful, policies: {"*": merit_order}}
    - {name: markup, policies: {producer_0: "markup:0.3"}}
    - {name: zi_c, policies: {"*": zi_c}}

Policy keys: an agent id (producer_2), a role (producer, consumer, broker) or "*"
(quote it in YAML); values: policy specs of elecbay_agents.registry. Without SPEC,
give --entry (and --scenario). Results do not depend on --workers.

Writes into the output folder: results.csv (one row per episode), agents.csv (profit
per agent and per policy, with bootstrap confidence intervals across seeds),
summary.json, report.md and profit_per_policy.png, prices.png, efficiency.png.
Metrics: docs/evaluator.md."""


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``elecbay evaluate`` arguments to ``parser``."""
    parser.add_argument(
        "spec",
        nargs="?",
        default=None,
        metavar="SPEC",
        help="tournament spec: a YAML file or a shipped example name",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder, created if missing (default: runs/evaluate-<name>-<timestamp>)",
    )
    parser.add_argument(
        "--workers",
        type=_int,
        default=None,
        metavar="N",
        help=f"worker processes, >= 1 (default: the machine's cores, {os.cpu_count()})",
    )
    parser.add_argument(
        "--seeds",
        type=_int,
        default=None,
        metavar="N",
        help="play seeds seed0 .. seed0+N-1 instead of the spec's seeds",
    )
    parser.add_argument(
        "--seed0", type=_int, default=None, metavar="S", help="first seed with --seeds or n_seeds"
    )
    parser.add_argument(
        "--days",
        type=_int,
        default=None,
        metavar="N",
        help="override market.days in every scenario",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scenario override for every scenario (YAML value), repeatable",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        default=None,
        metavar="NAME|PATH",
        help="play these scenarios instead of the spec's, repeatable",
    )
    parser.add_argument(
        "--entry",
        action="append",
        nargs="+",
        default=None,
        metavar=("NAME", "KEY=SPEC"),
        help="an entry: a name and its policies, e.g. --entry markup "
        "producer_0=markup:0.3; repeatable; replaces the spec's entries",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar and no tables; only errors"
    )
    return parser  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The stand-alone parser (``python -m elecbay_evaluate.tournament``)."""
    parser = argparse.ArgumentParser(
        prog="elecbay evaluate",
        description=EVALUATE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return add_arguments(parser)  # fmt: skip


def _parse_pairs(items: Sequence[str], what: str) -> dict[str, Any]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError(f"{what} {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def spec_from_args(args: argparse.Namespace) -> TournamentSpec:
    """The spec of a command line: SPEC (if any) with the options applied."""
    data: dict[str, Any] = {}
    if args.spec is not None:
        data = load_spec(args.spec).model_dump()
    elif not args.entry:
        raise SpecError("give a SPEC file (or a shipped spec name) or at least one --entry")
    if args.scenario:
        data["scenarios"] = list(args.scenario)
    data.setdefault("scenarios", ["default"])
    if args.entry:
        data["entries"] = [{"name": e[0], "policies": _parse_pairs(e[1:], "--entry")}
                           for e in args.entry]  # fmt: skip
    spec = load_spec(data)
    sets = {k: yaml.safe_load(v) for k, v in _parse_pairs(args.set, "--set").items()}
    return update_spec(spec, n_seeds=args.seeds, seed0=args.seed0, days=args.days,
                       overrides=sets)  # fmt: skip


def _default_out(name: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    base = Path("runs") / f"evaluate-{safe}-{stamp}"
    out, i = base, 1
    while out.exists():
        out, i = base.with_name(f"{base.name}-{i}"), i + 1
    return out


def main(args: argparse.Namespace | Sequence[str] | None = None) -> int:
    """``elecbay evaluate``: run a tournament and write its outputs; the exit code.

    Args:
        args: parsed arguments (from the ``elecbay`` parser) or an argument list.

    Returns:
        0 on success; 2 for a bad spec or option (one line per problem on stderr).
    """
    if not isinstance(args, argparse.Namespace):
        try:
            args = build_parser().parse_args(args)
        except SystemExit as exc:
            return int(exc.code or 0)
    prog = "elecbay evaluate"
    try:
        spec = spec_from_args(args)
        if args.workers is not None and args.workers < 1:
            raise SpecError(f"--workers {args.workers}: must be at least 1")
        if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
            raise SpecError(f"--out {args.out}: exists and is not a folder")
        workers = args.workers or os.cpu_count() or 1
        n = len(spec.scenarios) * len(spec.entries) * len(spec.seed_list())
        if not args.quiet:
            print(f"{prog}: {spec.name!r}: {len(spec.scenarios)} scenario(s) x "
                  f"{len(spec.entries)} entries x {len(spec.seed_list())} seeds = {n} episodes "
                  f"on {min(workers, n)} worker(s)", flush=True)  # fmt: skip
        result = run_tournament(spec, workers=workers, progress=not args.quiet)
    except SpecError as exc:
        for line in str(exc).splitlines():
            print(f"{prog}: error: {line}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else _default_out(spec.name)
    files = write_outputs(result, out)
    if not args.quiet:
        print(market_table(result))
        for note in result.notes:
            print(f"note: {note}")
        print(f"{len(result.episodes)} episodes in {result.elapsed_s:.1f} s; wrote "
              f"{len(files)} files to {out}/: {', '.join(f.name for f in files)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

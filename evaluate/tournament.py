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
order. :func:`summarise` turns the episodes into a :class:`TournamentResult`, and
:func:`write_outputs` writes ``results.csv`` (one row per episode), ``agents.csv``
(profit per agent and per policy with bootstrap confidence intervals across seeds),
``summary.json``, ``report.md`` and three plots, plus the protocol's comparison with a
baseline entry (``paired_differences.csv``, ``aggregates.csv``, performance profiles;
:mod:`elecbay_evaluate.comparison`). The metrics are defined in
:mod:`elecbay_evaluate.metrics` and ``docs/evaluator.md``.

This module plays tournaments (tasks, episodes, worker processes, summaries) and holds
the command line; the spec models and loading live in :mod:`elecbay_evaluate.spec`
(:class:`TournamentSpec`, :func:`load_spec`, ...), the files, tables and plots in
:mod:`elecbay_evaluate.report` (:func:`write_outputs`, :func:`market_table`, ...). Both
are re-exported here, so ``from elecbay_evaluate.tournament import load_spec,
write_outputs`` keeps working.

Command line: ``elecbay evaluate SPEC.yaml [--out DIR] [--workers N] [--seeds N]
[--quiet]`` (:func:`main`; ``elecbay evaluate --help``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from elecbay_env.outputs import OutputError, SafeOutput
from elecbay_env.splits import SPLITS

from .comparison import aggregate_rows, paired_rows, profile_rows
from .journal import JOURNAL_FILE, Journal
from .metrics import MARKET_METRICS, MIN_SEEDS_FOR_INTERVAL, EpisodeMetrics, describe
from .protocol_report import console_table
from .report import (
    MARKET_COLUMNS,
    OUTPUT_FILES,
    market_table,
    plot_efficiency,
    plot_prices,
    plot_profit,
    profit_table,
    write_outputs,
)
from .results import TournamentResult
from .seat_report import seat_profit_table
from .spec import (
    _AGENT_ID,
    DEFAULT_N_SEEDS,
    ROLES,
    SPEC_PACKAGE_DIR,
    EntrySpec,
    ScenarioSpec,
    SpecError,
    TournamentSpec,
    load_spec,
    shipped_specs,
    update_spec,
)

__all__ = [
    "DEFAULT_N_SEEDS",
    "EVALUATE_HELP",
    "MARKET_COLUMNS",
    "OUTPUT_FILES",
    "ROLES",
    "SPEC_PACKAGE_DIR",
    "EntrySpec",
    "ScenarioSpec",
    "SpecError",
    "Task",
    "TournamentResult",
    "TournamentSpec",
    "add_arguments",
    "build_parser",
    "check_spec",
    "load_spec",
    "main",
    "make_tasks",
    "market_table",
    "plot_efficiency",
    "plot_prices",
    "plot_profit",
    "profit_table",
    "resolve_policy",
    "run_episode",
    "run_episodes",
    "run_tournament",
    "shipped_specs",
    "spec_from_args",
    "summarise",
    "update_spec",
    "write_outputs",
]

# ---------------------------------------------------------------------- policies


def _registry() -> Any:
    from elecbay_agents import registry

    return registry


def resolve_policy(env: Any, policies: Mapping[str, Any], agent: str) -> str:
    """The spec string ``agent`` plays in an entry, as :func:`elecbay_agents.registry.
    make_policies` resolves it: its agent id; else its role's, then ``"*"``'s spec if
    that policy fits the agent (role and asset kind); else the baseline. A policy given
    as a Python object is labelled ``module:qualified_name``."""
    from .journal import _label

    registry = _registry()
    role = agent.rsplit("_", 1)[0]
    if agent in policies:
        return _label(policies[agent])
    for key in (role, "*"):
        spec = policies.get(key)
        if spec is None:
            continue
        if not isinstance(spec, str) or registry.policy_info(spec).fits(env, agent):
            return _label(spec)
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
    policies: dict[str, Any]  # spec strings (or, from Python, factories and policies)
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
    metrics = EpisodeMetrics(env.engine.params, env.possible_agents, 0, env.engine.state)
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
    date = env.engine.dates[0]
    return {
        "scenario": task.scenario,
        "entry": task.entry,
        "seed": task.seed,
        "date": None if np.isnat(date) else str(date),
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


def run_episodes(
    tasks: Sequence[Task],
    workers: int = 1,
    progress: bool = True,
    journal: Journal | None = None,
    executor: Any = None,
) -> list[dict]:
    """Play ``tasks`` (in this process when ``workers == 1``), sorted by their keys.

    ``executor``: a factory of the pool to use instead of worker processes
    (:class:`~elecbay_evaluate.ray_backend.RayExecutor`).

    With a :class:`~elecbay_evaluate.journal.Journal`, episodes it already holds are
    not played again and every finished one is appended to it at once. Worker
    processes never re-run the caller's ``__main__`` script
    (:func:`~elecbay_evaluate.journal.workers_without_main`).
    """
    from tqdm import tqdm

    from .journal import workers_without_main

    done: dict[tuple[int, int, int], dict] = {}
    todo = list(tasks)
    if journal is not None:
        wanted = {t.key for t in tasks}
        done = {k: v for k, v in journal.done.items() if k in wanted}
        todo = [t for t in tasks if t.key not in done]

    def finish(task: Task, result: dict) -> None:
        done[task.key] = result
        if journal is not None:
            journal.add(task, result)
        bar.update(1)

    bar = tqdm(total=len(tasks), initial=len(done), desc="episodes", unit="ep",
               disable=not progress, file=sys.stderr, dynamic_ncols=True)  # fmt: skip
    with bar:
        if executor is None and (workers <= 1 or len(todo) <= 1):
            for task in todo:
                finish(task, run_episode(task))
        else:
            with (
                workers_without_main(),
                executor()
                if executor is not None
                else ProcessPoolExecutor(
                    max_workers=min(workers, len(todo)), mp_context=_pool_context()
                ) as pool,
            ):
                futures = {pool.submit(run_episode, task): task for task in todo}
                try:
                    for fut in as_completed(futures):
                        task = futures[fut]
                        try:
                            result = fut.result()
                        except Exception as exc:
                            raise RuntimeError(
                                f"episode scenario={task.scenario!r} entry={task.entry!r} "
                                f"seed={task.seed}: {exc}"
                            ) from exc
                        finish(task, result)
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    return [done[k] for k in sorted(done)]


# ---------------------------------------------------------------------- summaries


def _groups(spec: TournamentSpec, episodes: list[dict]) -> list[tuple[str, str, list[dict]]]:
    out = []
    for s in spec.scenarios:
        for e in spec.entries:
            eps = [x for x in episodes if x["scenario"] == s.display and x["entry"] == e.name]
            out.append((s.display, e.name, eps))
    return out


def summarise(spec: TournamentSpec, episodes: list[dict[str, Any]]) -> TournamentResult:
    """Per (scenario, entry) market figures and per agent / policy profit, each with its
    mean, standard deviation and bootstrap confidence interval across seeds; the
    seed-paired differences from the baseline entry, interquartile means and
    performance profiles (:mod:`elecbay_evaluate.comparison`)."""
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
    if n_seeds < MIN_SEEDS_FOR_INTERVAL:
        notes.append(f"only {n_seeds} seed(s): confidence intervals need at least "
                     f"{MIN_SEEDS_FOR_INTERVAL} seeds, so every interval is NaN")  # fmt: skip
    notes.append(
        f"intervals: {spec.confidence:.0%} bootstrap (BCa, scipy.stats.bootstrap, "
        f"{spec.n_resamples} resamples, seed {spec.bootstrap_seed}) of the mean across seeds"
    )
    return TournamentResult(spec, episodes, markets, agents, notes,
                            paired=paired_rows(spec, episodes, tuple(MARKET_METRICS)),
                            aggregates=aggregate_rows(spec, episodes),
                            profiles=profile_rows(spec, episodes))  # fmt: skip


def run_tournament(
    spec: TournamentSpec | str | os.PathLike[str] | Mapping[str, Any],
    workers: int | None = None,
    progress: bool = True,
    journal: str | os.PathLike[str] | None = None,
    resume: bool = False,
    backend: str = "local",
    address: str | None = None,
) -> TournamentResult:
    """Check the spec, play every episode and summarise.

    Args:
        spec: a :class:`TournamentSpec`, a YAML path, a shipped spec name or a dict.
            Entry policies are spec strings (built-in names, ``sb3:DIR``, import paths
            ``my_pkg.rules:Cls`` / ``path/to/file.py:Cls``); from Python also
            factories ``f(env, agent)`` and policy instances. With ``workers > 1``
            those objects must be importable by the workers (not defined in the
            running ``__main__`` script): else :class:`SpecError` says so.
        workers: processes (default ``os.cpu_count()``; 1 plays in this process).
        progress: show a tqdm progress bar over episodes on stderr.
        journal: a JSON-lines file that keeps every finished episode
            (:class:`~elecbay_evaluate.journal.Journal`).
        resume: reuse the episodes ``journal`` already holds for this spec.
        backend: ``"local"`` (processes) or ``"ray"`` (Ray tasks on ``address``, else a
            local Ray with ``workers`` CPUs; :mod:`elecbay_evaluate.ray_backend`).

    Raises:
        SpecError: an invalid spec, a scenario that does not load or a bad policy.
    """
    from .journal import Journal, check_sendable

    spec = load_spec(spec)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise SpecError(f"workers={workers}: must be at least 1")
    tasks = make_tasks(spec)
    workers = min(workers, len(tasks))
    if backend not in ("local", "ray"):
        raise SpecError(f"backend={backend!r}: allowed values are 'local' and 'ray'")
    executor = None
    if backend == "ray":
        from .ray_backend import RayExecutor

        executor = lambda: RayExecutor(address, workers)  # noqa: E731
    if workers > 1 or executor is not None:
        try:
            for j, entry in enumerate(spec.entries):
                check_sendable(entry.policies, f"entries.{j}.policies")
        except ValueError as exc:
            raise SpecError(str(exc)) from None
    check_spec(spec)
    book = Journal(journal, tasks, resume=resume) if journal is not None else None
    start = time.perf_counter()
    try:
        episodes = run_episodes(tasks, workers, progress, book, executor)
    finally:
        if book is not None:
            book.close()
    result = summarise(spec, episodes)
    result.workers = workers
    result.elapsed_s = time.perf_counter() - start
    return result


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

Every line-up is compared with a baseline entry (--baseline, the spec's 'baseline',
else the first entry) seed by seed: episodes on the same seed are paired.

Writes into the output folder: results.csv (one row per episode), agents.csv (profit
per agent and per policy, with bootstrap confidence intervals across seeds),
summary.json, report.md and profit_per_policy.png, prices.png, efficiency.png;
paired_differences.csv (line-up minus baseline per metric and seat), aggregates.csv
(interquartile means), performance_profile.csv and .png. The files are moved into
the output folder when complete; until then it holds a marker file INCOMPLETE and
episodes.jsonl (every finished episode, so that --resume can finish an interrupted
run). Metrics and protocol: docs/evaluator.md."""


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
        help="output folder, created if missing; must be empty unless --overwrite or "
        "--resume (default: a new runs/evaluate-<name>-<timestamp>[-N])",
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
        "--baseline",
        default=None,
        metavar="NAME",
        help="the entry the others are compared with, seed by seed (default: the spec's "
        "baseline, else its first entry)",
    )
    parser.add_argument(
        "--split",
        default=None,
        choices=SPLITS,
        metavar="SPLIT",
        help="for scenarios with real data (gb2024): draw each seed's date from this split "
        f"({', '.join(SPLITS)}); the same seed gives the same date in every line-up",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a non-empty --out (only once the tournament has finished)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted run: --out DIR (marked INCOMPLETE) keeps every "
        f"finished episode in {JOURNAL_FILE}; play only the others",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar and no tables; only errors"
    )
    from .ray_backend import add_arguments as add_backend_arguments

    add_backend_arguments(parser)
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
        data["baseline"] = None  # the spec's baseline named one of the replaced entries
    if getattr(args, "baseline", None) is not None:
        data["baseline"] = args.baseline
    spec = load_spec(data)
    sets = {k: yaml.safe_load(v) for k, v in _parse_pairs(args.set, "--set").items()}
    if getattr(args, "split", None) is not None:
        _check_split_scenarios(spec, args.split)
        sets["data.split"] = args.split
    return update_spec(spec, n_seeds=args.seeds, seed0=args.seed0, days=args.days,
                       overrides=sets)  # fmt: skip


def _check_split_scenarios(spec: TournamentSpec, split: str) -> None:
    from elecbay_env.config import ScenarioError, load_scenario

    for s in spec.scenarios:
        try:
            sc = load_scenario(s.name, **s.overrides)
        except ScenarioError:
            continue  # check_spec reports it
        if sc.data is None:
            raise SpecError(
                f"--split {split}: scenario {s.display!r} has no data section (no real dates); "
                "splits apply to scenarios with real data, e.g. gb2024"
            )


def _default_out(name: str) -> Path:
    """Base name of the default output folder (made unique when it is reserved)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    return Path("runs") / f"evaluate-{safe}-{stamp}"


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
        if args.resume and args.out is None:
            raise SpecError("--resume: give --out DIR, the folder of the interrupted run")
        workers = args.workers or os.cpu_count() or 1
        n = len(spec.scenarios) * len(spec.entries) * len(spec.seed_list())
        try:
            target = SafeOutput.claim(args.out, _default_out(spec.name),
                                      overwrite=args.overwrite, resume=args.resume)  # fmt: skip
        except OutputError as exc:
            raise SpecError(str(exc)) from None
        with target:
            if not args.quiet:
                print(f"{prog}: {spec.name!r}: {len(spec.scenarios)} scenario(s) x "
                      f"{len(spec.entries)} entries x {len(spec.seed_list())} seeds = {n} "
                      f"episodes on {min(workers, n)} worker(s)", flush=True)  # fmt: skip
            result = run_tournament(spec, workers=workers, progress=not args.quiet,
                                    journal=target.keep_path(JOURNAL_FILE),
                                    resume=args.resume, backend=getattr(args, "backend", "local"),
                                    address=getattr(args, "address", None))  # fmt: skip
            files = write_outputs(result, target.work)
            target.keep_path(JOURNAL_FILE).unlink(missing_ok=True)  # results.csv has it all
    except SpecError as exc:
        for line in str(exc).splitlines():
            print(f"{prog}: error: {line}", file=sys.stderr)
        return 2
    out = target.final
    if not args.quiet:
        print(market_table(result))
        print()
        print(console_table(result))
        print()
        print("profit per seat (currency per episode), line-up minus baseline on the same seeds:")
        print(seat_profit_table(result))
        for note in result.notes:
            print(f"note: {note}")
        print(f"{len(result.episodes)} episodes in {result.elapsed_s:.1f} s; wrote "
              f"{len(files)} files to {out}/: {', '.join(f.name for f in files)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

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

This module plays tournaments over worker processes and holds the command line
(:func:`main`). The spec models and loading live in :mod:`elecbay_evaluate.spec`
(:class:`TournamentSpec`, :func:`load_spec`, ...), one episode in
:mod:`elecbay_evaluate.tournament_episodes` (:class:`Task`, :func:`run_episode`, ...),
the summary in :mod:`elecbay_evaluate.tournament_summary` (:func:`summarise`), the
command's options in :mod:`elecbay_evaluate.evaluate_options` (:func:`add_arguments`,
:func:`spec_from_args`) and the files, tables and plots in :mod:`elecbay_evaluate.report`
(:func:`write_outputs`, :func:`market_table`, ...). All are re-exported here, so ``from
elecbay_evaluate.tournament import load_spec, write_outputs`` keeps working.

Command line: ``elecbay evaluate SPEC.yaml [--out DIR] [--workers N] [--seeds N]
[--quiet]`` (:func:`main`; ``elecbay evaluate --help``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from elecbay_env.outputs import OutputError, SafeOutput

from .evaluate_options import (
    EVALUATE_HELP,
    _default_out,
    add_arguments,
    build_parser,
    spec_from_args,
)
from .journal import JOURNAL_FILE, Journal
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
from .tournament_episodes import (
    Task,
    _pool_context,
    check_spec,
    make_tasks,
    play_episode,
    resolve_policy,
    run_episode,
)
from .tournament_summary import summarise

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
    "play_episode",
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

"""``elecbay evaluate --backend ray``: tournament episodes as Ray tasks (one machine or many).

:class:`RayExecutor` stands where the tournament's process pool stands
(:func:`elecbay_evaluate.tournament.run_episodes`): ``submit`` sends one episode
(:func:`~elecbay_evaluate.tournament.run_episode` of a task) as a Ray task and returns
a :class:`concurrent.futures.Future`, so progress, the journal (``--resume``) and error
reports are those of the local pool. An episode depends only on its task (scenario,
line-up, seed), so the results are identical to the local pool's, whichever node plays
it. Each Ray worker process builds a scenario's environment once and reuses it.

With ``--address`` it joins a running cluster (``ray start --head`` on one machine,
``ray start --address HEAD:6379`` on the others; every node needs elecbay installed
and the files of ``sb3:``/``rllib:`` specs at the same paths); without, it starts a
local Ray on 127.0.0.1 with ``--workers`` CPUs (no dashboard, usage statistics off).
Needs ``ray`` (the rllib virtual environment, ``docs/learning_libraries.md``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

BACKENDS = ("local", "ray")
"""Values of ``elecbay evaluate --backend``."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend`` and ``--address`` of ``elecbay evaluate``."""
    parser.add_argument("--backend", choices=BACKENDS, default="local",
                        help="local: worker processes on this machine; ray: episodes as Ray "
                        "tasks (default: %(default)s)")  # fmt: skip
    parser.add_argument("--address", default=None, metavar="ADDR",
                        help="with --backend ray: a running Ray cluster, e.g. head:6379 "
                        "(default: a local Ray on 127.0.0.1 with --workers CPUs)")  # fmt: skip


class RayExecutor:
    """The part of :class:`concurrent.futures.Executor` the tournament uses, on Ray.

    Args:
        address: a running cluster; None starts a local one with ``num_cpus`` CPUs.
        num_cpus: CPUs of a local Ray (one episode per CPU at a time).
    """

    def __init__(self, address: str | None = None, num_cpus: int = 2) -> None:
        import ray

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"address": address} if address else {
                "address": "local", "num_cpus": int(num_cpus), "_node_ip_address": "127.0.0.1",
                "include_dashboard": False}  # fmt: skip
            # Numba threads: one per episode, as the local pool's processes
            ray.init(log_to_driver=False, runtime_env={"env_vars": {"NUMBA_NUM_THREADS": "1"}},
                     **kwargs)  # fmt: skip
            self._started = True
        self._refs: list[Any] = []
        self._remote: dict[Callable[..., Any], Any] = {}

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` as a Ray task; its future."""
        if fn not in self._remote:
            self._remote[fn] = self._ray.remote(num_cpus=1, max_retries=0)(fn)
        ref = self._remote[fn].remote(*args)
        self._refs.append(ref)
        return ref.future()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Cancel what has not run (``cancel_futures``); stop a Ray this executor started."""
        if cancel_futures:
            for ref in self._refs:
                self._ray.cancel(ref, force=True)
        if self._started:
            self._ray.shutdown()
            self._started = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

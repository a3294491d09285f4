"""Finished episodes kept on disk, and worker processes that never run the caller's script.

:class:`Journal` appends every finished episode of a tournament to a JSON-lines file
(``episodes.jsonl``), one line per episode, flushed as it is written, so an interrupted
tournament keeps what it finished and ``elecbay evaluate --resume`` plays only the
rest. Each line carries a fingerprint of its task (scenario, overrides, entry,
policies, seed, deterministic): on resume only lines whose fingerprint matches a task of
the current spec are reused, so a changed spec never mixes in stale episodes. A line cut
short by a kill is ignored. Figures go through JSON unchanged (floats round-trip
exactly, NaN included), so a resumed tournament writes the same ``results.csv`` as an
uninterrupted one.

:func:`workers_without_main` makes spawned worker processes skip re-running the
caller's ``__main__`` script: episodes are described by spec strings that each worker
imports itself, so a script without an ``if __name__ == "__main__"`` guard can use
several workers. :func:`check_sendable` refuses policies given as Python objects that
worker processes could not import (defined in ``__main__`` or unpicklable).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pickle
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["JOURNAL_FILE", "Journal", "check_sendable", "task_fingerprint", "workers_without_main"]

JOURNAL_FILE = "episodes.jsonl"
"""Name of the journal in the evaluator's output folder."""


def _label(policy: Any) -> str:
    if isinstance(policy, str):
        return policy.strip()
    target = policy if callable(policy) and not hasattr(policy, "predict") else type(policy)
    module = getattr(target, "__module__", "?")
    return f"{module}:{getattr(target, '__qualname__', type(policy).__name__)}"


def task_fingerprint(task: Any) -> str:
    """A hash of what defines an episode's result (objects by class and address, so
    episodes of policies given as objects are never reused)."""
    policies = {
        k: v.strip() if isinstance(v, str) else f"{_label(v)}@{id(v)}"
        for k, v in task.policies.items()
    }
    text = json.dumps([task.scenario, task.source, task.overrides, task.entry, policies,
                       task.seed, task.deterministic], sort_keys=True, default=repr)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class Journal:
    """Finished episodes of one tournament in a JSON-lines file (module doc).

    Args:
        path: the file; created if missing.
        tasks: the tournament's tasks; lines of other tasks are dropped.
        resume: keep the matching lines already in the file; False starts empty.
    """

    def __init__(self, path: str | Path, tasks: Sequence[Any], resume: bool = True) -> None:
        self.path = Path(path)
        self._key = {task_fingerprint(t): t.key for t in tasks}
        self.done: dict[tuple[int, int, int], dict[str, Any]] = {}
        kept: list[str] = []
        if resume and self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                    key = self._key[record["task"]]
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # cut short by a kill, or a task of another spec
                if key not in self.done:
                    self.done[key] = record["result"]
                    kept.append(line)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
        self._file = self.path.open("a", encoding="utf-8")

    def add(self, task: Any, result: Mapping[str, Any]) -> None:
        """Append one finished episode (flushed at once)."""
        line = json.dumps({"task": task_fingerprint(task), "key": list(task.key),
                           "result": result})  # fmt: skip
        self._file.write(line + "\n")
        self._file.flush()
        self.done[task.key] = dict(result)

    def close(self) -> None:
        """Close the file."""
        self._file.close()


@contextlib.contextmanager
def workers_without_main() -> Iterator[None]:
    """While active, spawned processes do not re-run the ``__main__`` script.

    ``multiprocessing``'s spawn start method re-imports the main script in every worker
    (so that objects defined there can be unpickled), which runs an unguarded script's
    top level again. The tournament sends only importable objects (checked by
    :func:`check_sendable`), so it hides the script's path and module spec while its
    workers start.
    """
    main = sys.modules.get("__main__")
    saved: dict[str, Any] = {}
    if main is not None:
        for name in ("__file__", "__spec__"):
            if name in vars(main):
                saved[name] = vars(main)[name]
        main.__spec__ = None
        if "__file__" in saved:
            del main.__file__
    try:
        yield
    finally:
        if main is not None:
            for name, value in saved.items():
                setattr(main, name, value)


def check_sendable(policies: Mapping[str, Any], where: str) -> None:
    """Refuse policy objects worker processes cannot receive.

    Raises:
        ValueError: an object defined in the ``__main__`` script (workers do not run
            it) or one that cannot be pickled; the message names ``where`` and the way
            out (``workers=1``, or an import-path spec string).
    """
    for key, policy in policies.items():
        if isinstance(policy, str):
            continue
        label = _label(policy)
        advice = (
            "use workers=1, or put it in a module or file and name it as a spec string "
            "'my_module:NAME' or 'path/to/file.py:NAME' (each worker imports it)"
        )
        if label.startswith("__main__:"):
            raise ValueError(
                f"{where}.{key}: {label} is defined in the running script (__main__), "
                f"which worker processes do not import; {advice}"
            )
        try:
            pickle.dumps(policy)
        except Exception as exc:
            raise ValueError(
                f"{where}.{key}: {label} cannot be sent to worker processes ({exc}); {advice}"
            ) from None

"""Your own policies by import path: ``my_pkg.rules:PeakMarkup`` or ``path/to/rules.py:PeakMarkup``.

An **import spec** names an object in a module or a Python file, optionally followed by
``:ARGS`` like the built-in specs (comma-separated; numbers become floats, other text
stays a string)::

    my_pkg.rules:PeakMarkup            # module on sys.path (PYTHONPATH)
    my_pkg.rules:PeakMarkup:0.3,0.1    # called as PeakMarkup(env, agent, 0.3, 0.1)
    strategies/peak.py:PeakMarkup      # a file (relative to the working directory)

The object may be

* a **class or function** ``f(env, agent, *args)`` returning a policy (anything with a
  stable-baselines3-style ``predict``, :class:`elecbay_agents.base.SupportsPredict`);
  if it accepts an ``rng`` keyword it gets the agent's seeded generator
  (:func:`elecbay_agents.registry.agent_rng`), so stochastic rules are reproducible;
* a ready **policy instance** (has ``predict``; takes no ARGS), shared by the agents it
  plays.

An optional ``roles`` attribute on the object (e.g. ``roles = ("producer",)``) limits the
agents a role or ``"*"`` spec applies to, as the built-in policies' roles do; without it
the policy fits every role.

Because the spec is a string, worker processes of the evaluator import it again
themselves: nothing needs pickling and the calling script needs no ``__main__`` guard.
A file is imported once per process under a module name derived from its absolute path
(``elecbay_user_<stem>_<hash>``), so two files of the same name do not collide.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elecbay_env.roles import ROLES

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv

    from .policy_info import PolicyInfo

__all__ = ["is_import_spec", "load_object", "parse_import_spec", "user_policy_info"]

_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_MODULE_SPEC = re.compile(rf"^(?P<target>{_DOTTED}):(?P<attr>{_DOTTED})(?::(?P<args>.*))?$")
_FILE_SPEC = re.compile(rf"^(?P<target>.+?\.py):(?P<attr>{_DOTTED})(?::(?P<args>.*))?$")


def _match(spec: str) -> re.Match[str] | None:
    text = spec.strip()
    return _FILE_SPEC.match(text) or _MODULE_SPEC.match(text)


def is_import_spec(spec: str) -> bool:
    """Whether ``spec`` has the form ``MODULE:ATTR[:ARGS]`` or ``FILE.py:ATTR[:ARGS]``."""
    return isinstance(spec, str) and _match(spec) is not None


def _arg(text: str) -> float | str:
    try:
        value = float(text)
    except ValueError:
        return text
    return value if value == value and abs(value) != float("inf") else text


def parse_import_spec(spec: str) -> tuple[str, tuple[Any, ...]]:
    """``"pkg.mod:Cls:0.3,x"`` -> ``("pkg.mod:Cls", (0.3, "x"))`` (syntax only).

    Raises:
        ValueError: not an import spec, or ``:`` with nothing after it; the message
            names the spec.
    """
    m = _match(spec)
    if m is None:
        raise ValueError(
            f"policy spec {spec!r}: expected MODULE:NAME[:ARGS] or FILE.py:NAME[:ARGS]"
        )
    target = f"{m['target']}:{m['attr']}"
    raw = m["args"]
    if raw is None:
        return target, ()
    if not raw.strip():
        raise ValueError(f"policy spec {spec!r}: nothing after the last ':'")
    return target, tuple(_arg(part.strip()) for part in raw.split(","))


def _import_file(path: Path, spec: str) -> Any:
    path = path.expanduser().resolve()
    if not path.is_file():
        raise ValueError(f"policy spec {spec!r}: no such file {str(path)!r}")
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    name = f"elecbay_user_{stem}_{digest}"
    module = sys.modules.get(name)
    if module is not None:
        return module
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:  # pragma: no cover - .py always loads
        raise ValueError(f"policy spec {spec!r}: cannot import {str(path)!r}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    try:
        loader_spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        if isinstance(exc, Exception):
            raise ValueError(
                f"policy spec {spec!r}: importing {str(path)!r} failed: {type(exc).__name__}: {exc}"
            ) from exc
        raise
    return module


def _import_module(name: str, spec: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise ValueError(
                f"policy spec {spec!r}: no module named {name!r} (is its folder on "
                "sys.path / PYTHONPATH? a file is named as path/to/file.py:NAME)"
            ) from None
        raise ValueError(f"policy spec {spec!r}: importing {name!r} failed: {exc}") from exc
    except Exception as exc:
        raise ValueError(
            f"policy spec {spec!r}: importing {name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc


def load_object(spec: str) -> Any:
    """The object an import spec names (its module or file imported on first use).

    Raises:
        ValueError: a bad spec, a module or file that does not exist or fails to import,
            or a missing attribute; each message names the spec.
    """
    target, _ = parse_import_spec(spec)
    where, _, attr = target.rpartition(":")
    if where.endswith(".py"):
        module = _import_file(Path(where), spec)
    else:
        module = _import_module(where, spec)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"policy spec {spec!r}: {where!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj) and not hasattr(obj, "predict"):
        raise ValueError(
            f"policy spec {spec!r}: {attr!r} is a {type(obj).__name__}, not a policy (no "
            "predict method) nor a class or function f(env, agent, *args) that builds one"
        )
    return obj


def _accepts_rng(obj: Any) -> bool:
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return False
    return "rng" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _roles(obj: Any, spec: str) -> tuple[str, ...]:
    roles = getattr(obj, "roles", None)
    if roles is None:
        return tuple(ROLES)
    roles = (roles,) if isinstance(roles, str) else tuple(roles)
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise ValueError(f"policy spec {spec!r}: its 'roles' {roles!r} must be among {ROLES}")
    return roles


def user_policy_info(spec: str) -> PolicyInfo:
    """A registry entry (:class:`~elecbay_agents.registry.PolicyInfo`) for an import spec.

    Raises:
        ValueError: as :func:`load_object`.
    """
    from .policy_info import PolicyInfo

    target, _ = parse_import_spec(spec)
    obj = load_object(spec)
    is_instance = hasattr(obj, "predict") and not inspect.isclass(obj)

    def build(env: ElecbayParallelEnv, agent: str, args: tuple[Any, ...], rng: Any) -> Any:
        if is_instance:
            if args:
                raise ValueError(f"{target} is a ready policy instance: it takes no arguments")
            return obj
        kwargs = {"rng": rng} if _accepts_rng(obj) else {}
        try:
            policy = obj(env, agent, *args, **kwargs)
        except TypeError as exc:
            raise ValueError(f"{target}(env, agent, *{list(args)!r}) failed: {exc}") from exc
        if not hasattr(policy, "predict"):
            raise ValueError(
                f"{target}(env, agent) returned a {type(policy).__name__}, not a policy "
                "(no predict method)"
            )
        return policy

    return PolicyInfo(
        name=target, roles=_roles(obj, spec), kinds=None, n_args=(), path=False,
        usage=f"{target}[:ARGS]", summary=f"user policy {target}", params="", build=build,
    )  # fmt: skip

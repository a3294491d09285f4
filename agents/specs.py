"""Reading a policy spec (``NAME[:ARGS]`` or an import spec) against the catalogue.

:func:`parse_spec` checks a spec's syntax without an environment and :func:`policy_info`
finds its entry (:data:`elecbay_agents.catalogue.REGISTRY`, or one made by
:mod:`elecbay_agents.user_policies` for ``my_pkg.rules:PeakMarkup``). Re-exported from
:mod:`elecbay_agents.registry`.
"""

from __future__ import annotations

import numpy as np

from .catalogue import REGISTRY, policy_names
from .policy_info import Args, PolicyInfo

__all__ = ["parse_spec", "policy_info"]


def policy_info(name: str) -> PolicyInfo:
    """The registry entry of a name (or of a whole spec: the part before ``:``); for an
    import spec (``my_pkg.rules:PeakMarkup``, :mod:`elecbay_agents.user_policies`) an
    entry built from the object it names (imported on first use).

    Raises:
        ValueError: an unknown name, or an import spec whose module, file or attribute
            does not exist or is not a policy.
    """
    key = str(name).partition(":")[0].strip().lower()
    if key not in REGISTRY:
        if _is_import(str(name)):
            from .user_policies import user_policy_info

            return user_policy_info(str(name))
        raise _unknown(str(name), key)
    return REGISTRY[key]


def _is_import(spec: str) -> bool:
    from .user_policies import is_import_spec

    return is_import_spec(spec)


def _unknown(spec: str, name: str) -> ValueError:
    return ValueError(
        f"policy spec {spec!r}: unknown policy {name!r}; known names: {', '.join(policy_names())}"
        "; or your own: MODULE:NAME[:ARGS] or path/to/file.py:NAME[:ARGS]"
    )


def parse_spec(spec: str) -> tuple[str, Args]:
    """Split and check a spec: ``"markup:0.2,0.3"`` -> ``("markup", (0.2, 0.3))``.

    Numeric arguments come back as floats; a model's path as one string
    (``"sb3:a,b.zip"`` -> ``("sb3", ("a,b.zip",))``). Names are case-insensitive and
    spaces around the parts are ignored. An import spec (``"pkg.mod:Cls:0.3"``,
    ``"rules.py:Cls"``; :mod:`elecbay_agents.user_policies`) comes back as its target
    and arguments (``("pkg.mod:Cls", (0.3,))``); only its syntax is checked here.

    Raises:
        ValueError: not a string, an unknown name, the wrong number of arguments, or an
            argument that is not a finite number. The message names the spec and lists
            the known names.
    """
    if not isinstance(spec, str):
        raise ValueError(
            f"policy spec {spec!r}: expected a string NAME[:ARGS]; known names: "
            f"{', '.join(policy_names())}"
        )
    name, colon, rest = spec.strip().partition(":")
    name = name.strip().lower()
    info = REGISTRY.get(name)
    if info is None:
        if _is_import(spec):
            from .user_policies import parse_import_spec

            return parse_import_spec(spec)
        raise _unknown(spec, name)
    if info.path:
        path = rest.strip()
        args: Args = (path,) if path else ()
    elif colon and not rest.strip():
        raise ValueError(f"policy spec {spec!r}: nothing after ':'; usage: {info.usage}")
    else:
        values = []
        for part in rest.split(",") if colon else []:
            try:
                value = float(part)
            except ValueError:
                value = float("nan")
            if not np.isfinite(value):
                raise ValueError(
                    f"policy spec {spec!r}: argument {part.strip()!r} is not a finite "
                    f"number; usage: {info.usage}"
                )
            values.append(value)
        args = tuple(values)
    if len(args) not in info.n_args:
        counts = [str(n) for n in info.n_args]
        allowed = counts[0] if len(counts) == 1 else f"{', '.join(counts[:-1])} or {counts[-1]}"
        raise ValueError(
            f"policy spec {spec!r}: {name} takes {allowed} arguments, got {len(args)}; "
            f"usage: {info.usage}"
        )
    return name, args

"""Scenarios: YAML -> a validated, frozen :class:`Scenario`; errors name the field.

:func:`load_scenario` reads a shipped scenario (``"default"``, ``"small"``, ...), a YAML
file or a dict, applies overrides, and validates everything at once. Every problem found
becomes one line of a :class:`ScenarioError` naming the field's path, the bad value and
what is allowed::

    invalid scenario 'my.yaml' (2 problems):
      producers[2].min_stable_mw = 300: must be <= capacity_mw (200)
      market.k = 1.5: must be in [0, 1]

The models themselves (:class:`Scenario`, :class:`Market`, the producers, ...) live in
:mod:`elecbay_env.schema`, which documents their fields and units; they are re-exported
here, so ``from elecbay_env.config import Scenario`` keeps working; the problems and
their messages (:class:`Problem`, :class:`ScenarioError`) live in
:mod:`elecbay_env.scenario_errors`, re-exported here too.

Example:
    >>> s = load_scenario("small", **{"market.days": 2})
    >>> s.market.n_periods, s.market.period_h
    (96, 0.5)
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .scenario_errors import MISSING, Problem, ScenarioError, _error, _problems
from .schema import MAX_EPISODE_PERIODS as MAX_EPISODE_PERIODS  # re-exported
from .schema import MINUTES_PER_DAY as MINUTES_PER_DAY  # re-exported
from .schema import (
    Broker,
    Consumer,
    CsvProfile,
    ForecastError,
    Market,
    Participant,
    Producer,
    Profile,
    Scenario,
    ShapeProfile,
    SolarProducer,
    StorageProducer,
    ThermalProducer,
    WindProducer,
)

__all__ = [
    "MISSING",
    "Broker",
    "Consumer",
    "CsvProfile",
    "ForecastError",
    "Market",
    "Participant",
    "Problem",
    "Producer",
    "Profile",
    "Scenario",
    "ScenarioError",
    "ShapeProfile",
    "SolarProducer",
    "StorageProducer",
    "ThermalProducer",
    "WindProducer",
    "load_scenario",
    "shipped_scenarios",
]

_CONFIG_PACKAGE = "elecbay_configs"


# --------------------------------------------------------------------------- loading


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys instead of keeping the last."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_SCENARIO_KEYS = frozenset({"market", "producers", "consumers", "broker"})


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``configs/`` (package ``elecbay_configs``).

    A shipped YAML file is a scenario when its top level has at least one of ``market``,
    ``producers``, ``consumers`` or ``broker``; other YAML there (``demo_book.yaml``, an
    order book for ``elecbay clear``) is skipped. A file that is not valid YAML is listed,
    so that loading it reports the error.
    """
    names = []
    for item in resources.files(_CONFIG_PACKAGE).iterdir():
        if not item.name.endswith(".yaml"):
            continue
        try:
            data = yaml.safe_load(item.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            data = dict.fromkeys(_SCENARIO_KEYS)
        if isinstance(data, dict) and _SCENARIO_KEYS & set(data):
            names.append(item.name[: -len(".yaml")])
    return sorted(names)


def _parse_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{origin}: YAML error{where}: {problem}", source=origin) from None
    if data is None:
        raise ScenarioError(f"{origin}: empty scenario file", source=origin)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{origin}: the top level must be a mapping of fields (name, market, producers, "
            f"consumers, broker), not a {type(data).__name__}",
            source=origin,
        )
    return data


def _read_source(source: Any) -> tuple[dict[str, Any], str, Path | None]:
    """Return (raw data, origin for messages, folder relative CSV paths start from)."""
    if source is None:
        source = "default"
    if isinstance(source, Scenario):
        return source.model_dump(mode="json"), repr(source.name), None
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source)), "<dict>", None
    if not isinstance(source, str | os.PathLike):
        raise ScenarioError(
            f"scenario source must be a shipped name, a YAML path or a dict, not "
            f"{type(source).__name__}"
        )
    text = os.fspath(source)
    is_name = isinstance(source, str) and re.fullmatch(r"[A-Za-z0-9_\-]+", text) is not None
    if is_name:
        resource = resources.files(_CONFIG_PACKAGE).joinpath(f"{text}.yaml")
        if resource.is_file():
            base = Path(str(resource)).parent if isinstance(resource, Path) else None
            return _parse_yaml(resource.read_text(encoding="utf-8"), f"'{text}'"), f"'{text}'", base
    path = Path(text)
    origin = f"'{path}'"
    if not path.is_file():
        hint = f" and no shipped scenario of that name (shipped: {', '.join(shipped_scenarios())})"
        raise ScenarioError(
            f"scenario file {origin} not found{hint if is_name else ''}", source=origin
        )
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{origin}: cannot read scenario file: {exc}", source=origin) from None
    return _parse_yaml(raw, origin), origin, path.resolve().parent


def _split_key(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]


def _merge(target: dict[str, Any], update: Mapping[str, Any]) -> None:
    for k, v in update.items():
        if isinstance(v, Mapping) and isinstance(target.get(k), dict):
            _merge(target[k], v)
        else:
            target[k] = copy.deepcopy(v)


def _apply_override(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` (dotted, list indices as numbers) in ``data``; merge a mapping value."""
    parts = _split_key(key)
    if not parts:
        raise ScenarioError(f"override {key!r}: empty key")
    node: Any = data
    for depth, part in enumerate(parts):
        where = ".".join(str(q) for q in parts[:depth]) or "<scenario>"
        if isinstance(node, list):
            if not isinstance(part, int) or not -len(node) <= part < len(node):
                raise ScenarioError(
                    f"override {key!r}: {where} is a list of {len(node)} entries; "
                    f"{part!r} is not an index into it"
                )
        elif isinstance(node, dict):
            part = str(part)
        else:
            raise ScenarioError(f"override {key!r}: {where} is a {type(node).__name__}")
        if depth == len(parts) - 1:
            break
        if isinstance(node, dict) and not isinstance(node.get(part), dict | list):
            node[part] = {}
        node = node[part]
    current = node[part] if isinstance(node, list) else node.get(part)
    if isinstance(value, Mapping) and isinstance(current, dict):
        _merge(current, value)
    else:
        node[part] = copy.deepcopy(value)


def load_scenario(
    source: str | os.PathLike[str] | Mapping[str, Any] | Scenario | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    **kw_overrides: Any,
) -> Scenario:
    """Load, override and validate a scenario.

    Args:
        source: ``None`` (the shipped ``default``), the name of a shipped scenario (see
            :func:`shipped_scenarios`), a path to a YAML file, a dict of fields, or a
            :class:`Scenario` (re-validated with the overrides).
        overrides: dotted keys (``{"market.days": 2}``, ``{"producers.0.capacity_mw": 500}``
            or ``{"producers[0].capacity_mw": 500}``) or nested dicts
            (``{"market": {"days": 2}}``, merged into the existing mapping). Lists are
            replaced whole unless indexed.
        base_dir: folder relative CSV profile paths start from; default: the YAML file's
            folder, or the working directory for a dict.
        **kw_overrides: more overrides, applied after ``overrides``:
            ``load_scenario("small", **{"market.days": 2})`` or
            ``load_scenario("small", market={"days": 2})``.

    Returns:
        The validated, frozen scenario. CSV profile paths are absolute and their files
        have been read and checked.

    Raises:
        ScenarioError: a missing or unreadable file, a YAML error, a bad override, or one
            line per invalid field naming its path, value and the allowed range or values.
    """
    data, origin, found_dir = _read_source(source)
    for key, value in {**(overrides or {}), **kw_overrides}.items():
        _apply_override(data, key, value)
    folder = Path(base_dir) if base_dir is not None else found_dir or Path.cwd()
    try:
        return Scenario.model_validate(data, context={"base_dir": folder})
    except ValidationError as exc:
        raise _error(origin, _problems(exc)) from None

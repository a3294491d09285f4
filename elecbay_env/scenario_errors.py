"""Scenario errors: one :class:`Problem` per invalid field, gathered in a :class:`ScenarioError`.

:func:`_problems` turns pydantic's ``ValidationError`` into problems whose path reads as
the scenario is written (``producers[2].min_stable_mw``: list indices in brackets, the
``type`` tags of producers and profiles left out); :func:`_error` makes the
``ScenarioError`` of a source with one message line per problem. :mod:`elecbay_env.config`
raises them and re-exports :class:`Problem`, :class:`ScenarioError` and :data:`MISSING`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from . import schema


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""The :attr:`Problem.value` of a field that is absent (a required field, a missing tag)."""


@dataclass(frozen=True)
class Problem:
    """One invalid field: its path (``producers[2].min_stable_mw``), value and the rule.

    Attributes:
        path: the field's path in the scenario, list indices in brackets.
        value: the bad value as given, or :data:`MISSING` when the field is absent.
        message: what is wrong and what is allowed (a range or a list of values).
    """

    path: str
    value: Any
    message: str

    def __str__(self) -> str:
        where = self.path or "<scenario>"
        if self.value is MISSING:
            return f"{where}: {self.message}"
        return f"{where} = {_show(self.value)}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; one message line per problem.

    Attributes:
        problems: the problems found (empty for file-level errors such as bad YAML).
        source: the file, shipped name or ``<dict>`` that was loaded.
    """

    def __init__(self, message: str, problems: tuple[Problem, ...] = (), source: str = "") -> None:
        super().__init__(message)
        self.problems = problems
        self.source = source


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)  # 5000.0 and 5000 read the same, as the user wrote either
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_TAGS: dict[str, type[BaseModel]] = {
    "thermal": schema.ThermalProducer,
    "wind": schema.WindProducer,
    "solar": schema.SolarProducer,
    "storage": schema.StorageProducer,
    "shape": schema.ShapeProfile,
    "csv": schema.CsvProfile,
}


def _strip(tp: Any) -> Any:
    """Remove Annotated and Optional wrappers from a type."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, type(int | None)):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _walk(loc: tuple[str | int, ...]) -> tuple[str, Any]:
    """Readable path of a pydantic error location, and the type found there.

    Union tags (``thermal``, ``csv``, ...) that pydantic inserts are dropped from the path.
    """
    tp: Any = schema.Scenario
    path = ""
    for item in loc:
        tp = _strip(tp) if tp is not None else None
        if isinstance(item, int):
            path += f"[{item}]"
            args = get_args(tp) if tp is not None else ()
            tp = args[0] if args else None
            continue
        if isinstance(tp, type) and issubclass(tp, BaseModel) and item in tp.model_fields:
            tp = tp.model_fields[item].annotation
        elif tp is not None and get_origin(tp) in (Union, type(int | None)) and item in _TAGS:
            tp = _TAGS[item]
            continue
        else:
            tp = None
        path += f".{item}" if path else str(item)
    return path, tp


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path and field else path or field


def _problems(err: ValidationError) -> tuple[Problem, ...]:
    out: list[Problem] = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        kind = e["type"]
        ctx = e.get("ctx") or {}
        value = e.get("input", MISSING)
        path, _ = _walk(loc)
        if kind == "elecbay_checks":
            out.extend(Problem(_join(path, f), v, m) for f, v, m in ctx["problems"])
        elif kind == "missing":
            out.append(Problem(path, MISSING, "required field is missing"))
        elif kind == "extra_forbidden":
            _, parent = _walk(loc[:-1])
            parent = _strip(parent)
            message = "unknown field"
            if isinstance(parent, type) and issubclass(parent, BaseModel):
                fields = list(parent.model_fields)
                close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
                if close:
                    message += f" (did you mean {close[0]!r}?)"
                message += f"; allowed: {', '.join(fields)}"
            out.append(Problem(path, value, message))
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            tag = ctx.get("tag", MISSING)
            allowed = ", ".join(schema.PRODUCER_TYPES)
            msg = (
                "unknown asset type" if kind == "union_tag_invalid" else "required field is missing"
            )
            out.append(Problem(_join(path, "type"), tag, f"{msg}; allowed: {allowed}"))
        else:
            out.append(Problem(path, value, e["msg"]))
    return tuple(out)


def _error(source: str, problems: tuple[Problem, ...]) -> ScenarioError:
    n = len(problems)
    lines = [f"invalid scenario {source} ({n} problem{'s' if n != 1 else ''}):"]
    lines += [f"  {p}" for p in problems]
    return ScenarioError("\n".join(lines), problems, source)

"""The leaderboard generator (evaluate/leaderboard.py): a tiny run, its table and
header, and determinism (the same arguments give the same file)."""

from __future__ import annotations

import re

import pytest
from elecbay_evaluate import leaderboard as lb
from elecbay_evaluate.spec import SpecError

ARGS = ["--scenario", "small", "--seeds", "3", "--lineup", "markup", "--resamples", "300",
        "--workers", "1", "--quiet"]  # fmt: skip


def test_a_tiny_leaderboard_is_written_and_reproducible(tmp_path):
    first, second = tmp_path / "a" / "leaderboard.md", tmp_path / "b.md"
    assert lb.main([*ARGS, "--out", str(first)]) == 0
    assert lb.main([*ARGS, "--out", str(second)]) == 0
    text = first.read_text()
    assert first.read_bytes() == second.read_bytes()
    assert text.startswith("# Leaderboard")
    assert ("`python -m evaluate.leaderboard --scenario small --seeds 3 --seed0 0 --days 1 "
            "--lineup markup --resamples 300`") in text  # fmt: skip
    for needle in ("- **Scenarios**: `small`: market.days=1; synthetic profiles",
                   "- **Seeds**: [0, 1, 2] (3)", "- **Baseline**: `truthful`",
                   "- **Ranking**: IQM of welfare"):  # fmt: skip
        assert needle in text, needle
    rows = [line for line in text.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [r.split(" | ")[1] for r in rows] == sorted(
        ["truthful", "markup"], key=lambda n: -_iqm(rows, n))  # fmt: skip
    assert [r.split(" | ")[0] for r in rows] == ["| 1", "| 2"]
    truthful = next(r for r in rows if "| truthful |" in r)
    assert "(baseline)" in truthful
    markup = next(r for r in rows if "| markup |" in r)
    assert re.search(r"\| [+-][\d,]+ \[[+-][\d,]+, [+-][\d,]+\] \| \d/\d/\d \|$", markup)


def _iqm(rows: list[str], name: str) -> float:
    row = next(r for r in rows if f"| {name} |" in r)
    return float(row.split(" | ")[3].split(" [")[0].replace(",", ""))


def test_unknown_line_up_is_an_error(capsys):
    assert lb.main(["--lineup", "nope", "--quiet"]) == 2
    assert "--lineup nope: unknown (line-ups: truthful, markup" in capsys.readouterr().err
    spec = lb.leaderboard_spec("small", split="test", n_seeds=2, lineups=["zi_c"])
    assert [e.name for e in spec.entries] == ["truthful", "zi_c"]
    assert spec.scenarios[0].overrides == {"market.days": 1, "data.split": "test"}
    with pytest.raises(SpecError):
        lb.leaderboard_spec(lineups=["markup", "nope"])

"""The RLlib snippet of docs/learning_libraries.md runs as it stands and does what it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import RAY_MISSING

pytest.importorskip("ray.rllib", reason=RAY_MISSING)

DOC = Path(__file__).resolve().parents[2] / "docs" / "learning_libraries.md"


def doc_snippet(name: str) -> str:
    """The python block that follows ``<!-- snippet: NAME -->`` in the libraries page."""
    match = re.search(rf"<!-- snippet: {name} -->\s*```python\n(.*?)```", DOC.read_text(), re.S)
    assert match, f"no snippet {name!r} in {DOC.name}"
    return match.group(1)


def test_rllib_snippet_trains_saves_and_replays(local_ray, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(doc_snippet("rllib"), str(DOC), "exec"), {"__name__": "snippet"})
    out = capsys.readouterr().out
    for role in ("producer", "consumer", "broker"):
        match = re.search(rf"^{role}: value loss ([0-9.]+), return (-?[0-9.]+)$", out, re.M)
        assert match, out
        assert float(match.group(1)) < 10.0  # PPO's vf_clip_param
    folder = tmp_path / "runs" / "rllib_small"
    assert (folder / "checkpoint").is_dir()
    assert {p.parent.name for p in folder.glob("*/elecbay.json")} == {
        "producer",
        "consumer",
        "broker",
    }
    assert "truthful" in out and "ppo" in out
    assert len((folder / "progress.jsonl").read_text().splitlines()) == 2

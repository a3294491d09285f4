"""Regenerate the observation tables of docs/environment.md from the code.

Usage: ``python scripts/environment_tables.py``. tests/test_docs.py fails when a table
and :func:`elecbay_env.envs.observations.observation_table` disagree.
"""

from __future__ import annotations

from pathlib import Path

from elecbay_env.engine import Engine
from elecbay_env.envs.observations import observation_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "environment.md"
SECTIONS = {"### Producers and consumers\n": "trader", "### Broker\n": "broker"}


def main() -> int:
    text = DOC.read_text()
    params = Engine("default").params
    for heading, role in SECTIONS.items():
        at = text.index(heading)
        start = text.index("| Index | Name |", at)
        end = start
        while end < len(text) and text[end] == "|":
            end = text.index("\n", end) + 1
        text = text[:start] + observation_table(params, role) + "\n" + text[end:]
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

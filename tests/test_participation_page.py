"""docs/participation.md shows what the program prints (scripts/participation_page.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_participation_page_shows_what_the_program_prints() -> None:
    spec = importlib.util.spec_from_file_location(
        "participation_page", ROOT / "scripts" / "participation_page.py"
    )
    page_script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page_script)
    page = page_script.PAGE.read_text()
    for name, content in page_script.blocks().items():
        assert page_script.block(page, name) == content, (
            f"docs/participation.md {name}: run scripts/participation_page.py"
        )

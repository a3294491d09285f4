"""docs/flexibility.md shows what the exploit study prints (scripts/flexibility_page.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_flexibility_page_shows_the_exploit_study() -> None:
    spec = importlib.util.spec_from_file_location("fp", ROOT / "scripts" / "flexibility_page.py")
    fp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fp)
    page = fp.PAGE.read_text()
    assert "\n## Flexibility services\n" in page
    assert fp.block(page, "exploits") == fp.exploit_output(), (
        "stale: run scripts/flexibility_page.py"
    )

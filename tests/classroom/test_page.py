"""docs/classroom.md shows what the program prints (scripts/classroom_page.py writes it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_classroom_page_shows_what_the_program_prints() -> None:
    path = ROOT / "scripts" / "classroom_page.py"
    spec = importlib.util.spec_from_file_location("classroom_page", path)
    cp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cp)
    page = cp.PAGE.read_text()
    for name, content in cp.blocks().items():
        assert cp.block(page, name) == content, f"docs/classroom.md {name}: run {cp.__file__}"
    for img in ("classroom_teacher.png", "classroom_student_buyer.png",
                "classroom_student_seller.png", "classroom_electricity_teacher.png",
                "classroom_electricity_student.png"):  # fmt: skip
        assert f"img/{img}" in page and (ROOT / "docs" / "img" / img).is_file()

"""Regenerate the program output shown in docs/classroom.md ("Run a live class").

Usage: ``python scripts/classroom_page.py``. It fills the code blocks after the
``<!-- classroom_page.py: NAME -->`` markers: ``classics`` (bots alone on the shipped
schedules next to the papers' figures, :func:`elecbay_classroom.classics.classics_table`)
``electricity`` (a scripted electricity class, :func:`elecbay_classroom.grid_demo.demo_table`)
and ``serve`` (the first lines ``elecbay classroom serve`` prints, with the random join code
and key replaced). tests/test_docs_drift.py fails when the page and the program differ.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "classroom.md"


def serve_banner() -> str:
    """What ``elecbay classroom serve --bots zi-c:10`` prints before it serves."""
    from elecbay_classroom.command import banner
    from elecbay_classroom.session import Session, SessionConfig

    s = Session(SessionConfig(bots="zi-c:10"))
    s.join_code = "123456"  # the real one is random
    return "$ elecbay classroom serve --experiment smith --periods 5 --bots zi-c:10\n" + banner(
        s, "127.0.0.1", 8765, key="<secret key>"
    )


def blocks() -> dict[str, str]:
    from elecbay_classroom.classics import classics_table
    from elecbay_classroom.grid_demo import demo_table

    return {"serve": serve_banner(), "classics": classics_table(), "electricity": demo_table()}


def block(page: str, name: str) -> str:
    """The content of the code block after marker ``name``."""
    from elecbay_evaluate.doc_blocks import marked_block

    return marked_block(page, "classroom_page.py", name)


def main() -> int:
    from elecbay_evaluate.doc_blocks import fill_marked_blocks

    fill_marked_blocks(PAGE, "classroom_page.py", blocks())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate the program output shown in docs/cda.md from the program.

Usage: ``python scripts/cda_page.py``. It fills the code blocks after the
``<!-- cda_page.py: NAME -->`` markers: ``orders`` (the embedded configs/demo_cda.csv),
``cda`` (what ``elecbay cda`` prints for it) and ``clear`` (what ``elecbay clear``
prints for the embedded configs/demo_book.yaml). tests/test_docs_drift.py fails when the
page and the program differ.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cda.md"


def _printed(argv: list[str]) -> str:
    from elecbay_app.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    if code != 0:
        raise RuntimeError(f"elecbay {' '.join(argv)} exited with {code}")
    return buf.getvalue()


def blocks() -> dict[str, str]:
    """The content of each marked block, from the program."""
    return {
        "orders": (ROOT / "configs" / "demo_cda.csv").read_text(),
        "cda": "$ elecbay cda\n" + _printed(["cda"]),
        "clear": "$ elecbay clear\n" + _printed(["clear"]),
    }


def block(page: str, name: str) -> str:
    """The content of the code block after marker ``name``."""
    from elecbay_evaluate.doc_blocks import marked_block

    return marked_block(page, "cda_page.py", name)


def main() -> int:
    from elecbay_evaluate.doc_blocks import fill_marked_blocks

    fill_marked_blocks(PAGE, "cda_page.py", blocks())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

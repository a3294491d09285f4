"""Write the exploit study's output into docs/flexibility.md.

Fills the code block after the ``<!-- flexibility_page.py: exploits -->`` marker with what
``python -m elecbay_evaluate.flex_exploits --seeds 12`` prints (paired gains of each
exploit with and without the defences). tests/test_flexibility_docs.py fails when the
page and the program differ. Run: ``.venv/bin/python scripts/flexibility_page.py``.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "flexibility.md"
SEEDS = 12


def exploit_output() -> str:
    """What the exploit study prints for :data:`SEEDS` seeds."""
    from elecbay_evaluate.flex_exploits import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["--seeds", str(SEEDS)])
    return buf.getvalue()


def _marker(name: str) -> str:
    return f"<!-- flexibility_page.py: {name} -->\n```text\n"


def block(page: str, name: str) -> str:
    """The content of the code block after marker ``name``."""
    start = page.index(_marker(name)) + len(_marker(name))
    return page[start : page.index("```", start)]


def fill(page: str, name: str, content: str) -> str:
    """``page`` with the block after marker ``name`` replaced by ``content``."""
    start = page.index(_marker(name)) + len(_marker(name))
    return page[:start] + content + page[page.index("```", start) :]


def main() -> int:
    """Rewrite the page's generated block."""
    PAGE.write_text(fill(PAGE.read_text(), "exploits", exploit_output()))
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

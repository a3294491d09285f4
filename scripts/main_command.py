"""Regenerate the program output shown in docs/main_command.md from the program.

Usage: ``python scripts/main_command.py`` (from the repository, in the project's
environment). It fills the code blocks that follow the ``<!-- main_command.py: NAME -->``
markers of the page: ``help`` (``elecbay run --help`` at 100 columns), ``errors`` (what
two bad options print) and ``example`` (``elecbay run`` on the default scenario, 3 days,
seed 0, without the progress bar; the output folder shown as ``runs/default-seed0-...``).
tests/test_docs_drift.py fails when the page and the program differ.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "main_command.md"
COLUMNS = "100"
ERROR_ARGS = (["--days", "0"], ["--config", "nope"])
SHOWN_FOLDER = "runs/default-seed0-20250101-120000/"
"""How the example shows its output folder (a real run's default name has the time)."""


def _elecbay(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": COLUMNS}
    cmd = [sys.executable, "-m", "elecbay_app.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)


def help_output() -> str:
    """What ``elecbay run --help`` prints at :data:`COLUMNS` columns."""
    return _elecbay(["run", "--help"]).stdout


def error_output() -> str:
    """The one-line errors of :data:`ERROR_ARGS`, each after its command line."""
    out = []
    for args in ERROR_ARGS:
        out.append("$ elecbay run " + " ".join(args) + "\n" + _elecbay(["run", *args]).stderr)
    return "".join(out)


def example_output() -> str:
    """What ``elecbay run`` prints (default scenario, 3 days, seed 0), progress bar off."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        text = _elecbay(["run", "--no-progress", "--out", str(out)]).stdout
    return "$ elecbay run --no-progress\n" + text.replace(f"{out}/", SHOWN_FOLDER)


def fill(page: str, name: str, content: str) -> str:
    """``page`` with the code block after marker ``name`` replaced by ``content``."""
    marker = f"<!-- main_command.py: {name} -->\n```text\n"
    start = page.index(marker) + len(marker)
    end = page.index("```", start)
    return page[:start] + content + page[end:]


def block(page: str, name: str) -> str:
    """The content of the code block after marker ``name``."""
    marker = f"<!-- main_command.py: {name} -->\n```text\n"
    start = page.index(marker) + len(marker)
    return page[start : page.index("```", start)]


def main() -> int:
    page = PAGE.read_text()
    page = fill(page, "help", help_output())
    page = fill(page, "errors", error_output())
    page = fill(page, "example", example_output())
    PAGE.write_text(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

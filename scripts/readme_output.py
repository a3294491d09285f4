"""Regenerate the README's sample output of ``./run.sh`` and its plot from the program.

Usage: ``python scripts/readme_output.py`` (from the repository, in the project's
environment). It runs ``elecbay run`` on the embedded default (3 days, seed 0), writes
the printed output into README.md between the ``$ ./run.sh`` line and the closing code
fence of that block, and copies the plot to docs/img/market.png.
tests/test_readme.py fails when the README's summary differs from the program's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = "$ ./run.sh\n"
GB_ARGS = ["--config", "gb2024", "--days", "1", "--split", "test"]
GB_MARKER = "$ ./run.sh " + " ".join(GB_ARGS) + "\n"


def run_output(out_dir: Path, extra: list[str] | None = None, name: str = "default") -> str:
    """What ``elecbay run --no-progress [extra]`` prints, with the output folder shown as
    the default one of ``runs/``."""
    cmd = [sys.executable, "-m", "elecbay_app.cli", "run", "--no-progress", "--out", str(out_dir)]
    text = subprocess.run(
        cmd + (extra or []), check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return text.replace(f"{out_dir}/", f"runs/{name}-seed0/")


def replace_block(readme: str, output: str, marker: str = MARKER) -> str:
    """README text with the sample output after ``marker`` replaced by ``output``."""
    start = readme.index(marker) + len(marker)
    end = readme.index("```", start)
    return readme[:start] + output + readme[end:]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        output = run_output(out)
        shutil.copyfile(out / "market.png", ROOT / "docs" / "img" / "market.png")
        gb = run_output(Path(tmp) / "gb", GB_ARGS, "gb2024")
    text = replace_block(README.read_text(), output)
    README.write_text(replace_block(text, gb, GB_MARKER))
    print(output, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

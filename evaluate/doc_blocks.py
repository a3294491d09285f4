"""Marked code blocks of the docs pages that show program output.

A page marks each generated block with ``<!-- SCRIPT: NAME -->`` followed by a
```` ```text ```` fence; the script under ``scripts/`` fills the block from the program
and a test compares the page's block with the program's output. The page scripts share
these two functions.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["fill_marked_blocks", "marked_block"]


def _span(page: str, script: str, name: str) -> tuple[int, int]:
    marker = f"<!-- {script}: {name} -->\n```text\n"
    start = page.index(marker) + len(marker)
    return start, page.index("```", start)


def marked_block(page: str, script: str, name: str) -> str:
    """The content of the code block after the marker ``<!-- script: name -->``.

    Raises:
        ValueError: the page has no such marker.
    """
    start, end = _span(page, script, name)
    return page[start:end]


def fill_marked_blocks(path: Path, script: str, blocks: dict[str, str]) -> None:
    """Replace each named block of the page at ``path`` with its new content."""
    page = path.read_text()
    for name, content in blocks.items():
        start, end = _span(page, script, name)
        page = page[:start] + content + page[end:]
    path.write_text(page)

#!/usr/bin/env bash
# Create or reuse the project's virtual environment and install what a command needs.
# Usage: source scripts/venv.sh EXTRAS   (EXTRAS: "" for the run command, "train,dev" for tests)
# Reinstalls only when setup.cfg, pyproject.toml or constraints.txt change.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ELECBAY_VENV:-$ROOT/.venv}"
EXTRAS="${1:-}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.elecbay-installed-${EXTRAS:-base}"
HASH="$(cat "$ROOT/setup.cfg" "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$HASH" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    if [[ "$EXTRAS" == *train* ]]; then
        # torch first and pinned: anything that pulls torch in later then finds it installed.
        "$VENV/bin/python" -m pip install --quiet -c "$ROOT/constraints.txt" torch
    fi
    SPEC="$ROOT"
    if [ -n "$EXTRAS" ]; then SPEC="$ROOT[$EXTRAS]"; fi
    "$VENV/bin/python" -m pip install --quiet -c "$ROOT/constraints.txt" -e "$SPEC"
    echo "$HASH" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"

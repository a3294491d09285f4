#!/usr/bin/env bash
# Create or reuse the project's virtual environment and install what a command needs.
# Usage: source scripts/venv.sh EXTRAS [COMMAND...]
#   EXTRAS: "" for the run command, "train,dev" for tests, or "auto": chosen from the
#   elecbay COMMAND that follows ("train" -> the training extra, anything else -> none).
# Reinstalls only when setup.cfg, pyproject.toml or constraints.txt change.
# ELECBAY_VENV_DRY=1 prints what would be installed and changes nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ELECBAY_VENV:-$ROOT/.venv}"
EXTRAS="${1:-}"
if [ "$EXTRAS" = "auto" ]; then
    EXTRAS=""
    if [ "${2:-}" = "train" ]; then EXTRAS="train"; fi
fi
PYTHON="${PYTHON:-python3}"
DRY="${ELECBAY_VENV_DRY:-}"
run() {  # run a command, or print it in dry mode
    if [ -n "$DRY" ]; then echo "would run: $*"; else "$@"; fi
}
if [ -n "$DRY" ]; then echo "extras: ${EXTRAS:-none}"; fi
if [ ! -x "$VENV/bin/python" ]; then
    run "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.elecbay-installed-${EXTRAS:-base}"
HASH="$(cat "$ROOT/setup.cfg" "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$HASH" ]; then
    run "$VENV/bin/python" -m pip install --quiet --upgrade pip
    if [[ "$EXTRAS" == *train* || "$EXTRAS" == *rllib* ]]; then
        echo "elecbay: installing the training extra ($EXTRAS: torch, pinned CPU build, first) into" \
             "$VENV; first time only, a few minutes..." >&2
        # torch first and pinned: anything that pulls torch in later then finds it installed.
        run "$VENV/bin/python" -m pip install --quiet -c "$ROOT/constraints.txt" torch
    fi
    SPEC="$ROOT"
    if [ -n "$EXTRAS" ]; then SPEC="$ROOT[$EXTRAS]"; fi
    run "$VENV/bin/python" -m pip install --quiet -c "$ROOT/constraints.txt" -e "$SPEC"
    if [ -z "$DRY" ]; then echo "$HASH" > "$STAMP"; fi
fi
export PATH="$VENV/bin:$PATH"

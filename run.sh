#!/usr/bin/env bash
# The main job: `./run.sh` runs elecbay on the embedded default scenario.
# `./run.sh [OPTIONS]` runs `elecbay run [OPTIONS]` (see `./run.sh --help`);
# `./run.sh COMMAND ...` runs any elecbay command, e.g. `./run.sh train --role producer`
# (which installs the training extra, torch included, on first use).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh auto "$@"
case "${1:-}" in
    run|train|evaluate|classroom|clear|cda|policies|--version) CMD=(elecbay "$@") ;;
    *) CMD=(elecbay run "$@") ;;
esac
if [ -n "${ELECBAY_VENV_DRY:-}" ]; then echo "would run: ${CMD[*]}"; exit 0; fi
exec "${CMD[@]}"

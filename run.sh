#!/usr/bin/env bash
# The main job: `./run.sh` runs elecbay on the embedded default scenario.
# Extra arguments go to `elecbay run` (see `./run.sh --help`).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh ""
exec elecbay run "$@"

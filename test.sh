#!/usr/bin/env bash
# The test suite: `./test.sh` (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh "train,dev"
exec python -m pytest -n 2 "$@"

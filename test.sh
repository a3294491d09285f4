#!/usr/bin/env bash
# The test suite: `./test.sh` (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")"
# libs: the TorchRL and SuperSuit routes run in CI too (tests/libs), not only where installed.
# live: the MQTT market (tests/live) against a real mosquitto, which .ci/run installs.
source scripts/venv.sh "train,dev,libs,live"
exec python -m pytest -n 2 "$@"

#!/usr/bin/env bash
# The test suite: `./test.sh` (extra arguments go to pytest and run the main suite only).
# Without arguments it then runs tests/rllib in .venv-rllib: ray[rllib] pins gymnasium 1.2.2,
# so the RLlib route has a virtual environment of its own (docs/learning_libraries.md).
# ELECBAY_SKIP_RLLIB=1 leaves that part out.
set -euo pipefail
cd "$(dirname "$0")"
# libs: the TorchRL and SuperSuit routes run in CI too (tests/libs), not only where installed.
# live: the MQTT market (tests/live) against a real mosquitto, which .ci/run installs.
# classroom: the browser classroom (tests/classroom), its browser tests on Debian's chromium.
source scripts/venv.sh "train,dev,libs,live,classroom"
python -m pytest -n 2 "$@"
if [ $# -eq 0 ] && [ -z "${ELECBAY_SKIP_RLLIB:-}" ]; then
    ELECBAY_VENV="$PWD/.venv-rllib" bash -c \
        'source scripts/venv.sh "train,rllib,dev" && exec python -m pytest -q tests/rllib'
fi

#!/usr/bin/env bash
# Refresh the README's screenshots in docs/screenshots/ from the browser tests (a deliberate step:
# an ordinary test run saves its screenshots under pytest's tmp_path). Run in the repo's virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
COURTYARD_SCREENSHOTS="$PWD/docs/screenshots" python -m pytest -q tests/web/test_browser.py tests/web/test_simulator_browser.py "$@"

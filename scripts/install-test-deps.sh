#!/usr/bin/env bash
# What the tests need beyond the dev extra (the README's test command runs this first; so does .ci/run):
#   - Debian's chromium, for the browser tests (the web console, decks), driven by Playwright with executable_path;
#   - a virtual environment with flytekit 1.16 (never installed beside aioflyte) for the interop tests, at
#     $AIOFLYTE_TEST_FLYTEKIT_VENV (default ~/.cache/aioflyte-test/flytekit-1.16), where the tests look for it.
# Both are skipped when already there. Installing chromium needs root (CI runs as root).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -q && apt-get install -y -q --no-install-recommends chromium
    else
        echo "install-test-deps: no chromium: run 'sudo apt-get install -y chromium' (the browser tests skip without it)" >&2
    fi
fi
venv="${AIOFLYTE_TEST_FLYTEKIT_VENV:-$HOME/.cache/aioflyte-test/flytekit-1.16}"
if [ ! -x "$venv/bin/pyflyte" ]; then
    python -m venv "$venv"
    # pandas and pyarrow: the dataframe inputs need them, and flytekit does not depend on them
    "$venv/bin/pip" install -q 'flytekit==1.16.*' pandas pyarrow
fi

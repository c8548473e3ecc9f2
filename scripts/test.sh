#!/usr/bin/env bash
# From a fresh machine to the full test suite: a virtualenv in .venv with the project and its test
# extras, Debian's yaz (yaz-client, for the SRU end-to-end test), then pytest. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v yaz-client >/dev/null 2>&1; then
    echo "installing Debian's yaz (yaz-client) for the SRU end-to-end test" >&2
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq yaz >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

.venv/bin/ruff check app indexer harvester tests bench scripts
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
    # pytest's "no tests collected": only possible with a selection given on the command line
    echo "pytest collected no tests for: $*" >&2
    exit 0
fi
exit "$status"

#!/usr/bin/env bash
# From a fresh machine to the service running on the sample records: a virtualenv in .venv with the
# project, `pressmark init` (SQLite store + Whoosh index under instance/), then the development server
# on http://127.0.0.1:5000 (override with PORT=8080). Arguments go to `pressmark serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
.venv/bin/pressmark init
exec .venv/bin/pressmark serve --port "${PORT:-5000}" "$@"

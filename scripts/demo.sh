#!/usr/bin/env bash
# Set up learnroi in ./.venv (pip packages only, no root) and run the demo: a synthetic company through
# define -> measure -> attribute -> calculate -> report. Extra arguments go to `learnroi demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv ..."
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
echo "Installing learnroi (pip packages only) ..."
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/learnroi demo "$@"

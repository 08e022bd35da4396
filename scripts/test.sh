#!/usr/bin/env bash
# Set up learnroi with its test extras in ./.venv and run the whole test suite.
# As root (as in CI) it first installs the system tools the tests use: Chromium (browser test),
# poppler-utils (PDF to PNG) and a Java runtime (local Spark). Without root those tests skip with a
# message; with CI=true a missing tool fails them instead. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
if ((${#need[@]})); then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing system packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
  else
    echo "Not root: not installing ${need[*]}; the tests that need them will skip (or fail under CI=true)."
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv ..."
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
echo "Installing learnroi with its test and Spark extras ..."
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,spark]"

echo "== ruff"; .venv/bin/ruff check src tests benchmarks
echo "== mypy (strict on src/)"; .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports --no-cache
echo "== pytest"
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"

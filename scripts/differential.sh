#!/usr/bin/env bash
# Differential test against SymPy (scripts/differential.py): random brackets, simplifications and
# equalities, and near-zero equalities that must be false. Creates a virtual environment in
# .build-venv with SymPy from PyPI when missing, builds noether unless NOETHER names a binary,
# and passes its arguments on (e.g. --cases 300 --seed 7 --skip near-zero).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

venv=.build-venv
if ! "$venv/bin/python" -c 'import sympy, mpmath' >/dev/null 2>&1; then
  command -v python3 >/dev/null 2>&1 || { echo "differential: python3 is missing (apt-get install python3 python3-venv)" >&2; exit 1; }
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    echo "differential: python3 cannot make a virtual environment; installing python3-venv" >&2
    [ "$(id -u)" -eq 0 ] || { echo "differential: not root; run: sudo apt-get install -y python3-venv" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
    rm -rf "$venv"; python3 -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'sympy>=1.12' >&2
fi

if [ -z "${NOETHER:-}" ]; then
  swift build --product noether >&2
  export NOETHER=.build/debug/noether
fi
exec "$venv/bin/python" scripts/differential.py "$@"

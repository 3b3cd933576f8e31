#!/usr/bin/env bash
# noether bench symbolic beside the SymPy/SymEngine peer, in one run, for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
python3 -c "import sympy, symengine" 2>/dev/null || pip install -q sympy symengine
swift build -c release --product noether >&2
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo "# noether bench symbolic (release)"
.build/release/noether bench symbolic --runs 41
echo "# peer: python3 ../shared/peers/sympy_brackets.py (same run)"
python3 "${PEERS:-../shared/peers}/sympy_brackets.py"

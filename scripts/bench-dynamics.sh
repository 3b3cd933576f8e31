#!/usr/bin/env bash
# noether bench compile / integrate beside the SciPy peer, in one run, for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
python3 -c "import scipy" 2>/dev/null || pip install -q scipy numpy
swift build -c release --product noether >&2
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo "# noether bench compile"
.build/release/noether bench compile
echo "# noether bench integrate"
.build/release/noether bench integrate
echo "# peer: python3 ../shared/peers/scipy_integrate.py (same run)"
python3 "${PEERS:-../shared/peers}/scipy_integrate.py"

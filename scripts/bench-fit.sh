#!/usr/bin/env bash
# noether bench fit beside scikit-learn and PySINDy (../shared/peers/sklearn_fit.py), in one run:
# first with every library's default threads, then with one BLAS thread for both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
venv="${NOETHER_PEER_VENV:-/tmp/noether-peers}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import sklearn, pysindy" 2>/dev/null || "$venv/bin/pip" install -q scikit-learn pysindy numpy
swift build -c release --product noether >&2
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo "## default threads"
.build/release/noether bench fit
"$venv/bin/python" "${PEERS:-../shared/peers}/sklearn_fit.py" 2>&1 | grep -v -i warning
echo "## one thread (OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=1)"
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .build/release/noether bench fit
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$venv/bin/python" "${PEERS:-../shared/peers}/sklearn_fit.py" 2>&1 | grep -v -i warning

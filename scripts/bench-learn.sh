#!/usr/bin/env bash
# noether bench hnn-step beside the JAX peer (PyTorch too when installed), in one run.
# JAX goes into a virtual environment; PyPI's torch wheel is the CUDA build (gigabytes), so
# torch is measured only if already importable.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
venv="${NOETHER_PEER_VENV:-/tmp/noether-peers}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import jax" 2>/dev/null || "$venv/bin/pip" install -q jax jaxlib numpy
swift build -c release --product noether >&2
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
.build/release/noether bench hnn-step
"$venv/bin/python" "${PEERS:-../shared/peers}/hnn_step.py" --threads 1 2>&1 | grep -v -i warning
.build/release/noether bench hnn-step

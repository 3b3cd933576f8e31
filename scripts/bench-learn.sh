#!/usr/bin/env bash
# noether bench hnn-step beside the PyTorch and JAX peers, in one run. Both go into a virtual
# environment. PyPI's torch wheel is the CUDA build (gigabytes): a CPU-only wheel already on the
# machine (in $PIP_FIND_LINKS, /opt/wheels here) is installed instead; without one, torch is
# measured only if already importable.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
venv="${NOETHER_PEER_VENV:-/tmp/noether-peers}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import jax" 2>/dev/null || "$venv/bin/pip" install -q jax jaxlib numpy
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
    wheel=$(ls "${PIP_FIND_LINKS:-/opt/wheels}"/torch-*+cpu-*.whl 2>/dev/null | head -1 || true)
    [ -n "$wheel" ] && "$venv/bin/pip" install -q "$wheel" || echo "torch: no CPU-only wheel on this machine; not measured" >&2
fi
swift build -c release --product noether >&2
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
.build/release/noether bench hnn-step
"$venv/bin/python" "${PEERS:-../shared/peers}/hnn_step.py" --threads 1 2>&1 | grep -v -i warning
.build/release/noether bench hnn-step

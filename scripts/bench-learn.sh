#!/usr/bin/env bash
# noether bench hnn-step beside the PyTorch and JAX peers, in one run. Both go into a virtual
# environment. PyPI's torch wheel is the CUDA build (gigabytes): a CPU-only wheel already on the
# machine (in $PIP_FIND_LINKS, /opt/wheels here) is installed instead; without one, torch is
# measured only if already importable.
#
# "One thread each": the peer script asks for one thread, but JAX ignores its XLA flags and keeps
# about 1.8 cores busy (measured below by scripts/peer-cores.py). JAX sizes its pool from the CPU
# affinity, so the one-core comparison runs everything under `taskset -c 0`; the unpinned run
# is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
venv="${NOETHER_PEER_VENV:-/tmp/noether-peers}"
peers="${PEERS:-../shared/peers}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import jax" 2>/dev/null || "$venv/bin/pip" install -q jax jaxlib numpy
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
    wheel=$(ls "${PIP_FIND_LINKS:-/opt/wheels}"/torch-*+cpu-*.whl 2>/dev/null | head -1 || true)
    [ -n "$wheel" ] && "$venv/bin/pip" install -q "$wheel" || echo "torch: no CPU-only wheel on this machine; not measured" >&2
fi
swift build -c release --product noether >&2
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"  # as the tests run; see BENCHMARKS.md
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d); OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
quiet() { grep -v -i warning || true; }
echo "## unpinned"
.build/release/noether bench hnn-step
"$venv/bin/python" "$peers/hnn_step.py" --threads 1 2>&1 | quiet
"$venv/bin/python" scripts/peer-cores.py "$peers" jax float64 2>&1 | quiet
"$venv/bin/python" scripts/peer-cores.py "$peers" torch float64 2>&1 | quiet
echo "## one core each (taskset -c 0)"
taskset -c 0 .build/release/noether bench hnn-step
echo "noether with the kernel OpenBLAS picks for this CPU:"
env -u OPENBLAS_CORETYPE taskset -c 0 .build/release/noether bench hnn-step | head -1
taskset -c 0 "$venv/bin/python" "$peers/hnn_step.py" --threads 1 2>&1 | quiet
taskset -c 0 "$venv/bin/python" scripts/peer-cores.py "$peers" jax float64 2>&1 | quiet
echo "## unpinned again"
.build/release/noether bench hnn-step

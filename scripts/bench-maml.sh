#!/usr/bin/env bash
# P11's benchmark beside its peers: noether bench maml-step against ../shared/peers/maml_step.py
# (PyTorch and JAX, float64), three rounds pinned (taskset -c 0, peers --threads 1), then three
# unpinned (peers --threads 2). The peers' virtual environment is scripts/bench-learn.sh's.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
venv="${NOETHER_PEER_VENV:-/tmp/noether-peers}"
peers="${PEERS:-../shared/peers}"
[ -x "$venv/bin/python" ] || { echo "no peer environment at $venv: run scripts/bench-learn.sh once to create it" >&2; exit 1; }
swift build -c release --product noether >&2
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
N=.build/release/noether PY="$venv/bin/python"
echo "== start $(date -u +%H:%M:%S) commit $(git rev-parse --short HEAD); $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
for mode in pinned unpinned; do
  if [ $mode = pinned ]; then T="taskset -c 0"; TH=1; else T=""; TH=2; fi
  for round in 1 2 3; do
    echo "== $mode round $round $(date -u +%H:%M:%S)"
    $T $N bench maml-step
    $T $PY "$peers/maml_step.py" --threads $TH 2>&1 | grep float64
  done
done
echo "== end $(date -u +%H:%M:%S)"

#!/usr/bin/env bash
# P10's benchmarks beside their peers, in one session: noether bench lnn-step and sympnet-step
# (PyTorch and JAX, ../shared/peers) and lj-md (plain NumPy, scripts/peers/lj_md_numpy.py); three
# rounds pinned (taskset -c 0, peers --threads 1), then three unpinned (peers --threads 2), each
# round running Noether and its peers back to back. The peers' virtual environment is
# scripts/bench-learn.sh's (torch from a CPU-only wheel, jax, numpy). Results: BENCHMARKS.md.
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
    $T $N bench lnn-step --steps 20 | head -1
    $T $PY "$peers/lnn_step.py" --threads $TH --steps 20 2>&1 | grep float64
    $T $N bench sympnet-step | head -2
    $T $PY "$peers/sympnet_step.py" --threads $TH 2>&1 | grep float64
    $T $N bench lj-md --steps 1000
    $T $PY scripts/peers/lj_md_numpy.py --n 256 --steps 300
  done
  $T $PY scripts/peers/lj_md_numpy.py --n 1024 --steps 100
done
echo "== end $(date -u +%H:%M:%S)"

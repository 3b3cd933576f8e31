#!/usr/bin/env bash
# The test suite: unit and acceptance tests (which also check every notebook), then the
# notebooks once more through the command-line checker.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# OpenBLAS picks its kernel by CPU and kernels round differently; trained-model outputs in the
# notebooks are checked digit for digit, so tests pin one kernel every x86-64 CPU here runs.
export OPENBLAS_CORETYPE=Haswell
swift build --build-tests
.build/debug/noether check notebooks-txt/*.txt
swift test --skip-build --disable-swift-testing
# Scans on local cores and through a real one-node Slurm (started and stopped by the script).
scripts/test-scan.sh
# Differential test against SymPy (300 seeded cases: ~45 s, plus ~30 s to make its virtualenv the
# first time), then a time-boxed fuzz run of the parser and evaluator on the committed corpus
# (FUZZ_SECONDS, default 60; its release build with sanitizers costs ~4 CPU-minutes).
NOETHER=.build/debug/noether scripts/differential.sh
scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

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
# The fuzz target's build (a release build with sanitizers, ~4 CPU-minutes) starts now, at the
# lowest priority, on the core the unit tests leave idle; the fuzz run at the end finds it built.
# In a session of its own, so that a suite that stops early stops the whole build with it.
fuzz_build_log=$(mktemp)
setsid nice -n 19 scripts/fuzz.sh --build > "$fuzz_build_log" 2>&1 &
fuzz_build=$!
trap 'kill -- -"$fuzz_build" 2>/dev/null || true; rm -f "$fuzz_build_log"' EXIT
# Without OPENBLAS_CORETYPE, noether pins the Haswell kernels itself on an AVX2 CPU (BLASKernel:
# OpenBLAS 0.3.21 would run its SSE3 kernels on this machine's CPU): the last "Core:" line
# OpenBLAS reports is the re-run process's.
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  core=$(env -u OPENBLAS_CORETYPE OPENBLAS_VERBOSE=2 .build/debug/noether -e 1 2>&1 | sed -n 's/^Core: //p' | tail -1)
  [ "$core" = Haswell ] || { echo "noether ran OpenBLAS's '$core' kernels without OPENBLAS_CORETYPE, not Haswell's" >&2; exit 1; }
fi
.build/debug/noether check notebooks-txt/*.txt
# The Jupyter kernel through jupyter_client and nbclient, convert round trips, NumPy files
# (~20 s, plus ~20 s to make its virtualenv the first time): mostly waiting on kernels and pip,
# so it runs beside the unit tests, and its transcript is shown when they are done.
jupyter_log=$(mktemp)
NOETHER=.build/debug/noether scripts/test-jupyter.sh > "$jupyter_log" 2>&1 &
jupyter=$!
tests_status=0 jupyter_status=0
swift test --skip-build --disable-swift-testing || tests_status=$?
wait "$jupyter" || jupyter_status=$?
grep -v "Kernel is running over TCP without encryption" "$jupyter_log" || true
rm -f "$jupyter_log"
[ "$tests_status" = 0 ] || { echo "swift test failed (exit $tests_status)" >&2; exit 1; }
[ "$jupyter_status" = 0 ] || { echo "scripts/test-jupyter.sh failed (exit $jupyter_status)" >&2; exit 1; }
# Scans on local cores and through a real one-node Slurm (started and stopped by the script).
scripts/test-scan.sh
# Differential test against SymPy (300 seeded cases: ~45 s, plus ~30 s to make its virtualenv the
# first time), then a time-boxed fuzz run of the parser and evaluator on the committed corpus
# (FUZZ_SECONDS, default 60; its release build was started beside the unit tests).
NOETHER=.build/debug/noether scripts/differential.sh
# A failed early build is built (and reported) again by the run itself.
wait "$fuzz_build" || true
trap - EXIT
cat "$fuzz_build_log" >&2
rm -f "$fuzz_build_log"
scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

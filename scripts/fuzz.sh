#!/usr/bin/env bash
# Fuzzes the parser and evaluator with libFuzzer under AddressSanitizer for a given time.
#
#   scripts/fuzz.sh [SECONDS] [libFuzzer flags…]     default 60 s
#   scripts/fuzz.sh --replay FILE…                    run inputs once each (a reproducer, a folder)
#   scripts/fuzz.sh --build                           only build the target (scripts/test.sh does
#                                                     this beside the unit tests, at low priority)
#
# The target (fuzz/, a package of its own) runs each input through a fresh Interpreter, as
# `noether -e` would, skipping inputs that name file verbs or training. It starts from the seeds
# in fuzz/corpus/ (committed; fuzz/make_corpus.py writes them) and keeps what it learns in
# .build-fuzz/corpus/. Exits non-zero when an input crashes (a trap, a sanitizer report) or runs
# out of memory, and prints each such input; timeouts are listed, and fail the run only with
# FUZZ_FAIL_ON_TIMEOUT=1 (a statement cannot be interrupted yet, so a long simulation the
# mutator writes is a timeout, not a bug). libFuzzer and ASan come with the Swift toolchain.
#
# Environment: FUZZ_TIMEOUT (seconds per input, default 10), FUZZ_RSS_MB (default 2048),
# FUZZ_JOBS (parallel fuzzing processes, default 1), FUZZ_FAIL_ON_TIMEOUT.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

scratch=.build-fuzz
target=$scratch/release/NoetherFuzz
# The Swift runtime's backtracer and ASan both want the fatal signals; let ASan report.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0}"

toolchain_lib=$(dirname "$(readlink -f "$(command -v swift)")")/../lib
if ! find "$toolchain_lib" -name 'libclang_rt.fuzzer-*.a' | grep -q .; then
  echo "fuzz: the Swift toolchain in $toolchain_lib has no libFuzzer runtime (libclang_rt.fuzzer); use a swift.org toolchain for Linux" >&2
  exit 1
fi

build_start=$(date +%s)
mkdir -p "$scratch"
# The sanitizers go in one -sanitize=fuzzer,address flag, not SwiftPM's --sanitize: SwiftPM passes
# them as two flags, of which swiftc keeps only the last, and in an order that changes between runs
# (measured: Swift objects without coverage counters, and a full rebuild on every run).
# --no-gc-sections: SwiftPM links with --gc-sections, which can drop the coverage counters.
if ! swift build --package-path fuzz --scratch-path "$scratch" -c release \
     -Xswiftc -sanitize=fuzzer,address -Xlinker --no-gc-sections \
     --product NoetherFuzz >"$scratch/build.log" 2>&1; then
  grep -E 'error:' "$scratch/build.log" | head -20 >&2
  echo "fuzz: the build failed; see $scratch/build.log" >&2
  exit 1
fi
[ -x "$target" ] || { echo "fuzz: the build did not produce $target" >&2; exit 1; }
echo "fuzz: build took $(( $(date +%s) - build_start )) s" >&2
[ "${1:-}" = "--build" ] && exit 0

# Prints one input as escaped text, clipped, with a line to replay it.
show_input() {
  python3 - "$1" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8", "backslashreplace")
escaped = "".join(c if (c == "\n" or " " <= c < "\x7f" or c > "\x9f") else repr(c)[1:-1] for c in text)
clip = 2000
print(f"--- {sys.argv[1]} ({len(data)} bytes{', first %d shown' % clip if len(escaped) > clip else ''}):")
print(escaped[:clip].rstrip("\n"))
print("---")
EOF
  echo "replay: scripts/fuzz.sh --replay $1"
}

if [ "${1:-}" = "--replay" ]; then
  shift
  export NOETHER_FUZZ_MAX_BYTES=$((64 * 1024 * 1024))   # replay reproducers of any size
  [ $# -gt 0 ] || { echo "fuzz: --replay needs files or folders" >&2; exit 2; }
  failed=0
  for path in "$@"; do
    for input in $(if [ -d "$path" ]; then find "$path" -type f | sort; else echo "$path"; fi); do
      log=$(mktemp)
      start=$(date +%s.%N)
      if "$target" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" "$input" >"$log" 2>&1; then
        printf 'ok    %s (%.1f s)\n' "$input" "$(echo "$(date +%s.%N) - $start" | bc)"
      else
        failed=$((failed + 1))
        echo "FAIL  $input: $(grep -m1 -E 'ERROR: (libFuzzer|AddressSanitizer)|SUMMARY' "$log" || echo 'non-zero exit')"
        grep -m1 -E 'Swift runtime failure|Fatal error' "$log" || true
        grep -E '^ +#[0-9]+ .* in \$s' "$log" | head -4 || true
      fi
      rm -f "$log"
    done
  done
  [ $failed -eq 0 ] || { echo "fuzz: $failed inputs fail" >&2; exit 1; }
  exit 0
fi

seconds=${1:-60}
shift || true
artifacts=$scratch/artifacts
mkdir -p "$scratch/corpus"
rm -rf "$artifacts" && mkdir -p "$artifacts"
log=$scratch/fuzz.log
echo "fuzz: running for $seconds s on fuzz/corpus ($(ls fuzz/corpus | wc -l) seeds) and $scratch/corpus; log in $log" >&2
# Fork mode runs inputs in child processes and goes on past a crash, so one run reports every
# distinct failure it meets in its time, not only the first.
status=0
"$target" "$scratch/corpus" fuzz/corpus \
  -fork="${FUZZ_JOBS:-1}" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
  -max_len=16384 -dict=fuzz/noether.dict -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$@" >"$log" 2>&1 || status=$?

last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
echo "fuzz: ${last:-no progress line; see $log}" >&2
crashes=$(find "$artifacts" -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' | sort)
timeouts=$(find "$artifacts" -name 'timeout-*' -o -name 'slow-unit-*' | sort)
for input in $timeouts; do echo "fuzz: timeout (over ${FUZZ_TIMEOUT:-10} s):" >&2; show_input "$input" >&2; done
for input in $crashes; do echo "fuzz: CRASH:" >&2; show_input "$input" >&2; done
if [ -n "$crashes" ] || { [ -n "$timeouts" ] && [ -n "${FUZZ_FAIL_ON_TIMEOUT:-}" ]; }; then
  echo "fuzz: FAILED: $(echo "$crashes" | grep -c . || true) crashing inputs, $(echo "$timeouts" | grep -c . || true) timeouts (in $artifacts/)" >&2
  exit 1
fi
# libFuzzer's exit code after a timeout is its -timeout_exitcode (70) even with -ignore_timeouts
# in fork mode; timeouts are listed above and fail the run only as said.
if [ "$status" -eq 70 ] && [ -n "$timeouts" ]; then status=0; fi
if [ "$status" -ne 0 ]; then
  echo "fuzz: libFuzzer exited with $status without leaving an input; the end of $log:" >&2
  tail -20 "$log" >&2
  exit 1
fi
echo "fuzz: passed: no crash$( [ -n "$timeouts" ] && echo ", $(echo "$timeouts" | grep -c .) timeouts listed above")" >&2

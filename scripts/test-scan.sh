#!/usr/bin/env bash
# P12's scan tests with a real Slurm (scripts/test.sh runs them): a one-node cluster started
# here (scripts/slurm-local.sh) and stopped at the end whatever happens. A 2 x 2 x 2 scan of
# notebooks-txt/templates/hnn-scan.txt (about a second per run)
#   1. on: local, 2 at once;
#   2. on: slurm, with one array task cancelled on purpose (scancel JOB_7): the scan reports it
#      failed, with its Slurm state, and exits 1;
#   3. on: slurm again: it keeps the 7 finished runs and completes the cancelled one;
#   4. the two scans' metrics are identical digit for digit (metrics.json without wall time,
#      memory and host), and so are their results tables (CSV);
#   5. bad input: an unknown template parameter, an empty grid, an unwritable out folder, a job
#      Slurm refuses, a different grid into a folder that holds results: clear errors, and the
#      results already computed are untouched;
#   6. Ctrl-C of a local scan: its workers stop, no configuration folder is left without
#      metrics, and the scan again completes the rest;
#   7. Ctrl-C of a Slurm scan leaves its array running; a scan into the same folder is refused
#      while it runs, and collects its results once it has ended.
# No Slurm is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${NOETHER:-.build/debug/noether}"
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
work="$(mktemp -d /tmp/noether-scan-test.XXXX)"
cleanup() { scripts/slurm-local.sh stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "scan test FAILED: $*" >&2; exit 1; }
# The array job id a running scan printed to FILE (its stderr), waiting up to 30 s for it.
submitted_job() {
  local job
  for _ in $(seq 300); do
    job="$(sed -n 's/.*submitted array job \([0-9][0-9]*\).*/\1/p' "$1" | head -1)"
    [ -n "$job" ] && { echo "$job"; return 0; }
    sleep 0.1
  done
  return 1
}

scripts/slurm-local.sh start
eval "$(scripts/slurm-local.sh env)"
command -v sbatch >/dev/null || fail "no Slurm (sbatch) after slurm-local.sh start"
[ -n "$(sinfo -h -o %T)" ] || fail "Slurm answers no sinfo"

T=notebooks-txt/templates/hnn-scan.txt
G=(--grid lr=1e-3,1e-2 --grid hidden=8,16 --grid seed=0,1)

echo "== 1. local scan"
"$N" scan "$T" "${G[@]}" --out "$work/local" --jobs 2 2>/dev/null | tee "$work/local.out"
grep -q "8 done (0 kept from before, 8 run now), 0 failed" "$work/local.out" || fail "local scan: $(cat "$work/local.out")"

echo "== 2. Slurm scan, array task 7 cancelled"
status=0
"$N" scan "$T" "${G[@]}" --out "$work/slurm" --on slurm > "$work/slurm.out" 2> "$work/slurm.err" &
pid=$!
job="$(submitted_job "$work/slurm.err")" || { kill $pid 2>/dev/null; fail "no array job submitted: $(cat "$work/slurm.err")"; }
scancel "${job}_7"
wait $pid || status=$?
cat "$work/slurm.out"
[ "$status" = 1 ] || fail "the scan with a cancelled task exited $status, not 1"
grep -q "7 done (0 kept from before, 7 run now), 1 failed" "$work/slurm.out" || fail "cancelled task not counted"
grep -q "failed: lr=1e-2,hidden=16,seed=1: Slurm state CANCELLED" "$work/slurm.out" || fail "cancelled task not reported with its state"
[ ! -e "$work/slurm/lr=1e-2,hidden=16,seed=1/metrics.json" ] || fail "the cancelled task left metrics"

echo "== 3. Slurm scan resumed"
"$N" scan "$T" "${G[@]}" --out "$work/slurm" --on slurm 2>/dev/null | tee "$work/resume.out"
grep -q "8 done (7 kept from before, 1 run now), 0 failed" "$work/resume.out" || fail "resume: $(cat "$work/resume.out")"
grep -q -- "--array=7$" "$work/slurm/scan.sbatch" || fail "the resumed array is not the one missing task: $(grep array "$work/slurm/scan.sbatch")"

echo "== 4. local and Slurm agree digit for digit"
strip() { grep -v -E '"(wallTimeSeconds|peakMemoryBytes|host)"' "$1"; }
count=0
for m in "$work"/local/*/metrics.json; do
  c="$(basename "$(dirname "$m")")"
  diff <(strip "$m") <(strip "$work/slurm/$c/metrics.json") > /dev/null || fail "metrics of $c differ: $(diff <(strip "$m") <(strip "$work/slurm/$c/metrics.json"))"
  diff "$(dirname "$m")/transcript.txt" "$work/slurm/$c/transcript.txt" > /dev/null || fail "transcripts of $c differ"
  count=$((count + 1))
done
[ "$count" = 8 ] || fail "$count configurations compared, not 8"
"$N" results "$work/local" --csv "$work/local.csv" > /dev/null
"$N" results "$work/slurm" --csv "$work/slurm.csv"
cmp "$work/local.csv" "$work/slurm.csv" || fail "the results tables differ"

echo "== 5. bad input"
expect_error() {  # expect_error TEXT COMMAND...: the command fails and says TEXT
  local text="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then fail "accepted: $* → $out"; fi
  grep -qF -- "$text" <<< "$out" || fail "$* said: $out (expected: $text)"
  echo "ok: $text"
}
before="$(cd "$work/slurm" && find . -name metrics.json -exec md5sum {} + | sort)"
expect_error "has no parameter 'alpha'" "$N" scan "$T" "${G[@]}" --grid alpha=1,2 --out "$work/bad1"
expect_error "uses \${seed}, which the grid does not give" "$N" scan "$T" --grid lr=1e-3 --grid hidden=8 --out "$work/bad2"
expect_error "the grid is empty" "$N" scan "$T" --out "$work/bad3"
mkdir -p "$work/readonly" && touch "$work/readonly/file"
expect_error "cannot make the out folder" "$N" scan "$T" "${G[@]}" --out "$work/readonly/file/sub"
expect_error "Slurm refused the job" "$N" scan "$T" "${G[@]}" --out "$work/bad4" --on slurm --partition nosuchpartition
expect_error "holds a scan with a different grid" "$N" scan "$T" --grid lr=1e-1 --grid hidden=8 --grid seed=0 --out "$work/slurm"
after="$(cd "$work/slurm" && find . -name metrics.json -exec md5sum {} + | sort)"
[ "$before" = "$after" ] || fail "a refused scan changed the results already there"

echo "== 6. Ctrl-C of a local scan"
I=(--grid lr=1e-3,1e-2 --grid hidden=8,16 --grid seed=0,1,2,3,4)
"$N" scan "$T" "${I[@]}" --out "$work/int" --jobs 2 > "$work/int.out" 2>&1 &
pid=$!
sleep 1.5
kill -INT $pid
status=0; wait $pid || status=$?
[ "$status" != 0 ] || fail "the interrupted scan exited 0: $(cat "$work/int.out")"
grep -q "interrupted" "$work/int.out" || fail "the interrupted scan did not say so: $(tail -3 "$work/int.out")"
sleep 0.5
! pgrep -f "scan-task $work/int" > /dev/null || fail "workers outlived the interrupted scan"
[ ! -e "$work/int/.work" ] || fail "the interrupted scan left its private folders"
finished=0
for d in "$work"/int/*=*/; do
  [ -f "$d/metrics.json" ] || fail "a configuration folder without metrics: $d"
  finished=$((finished + 1))
done
[ "$finished" -lt 20 ] || fail "the scan finished before the interrupt (nothing tested)"
"$N" scan "$T" "${I[@]}" --out "$work/int" --jobs 2 2>/dev/null | tee "$work/int2.out"
grep -q "20 done ($finished kept from before, $((20 - finished)) run now), 0 failed" "$work/int2.out" || fail "resume after Ctrl-C: $(cat "$work/int2.out")"

echo "== 7. a Slurm scan left running is not started twice"
"$N" scan "$T" "${I[@]}" --out "$work/live" --on slurm > "$work/live.out" 2> "$work/live.err" &
pid=$!
job="$(submitted_job "$work/live.err")" || fail "no array job submitted: $(cat "$work/live.err")"
kill -INT $pid; wait $pid || true
grep -q "its tasks go on" "$work/live.err" || fail "Ctrl-C of a Slurm scan: $(tail -2 "$work/live.err")"
expect_error "array job $job of this scan is still queued or running" "$N" scan "$T" "${I[@]}" --out "$work/live" --jobs 2
for _ in $(seq 600); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 0.2; done
"$N" scan "$T" "${I[@]}" --out "$work/live" --on slurm 2>/dev/null | tee "$work/live2.out"
grep -q "20 done (20 kept from before, 0 run now), 0 failed" "$work/live2.out" || fail "collecting the finished array: $(cat "$work/live2.out")"
echo "scan tests: ok"

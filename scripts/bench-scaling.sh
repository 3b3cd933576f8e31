#!/usr/bin/env bash
# P13's scaling table: Noether's exact proofs against SymEngine's (scripts/peer_scaling.py, the
# route of ../shared/peers/sympy_brackets.py extended to n), one process per suite and n, the
# two back to back, process start-up included. Suites: neumann (all {I_i, I_j} and {I_i, H}),
# calogero and toda ({T_k, H}, k = 1..n). Each case is killed after TIMEOUT seconds (default 120).
# Usage: scripts/bench-scaling.sh [suite:n ...]   (default: the table's cases)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product noether >&2
venv="${NOETHER_SYMENGINE_VENV:-/tmp/noether-symengine}"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q symengine; }
T="${TIMEOUT:-120}"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(neumann:3 neumann:4 neumann:5 neumann:6 neumann:7 neumann:8 neumann:9 neumann:10
                                 calogero:3 calogero:4 calogero:5 calogero:6 calogero:7 calogero:8
                                 toda:3 toda:4 toda:5 toda:6 toda:7 toda:8 toda:9 toda:10)
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M') UTC; commit $(git rev-parse --short HEAD); timeout ${T} s"
for c in "${cases[@]}"; do
  suite=${c%%:*} n=${c##*:}
  names=() ; letter=T; [ "$suite" = neumann ] && letter=I
  for k in $(seq 1 "$n"); do names+=("$letter$k"); done
  statement="conserved($(IFS=,; echo "${names[*]}"))"
  if [ "$suite" = neumann ]; then
    pairs=()
    for i in $(seq 1 "$n"); do for j in $(seq $((i + 1)) "$n"); do pairs+=("bracket(I$i, I$j) == 0"); done; done
    statement="$statement; [$(IFS=,; echo "${pairs[*]}")]"
  fi
  out=$( { /usr/bin/time -f "time %e %M" timeout "$T" .build/release/noether -e "load $suite(n: $n)" -e "$statement"; } 2>&1 ) || true
  t=$(echo "$out" | sed -n 's/^time //p')
  if [ -z "$t" ] || echo "$out" | grep -q "Command exited with non-zero status 124"; then
    echo "noether $suite $n: timeout"
  else
    verdicts=$(echo "$out" | grep -v "^time\|^Command\|: .*model\|lattice" | tr ',[]' '\n\n\n' | sed 's/^ *//' | grep -v '^$')
    exact=$(echo "$verdicts" | grep -cx "true" || true); modular=$(echo "$verdicts" | grep -c "modular" || true)
    numeric=$(echo "$verdicts" | grep -c "numeric" || true); false=$(echo "$verdicts" | grep -cx "false" || true)
    set -- $t
    echo "noether $suite $n: $1 s, peak RSS $(( $2 / 1024 )) MiB, exact $exact, modular $modular, numeric $numeric, false $false"
  fi
  timeout -s KILL "$((${T%.*} + 5))" "$venv/bin/python" scripts/peer_scaling.py "$suite" "$n" --timeout "$T" || echo "symengine $suite $n: timeout (killed)"
done

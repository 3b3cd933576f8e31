#!/usr/bin/env bash
# noether bench symbolic beside the SymPy/SymEngine peer, in one run, for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
python3 -c "import sympy, symengine" 2>/dev/null || pip install -q sympy symengine
swift build -c release --product noether >&2
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo "# noether bench symbolic (release)"
.build/release/noether bench symbolic --runs 41
echo "# peer: python3 ../shared/peers/sympy_brackets.py (same run)"
python3 "${PEERS:-../shared/peers}/sympy_brackets.py"
# This machine's speed moves by up to 2x within seconds (a VM): one Noether run beside one peer
# run can land in different regimes. Interleaved rounds time each side for a few tens of
# milliseconds, one right after the other, and the ratio of each round is what is compared.
rounds=${ROUNDS:-9}
echo "# interleaved kepler3d: $rounds rounds, each noether (21 runs) then symengine (21 runs), medians in ms"
ratios=()
for round in $(seq "$rounds"); do
  ours=$(.build/release/noether bench symbolic --only kepler3d --runs 21 | sed -n 's/^kepler3d: \([0-9.]*\) ms.*/\1/p')
  theirs=$(python3 scripts/symengine_suite.py "${PEERS:-../shared/peers}" kepler3d 21)
  ratio=$(python3 -c "print('%.2f' % ($ours / $theirs))")
  ratios+=("$ratio")
  echo "round $round: noether $ours, symengine $theirs, ratio $ratio"
done
echo "kepler3d noether/symengine: median ratio $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(( (rounds + 1) / 2 ))p") over $rounds rounds (range $(printf '%s\n' "${ratios[@]}" | sort -n | head -1)-$(printf '%s\n' "${ratios[@]}" | sort -n | tail -1))"

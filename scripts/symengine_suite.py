"""One suite of the SymPy/SymEngine peer (shared/peers/sympy_brackets.py) timed with SymEngine
alone, for scripts/bench-symbolic.sh's interleaved rounds: the peer's own workload (its suites()
builds the expressions) and its own zero test (expand, as_numer_denom, expand the numerator).

    python3 scripts/symengine_suite.py PEERS_DIR SUITE RUNS    prints the median in ms
"""
import statistics
import sys
import time

peers, name, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, peers)
from sympy_brackets import suites  # noqa: E402
import symengine as se  # noqa: E402


def zero(e):
    num, den = se.expand(e).as_numer_denom()
    return se.expand(num) == 0


build = suites(se)[name]
times = []
for _ in range(runs):
    t = time.perf_counter()
    ok = all(zero(e) for e in build())
    times.append(time.perf_counter() - t)
    assert ok, "%s: a zero was not proven" % name
print("%.3f" % (statistics.median(times) * 1e3))

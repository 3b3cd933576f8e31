"""SymEngine's side of P13's scaling table: the route of ../shared/peers/sympy_brackets.py
(expand -> as_numer_denom -> expand the numerator; plain expand does not prove these), extended
to n for three integrable families, with the same definitions as Noether's catalog:

  neumann N : I_k = q_k^2 + sum_{j != k} J_kj^2/(a_k - a_j), J_kj = q_k p_j - q_j p_k, symbolic a_k;
              H = 1/4 sum J^2 + 1/2 sum a_k q_k^2; all {I_i, I_j} and {I_i, H}
  calogero N: T_k = tr L^k, L_ij = p_i d_ij + (1 - d_ij) i g/(q_i - q_j); {T_k, H} for k = 1..N
  toda N    : T_k = tr L^k, L tridiagonal, L_ii = p_i, L_i,i+1 = exp((q_i - q_{i+1})/2);
              H = sum p^2/2 + sum exp(q_i - q_{i+1}); {T_k, H} for k = 1..N

Usage: python3 peer_scaling.py SUITE N [--timeout SECONDS]
Prints one line: "symengine SUITE N: T s, peak RSS M MiB, verdict" where verdict is
"all zero", "NOT ZERO" or "timeout". Install: pip install symengine
"""
import argparse, itertools, resource, signal, sys, time
import symengine as se


def pb(f, g, q, p):
    return sum(se.diff(f, a) * se.diff(g, b) - se.diff(f, b) * se.diff(g, a) for a, b in zip(q, p))


def neumann(n):
    q = se.symbols(" ".join(f"q{i}" for i in range(1, n + 1))); p = se.symbols(" ".join(f"p{i}" for i in range(1, n + 1)))
    a = se.symbols(" ".join(f"a{i}" for i in range(1, n + 1)))
    J = lambda i, j: q[i] * p[j] - q[j] * p[i]
    H = se.Rational(1, 4) * sum(J(i, j) ** 2 for i in range(n) for j in range(n)) + se.Rational(1, 2) * sum(a[i] * q[i] ** 2 for i in range(n))
    I = [q[k] ** 2 + sum(J(k, j) ** 2 / (a[k] - a[j]) for j in range(n) if j != k) for k in range(n)]
    return [pb(I[i], I[j], q, p) for i, j in itertools.combinations(range(n), 2)] + [pb(I[i], H, q, p) for i in range(n)]


def matrix_power_traces(L, n, kmax):
    traces, M = [], L
    for k in range(1, kmax + 1):
        if k > 1:
            M = [[se.expand(sum(M[i][l] * L[l][j] for l in range(n))) for j in range(n)] for i in range(n)]
        traces.append(se.expand(sum(M[i][i] for i in range(n))))
    return traces


def calogero(n):
    q = se.symbols(" ".join(f"q{i}" for i in range(1, n + 1))); p = se.symbols(" ".join(f"p{i}" for i in range(1, n + 1)))
    g = se.Symbol("g")
    H = sum(x ** 2 for x in p) / 2 + sum(g ** 2 / (q[j] - q[k]) ** 2 for j in range(n) for k in range(j + 1, n))
    L = [[p[i] if i == j else se.I * g / (q[i] - q[j]) for j in range(n)] for i in range(n)]
    return [pb(t, H, q, p) for t in matrix_power_traces(L, n, n)]


def toda(n):
    q = se.symbols(" ".join(f"q{i}" for i in range(1, n + 1))); p = se.symbols(" ".join(f"p{i}" for i in range(1, n + 1)))
    H = sum(x ** 2 for x in p) / 2 + sum(se.exp(q[i] - q[i + 1]) for i in range(n - 1))
    off = lambda i, j: se.exp((q[min(i, j)] - q[max(i, j)]) / 2) if abs(i - j) == 1 else 0
    L = [[p[i] if i == j else off(i, j) for j in range(n)] for i in range(n)]
    return [pb(t, H, q, p) for t in matrix_power_traces(L, n, n)]


def zero(e):
    num, den = se.expand(e).as_numer_denom()
    return se.expand(num) == 0


class Timeout(Exception):
    pass


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("suite", choices=["neumann", "calogero", "toda"])
    ap.add_argument("n", type=int)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    def alarm(*_):
        raise Timeout()
    signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    start = time.perf_counter()
    try:
        exprs = {"neumann": neumann, "calogero": calogero, "toda": toda}[args.suite](args.n)
        verdict = "all zero" if all(zero(e) for e in exprs) else "NOT ZERO"
    except Timeout:
        verdict = "timeout"
    signal.setitimer(signal.ITIMER_REAL, 0)
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"symengine {args.suite} {args.n}: {elapsed:.2f} s, peak RSS {rss:.0f} MiB, {verdict}")

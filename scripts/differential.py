#!/usr/bin/env python3
"""Differential test of Noether's symbolic core against SymPy.

Generates seeded random cases in 1-3 degrees of freedom (pairs (q1, p1), (q2, p2), (q3, p3))
built from polynomial, rational, sqrt, trig and exp forms, runs them through `noether -e` in one
process per batch, and compares:

- `bracket(F, G)` and `simplify(E)`: Noether's printed result and SymPy's (the Poisson bracket
  sum_i dF/dq_i dG/dp_i - dF/dp_i dG/dq_i, or E itself) evaluated at random rational points to
  30 digits; they must agree to a relative 1e-9 of the larger value (absolute 1e-20 when both
  vanish);
- `A == B`: Noether's verdict (`true`, `true (numeric, ...)` or `false`) against SymPy's:
  `simplify(A - B) == 0`, else numeric evaluation of A - B at several exact rational points with
  mpmath at 60 significant digits (adaptive, so exp(-200) is not zero);
- near-zero equalities, which must be decided false: tiny float coefficients (1e-10*q), exp of
  large negative constants, (sqrt(2)-1)^n, sin(10^-k), gravitational-constant-sized terms.

Usage: differential.py [--seed N] [--cases N] [--skip KIND ...] [--only KIND ...] [--verbose]
Kinds: bracket, simplify, equal, near-zero. Exits 1 when any case mismatches, and lists them.
The Noether binary is $NOETHER, else .build/debug/noether.
"""
import fractions
import re
import argparse, os, random, subprocess, sys, time

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

KINDS = ["bracket", "simplify", "equal", "near-zero"]
MARKER = 1000000007  # a statement that prints itself; separates the outputs of the statements

Q = sp.symbols("q1 q2 q3")
P = sp.symbols("p1 p2 p3")


# ---------------------------------------------------------------------------------------------
# Random expressions, written once as Noether text and as SymPy.

class Gen:
    def __init__(self, rng, dof):
        self.rng, self.dof = rng, dof
        self.names = [f"q{i+1}" for i in range(dof)] + [f"p{i+1}" for i in range(dof)]

    def var(self):
        return self.rng.choice(self.names)

    def coef(self):
        r = self.rng
        c = r.choice([1, 1, 2, 3, -1, -2, 5])
        if r.random() < 0.3:
            return f"({c}/{r.choice([2, 3, 5, 7])})"
        return str(c)

    def monomial(self):
        r = self.rng
        factors = [f"{self.var()}^{r.randint(2, 3)}" if r.random() < 0.3 else self.var()
                   for _ in range(r.randint(1, 2))]
        return self.coef() + "*" + "*".join(factors)

    def polynomial(self, terms=None):
        return "(" + " + ".join(self.monomial() for _ in range(terms or self.rng.randint(1, 3))) + ")"

    def positive(self):
        """A polynomial that is positive at real points: 1 + a sum of squares."""
        squares = [f"{self.var()}^2" for _ in range(self.rng.randint(1, 2))]
        return "(" + " + ".join([str(self.rng.randint(1, 3))] + squares) + ")"

    def form(self, depth=0):
        r = self.rng
        kind = r.choice(["poly", "poly", "rational", "sqrt", "trig", "exp", "product"] if depth == 0 else ["poly"])
        if kind == "poly":
            return self.polynomial()
        if kind == "rational":
            return f"{self.polynomial()}/{self.positive()}"
        if kind == "sqrt":
            return r.choice([f"sqrt{self.positive()}", f"{self.coef()}/sqrt{self.positive()}",
                             f"{self.var()}*sqrt{self.positive()}"])
        if kind == "trig":
            f = r.choice(["sin", "cos"])
            return f"{self.coef()}*{f}({self.var()})*{self.var()}" if r.random() < 0.5 else f"{f}({self.polynomial(1)})"
        if kind == "exp":
            return f"exp(-{self.var()}^2/2)*{self.polynomial(2)}" if r.random() < 0.5 else f"exp({self.var()})"
        return f"{self.form(depth + 1)}*{self.form(depth + 1)}"

    def expression(self):
        return " + ".join(self.form() for _ in range(self.rng.randint(1, 2)))


FLOAT_LITERAL = re.compile(r"(?<![A-Za-z_0-9.])(\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)")


def exact_floats(text):
    """Float literals as the exact binary numbers they hold, as Noether reads them: SymPy's own
    15-digit Floats would absorb 1e-44*q1^2 into 0.5*q1^2 before any test ran."""
    def exact(m):
        f = fractions.Fraction(float(m.group(1)))
        return f"Rational({f.numerator}, {f.denominator})"
    return FLOAT_LITERAL.sub(exact, text)


def to_sympy(text):
    """Noether text (as written here or printed by Noether) to SymPy."""
    local = {str(s): s for s in Q + P}
    local.update({"Rational": sp.Rational, "I": sp.I, "pi": sp.pi, "abs": sp.Abs, "sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log,
                  "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh})
    return parse_expr(exact_floats(text).replace("^", "**"), local_dict=local, evaluate=True)


def poisson(f, g, dof):
    return sum(sp.diff(f, Q[i]) * sp.diff(g, P[i]) - sp.diff(f, P[i]) * sp.diff(g, Q[i]) for i in range(dof))


# ---------------------------------------------------------------------------------------------
# Cases

class Case:
    def __init__(self, kind, dof, statement, **data):
        self.kind, self.dof, self.statement, self.data = kind, dof, statement, data
        self.output = None


def true_rewrites(g, rng):
    """Pairs (A, B) that are equal, in Noether text."""
    a, b, c = g.polynomial(2), g.polynomial(2), g.positive()
    x, y = g.var(), g.var()
    return rng.choice([
        (f"({a})*({b})", f"expand(({a})*({b}))"),
        (f"({a})^2", f"({a})*({a})"),
        (f"sin({x})^2 + cos({x})^2", "1"),
        (f"sin(2*{x})", f"2*sin({x})*cos({x})"),
        (f"cos(2*{x})", f"cos({x})^2 - sin({x})^2"),
        (f"exp({x} + {y})", f"exp({x})*exp({y})"),
        (f"({a})/{c} + ({b})/{c}", f"(({a}) + ({b}))/{c}"),
        (f"sqrt{c}*sqrt{c}", c),
        (f"({a})*sqrt{c}/sqrt{c}", a),
        (f"({a})^2 - ({b})^2", f"(({a}) - ({b}))*(({a}) + ({b}))"),
        (f"bracket({a}, {b})", f"-bracket({b}, {a})"),
        (f"bracket({x}, {a}*{b})", f"bracket({x}, {a})*{b} + {a}*bracket({x}, {b})"),
    ])


def false_rewrites(g, rng):
    """Pairs (A, B) that differ, by an ordinary amount."""
    a, b, c = g.polynomial(2), g.polynomial(2), g.positive()
    x, y = g.var(), g.var()
    return rng.choice([
        (f"({a})*({b})", f"expand(({a})*({b})) + {g.monomial()}"),
        (f"sin({x})^2 + cos({x})^2", "1 + 1/1000"),
        (f"sin(2*{x})", f"sin({x})*cos({x})"),
        (f"exp({x} + 1)", f"exp({x})*exp(1) + {x}/7"),
        (f"sqrt({c})", f"sqrt({c}) + 1/{rng.randint(2, 999)}"),
        (f"({a})^2", f"({a})*({b})"),
        (f"cos({x})", f"cos(-{x}) + sin({x})"),
    ])


def near_zero(g, rng):
    """(A, B) that differ by something tiny but non-zero: must be decided false."""
    x = g.var()
    poly = g.polynomial(1)
    k = rng.randint(10, 60)
    n = rng.randint(40, 300)
    return rng.choice([
        (f"1e-{k}*{x}", "0"),
        (f"{x}*1e-{k}", f"{x}*2e-{k}"),
        (f"{x} + 1e-{k}", x),
        (f"exp(-{n})", "0"),
        (f"exp(-{n})*{x}^2", "0"),
        (f"(sqrt(2) - 1)^{rng.randint(110, 130)}", "0"),
        (f"sin(10^-{k})", "0"),
        (f"(1 + 10^-{k})*{x}", x),
        (f"6.674e-11*{x}/(1 + {x}^2)", "0"),
        # A term of its own: beside a like term (1e-44*q1^2 + q1^2/2) the float coefficients add
        # in IEEE double arithmetic, as Noether documents, and 1e-44 + 1/2 is 0.5.
        (f"bracket(p1, p1^2/2 + 1e-{k}*q1^9 + {poly})", f"bracket(p1, p1^2/2 + {poly})"),
        (f"bracket(p1, p1^2/2 + exp(-{n})*q1^2)", "0"),
        (f"bracket(p1, p1^2/(2*m) - 6.674e-11*M*m/q1)", "0"),
    ])


def make_cases(seed, count, kinds):
    rng = random.Random(seed)
    cases = []
    weights = {"bracket": 4, "simplify": 2, "equal": 3, "near-zero": 1}
    pool = [k for k in KINDS if k in kinds for _ in range(weights[k])]
    for _ in range(count):
        kind = rng.choice(pool)
        dof = rng.randint(1, 3)
        g = Gen(rng, dof)
        if kind == "bracket":
            f, h = g.expression(), g.expression()
            cases.append(Case(kind, dof, f"bracket({f}, {h})", f=f, g=h))
        elif kind == "simplify":
            a, c = g.expression(), g.positive()
            e = rng.choice([f"(({a})*{c})/{c}", f"({a})*(sin(q1)^2 + cos(q1)^2)",
                            f"({g.polynomial(2)})*({g.polynomial(2)}) - ({a})", f"{a}"])
            cases.append(Case(kind, dof, f"simplify({e})", e=e))
        elif kind == "equal":
            a, b = (true_rewrites if rng.random() < 0.5 else false_rewrites)(g, rng)
            cases.append(Case(kind, dof, f"{a} == {b}", a=a, b=b))
        else:
            g = Gen(rng, 1)  # near-zero cases read q1, p1 (and m, M as parameters)
            a, b = near_zero(g, rng)
            cases.append(Case(kind, 1, f"{a} == {b}", a=a, b=b, expected=False))
    return cases


# ---------------------------------------------------------------------------------------------
# Running Noether

def run_batch(noether, cases, timeout):
    """One noether process for all cases of one dof: canonical pairs, then statement, marker, …"""
    by_dof = {}
    for c in cases:
        by_dof.setdefault(c.dof, []).append(c)
    for dof, group in by_dof.items():
        pairs = ", ".join(f"(q{i+1}, p{i+1})" for i in range(dof))
        lines = [f"canonical {pairs}"]
        for c in group:
            lines += [c.statement, str(MARKER)]
        try:
            proc = subprocess.run([noether, "-e", "\n".join(lines)], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            for c in group:
                c.output = ["(the batch timed out)"]
            continue
        chunks, current = [], []
        for line in proc.stdout.split("\n"):
            if line == str(MARKER):
                chunks.append(current); current = []
            else:
                current.append(line)
        if len(chunks) > len(group) or (len(chunks) < len(group) and proc.returncode >= 0):
            sys.exit(f"differential: noether printed {len(chunks)} markers for {len(group)} statements (dof {dof}); stderr: {proc.stderr[-2000:]}")
        for c, chunk in zip(group, chunks):
            c.output = chunk
        if len(chunks) < len(group):  # killed by a signal: the statement after the last marker did it
            group[len(chunks)].output = [f"(noether died with signal {-proc.returncode} on this statement)"]
            for c in group[len(chunks) + 1:]:
                c.output = ["(not run: noether died on an earlier statement)"]


# ---------------------------------------------------------------------------------------------
# SymPy's side

def points(rng, symbols, n):
    return [{s: sp.Rational(rng.choice([-1, 1]) * rng.randint(1, 40), rng.randint(3, 23)) for s in symbols} for _ in range(n)]


def value(expr, point, digits=30):
    return complex(expr.evalf(digits, subs=point))


def close(x, y):
    scale = max(abs(x), abs(y))
    return abs(x - y) <= 1e-9 * scale or scale < 1e-20


def sympy_bracket_or_value(text, dof):
    """SymPy's value of Noether input text, with bracket(...) calls done by SymPy."""
    local = {str(s): s for s in Q + P}
    local.update({"I": sp.I, "pi": sp.pi, "abs": sp.Abs, "expand": sp.expand,
                  "bracket": lambda f, g: poisson(f, g, dof), "Rational": sp.Rational})
    return parse_expr(exact_floats(text).replace("^", "**"), local_dict=local, evaluate=True)


def sympy_zero(diff, rng):
    """True when diff is zero: simplify first, then 60-digit evaluation at exact points.

    Floats become the exact binary numbers they hold, as in Noether (SymPy's simplify would
    otherwise call 2e-44*q1 zero at its 15-digit float precision)."""
    diff = diff.xreplace({f: sp.Rational(float(f)) for f in diff.atoms(sp.Float)})
    try:
        s = sp.simplify(diff)
        if s == 0:
            return True, "simplify"
        if s.is_number:
            z = s.is_zero
            if z is not None:
                return z, "exact constant"
    except Exception:
        pass
    free = sorted(diff.free_symbols, key=str)
    for point in points(rng, free, 4):
        v = sp.N(diff.subs(point), 60, maxn=2000)
        if v != 0 and abs(complex(v)) > 0:
            return False, f"numeric: {sp.N(v, 5)} at {point}"
    return True, "numeric, 4 points at 60 digits"


def verdict(output):
    text = " ".join(output).strip()
    if text.startswith("true"):
        return True
    if text.startswith("false"):
        return False
    return None


def check(case, rng):
    """None when the case agrees, else a message."""
    out = case.output
    if case.kind in ("bracket", "simplify"):
        if len(out) != 1 or out[0].startswith("error"):
            return f"noether gave no single result: {' | '.join(out)[:400]}"
        try:
            got = to_sympy(out[0])
        except Exception as e:
            return f"cannot read noether's output {out[0][:200]!r}: {e}"
        want = poisson(to_sympy(case.data["f"]), to_sympy(case.data["g"]), case.dof) if case.kind == "bracket" \
            else to_sympy(case.data["e"])
        free = sorted((got.free_symbols | want.free_symbols), key=str)
        for point in points(rng, free, 3):
            try:
                x, y = value(got, point), value(want, point)
            except (TypeError, ValueError, ZeroDivisionError):
                continue
            if not close(x, y):
                return f"at {point}: noether's result is {x:.12g}, sympy's {y:.12g}\n    noether: {out[0][:300]}"
        return None
    got = verdict(out)
    if got is None:
        return f"noether gave no verdict: {' | '.join(out)[:400]}"
    a = sympy_bracket_or_value(case.data["a"], case.dof)
    b = sympy_bracket_or_value(case.data["b"], case.dof)
    want, how = sympy_zero(a - b, rng)
    if "expected" in case.data and case.data["expected"] != want:
        return f"sympy's verdict {want} ({how}) is not the expected {case.data['expected']}: fix the case generator"
    if got != want:
        return f"noether says {' '.join(out)}, sympy says {str(want).lower()} ({how})"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--skip", nargs="*", default=[], choices=KINDS)
    ap.add_argument("--only", nargs="*", default=[], choices=KINDS)
    ap.add_argument("--timeout", type=float, default=600, help="seconds for one noether batch")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    kinds = [k for k in (args.only or KINDS) if k not in args.skip]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    noether = os.environ.get("NOETHER", os.path.join(root, ".build", "debug", "noether"))
    if not os.access(noether, os.X_OK):
        sys.exit(f"differential: no noether binary at {noether} (build with swift build, or set NOETHER)")

    start = time.time()
    cases = make_cases(args.seed, args.cases, kinds)
    run_batch(noether, cases, args.timeout)
    ran = time.time() - start
    rng = random.Random(args.seed + 1)
    mismatches = []
    counts = {k: [0, 0] for k in KINDS}
    for i, case in enumerate(cases):
        problem = check(case, rng)
        counts[case.kind][0] += 1
        if problem:
            counts[case.kind][1] += 1
            mismatches.append((i, case, problem))
        elif args.verbose:
            print(f"ok   #{i} [{case.kind}, {case.dof} dof] {case.statement[:150]}")
    for i, case, problem in mismatches:
        print(f"MISMATCH #{i} [{case.kind}, {case.dof} dof] {case.statement[:600]}\n    {problem}")
    summary = ", ".join(f"{k} {n - bad}/{n}" for k, (n, bad) in counts.items() if n)
    print(f"differential: seed {args.seed}: {len(cases) - len(mismatches)} of {len(cases)} cases agree with SymPy "
          f"({summary}); noether {ran:.1f} s, total {time.time() - start:.1f} s")
    print(f"{len(cases) - len(mismatches)} passed, {len(mismatches)} failed")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()

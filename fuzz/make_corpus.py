#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz target into fuzz/corpus/ (committed; rerun to refresh).

Seeds: the `> ` input lines of notebooks-txt/*.txt (one seed per notebook with its statements
in order, and one per line after the notebook's last `load`/`canonical`, so names resolve), and
the hostile shapes of issue P5: long flat lines, deep definition chains, huge literals, NUL bytes,
deep parentheses, near-zero equalities, non-finite numbers and bad simulate options. Statements
with file verbs or training are left out, as the target skips them; long simulations are cut to
t: 10 so every seed runs in well under a second.
"""
import hashlib, os, re, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "fuzz", "corpus")
maximum = 16 * 1024          # the target's maximumInputBytes
skipped = {"save", "read", "plot", "dataset", "train", "resume", "file"}

def words(text):
    return set(re.findall(r"[A-Za-z0-9_]+", text))

def cut_long_runs(line):
    return re.sub(r"\bt: *([0-9.e+]+)", lambda m: "t: 10" if float(m.group(1)) > 10 else m.group(0), line)

seeds = {}
def seed(name, text):
    data = text.encode("utf-8") if isinstance(text, str) else text
    assert len(data) <= maximum, (name, len(data))
    seeds[name] = data

for path in sorted(os.listdir(os.path.join(root, "notebooks-txt"))):
    if not path.endswith(".txt"): continue
    stem = path[:-4]
    lines = [l[2:].rstrip("\n") for l in open(os.path.join(root, "notebooks-txt", path), encoding="utf-8") if l.startswith("> ")]
    lines = [cut_long_runs(l) for l in lines if not (words(l) & skipped)]
    seed(f"nb-{stem}", "\n".join(lines) + "\n")
    context = ""
    for i, line in enumerate(lines):
        if re.match(r"(load|canonical)\b", line):
            context = line
            continue
        seed(f"nb-{stem}-{i:03d}", (context + "\n" if context else "") + line + "\n")

# Long flat lines (the parser and printer must not recurse once per term).
seed("flat-sum", "x" + "+x" * 4000 + "\n")
seed("flat-product", "x" + "*x" * 4000 + "\n")
seed("flat-difference", "x" + "-x" * 4000 + "\n")
seed("flat-distinct-sum", "+".join(f"a{i}" for i in range(400)) + "\n")
seed("flat-distinct-product", "*".join(f"a{i}" for i in range(300)) + "\n")
seed("flat-bracket", "canonical (q, p)\nbracket(" + "+".join(f"q^{i}*p" for i in range(1, 200)) + ", p^2/2 + q^2/2)\n")
seed("flat-unary", "-" * 4000 + "x\n")
seed("flat-powers", "x" + "^x" * 3000 + "\n")

# Deep definition chains (depth limits must hold through names, not only within a line).
chain = ["a0 = x"] + [f"a{i} = sin(a{i-1})" for i in range(1, 700)]
seed("deep-definitions-eval", "\n".join(chain + ["eval(a699, x: 0.5)"]) + "\n")
seed("deep-definitions-latex", "\n".join(chain + ["latex(a699)"]) + "\n")
seed("deep-definitions-diff", "\n".join(chain[:60] + ["diff(a59, x)", "simplify(a59)", "a59 == a59"]) + "\n")
seed("deep-definitions-sum", "\n".join(["b0 = x"] + [f"b{i} = b{i-1} + b{i-1}" for i in range(1, 400)] + ["b399"]) + "\n")

# Deep nesting inside one line, just under and just over the parser's limit.
seed("deep-parentheses-under", "(" * 250 + "x" + ")" * 250 + "\n")
seed("deep-parentheses-over", "(" * 5000 + "x" + ")" * 5000 + "\n")
seed("deep-functions", "sin(" * 250 + "x" + ")" * 250 + "\n")
seed("deep-unclosed", "(" * 8000 + "\n")
seed("deep-lists", "[" * 3000 + "1" + "]" * 3000 + "\n")

# Huge literals.
seed("huge-integer", "1" * 1000 + "\n")
seed("huge-integer-power", "x^" + "9" * 300 + "\n")
seed("huge-float", "1" * 400 + ".5e308*x\n")
seed("huge-exponent", "1e" + "9" * 40 + "\n")
seed("huge-rational", "1" * 500 + "/" + "7" * 500 + " == 0\n")

# NUL and other control bytes, invalid UTF-8.
seed("nul-alone", b"\x00\n")
seed("nul-inside", b"x\x00+1\n")
seed("nul-statement", b"canonical (q, p)\nbracket(q,\x00p)\nconserved(\x00)\n")
seed("control-bytes", b"\x1b[2Jx + \x07\x08 1\n")
seed("invalid-utf8", b"x + \xff\xfe\xc3 + y\n")
seed("crlf-lines", b"canonical (q, p)\r\nH = p^2/2 + q^2/2\r\nconserved(H)\r\n")

# Near-zero verdicts and non-finite values (issue P5, section 1).
seed("near-zero-float", "canonical (q, p)\nH = p^2/2 + 1e-10*q^2\nconserved(p)\nbracket(p, H)\n")
seed("near-zero-exp", "canonical (q, p)\nH = p^2/2 + exp(-200)*q^2\nconserved(p)\nexp(-100) == 0\n")
seed("near-zero-constants", "(sqrt(2)-1)^200 == 0\nsin(10^-50) == 0\nx*1e-10 == x*2e-10\n1e-10 == 0\n")
seed("near-zero-gravity", "canonical (r, pr)\nH = pr^2/(2*m) - 6.674e-11*M*m/r\nconserved(pr)\n")
seed("zero-powers", "0^x == 0\n(sin(x)^2+cos(x)^2-1)/(sin(x)^2+cos(x)^2-1)\n1/(sin(x)^2+cos(x)^2-1)\n1/(x-x)\n0/0\n0^0\n0^-1\n")
seed("non-finite", "a = 1e308*10\na - a\na != a\nexp(1000)\nlog(0)\nsubs(log(x), x: 0)\n")

# Expansion and differentiation sizes.
seed("expand-binomials", "expand(" + "*".join(f"(x{i}+y{i})" for i in range(12)) + ")\n")
seed("expand-power", "expand((x+y+z)^12)\nexpand((x+y)^(10^-9))\n")
seed("diff-many", "diff(sin(sin(sin(x))), x, 12)\n")

# simulate options at the edges (step counts that do not fit an Int, zero and fractional options).
seed("simulate-edges", "load pendulum\nsimulate(x0: [1, 0], t: 1, step: 0.3, method: rk4)\nsimulate(x0: [1, 0], t: 1, step: 2)\nsimulate(x0: [1, 0], t: 1, samples: 0)\nsimulate(x0: [1, 0], t: 1, step: 0.1, every: 0)\nsimulate(x0: [1, 0], t: 1, step: 0.1, every: 1.5)\n")
seed("simulate-collision", "load kepler2d\nsimulate(x0: [1, 0, 0, 0], t: 2, step: 0.01, method: rk4)\n")

# Messages and the command line.
seed("messages", "-2^2\nsteps: 1.5\nbracket(\nhelp\nhelp bracket\nshow\n")

# Reproducers: inputs that crashed or ran away when this was written (issue P5 and the fuzz runs),
# kept apart from the corpus so that a fuzz run is not stopped by a known failure. They grow the
# regression set: `scripts/fuzz.sh --replay fuzz/reproducers` lists those that still fail; move
# each one into the corpus once it passes.
reproducers = {
    # Double -> Int traps in simulate's step count.
    "simulate-t-1e300": "load pendulum\nsimulate(x0: [1, 0], t: 1e300, step: 0.1, method: rk4)\n",
    "simulate-step-1e-300": "load pendulum\nsimulate(x0: [1, 0], t: 1, step: 1e-300)\n",
    "simulate-t-1e19": "load pendulum\nsimulate(x0: [1, 0], t: 1e19, step: 1)\n",
    # Stack overflow on long flat lines and deep definition chains.
    "flat-sum-100k": "x" + "+x" * 100000 + "\n",
    "flat-product-100k": "x" + "*x" * 100000 + "\n",
    "deep-chain-20k-eval": "\n".join(["a0 = x"] + [f"a{i} = sin(a{i-1})" for i in range(1, 20001)] + ["eval(a20000, x: 0.5)"]) + "\n",
    "horner-chain-2k": "\n".join(["b0 = x"] + [f"b{i} = b{i-1}*x + 1" for i in range(1, 2001)] + ["b2000"]) + "\n",
    # Runaways: results whose size is not estimated before computing.
    "expand-30-binomials": "expand(" + "*".join(f"(x{i}+y{i})" for i in range(30)) + ")\n",
    "expand-power-1e9": "expand((x+y)^(10^9))\n",
    "integer-power-30k-digits": "111111111111111111111111111^1111\n",
    "parse-2000-distinct-symbols": "*".join(f"a{i}" for i in range(2000)) + "\n",
    "calogero-5": "load calogero(n: 5, harmonic: 1)\n",
    # Found by the fuzzer: an exact power left unevaluated for printing is still computed (or
    # evaluated at ever higher precision) by the zero test and simplify; 2^(10^4) == 1 takes 2 s.
    "equal-power-2e5": "2^(10^5) == 1\n",
    "simplify-power-2e6": "simplify(2^(10^6))\n",
    "equal-power-found": "12189633 != 1395841480**100000000000000/6078199446179033\n",
    "expand-binomials-found": "expand((x0+y0)*(x1+y1)*(x2+y2)*(x3+yx2+y2)*(x3+y3)*(x4*y4)*(x5+y5)*(x6+y6)*(x7+y7)*(x8+y8)*(x9+y9cosx10+3)*(x4*y4)*(x5+y5)*(x6+y6)*(x7+y7)*(x8+y8)*(x9+y9cosx10+y10)*(x11+y11))\n",
}

os.makedirs(out, exist_ok=True)
for old in os.listdir(out):
    os.remove(os.path.join(out, old))
for name, data in sorted(seeds.items()):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
reproducer_dir = os.path.join(root, "fuzz", "reproducers")
os.makedirs(reproducer_dir, exist_ok=True)
for name, text in sorted(reproducers.items()):
    with open(os.path.join(reproducer_dir, name), "w") as f:
        f.write(text)
print(f"{len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes in {os.path.relpath(out, root)}", file=sys.stderr)

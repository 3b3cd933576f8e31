import BigInt

/// The certified middle verdict between the exact normal form and the numeric test: a rational
/// expression (symbols, exact numbers, floats as the binary numbers they hold, sums, products,
/// integer powers) is evaluated at random points modulo random 62-bit primes.
///
/// Why a zero there is evidence, and how much. Clearing denominators node by node turns the
/// expression into Ñ/D̃ with integer polynomials (a sum's numerator is Σ N_i Π_{j≠i} D_j);
/// `Bound` carries, for both, a bound on the total degree and on log₂ of the ℓ¹ norm of the
/// coefficients (submultiplicative, so products add and sums take a log-sum). If the
/// expression is not zero as a rational function, Ñ is a non-zero integer polynomial, and a
/// round (a prime p drawn uniformly from the primes in [2⁶¹, 2⁶²), then a point drawn uniformly
/// from F_p^n) sees zero only if
///
/// - p divides every coefficient of Ñ: p divides one non-zero coefficient c with |c| ≤ 2^hn,
///   which has at most hn/61 prime factors that large, out of more than 2⁵⁵ such primes
///   (Rosser–Schoenfeld: π(2⁶²) − π(2⁶¹) > 2⁶²/ln 2⁶² − 1.25506·2⁶¹/ln 2⁶¹ > 3.8·10¹⁶); or
/// - Ñ mod p is not zero but vanishes at the point: probability at most dn/p (Schwartz–Zippel),
///   dn/(p − dd) given that the point is not a pole (D̃ ≠ 0 there), which is what a round uses.
///
/// A round's error is therefore below ε = (hn + hd)/(61·2⁵⁵) + dn/(2⁶¹ − dd) (hd for the primes
/// that divide D̃'s content, which are never kept: every point is a pole); it is doubled to cover
/// the rare primes and points that are drawn again (a constant's denominator divisible by p, a
/// pole), and independent rounds multiply. Rounds run until the bound is below 2⁻¹²⁸ (at most
/// `maximumRounds`), and the verdict states the bound it reached. A non-zero value in any round
/// proves the expression non-zero, with no error at all (reduction mod p is a ring map).
///
/// The generator is seeded, so verdicts are reproducible; the bound is over the draws, for an
/// expression that was not chosen with the seed in hand.
enum ModularZeroTest {
    enum Outcome: Equatable {
        /// Zero in every round; the probability that a non-zero expression gets here is below 2^-errorBits.
        case zero(errorBits: Int)
        case nonzero
        /// The expression has kernels (radicals, exp, trig, π, I, …) or bounds too large to use.
        case notApplicable
    }

    /// Bounds on the cleared numerator Ñ and denominator D̃: total degrees, and log₂ of the sums
    /// of the absolute values of their integer coefficients.
    struct Bound: Equatable {
        var numeratorDegree: Double, denominatorDegree: Double
        var numeratorBits: Double, denominatorBits: Double
    }

    static let targetErrorBits = 128
    static let maximumRounds = 16

    /// A round's error bound for an expression with these bounds, or nil when the test does not
    /// apply (a bound not finite, or too large for rounds to be worth running).
    static func perRoundError(_ bound: Bound) -> Double? {
        let values = [bound.numeratorDegree, bound.denominatorDegree, bound.numeratorBits, bound.denominatorBits]
        guard values.allSatisfy(\.isFinite), bound.numeratorDegree < 0x1p59, bound.denominatorDegree < 0x1p59 else { return nil }
        // Primes dividing the numerator's content can hide a non-zero; primes dividing the
        // denominator's are excluded from the draw (every point is a pole): both are counted.
        let ε = 2 * ((bound.numeratorBits + bound.denominatorBits) / (61 * 0x1p55) + bound.numeratorDegree / (0x1p61 - bound.denominatorDegree))
        guard ε.isFinite, ε < 0x1p-8 else { return nil }
        // A constant numerator of norm ≤ 1 makes the bound 0: one round then decides exactly,
        // and the verdict states 2^-128.
        return max(0x1p-128, ε)
    }

    /// Whether `decide` applies to `e` (the zero test gives the exact form a budget only then).
    static func applies(to e: Expr) -> Bool { bound(e).flatMap(perRoundError) != nil }

    static func decide(_ e: Expr) -> Outcome {
        guard let bound = bound(e), let perRound = perRoundError(bound) else { return .notApplicable }
        let symbols = e.freeSymbols
        var rng = SeededGenerator(seed: 0x0D0_2026_5EED)
        var errorLog2 = 0.0, rounds = 0
        while rounds < maximumRounds && -errorLog2 < Double(targetErrorBits) {
            guard let value = evaluateOnce(e, symbols, &rng) else { return .notApplicable }
            if value != 0 { return .nonzero }
            errorLog2 += Foundation_log2(perRound)
            rounds += 1
        }
        return .zero(errorBits: Int((-errorLog2).rounded(.down)))
    }

    /// One round: a fresh prime (drawn again when a constant's denominator is divisible by it)
    /// and a fresh point (drawn again at a pole). Nil when no draw could be evaluated.
    static func evaluateOnce(_ e: Expr, _ symbols: [String], _ rng: inout SeededGenerator) -> UInt64? {
        for _ in 0..<8 {
            let p = randomPrime(&rng)
            for _ in 0..<8 {
                var point: [String: UInt64] = [:]
                for s in symbols { point[s] = rng.next(upperBound: p) }
                let evaluator = Evaluator(p: p, point: point)
                do { return try evaluator.value(e) } catch Evaluator.Failure.pole { continue } catch is Interrupted { return nil } catch { break }
            }
        }
        return nil
    }

    // MARK: Bounds

    static func bound(_ e: Expr) -> Bound? {
        if e.node.hasKernel { return nil }
        var memo: [ObjectIdentifier: Bound] = [:]
        func number(_ n: Number) -> Bound? {
            let r: Rational
            switch n {
            case .exact(let q): r = q
            case .float(let x): guard let q = Rational(exactly: x) else { return nil }; r = q
            }
            return Bound(numeratorDegree: 0, denominatorDegree: 0,
                         numeratorBits: Double(r.numerator.magnitude.bitWidth), denominatorBits: Double(r.denominator.magnitude.bitWidth))
        }
        func walk(_ e: Expr) -> Bound? {
            let id = ObjectIdentifier(e.node)
            if let known = memo[id] { return known }
            var result: Bound?
            switch e.kind {
            case .number(let n): result = number(n)
            case .symbol: result = Bound(numeratorDegree: 1, denominatorDegree: 0, numeratorBits: 0, denominatorBits: 0)
            case .product(let c, let fs):
                guard var b = number(c) else { return nil }
                for f in fs {
                    guard let x = walk(f) else { return nil }
                    b.numeratorDegree += x.numeratorDegree; b.denominatorDegree += x.denominatorDegree
                    b.numeratorBits += x.numeratorBits; b.denominatorBits += x.denominatorBits
                }
                result = b
            case .sum(let ts):
                var parts: [Bound] = []
                for t in ts { guard let x = walk(t) else { return nil }; parts.append(x) }
                let dd = parts.reduce(0) { $0 + $1.denominatorDegree }, hd = parts.reduce(0) { $0 + $1.denominatorBits }
                let dn = parts.reduce(0) { max($0, $1.numeratorDegree + dd - $1.denominatorDegree) }
                // log₂ Σ 2^(hn_i + hd − hd_i), plus a margin for the rounding of these doubles.
                let exponents = parts.map { $0.numeratorBits + hd - $0.denominatorBits }
                let top = exponents.max() ?? 0
                let hn = top + Foundation_log2(exponents.reduce(0) { $0 + Foundation_pow(2, $1 - top) }) + 1e-9 * (1 + abs(top))
                result = Bound(numeratorDegree: dn, denominatorDegree: dd, numeratorBits: hn, denominatorBits: hd)
            case .power(let b, let x):
                guard let k = x.numberValue.flatMap({ n -> Int? in if case .exact(let q) = n { return q.intValue }; return nil }),
                      let base = walk(b) else { return nil }
                let m = Double(k.magnitude)
                result = k >= 0
                    ? Bound(numeratorDegree: m * base.numeratorDegree, denominatorDegree: m * base.denominatorDegree,
                            numeratorBits: m * base.numeratorBits, denominatorBits: m * base.denominatorBits)
                    : Bound(numeratorDegree: m * base.denominatorDegree, denominatorDegree: m * base.numeratorDegree,
                            numeratorBits: m * base.denominatorBits, denominatorBits: m * base.numeratorBits)
            case .function, .pi, .imaginaryUnit, .undefined:
                return nil
            }
            memo[id] = result
            return result
        }
        return walk(e)
    }

    // MARK: Arithmetic mod p

    /// A class: its memo is mutated in the middle of expressions that read `self`, which for a
    /// struct copied the whole dictionary at every node.
    final class Evaluator {
        enum Failure: Error { case pole, badPrime, unsupported }
        let p: UInt64
        let point: [String: UInt64]
        var memo: [ObjectIdentifier: UInt64] = [:]

        init(p: UInt64, point: [String: UInt64]) { self.p = p; self.point = point }

        func value(_ e: Expr) throws -> UInt64 {
            let id = ObjectIdentifier(e.node)
            if let known = memo[id] { return known }
            let v: UInt64
            switch e.kind {
            case .number(let n): v = try number(n)
            case .symbol(let s): v = point[s] ?? 0
            case .sum(let ts):
                var acc: UInt64 = 0
                for t in ts { acc = add(acc, try value(t)) }
                v = acc
            case .product(let c, let fs):
                var acc = try number(c)
                for f in fs { acc = multiply(acc, try value(f)) }
                v = acc
            case .power(let b, let x):
                guard let n = x.numberValue, case .exact(let q) = n, let k = q.intValue else { throw Failure.unsupported }
                let base = try value(b)
                if k < 0 {
                    guard base != 0 else { throw Failure.pole }
                    v = power(inverse(base), k.magnitude)
                } else {
                    v = power(base, k.magnitude)
                }
            case .function, .pi, .imaginaryUnit, .undefined:
                throw Failure.unsupported
            }
            try Interrupt.check()
            memo[id] = v
            return v
        }

        func number(_ n: Number) throws -> UInt64 {
            let r: Rational
            switch n {
            case .exact(let q): r = q
            case .float(let x): guard let q = Rational(exactly: x) else { throw Failure.unsupported }; r = q
            }
            let d = residue(r.denominator)
            guard d != 0 else { throw Failure.badPrime }
            return multiply(residue(r.numerator), inverse(d))
        }

        func residue(_ n: BigInt) -> UInt64 {
            let r = UInt64(n.magnitude % BigUInt(p))
            return n.sign == .minus && r != 0 ? p - r : r
        }

        @inline(__always) func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let s = a + b   // < 2⁶³: no overflow
            return s >= p ? s - p : s
        }

        @inline(__always) func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
            p.dividingFullWidth(a.multipliedFullWidth(by: b)).remainder
        }

        func power(_ a: UInt64, _ k: UInt) -> UInt64 {
            ModularZeroTest.power(a, UInt64(k), p)
        }

        /// a^(p−2) = a⁻¹ (Fermat), a ≠ 0.
        func inverse(_ a: UInt64) -> UInt64 { ModularZeroTest.power(a, p - 2, p) }
    }

    static func power(_ a: UInt64, _ k: UInt64, _ p: UInt64) -> UInt64 {
        var result: UInt64 = 1 % p, base = a % p, e = k
        while e > 0 {
            if e & 1 == 1 { result = p.dividingFullWidth(result.multipliedFullWidth(by: base)).remainder }
            e >>= 1
            if e > 0 { base = p.dividingFullWidth(base.multipliedFullWidth(by: base)).remainder }
        }
        return result
    }

    // MARK: Primes

    /// A prime drawn uniformly from [2⁶¹, 2⁶²): odd numbers drawn until one is prime (rejection
    /// keeps every prime equally likely).
    static func randomPrime(_ rng: inout SeededGenerator) -> UInt64 {
        while true {
            let candidate = (rng.next() >> 3) | (1 << 61) | 1
            if isPrime(candidate) { return candidate }
        }
    }

    /// Miller–Rabin with the first twelve primes as bases: deterministic below ψ₁₂ ≈ 3.18·10²³,
    /// far above 2⁶⁴.
    static func isPrime(_ n: UInt64) -> Bool {
        if n < 2 { return false }
        let small: [UInt64] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
        for q in small where n % q == 0 { return n == q }
        var d = n - 1, s = 0
        while d & 1 == 0 { d >>= 1; s += 1 }
        witnesses: for a in small {
            var x = power(a, d, n)
            if x == 1 || x == n - 1 { continue }
            for _ in 1..<max(s, 1) {
                x = n.dividingFullWidth(x.multipliedFullWidth(by: x)).remainder
                if x == n - 1 { continue witnesses }
            }
            return false
        }
        return true
    }
}

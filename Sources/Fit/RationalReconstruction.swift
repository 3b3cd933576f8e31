import Foundation
import Symbolic

/// Small rationals from measured coefficients.
public enum RationalReconstruction {
    /// The rational with the smallest denominator (then the smallest numerator) in
    /// [x − tolerance, x + tolerance], by continued fractions, or nil when every such rational
    /// has a denominator above `maximumDenominator`.
    public static func simplest(_ x: Double, tolerance: Double, maximumDenominator: Int = 1000) -> Rational? {
        guard x.isFinite, tolerance >= 0 else { return nil }
        let lo = x - tolerance, hi = x + tolerance
        if lo <= 0 && hi >= 0 { return Rational(0) }
        if hi < 0 { return simplest(-x, tolerance: tolerance, maximumDenominator: maximumDenominator).map { -$0 } }
        guard let (n, d) = simplestBetween(lo, hi, depth: 0, limit: maximumDenominator), d <= maximumDenominator else { return nil }
        return Rational(n, d)
    }

    /// For 0 < lo ≤ hi: the simplest fraction n/d in [lo, hi] (the classic continued-fraction
    /// recursion: an integer if the interval holds one, else floor + 1/(simplest of the
    /// reciprocal interval)).
    static func simplestBetween(_ lo: Double, _ hi: Double, depth: Int, limit: Int) -> (Int, Int)? {
        guard depth < 40, hi < 1e15 else { return nil }
        let c = lo.rounded(.up)
        if c <= hi { return (Int(c), 1) }
        let f = lo.rounded(.down)
        guard let (n, d) = simplestBetween(1 / (hi - f), 1 / (lo - f), depth: depth + 1, limit: limit), n <= limit else { return nil }
        // f + d/n
        return (Int(f) * n + d, n)
    }
}

/// The one random number generator of Noether: xoshiro256** seeded through SplitMix64.
/// The same seed gives the same sequence on every run and machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// A uniform double in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

extension SeededGenerator {
    /// A uniform double in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// A normal deviate (Box–Muller; one of the pair, so sequences stay simple to reproduce).
    public mutating func normal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        var u = uniform()
        while u <= 0 { u = uniform() }
        let v = uniform()
        return mean + standardDeviation * (-2 * Foundation_log(u)).squareRoot() * Foundation_cos(2 * Double.pi * v)
    }
}

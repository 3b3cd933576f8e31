import Foundation
import Symbolic

/// The largest Lyapunov exponent of a step map's orbit (a fixed-step integrator of a vector field,
/// or a learned map), by Benettin's two-orbit method: a companion orbit starts at separation
/// d₀ = 1e-8·max(1, |x₀|) along a seeded random direction; every `renormalizeEvery` steps the
/// separation d is measured, ln(d/d₀) added to the sum and the companion pulled back, along the
/// current separation, to d₀ = 1e-8·max(1, |x|) for the current state (so that a growing orbit
/// does not round the separation away). λ = Σ ln(d/d₀) / (elapsed time). d₀ keeps the pair in the
/// linear regime, so λ is the tangent map's exponent up to O(d₀) and the finite-time bias.
public enum Lyapunov {
    public struct Estimate: Sendable {
        public var exponent: Double
        /// (time, running estimate) after each quarter of the run.
        public var running: [(time: Double, exponent: Double)]
        public var renormalizations: Int
        public var separation: Double
    }

    public static func largestExponent(of map: StepMap, from x0: [Double], steps: Int, renormalizeEvery every: Int, seed: UInt64 = 1) throws -> Estimate {
        let n = map.dimension, h = map.stepSize
        guard x0.count == n else { throw IntegrationError(reason: "the initial state has \(x0.count) components, the map \(n)", time: 0, state: x0) }
        guard steps > 0, every > 0, every <= steps else {
            throw IntegrationError(reason: "a Lyapunov estimate needs at least one renormalisation: \(steps) steps, renormalising every \(every)", time: 0, state: x0)
        }
        var d0 = 1e-8 * max(1, x0.reduce(0) { $0 + $1 * $1 }.squareRoot())
        var rng = SeededGenerator(seed: seed)
        var u = (0..<n).map { _ in rng.normal() }
        let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u = u.map { $0 / norm }
        var x = x0, y = zip(x0, u).map { $0 + d0 * $1 }
        var sum = 0.0, count = 0
        var running: [(Double, Double)] = []
        let quarters = Set((1...4).map { $0 * steps / 4 })
        for k in 1...steps {
            if k & 255 == 0 { try Interrupt.check() }
            try x.withUnsafeMutableBufferPointer { try map.apply($0.baseAddress!) }
            try y.withUnsafeMutableBufferPointer { try map.apply($0.baseAddress!) }
            guard x.allSatisfy({ $0.isFinite && abs($0) < 1e100 }), y.allSatisfy({ $0.isFinite && abs($0) < 1e100 }) else {
                throw IntegrationError(reason: "the orbit left the finite states", time: Double(k) * h, state: x)
            }
            if k % every == 0 {
                let d = zip(x, y).reduce(0) { $0 + ($1.1 - $1.0) * ($1.1 - $1.0) }.squareRoot()
                guard d > 0 else { throw IntegrationError(reason: "the two orbits met exactly (separation 0): the map is not invertible there", time: Double(k) * h, state: x) }
                sum += Foundation.log(d / d0)
                count += 1
                d0 = 1e-8 * max(1, x.reduce(0) { $0 + $1 * $1 }.squareRoot())
                y = zip(x, y).map { $0 + d0 * ($1 - $0) / d }
            }
            if quarters.contains(k), count > 0 { running.append((Double(count * every) * h, sum / (Double(count * every) * h))) }
        }
        return Estimate(exponent: sum / (Double(count * every) * h), running: running, renormalizations: count, separation: 1e-8 * max(1, x0.reduce(0) { $0 + $1 * $1 }.squareRoot()))
    }
}

import CKernels
import Foundation
import Symbolic

/// A radial pair potential V(r) = Σ_k c_k r^(−p_k), used for r < rc and shifted by V(rc) so that
/// the energy is continuous at the cut (Lennard-Jones: p = (12, 6), c = (4εσ¹², −4εσ⁶)); a fitted
/// potential has other powers and coefficients.
public struct PairPotential: Sendable, Equatable {
    public var powers: [Int]
    public var coefficients: [Double]
    public var cutoff: Double
    /// Where it came from, for reports ("Lennard-Jones, epsilon 1, sigma 1").
    public var name: String

    public init(powers: [Int], coefficients: [Double], cutoff: Double, name: String) {
        precondition(powers.count == coefficients.count && !powers.isEmpty && powers.allSatisfy { $0 >= 1 } && cutoff > 0)
        self.powers = powers; self.coefficients = coefficients; self.cutoff = cutoff; self.name = name
    }

    public static func lennardJones(epsilon: Double = 1, sigma: Double = 1, cutoff: Double = 2.5) -> PairPotential {
        PairPotential(powers: [12, 6], coefficients: [4 * epsilon * pow(sigma, 12), -4 * epsilon * pow(sigma, 6)], cutoff: cutoff,
                      name: "Lennard-Jones (epsilon \(TextPrinter.format(epsilon, significantDigits: 6)), sigma \(TextPrinter.format(sigma, significantDigits: 6)))")
    }

    /// V(r) without the shift.
    public func value(_ r: Double) -> Double { zip(powers, coefficients).reduce(0) { $0 + $1.1 * pow(r, -Double($1.0)) } }
    /// V(rc), subtracted from every pair inside the cut.
    public var shift: Double { value(cutoff) }
}

/// Why a particle simulation cannot run.
public struct ParticleError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// N particles of unit mass in a periodic square box interacting through a pair potential,
/// integrated by velocity Verlet with a cell list (O(N) a step): the Lennard-Jones fluid of the
/// tutorial's fourth experiment. Frames (positions and forces) and energies are kept every
/// `every` steps.
public struct PairFluidRun: Sendable {
    public var count: Int
    public var box: Double
    public var potential: PairPotential
    public var step: Double
    public var steps: Int
    public var every: Int
    /// Sample times and, per sample, kinetic and potential energy (totals, not per particle).
    public var times: [Double] = []
    public var kinetic: [Double] = []
    public var potentialEnergy: [Double] = []
    /// Positions [2N] at each sample (wrapped into the box), and the forces there.
    public var positions: [[Double]] = []
    public var forces: [[Double]] = []
    /// Seconds of the integration alone, and its rate.
    public var seconds: Double = 0
    public var stepsPerSecond: Double { seconds > 0 ? Double(steps) / seconds : .infinity }

    public var total: [Double] { zip(kinetic, potentialEnergy).map { $0 + $1 } }

    /// A square lattice of `count` particles at number density `density` (the box side follows),
    /// velocities Gaussian at `temperature` (k_B = 1) with zero total momentum, rescaled to that
    /// temperature exactly; then `steps` steps of `step`.
    public static func run(count: Int, density: Double, temperature: Double, potential: PairPotential, step: Double, steps: Int,
                           every: Int, seed: UInt64) throws -> PairFluidRun {
        guard count >= 2, count <= 1_000_000 else { throw ParticleError("the particle count must be from 2 to 1000000, not \(count)") }
        guard density > 0, density.isFinite, density <= 2 else { throw ParticleError("the density must be positive and at most 2 particles per unit area (sigma = 1), not \(density)") }
        guard temperature >= 0, temperature.isFinite else { throw ParticleError("the temperature must be a non-negative number") }
        let box = (Double(count) / density).squareRoot()
        guard potential.cutoff <= box / 2 else {
            throw ParticleError("the cut-off \(TextPrinter.format(potential.cutoff, significantDigits: 4)) is more than half the box (\(TextPrinter.format(box, significantDigits: 4))): use more particles or a shorter cut-off")
        }
        let side = Int(Double(count).squareRoot().rounded(.up))
        let spacing = box / Double(side)
        var x = [Double](repeating: 0, count: 2 * count)
        for i in 0..<count { x[2 * i] = (Double(i % side) + 0.5) * spacing; x[2 * i + 1] = (Double(i / side) + 0.5) * spacing }
        var rng = SeededGenerator(seed: seed)
        var v = (0..<(2 * count)).map { _ in rng.normal() }
        for axis in 0..<2 {
            let mean = stride(from: axis, to: 2 * count, by: 2).reduce(0) { $0 + v[$1] } / Double(count)
            for k in stride(from: axis, to: 2 * count, by: 2) { v[k] -= mean }
        }
        // Kinetic energy N T (2 degrees of freedom each, less the fixed momentum: (2N - 2) T / 2).
        let kinetic = v.reduce(0) { $0 + $1 * $1 } / 2
        let scale = kinetic > 0 ? (Double(2 * count - 2) * temperature / 2 / kinetic).squareRoot() : 0
        v = v.map { $0 * scale }
        return try run(positions: x, velocities: v, box: box, potential: potential, step: step, steps: steps, every: every)
    }

    /// From given positions and velocities [2N] in a box of side `box`.
    public static func run(positions x0: [Double], velocities v0: [Double], box: Double, potential: PairPotential, step: Double,
                           steps: Int, every: Int) throws -> PairFluidRun {
        let n = x0.count / 2
        guard x0.count % 2 == 0, n >= 2, v0.count == x0.count, x0.allSatisfy(\.isFinite), v0.allSatisfy(\.isFinite) else {
            throw ParticleError("positions and velocities must be finite and of the same even length, two per particle (at least 2 particles)")
        }
        guard box > 0, box.isFinite, potential.cutoff <= box / 2 else {
            throw ParticleError("the box side must be positive and at least twice the cut-off \(TextPrinter.format(potential.cutoff, significantDigits: 4))")
        }
        guard step > 0, step.isFinite else { throw ParticleError("the step must be a positive number") }
        guard steps >= 1, every >= 1 else { throw ParticleError("steps and every must be at least 1") }
        var result = PairFluidRun(count: n, box: box, potential: potential, step: step, steps: steps, every: every)
        var x = x0, v = v0, f = [Double](repeating: 0, count: 2 * n)
        let powers = potential.powers.map(Int32.init), coefficients = potential.coefficients, shift = potential.shift
        let m = Int32(powers.count), rc = potential.cutoff
        var u = nk_pair_forces(Int32(n), x, box, rc, m, powers, coefficients, shift, &f)
        func record(_ t: Double) {
            result.times.append(t)
            result.kinetic.append(v.reduce(0) { $0 + $1 * $1 } / 2)
            result.potentialEnergy.append(u)
            result.positions.append(x)
            result.forces.append(f)
        }
        record(0)
        let start = Date()
        var done = 0
        while done < steps {
            try Interrupt.check()
            let chunk = min(every, steps - done)
            u = nk_velocity_verlet(Int32(n), &x, &v, &f, box, rc, m, powers, coefficients, shift, step, chunk)
            done += chunk
            guard x.allSatisfy(\.isFinite), v.allSatisfy(\.isFinite), u.isFinite else {
                throw ParticleError("the state became non-finite at step \(done) (t = \(TextPrinter.format(Double(done) * step, significantDigits: 6))): the step is too large for these forces, or particles overlap")
            }
            record(Double(done) * step)
            // Velocity Verlet keeps the energy within a band of O(h²); a jump of ten times the
            // energy's scale is a step too large (particles driven into each other), not physics.
            let e0 = result.kinetic[0] + result.potentialEnergy[0], e = result.kinetic.last! + u
            let size = max(abs(result.kinetic[0]) + abs(result.potentialEnergy[0]), 1e-300)
            guard abs(e - e0) <= 10 * size else {
                throw ParticleError("the total energy jumped from \(TextPrinter.format(e0, significantDigits: 4)) to \(TextPrinter.format(e, significantDigits: 4)) by step \(done) (t = \(TextPrinter.format(Double(done) * step, significantDigits: 6))): the step \(TextPrinter.format(step, significantDigits: 4)) is too large for these forces")
            }
        }
        result.seconds = Date().timeIntervalSince(start)
        return result
    }

    /// The radial distribution function g(r) on `bins` bins of [0, rmax), averaged over the
    /// samples from `first` on: pair counts over the ideal gas's, N(N − 1)/2 pairs spread
    /// uniformly over the box (per sample, (N − 1)/2 · ρ · 2π r dr in a shell). All pairs are
    /// visited (O(N²) a sample); an interrupt stops it between samples.
    public func radialDistribution(bins: Int, rmax: Double, first: Int = 0) throws -> (r: [Double], g: [Double]) {
        let width = rmax / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        let frames = positions[min(first, positions.count - 1)...]
        for x in frames {
            try Interrupt.check()
            nk_pair_histogram(Int32(count), x, box, rmax, Int32(bins), &counts)
        }
        let density = Double(count) / (box * box)
        let r = (0..<bins).map { (Double($0) + 0.5) * width }
        let g = (0..<bins).map { k -> Double in
            let shell = Double.pi * (pow(Double(k + 1) * width, 2) - pow(Double(k) * width, 2))
            return counts[k] / (Double(frames.count) * Double(count - 1) / 2 * density * shell)
        }
        return (r, g)
    }

    /// The force on every particle per unit coefficient of each power (2N × m, row-major) at
    /// sample `k`: the design matrix of a fit of pair-potential coefficients to forces.
    public func forceBasis(sample k: Int, powers: [Int], cutoff: Double) -> [Double] {
        var basis = [Double](repeating: 0, count: 2 * count * powers.count)
        nk_pair_force_basis(Int32(count), positions[k], box, cutoff, Int32(powers.count), powers.map(Int32.init), &basis)
        return basis
    }
}

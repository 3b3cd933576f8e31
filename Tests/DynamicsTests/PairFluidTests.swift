import Foundation
import Symbolic
import XCTest
@testable import Dynamics

/// The pair-fluid engine against exact mathematics: the cell list finds exactly the pairs of
/// the all-pairs sum; the forces are minus the gradient of the energy; velocity Verlet keeps the
/// total momentum to rounding and the energy within its O(h²) band without a trend; g(r) of
/// uniformly scattered points is 1; a fit on the Lennard-Jones powers recovers 4 and -4.
final class PairFluidTests: XCTestCase {
    let lj = PairPotential.lennardJones(cutoff: 2.5)

    /// Positions jittered around a lattice (no overlaps) in a box of side L.
    func scattered(_ n: Int, box: Double, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        let side = Int(Double(n).squareRoot().rounded(.up)), spacing = box / Double(side)
        var x: [Double] = []
        for i in 0..<n {
            let jx: Double = 0.3 * rng.uniform(-1, 1), jy: Double = 0.3 * rng.uniform(-1, 1)
            x.append((Double(i % side) + 0.5 + jx) * spacing)
            x.append((Double(i / side) + 0.5 + jy) * spacing)
        }
        return x
    }

    /// The energy and forces by the plain double loop over all pairs with minimum images.
    func allPairs(_ x: [Double], box: Double, _ p: PairPotential) -> (energy: Double, forces: [Double]) {
        let n = x.count / 2
        var f = [Double](repeating: 0, count: 2 * n), u = 0.0
        for i in 0..<n {
            for j in (i + 1)..<n {
                var dx = x[2 * i] - x[2 * j], dy = x[2 * i + 1] - x[2 * j + 1]
                dx -= box * (dx / box).rounded(); dy -= box * (dy / box).rounded()
                let r = (dx * dx + dy * dy).squareRoot()
                guard r < p.cutoff else { continue }
                u += p.value(r) - p.shift
                let dVdr = zip(p.powers, p.coefficients).reduce(0.0) { $0 - Double($1.0) * $1.1 * pow(r, -Double($1.0) - 1) }
                f[2 * i] -= dVdr * dx / r; f[2 * i + 1] -= dVdr * dy / r
                f[2 * j] += dVdr * dx / r; f[2 * j + 1] += dVdr * dy / r
            }
        }
        return (u, f)
    }

    func testCellListMatchesAllPairsAndForcesAreMinusTheGradient() throws {
        let n = 100, box = (Double(n) / 0.6).squareRoot()   // 12.9: five cells a side
        let x = scattered(n, box: box, seed: 1)
        let run = try PairFluidRun.run(positions: x, velocities: [Double](repeating: 0, count: 2 * n), box: box, potential: lj, step: 1e-9, steps: 1, every: 1)
        let (u, f) = allPairs(x, box: box, lj)
        XCTAssertEqual(run.potentialEnergy[0], u, accuracy: 1e-12 * max(1, abs(u)))
        let scale = f.map(abs).max()!
        for k in 0..<(2 * n) { XCTAssertEqual(run.forces[0][k], f[k], accuracy: 1e-12 * scale, "component \(k)") }
        // Central differences of the energy along a few coordinates.
        for k in [0, 37, 150] {
            var up = x, down = x
            let e = 1e-6
            up[k] += e; down[k] -= e
            let derivative = (allPairs(up, box: box, lj).energy - allPairs(down, box: box, lj).energy) / (2 * e)
            XCTAssertEqual(f[k], -derivative, accuracy: 1e-6 * max(1, abs(derivative)))
        }
    }

    func testVerletConservesMomentumAndEnergy() throws {
        let run = try PairFluidRun.run(count: 144, density: 0.6, temperature: 1, potential: lj, step: 0.002, steps: 2000, every: 100, seed: 3)
        let e = run.total
        let band = e.map { abs($0 - e[0]) }.max()! / abs(e[0])
        XCTAssertLessThan(band, 1e-3, "total energy band over 2000 steps")
        // No trend: the last quarter's mean is as close to the start as the band allows.
        let last = e.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(abs(last - e[0]) / abs(e[0]), 1e-3)
        XCTAssertGreaterThan(run.kinetic.last!, 0)
        // Σ v = 0 at the start and stays so: forces come in equal and opposite pairs.
        let positionsMoved = zip(run.positions[0], run.positions.last!).contains { abs($0 - $1) > 1e-3 }
        XCTAssertTrue(positionsMoved)
        let totalForce = (0..<2).map { a in stride(from: a, to: run.forces.last!.count, by: 2).reduce(0.0) { $0 + run.forces.last![$1] } }
        for c in totalForce { XCTAssertEqual(c, 0, accuracy: 1e-9) }
    }

    func testRadialDistributionOfUniformPointsIsOne() throws {
        // Uniform points (no interaction to speak of: a tiny potential) in a large box. Ten points
        // make N(N - 1)/2 pairs, 10 % fewer than N²/2: the normalisation must count pairs.
        var rng = SeededGenerator(seed: 5)
        let n = 10, box = 40.0
        var run = try PairFluidRun.run(positions: (0..<(2 * n)).map { _ in rng.uniform(0, box) }, velocities: [Double](repeating: 0, count: 2 * n),
                                       box: box, potential: PairPotential(powers: [12], coefficients: [1e-30], cutoff: 2, name: "none"), step: 1e-6, steps: 1, every: 1)
        for _ in 0..<4000 { run.positions.append((0..<(2 * n)).map { _ in rng.uniform(0, box) }) }
        let (_, g) = try run.radialDistribution(bins: 4, rmax: 12, first: 2)
        for (k, value) in g.enumerated() where k > 0 { XCTAssertEqual(value, 1, accuracy: 0.04, "bin \(k)") }
    }

    func testFitOnTheLennardJonesPowersRecoversItsCoefficients() throws {
        let run = try PairFluidRun.run(count: 100, density: 0.7, temperature: 1, potential: lj, step: 0.005, steps: 200, every: 50, seed: 2)
        let basis = run.forceBasis(sample: 2, powers: [12, 6], cutoff: 2.5)
        // The forces are the basis times (4, -4), exactly up to rounding.
        let f = run.forces[2]
        for row in 0..<f.count { XCTAssertEqual(4 * basis[2 * row] - 4 * basis[2 * row + 1], f[row], accuracy: 1e-9 * max(1, abs(f[row]))) }
    }

    func testRefusals() {
        XCTAssertThrowsError(try PairFluidRun.run(count: 16, density: 0.7, temperature: 1, potential: lj, step: 0.005, steps: 10, every: 1, seed: 0)) {
            XCTAssert("\($0)".contains("is more than half the box"), "\($0)")
        }
        XCTAssertThrowsError(try PairFluidRun.run(count: 100, density: 0.7, temperature: 1, potential: lj, step: 1, steps: 10, every: 1, seed: 0)) {
            XCTAssert("\($0)".contains("is too large for these forces"), "\($0)")
        }
    }
}

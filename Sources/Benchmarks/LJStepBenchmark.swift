import Dynamics
import Foundation
import Symbolic

/// `noether bench lj-md`: the workload of `scripts/peers/lj_md_numpy.py` — the Lennard-Jones
/// fluid of `md(lennardjones, ...)` (density 0.7, cut at 2.5 and shifted, velocity Verlet at
/// h = 0.005, from a lattice at temperature 1), timed per step for each N after 20 warm-up steps:
/// the median of 3 runs, each one sample at its end. The cell list makes a step O(N).
public enum LJStepBenchmark {
    public static func run(counts: [Int] = [256, 1024, 4096], steps: Int = 2000) throws -> [String] {
        var lines: [String] = []
        for n in counts {
            let warm = try PairFluidRun.run(count: n, density: 0.7, temperature: 1, potential: .lennardJones(), step: 0.005, steps: 20, every: 20, seed: 0)
            var rates: [Double] = [], drift = 0.0
            var x = warm.positions.last!, v = [Double](repeating: 0, count: 2 * n)
            // Velocities are not kept by a run; the warm-up's last state is re-drawn at T = 1 on
            // the warm positions for the timed runs (the physics timed is the same).
            var rng = SeededGenerator(seed: 1)
            v = v.map { _ in rng.normal() }
            for _ in 0..<3 {
                let r = try PairFluidRun.run(positions: x, velocities: v, box: warm.box, potential: .lennardJones(), step: 0.005, steps: steps, every: steps)
                rates.append(r.stepsPerSecond)
                drift = abs(r.total.last! - r.total[0]) / abs(r.total[0])
                x = r.positions.last!
            }
            rates.sort()
            lines.append(String(format: "lj md step: n=%d: %.1f steps/s (median of 3 x %d steps; %.2f us a step); energy drift %.2e relative over the last run", n, rates[1], steps, 1e6 / rates[1], drift))
        }
        return lines
    }
}

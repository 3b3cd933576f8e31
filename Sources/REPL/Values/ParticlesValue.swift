import Symbolic
import Dynamics

/// A molecular-dynamics run of a pair fluid (`md(lennardjones, ...)`): its frames and energies.
struct ParticlesValue: ObjectValue {
    var run: PairFluidRun
    var system: String

    var kindName: String { "a particle run" }

    /// Total energy per particle along the run, as a drift report relative to its start.
    var energyDrift: Drift { Drift(run.total.map { $0 / Double(run.count) }) }

    /// Temperature samples: kinetic energy over the (2N − 2) / 2 degrees of freedom.
    var temperatures: [Double] { run.kinetic.map { 2 * $0 / Double(2 * run.count - 2) } }

    var display: String {
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 4) }
        let T = temperatures, mean = T.reduce(0, +) / Double(T.count)
        let std = (T.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(T.count)).squareRoot()
        let density = Double(run.count) / (run.box * run.box)
        let e = run.total.map { $0 / Double(run.count) }
        return "\(system) fluid: \(run.count) particles in a periodic box of side \(short(run.box)) (density \(short(density))), \(run.potential.name) cut at \(short(run.potential.cutoff)) and shifted; "
            + "\(run.steps) velocity-Verlet steps of \(short(run.step)) (t = \(short(Double(run.steps) * run.step)), cell list), "
            + "\(run.times.count) samples; temperature \(short(mean)) +- \(TextPrinter.format(std, significantDigits: 2)); "
            + "energy per particle \(short(e[0])) at the start, \(short(e.last!)) at the end\n"
            + "total energy: " + energyDrift.report
    }
}

/// A pair potential fitted to forces (`fitpair(run, powers: [...])`), usable in `md(potential)`.
struct PairPotentialValue: ObjectValue {
    var potential: PairPotential
    /// How it was fitted, for the display.
    var note: String

    var kindName: String { "a pair potential" }

    var display: String {
        let terms = zip(potential.powers, potential.coefficients).map { "\(TextPrinter.format($0.1, significantDigits: 6)) r^-\($0.0)" }
        return "V(r) = " + terms.joined(separator: " + ").replacingOccurrences(of: "+ -", with: "- ") + ", cut at \(TextPrinter.format(potential.cutoff, significantDigits: 4)); \(note)"
    }
}

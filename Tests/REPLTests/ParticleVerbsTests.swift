import Foundation
import XCTest
@testable import REPL

/// md, rdf and fitpair through the REPL: a small Lennard-Jones run, its g(r), the exact fit of its
/// forces on the Lennard-Jones powers, and bad input refused where it was written.
final class ParticleVerbsTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func testRunRdfFitAndRefusals() {
        let repl = Interpreter()
        let run = lines("a = md(lennardjones, n: 100, density: 0.6, steps: 400, every: 40, seed: 1); a", in: repl)
        XCTAssertTrue(run[0].hasPrefix("lennardjones fluid: 100 particles in a periodic box of side 12.91 (density 0.6), Lennard-Jones (epsilon 1.0, sigma 1.0) cut at 2.5 and shifted; 400 velocity-Verlet steps of 0.005 (t = 2.0, cell list), 11 samples"), run.joined(separator: "\n"))
        XCTAssertTrue(run[1].hasPrefix("total energy: max "), run.joined(separator: "\n"))
        let g = lines("rdf(a, bins: 50, rmax: 5)", in: repl)
        XCTAssertTrue(g[0].hasPrefix("a: g(r) over 6 samples, 50 bins to r = 5.0; peaks g(1.15) = "), g.joined(separator: "\n"))
        let fit = lines("fitpair(a, powers: [12, 6])", in: repl)
        XCTAssertTrue(fit[0].hasPrefix("V(r) = 4.0 r^-12 - 4.0 r^-6, cut at 2.5; fitted to 2200 force components (11 samples of 100 particles)"), fit.joined(separator: "\n"))
        // A tiny cut-off once asked for 10^14 cells (an int overflow and a crash); the grid is
        // capped at sqrt(N) cells a side.
        XCTAssertTrue(lines("md(lennardjones, n: 100, density: 0.6, cutoff: 1e-6, steps: 10, every: 10)", in: repl)[0].hasPrefix("lennardjones fluid: 100 particles"))
        for (input, suffix) in [
            ("md(lennardjones, n: 16)", "the cut-off 2.5 is more than half the box (4.781): use more particles or a shorter cut-off"),
            ("md(harmonic, n: 16)", "md takes lennardjones or a pair potential from fitpair"),
            ("rdf(a, rmax: 8)", "rmax 8.0 is more than half the box (6.455), where minimum-image distances stop"),
            ("fitpair(a, powers: [12, 6.5])", "'powers:' is a list of distinct whole numbers from 1 to 24"),
            ("md(lennardjones, n: 100, density: 0.6, step: 0.5, steps: 100)", "is too large for these forces"),
            ("md(fitpair(a, powers: [12, 6]), n: 100, cutoff: 2)", "a fitted pair potential keeps the cut-off it was fitted with"),
        ] {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
    }
}

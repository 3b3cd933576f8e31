import XCTest
import Symbolic
import Dynamics
@testable import Fit
@testable import REPL

/// `discover`'s exact candidates and its refusals (the success path on a learned model is
/// notebooks-txt/scnn.txt, checked digit for digit).
final class DiscoverTests: XCTestCase {
    func identification(_ c: [Double], _ se: [Double], names: [String]) -> Identification {
        Identification(names: names, coefficients: c, standardErrors: se, intercept: 0.3, residualRMS: 0.01, rSquared: 0.999)
    }

    let a = Expr.symbol("a"), b = Expr.symbol("b"), h = Expr.symbol("h")
    let spread1: [Double] = [-1, 1, -1, 1], spread2: [Double] = [-2, 2, -2, 2]

    func testCandidatesAreSmallRationalCombinations() {
        // P ≈ 2.1 a + 1.05 b (scale 1.05): the ratio 2 within its errors, so 2a + b.
        let two = Discover.rationalCombination(identification([2.1, 1.05], [0.001, 0.001], names: ["a", "b"]), of: [a, b], columns: [spread1, spread1], trajectories: 4)
        XCTAssertEqual(two, Expr.integer(2) * a + b)
        // A significant weight whose term carries under 2 % of the spread is dropped (h's
        // 0.005 × spread 2 against a's 1.04 × spread 1).
        let mixed = Discover.rationalCombination(identification([1.04, 0.005], [0.0004, 0.0012], names: ["a", "h"]), of: [a, h], columns: [spread1, spread2], trajectories: 4)
        XCTAssertEqual(mixed, a)
        // ... but kept when it carries more: 0.2 × 2 is 38 % of 1.04.
        let kept = Discover.rationalCombination(identification([1.04, 0.208], [0.0004, 0.0012], names: ["a", "h"]), of: [a, h], columns: [spread1, spread2], trajectories: 4)
        XCTAssertEqual(kept, Expr.integer(5) * a + h)
        // An insignificant weight is dropped whatever its size.
        let noisy = Discover.rationalCombination(identification([1.0, 0.5], [0.001, 0.4], names: ["a", "b"]), of: [a, b], columns: [spread1, spread1], trajectories: 4)
        XCTAssertEqual(noisy, a)
        // The pivot's own ratio is 1 however wide its tolerance: a lone weight known to ±60 %
        // once had 0 as its simplest rational, and the candidate was the constant 0, which
        // "proved" conserved.
        XCTAssertEqual(Discover.rationalCombination(identification([1.0], [0.2], names: ["a"]), of: [a], columns: [spread1], trajectories: 4), a)
        // A material weight whose ratio cannot be told from 0 leaves no candidate, not the pivot
        // alone (a flow's action 0.00786 I1 − 0.00389 I2 over 3072 rows of 12 orbits).
        let rows = (0..<3072).map { Double($0 % 2) * 2 - 1 }
        XCTAssertNil(Discover.rationalCombination(identification([0.00786, -0.00389], [0.00071, 0.00034], names: ["a", "b"]), of: [a, b], columns: [rows, rows], trajectories: 12))
        // A ratio with no small rational within its error gives no candidate.
        XCTAssertNil(Discover.rationalCombination(identification([1.0, 1 / Double.pi], [1e-9, 1e-9], names: ["a", "b"]), of: [a, b], columns: [spread1, spread1], trajectories: 4))
    }

    /// The rows of one trajectory are one orbit: the errors count the orbits, not the rows.
    /// 0.323 a − 0.644 b with standard errors 2e-4 over 40,000 rows: −1.994 ± 0.0018 by rows
    /// has no rational of denominator ≤ 100 but −2 as 800 orbits of 50 rows (± 0.013).
    func testErrorsCountTrajectoriesNotRows() {
        let spread = (0..<40_000).map { Double($0 % 2) * 2 - 1 }
        let id = identification([0.323, -0.644], [2e-4, 2e-4], names: ["a", "b"])
        XCTAssertNil(Discover.rationalCombination(id, of: [a, b], columns: [spread, spread], trajectories: 40_000))
        XCTAssertEqual(Discover.rationalCombination(id, of: [a, b], columns: [spread, spread], trajectories: 800), Expr.integer(2) * b - a)
    }

    /// A learned action against integrals constant along each orbit: the orbits' means are the
    /// samples (a drift along each orbit averages out), with the weights' covariance.
    /// - y = a − 0.4718 b with orbit-level noise 10⁻⁴: no rational of denominator ≤ 100 lies
    ///   within 3 standard errors of −0.4718, so the ratio is rounded to the decade of its error;
    /// - y = a − b/2: the small rational, 2a − b;
    /// - y = a − 0.4725 b + 0.1232 h exactly: −189/400 and 77/625, cleared by their lcm 10000
    ///   (not by the larger denominator, which leaves 189·625/400 a fraction);
    /// - y = a + 0.3 b with orbit noise 2: b's weight is material but cannot be told from 0;
    /// - five orbits for two weights: too few. The last two give nothing.
    func testRoundedCandidatesFromTheOrbitsMeans() throws {
        var rng = SeededGenerator(seed: 3)
        func data(orbits: Int, noise: Double, _ f: ([Double]) -> Double) -> (y: [Double], columns: [[Double]], ids: [Int]) {
            var y: [Double] = [], columns: [[Double]] = [[], [], []], ids: [Int] = []
            for o in 0..<orbits {
                let v = [rng.uniform(1, 3), rng.uniform(0, 4), rng.uniform(-1, 1)], offset = rng.normal() * noise
                for k in 0..<50 {
                    y.append(f(v) + offset + 0.05 * sin(Double(k) * 2 * Double.pi / 50 + Double(o)))
                    for j in 0..<3 { columns[j].append(v[j]) }
                    ids.append(o)
                }
            }
            return (y, columns, ids)
        }
        func weights(_ e: Expr, _ symbols: [Expr]) throws -> [Double] {
            try symbols.map { s in try e.substitute(Dictionary(uniqueKeysWithValues: symbols.map { ($0, Expr.integer($0 == s ? 1 : 0)) })).evaluate([:]) }
        }
        let fitted = data(orbits: 200, noise: 1e-4) { $0[0] - 0.4718 * $0[1] }
        let rounded = try XCTUnwrap(Discover.roundedCombination(fitted.y, of: [a, b], columns: Array(fitted.columns.prefix(2)), labels: ["a", "b"], trajectories: fitted.ids))
        XCTAssertTrue(rounded.1.contains("rounded to its error"), rounded.1)
        let w = try weights(rounded.0, [a, b])
        XCTAssertEqual(w[1] / w[0], -0.4718, accuracy: 3e-5, TextPrinter().print(rounded.0))
        XCTAssertGreaterThan(w[0], 100, "weights beyond small rationals: \(TextPrinter().print(rounded.0))")
        let half = data(orbits: 200, noise: 1e-4) { $0[0] - 0.5 * $0[1] }
        let exact = try XCTUnwrap(Discover.roundedCombination(half.y, of: [a, b], columns: Array(half.columns.prefix(2)), labels: ["a", "b"], trajectories: half.ids))
        XCTAssertEqual(exact.0, Expr.integer(2) * a - b)
        XCTAssertTrue(exact.1.contains("the simplest rationals"), exact.1)
        let three = data(orbits: 200, noise: 0) { $0[0] - 0.4725 * $0[1] + 0.1232 * $0[2] }
        let cleared = try XCTUnwrap(Discover.roundedCombination(three.y, of: [a, b, h], columns: three.columns, labels: ["a", "b", "h"], trajectories: three.ids))
        XCTAssertEqual(try weights(cleared.0, [a, b, h]), [10000, -4725, 1232], TextPrinter().print(cleared.0))
        let vague = data(orbits: 200, noise: 2) { $0[0] + 0.3 * $0[1] }
        XCTAssertNil(Discover.roundedCombination(vague.y, of: [a, b], columns: Array(vague.columns.prefix(2)), labels: ["a", "b"], trajectories: vague.ids))
        let few = data(orbits: 5, noise: 1e-4) { $0[0] - 0.5 * $0[1] }
        XCTAssertNil(Discover.roundedCombination(few.y, of: [a, b], columns: Array(few.columns.prefix(2)), labels: ["a", "b"], trajectories: few.ids))
    }

    /// The eq. 11 Lrel is conserved only when m1 = m2: false with the masses as symbols, true
    /// at the data's m1 = m2 = 1, and false at m1 = 1, m2 = 2. Px is true as symbols.
    func testProofFallsBackToTheDatasParameters() throws {
        let system = try Catalog.system("twobody")
        let bracket = PoissonBracket(system.pairs)
        let lrel = try XCTUnwrap(system.invariants.first { $0.name == "Lrel" }).expr
        let px = try XCTUnwrap(system.invariants.first { $0.name == "Px" }).expr
        let unit = ["m1": 1.0, "m2": 1.0, "g": 1.0]
        XCTAssertEqual(Discover.prove(lrel, hamiltonian: system.hamiltonian, bracket: bracket, parameters: unit),
                       "true at the data's g = 1, m1 = 1, m2 = 1 (false with them as symbols)")
        XCTAssertEqual(Discover.prove(lrel, hamiltonian: system.hamiltonian, bracket: bracket, parameters: ["m1": 1, "m2": 2, "g": 1]), "false")
        XCTAssertEqual(Discover.prove(px, hamiltonian: system.hamiltonian, bracket: bracket, parameters: unit), "true")
    }

    /// The drift: 0 for values constant on each trajectory, sqrt(within / total) otherwise,
    /// nil for a constant.
    func testDriftAlongTrajectories() throws {
        XCTAssertEqual(Discover.drift([1, 1, 3, 3], trajectories: [0, 0, 1, 1]), 0)
        // Means 1 and 3 (overall 2): within 0.5² × 4 = 1, total 1.5² + 0.5² + 0.5² + 1.5² = 5.
        XCTAssertEqual(try XCTUnwrap(Discover.drift([0.5, 1.5, 2.5, 3.5], trajectories: [0, 0, 1, 1])), (1.0 / 5).squareRoot(), accuracy: 1e-15)
        XCTAssertNil(Discover.drift([2, 2, 2], trajectories: [0, 1, 2]))
    }

    /// P1 = a + b and P2 = a − b hold a and b in their span (R² 1) though neither is a or b;
    /// c, independent of both, is not held. One P_i gives no line.
    func testSpanOfTheLearnedCoordinatesTogether() {
        let a: [Double] = [1, 2, 0, -1, 3, 0.5], b: [Double] = [0, 1, 1, 2, -1, 0], c: [Double] = [1, -1, 1, -1, 1, -1]
        let p = [("P1", zip(a, b).map { $0 + $1 }), ("P2", zip(a, b).map { $0 - $1 })]
        let notes = Discover.span(p.map { (name: $0.0, values: $0.1) }, known: [a, b, c], labels: ["a", "b", "c"], threshold: 0.99)
        XCTAssertEqual(notes.count, 1)
        XCTAssertTrue(notes[0].hasPrefix("together: span(P1, P2) holds a (R² 1.0), b (R² 1.0); not c (R² 0.2"), notes[0])
        XCTAssertEqual(Discover.span([(name: "P1", values: a)], known: [a], labels: ["a"], threshold: 0.99), [])
    }

    func testRefusals() {
        let repl = Interpreter()
        _ = repl.execute("d = dataset(harmonic, trajectories: 4, samples: 10)")
        _ = repl.execute("m = train(hnn, d, hidden: 8, steps: 3)")
        let out = repl.execute("discover(m, d, known: [q^2 + p^2])").flatMap(\.lines)
        XCTAssertTrue(out[0].hasSuffix("a hnn model has no coordinates it is trained to conserve; train(scnn, ...) or train(scnnp, ...) or train(flow, ...) has"), out[0])
        _ = repl.execute("s = train(scnn, d, hidden: 8, steps: 3)")
        XCTAssertTrue(repl.execute("discover(s, d)").flatMap(\.lines)[0].hasSuffix("discover needs known: [...], the conserved quantities to identify with"))
        XCTAssertTrue(repl.execute("discover(s, d, known: [zz])").flatMap(\.lines)[0].contains("known: names 'zz', which is not a coordinate of the data (coordinates: q, p; parameters: k, m)"))
        XCTAssertTrue(repl.execute("discover(s, d, known: [q], degree: [3, 1])").flatMap(\.lines)[0].hasSuffix("degree: [low, high] is the range of degrees to select from by held-out error (whole numbers, 0 ≤ low ≤ high ≤ 12)"))
        // A result's members are its candidates.
        _ = repl.execute("c = discover(s, d, known: [q^2 + p^2], degree: [1, 1])")
        XCTAssertTrue(repl.execute("c.P7").flatMap(\.lines)[0].hasSuffix("a discovery has the candidates .P1"))
    }

    /// Two learned P_i that are one quantity up to scale and noise are reported as dependent;
    /// independent ones are not.
    func testDependentMomentaAreReported() {
        let x = (0..<50).map { Double($0) / 7 }, y = x.map { sin(3 * $0) }
        let notes = Discover.dependence([("P1", x), ("P2", x.map { -2 * $0 + 1 + 1e-3 * sin(40 * $0) }), ("P3", y)])
        XCTAssertEqual(notes.count, 1, "\(notes)")
        XCTAssertTrue(notes[0].hasPrefix("dependent: P1 and P2 are nearly one quantity (correlation -1"), notes[0])
        XCTAssertEqual(Discover.dependence([("P1", x), ("P2", y)]), [])
    }
}

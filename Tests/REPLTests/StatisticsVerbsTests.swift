import Foundation
import XCTest
@testable import REPL

/// histogram and poincare of given trajectories against exact answers: q = cos t over whole
/// periods has mean 0 and standard deviation 1/sqrt 2; a trajectory's histogram is at distance 0
/// from itself; the section of a simulated trajectory is the section poincare(x0: ...) computes.
final class StatisticsVerbsTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func testHistogramAndSectionsOfTrajectories() throws {
        let repl = Interpreter()
        // H = (p^2 + q^2)/2: q = cos t; 20 periods (t = 125.664, within 4e-4 of 40 pi) sampled every 0.001.
        XCTAssertFalse(repl.execute("canonical (q, p); H = (p^2 + q^2)/2; r = simulate(x0: [1, 0], t: 125.664, step: 0.001, method: gl4)").contains(where: \.failed))
        let h = lines("histogram(q, [r, r], bins: 20)", in: repl)
        let first = h[0]
        XCTAssertTrue(first.hasPrefix("r: q: mean "), h.joined(separator: "\n"))
        let mean = try XCTUnwrap(Double(first.components(separatedBy: "mean ")[1].components(separatedBy: ",")[0]))
        let std = try XCTUnwrap(Double(first.components(separatedBy: "std ")[1].components(separatedBy: " ")[0]))
        XCTAssertEqual(mean, 0, accuracy: 1e-3)
        XCTAssertEqual(std, 1 / 2.0.squareRoot(), accuracy: 1e-3)
        XCTAssertTrue(h[1].hasSuffix("total-variation distance from r 0.0"), h.joined(separator: "\n"))
        XCTAssertTrue(lines("histogram(q, r, range: [1, 0])", in: repl)[0].hasSuffix("'range:' is [low, high] with low < high"))

        // Two degrees of freedom: the section of the same run, both ways.
        XCTAssertFalse(repl.execute("load kepler2d; s = simulate(x0: [1, 0, 0, 1.2], t: 100, step: 0.01, method: gl4)").contains(where: \.failed))
        let direct = lines("poincare(x0: [1, 0, 0, 1.2], t: 100, step: 0.01)", in: repl)[0]
        let given = lines("poincare(s)", in: repl)[0]
        XCTAssertEqual(given, direct)
        XCTAssertTrue(lines("poincare(s, t: 3)", in: repl)[0].hasSuffix("'t:' goes with poincare(x0: ...); the sections of given trajectories take file: only"))
    }
}

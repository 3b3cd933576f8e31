import XCTest
@testable import REPL

/// A fixed-step `simulate` through Kepler's r = 0 (issue P5, section 1) stops with the time and
/// the state, naming the test, as the adaptive methods do; the session goes on.
final class RobustnessCollisionTests: XCTestCase {
    func testFixedStepSimulateStopsAtTheCollisionAndKeepsTheSession() throws {
        let interpreter = Interpreter()
        _ = interpreter.execute("load kepler2d")
        let collision = Double.pi / (2 * 2.0.squareRoot())
        for method in ["rk4", "leapfrog", "yoshida4", "euler", "midpoint", "gl4", "gl6"] {
            let out = interpreter.execute("tr = simulate(x0: [1, 0, 0, 0], t: 10, step: 0.01, method: \(method))")
                .map { $0.lines.joined(separator: "\n") }.joined(separator: "\n")
            XCTAssertTrue(out.contains("integration stopped at t = 1.") && out.contains("; state ["), "\(method): \(out)")
            XCTAssertTrue(out.contains("energy jump") || out.contains("energy drift") || out.contains("singular field") || out.contains("did not converge"), "\(method): \(out)")
            let time = try XCTUnwrap(out.range(of: "stopped at t = ").map { out[$0.upperBound...].prefix { $0 != ":" } }.flatMap { Double($0) }, out)
            XCTAssertEqual(time, collision, accuracy: 0.03, "\(method): \(out)")
        }
        // Nothing was assigned, and the session still works.
        let after = interpreter.execute("tr\nbracket(L, H)").map { $0.lines.joined(separator: "\n") }
        XCTAssertEqual(after.last, "0")
        XCTAssertFalse(after.first?.hasPrefix("trajectory") ?? true, after.first ?? "")
    }

    /// A coarse step on a smooth system is the user's choice: these runs stopped with "energy
    /// jump ... crosses a singularity" before the energy tests compared a step with the run's
    /// own history. They now run to t = 20 (or 1000 steps of the pendulum near its separatrix).
    func testCoarseStepsOnSmoothSystemsAreNotStopped() {
        let interpreter = Interpreter()
        _ = interpreter.execute("canonical (q, p)\nH = p^2/2 + q^2/2")
        for (step, method) in [("0.5", "leapfrog"), ("1", "leapfrog"), ("0.2", "euler"), ("1", "rk4"), ("1", "yoshida4")] {
            let out = interpreter.execute("tr = simulate(x0: [1, 0], t: 20, step: \(step), method: \(method))\ntr")
                .map { $0.lines.joined(separator: "\n") }
            XCTAssertEqual(out.first, "", "\(method), step \(step): \(out)")
            XCTAssertTrue(out.last?.hasPrefix("trajectory") ?? false, "\(method), step \(step): \(out)")
        }
        let pendulum = Interpreter()
        _ = pendulum.execute("load pendulum")
        let out = pendulum.execute("tr = simulate(x0: [0, 1.999], t: 300, step: 0.3, method: rk4)\ntr").map { $0.lines.joined(separator: "\n") }
        XCTAssertEqual(out.first, "", "\(out)")
        XCTAssertTrue(out.last?.hasPrefix("trajectory") ?? false, "\(out)")
    }
}

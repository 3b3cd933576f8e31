import XCTest
@testable import REPL

/// Training reports in the language under hostile learning rates (issue P5, section 1): the
/// summary's train loss is that of the model as it stands (what `evaluate` measures), and a
/// diverging or overflowing run stops, says why, and keeps parameters whose H_θ is finite.
final class RobustnessTrainingTests: XCTestCase {
    func run(_ source: String) -> [String] {
        Interpreter().execute(source).map { $0.lines.joined(separator: "\n") }
    }

    /// The number after "train loss" in a model's summary, and after "train: mean squared
    /// error of dx/dt" in evaluate's report.
    func number(after prefix: String, in text: String) throws -> String {
        let range = try XCTUnwrap(text.range(of: prefix), text)
        return String(text[range.upperBound...].prefix { $0 != "," && $0 != " " && $0 != ";" })
    }

    func testTheSummaryReportsTheLossOfTheParametersKept() throws {
        for statement in ["train(baseline, d, hidden: 16, steps: 1, lr: 1e10)", "train(baseline, d, hidden: 16, steps: 20, lr: 1e10)",
                          "train(hnn, d, hidden: 16, steps: 20, lr: 0.05)", "train(baseline, d, hidden: 16, steps: 20, lr: 0.05, batch: 8)"] {
            let out = run("""
            d = dataset(pendulum, trajectories: 5, seed: 1)
            m = \(statement)
            m
            evaluate(m, d)
            """)
            XCTAssertEqual(try number(after: "train loss ", in: out[2]), try number(after: "train: mean squared error of dx/dt ", in: out[3]),
                           "\(statement)\n\(out[2])\n\(out[3])")
            if statement.contains("1e10") {
                XCTAssertTrue(out[2].contains("diverging") && out[2].contains("kept the parameters after 0 steps") && out[2].contains(", 0 steps;"), out[2])
            } else {
                XCTAssertFalse(out[2].contains("stopped"), out[2])
            }
        }
    }

    /// At lr 1e307 the HNN's loss stays finite while H_θ overflows; before the fix its
    /// summary said nothing and `m.H([1, 0])` was nan.
    func testAnOverflowingHNNIsStoppedAndItsHamiltonianStaysFinite() throws {
        let out = run("""
        d = dataset(pendulum, trajectories: 5, seed: 1)
        m = train(hnn, d, hidden: 32, steps: 50, lr: 1e307)
        m
        m.H([1, 0])
        m.H([-2, 3])
        """)
        XCTAssertTrue(out[2].contains("training stopped at step 2 of 50: H_theta can overflow") && out[2].contains("kept the parameters after 0 steps"), out[2])
        for line in out[3...4] { XCTAssertNotNil(Double(line).flatMap { $0.isFinite ? $0 : nil }, line) }
    }
}

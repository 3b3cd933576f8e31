import Symbolic
import XCTest
@testable import REPL

/// Random token soup must never crash the interpreter: every input either evaluates or
/// fails with a positioned error, and the session survives.
final class FuzzTests: XCTestCase {
    func testRandomInputNeverCrashes() {
        var rng = SeededGenerator(seed: 2026)
        let tokens = ["x", "px", "H", "L1", "A1", "k", "I", "pi", "1", "0", "2", "3/2", "0.5", "1e3", "+", "-", "*", "/", "^",
                      "(", ")", "[", "]", ",", ":", "==", "!=", "=", ";", "bracket(", "diff(", "simplify(", "conserved(",
                      "subs(", "eval(", "sqrt(", "sin(", "exp(", "abs(", "log(", "load ", "kepler3d", "show ", "help ",
                      "canonical ", "expand(", "latex(", "vectorfield(", "q1", "p1", "\"s\"", ".", "#", "$", "x:"]
        let repl = Interpreter()
        _ = repl.execute("load kepler3d")
        var errors = 0
        for _ in 0..<3000 {
            let n = 1 + Int(rng.next() % 12)
            let input = (0..<n).map { _ in tokens[Int(rng.next() % UInt64(tokens.count))] }.joined(separator: " ")
            for outcome in repl.execute(input) where outcome.failed {
                errors += 1
                XCTAssertTrue(outcome.lines.first?.hasPrefix("error: ") ?? false, "\(input) → \(outcome.lines)")
            }
        }
        XCTAssertGreaterThan(errors, 1000)
        XCTAssertEqual(repl.execute("conserved(L1)").flatMap(\.lines).last, "true")
    }

    func testDeepNestingIsAnErrorNotAStackOverflow() {
        for input in [String(repeating: "(", count: 5000) + "x" + String(repeating: ")", count: 5000),
                      String(repeating: "-", count: 5000) + "x",
                      Array(repeating: "x", count: 3000).joined(separator: "^")] {
            let outcome = Interpreter().execute(input)
            XCTAssertTrue(outcome[0].failed)
            XCTAssertTrue(outcome[0].lines[0].contains("nested too deeply"), outcome[0].lines[0])
        }
        // Long flat input is fine.
        let sum = Interpreter().execute(Array(repeating: "x", count: 3000).joined(separator: " + "))
        XCTAssertEqual(sum[0].lines, ["3000*x"])
    }
}

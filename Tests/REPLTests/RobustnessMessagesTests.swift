import XCTest
import Symbolic
@testable import REPL

/// Issue P5, section 5 and the trap of section 2: option values are checked (one shared reader),
/// and the messages say what really happened.
final class RobustnessMessagesTests: XCTestCase {
    func error(_ source: String, in interpreter: Interpreter) -> String {
        let outcomes = interpreter.execute(source)
        XCTAssertEqual(outcomes.count, 1, source)
        XCTAssertTrue(outcomes.first?.failed ?? false, "\(source) should fail: \(outcomes.first?.lines ?? [])")
        return outcomes.first?.lines.first ?? ""
    }

    func oscillator() -> Interpreter {
        let repl = Interpreter()
        _ = repl.execute("canonical (q, p); H = p^2/2 + q^2/2")
        return repl
    }

    /// Step counts are computed in Double and bounded: no Double-to-Int trap, whatever t and step.
    func testHugeStepCountsAreRefusedNotTrapped() {
        let repl = oscillator()
        let limit = "is more than the limit of 100000000 steps; use a larger step or a shorter t"
        for (t, step) in [("1e300", "0.1"), ("1", "1e-300"), ("1e19", "1"), ("1e308", "1e-308"), ("-1e300", "0.1")] {
            for method in ["rk4", "leapfrog"] {
                let e = error("simulate(x0: [1, 0], t: \(t), step: \(step), method: \(method))", in: repl)
                XCTAssertTrue(e.hasSuffix(limit), e)
            }
            XCTAssertTrue(error("liouville(x0: [1, 0], t: \(t.replacingOccurrences(of: "-", with: "")), step: \(step))", in: repl).hasSuffix(limit))
        }
        XCTAssertTrue(error("simulate(x0: [1, 0], t: 0, step: 1, method: rk4)", in: repl).hasSuffix("'t:' is the duration, a number other than 0 (negative runs backwards)"))
        XCTAssertEqual(interpreterOutput("H", repl), "p^2/2 + q^2/2")
    }

    func interpreterOutput(_ s: String, _ repl: Interpreter) -> String { repl.execute(s).flatMap(\.lines).joined(separator: "\n") }

    /// The trajectory's memory (samples × (state + time) × 8 bytes) is estimated before running.
    func testTrajectoryMemoryIsBoundedUpFront() {
        let repl = Interpreter()
        _ = repl.execute("load chain(n: 64)")
        let x0 = "[" + Array(repeating: "0.1", count: 128).joined(separator: ", ") + "]"
        let e = error("simulate(x0: \(x0), t: 1e6, step: 0.1, method: leapfrog)", in: repl)
        // 1e7 steps + 2 samples of 128 values and a time: 10.3 GB.
        XCTAssertTrue(e.contains("the trajectory would hold 1e+07 samples of 128 values, about 10.3 GB, more than the limit of 2"), e)
        XCTAssertTrue(e.hasSuffix("store every k-th step with every: k"), e)
        let adaptive = error("simulate(x0: \(x0), t: 1, samples: 10000000)", in: repl)
        XCTAssertTrue(adaptive.contains("about 10.3 GB"), adaptive)
        XCTAssertTrue(adaptive.hasSuffix("store fewer with samples: n"), adaptive)
        // every: brings it under the limit.
        let fine = repl.execute("simulate(x0: \(x0), t: 100, step: 0.1, method: leapfrog, every: 100)")
        XCTAssertFalse(fine[0].failed, fine[0].lines.joined())
        XCTAssertTrue(fine[0].lines[0].hasPrefix("trajectory: 11 samples"), fine[0].lines[0])
    }

    /// every:, samples: and step: are checked; t must be a whole number of fixed steps.
    func testSimulateOptionsAreCheckedNotIgnored() {
        let repl = oscillator()
        for (every, shown) in [("0", "0"), ("-1", "-1"), ("1.5", "1.5"), ("1e300", "1e+300"), ("1e8 + 1", "100000001")] {
            let e = error("simulate(x0: [1, 0], t: 1, step: 0.1, every: \(every))", in: repl)
            XCTAssertTrue(e.hasSuffix("'every:' takes a whole number from 1 to 100000000, not \(shown)"), e)
        }
        for samples in ["0", "1", "2.5", "-3"] {
            let e = error("simulate(x0: [1, 0], t: 1, samples: \(samples))", in: repl)
            XCTAssertTrue(e.hasSuffix("'samples:' takes a whole number from 2 to 10000000, not \(samples)"), e)
        }
        XCTAssertTrue(error("simulate(x0: [1, 0], t: 1, step: 2, method: leapfrog)", in: repl)
            .hasSuffix("step: 2 is longer than the duration t = 1: not one step would be taken; use a step of at most 1"))
        XCTAssertTrue(error("simulate(x0: [1, 0], t: 1, step: 0, method: rk4)", in: repl).hasSuffix("'step:' takes a number greater than 0, not 0"))
        XCTAssertTrue(error("simulate(x0: [1, 0], t: 1, step: -0.1, method: rk4)", in: repl).hasSuffix("'step:' takes a number greater than 0, not -0.1"))
        let uneven = error("simulate(x0: [1, 0], t: 1, step: 0.3, method: leapfrog)", in: repl)
        XCTAssertTrue(uneven.contains("t = 1 is not a whole number of steps of 0.3 (it is 3.33333)"), uneven)
        XCTAssertTrue(uneven.hasSuffix("use step: 0.25 (4 steps) or step: 0.333333 (3 steps), or t: 0.9"), uneven)
        XCTAssertTrue(error("simulate(x0: [1, 0], t: -1, step: 0.3, method: rk4)", in: repl).contains("not a whole number of steps"))
        // Whole numbers of steps that floating point writes inexactly still pass, to the end.
        for (t, step, steps) in [("1", "0.1", 10), ("10", "0.01", 1000), ("0.3", "0.1", 3), ("-2", "0.2", 10)] {
            let out = repl.execute("last(simulate(x0: [1, 0], t: \(t), step: \(step), method: leapfrog))")
            XCTAssertFalse(out[0].failed, "\(t), \(step): \(out[0].lines)")
            let traj = repl.execute("simulate(x0: [1, 0], t: \(t), step: \(step), method: leapfrog)")[0].lines[0]
            XCTAssertTrue(traj.contains("\(steps + 1) samples"), traj)
        }
        XCTAssertTrue(error("simulate(x0: [1, 0], t: 1, step: 0.1, samples: 5)", in: repl).contains("'samples:' is for adaptive methods"))
        XCTAssertTrue(error("simulate(x0: [1, 0], t: 1, every: 5)", in: repl).contains("'every:' is for fixed-step methods"))
        XCTAssertTrue(error("simulate(x0: [1, 0], t: 1, step: 2, method: rk8pd)", in: repl).contains("for rk8pd it is the first trial step"))
    }

    /// For an adaptive method, step: is the first trial step: the run is still accurate, and it
    /// changes the work done (it is not ignored).
    func testAdaptiveMethodsUseStepAsTheFirstTrialStep() {
        let repl = oscillator()
        for method in ["rk8pd", "rkf45", "dopri5"] {
            let a = repl.execute("last(simulate(x0: [1, 0], t: 1, samples: 2, method: \(method)))")[0].lines.joined()
            let b = repl.execute("last(simulate(x0: [1, 0], t: 1, samples: 2, method: \(method), step: 1e-6))")[0].lines.joined()
            XCTAssertTrue(a.hasPrefix("[0.54030"), a)  // cos 1 = 0.540302...
            XCTAssertTrue(b.hasPrefix("[0.54030"), b)
            let sa = repl.execute("simulate(x0: [1, 0], t: 1, samples: 2, method: \(method))")[0].lines.joined()
            let sb = repl.execute("simulate(x0: [1, 0], t: 1, samples: 2, method: \(method), step: 1e-6)")[0].lines.joined()
            XCTAssertNotEqual(sa, sb, "\(method) ignored step:")
        }
    }

    /// Counts are whole numbers in range; a word where a number belongs says "expects a number";
    /// an unknown option is named as unknown, whatever its value.
    func testOptionValuesOfTrainDatasetFitAndRollout() {
        let repl = Interpreter()
        XCTAssertFalse(repl.execute("d = dataset(harmonic, trajectories: 4, samples: 10)")[0].failed)
        let cases: [(String, String)] = [
            ("train(hnn, d, dropout: 0.5)", "train has no option 'dropout:' (options: hidden, layers, constraints, alpha3, cyclic, alpha1, alpha2, beta, poisson, angles, blocks, reflections, couplings, points, loss, actions, objective, dequantize, kind, width, sublayers, step, activation, init, steps, lr, boundaries, batch, seed, plateau, patience, checkpoint)"),
            ("train(hnn, d, step: 10)", "a hnn model has no option 'step:' (its options: hidden, layers, constraints, alpha3); did you mean 'steps'?"),
            ("train(hnn, d, steps: 1.5)", "'steps:' takes a whole number from 1 to 1000000, not 1.5"),
            ("train(hnn, d, steps: many)", "'steps:' expects a number, not the word 'many'"),
            ("train(hnn, d, hidden: 0)", "'hidden:' takes a whole number from 1 to 4096, not 0"),
            ("train(hnn, d, layers: 2.5)", "'layers:' takes a whole number from 1 to 32, not 2.5"),
            ("train(hnn, d, batch: -1)", "'batch:' takes a whole number from 0 to 10000000, not -1"),
            ("train(hnn, d, seed: -7)", "'seed:' takes a whole number from 0 to 2^63 - 1, not -7"),
            ("train(hnn, d, seed: 0.5)", "'seed:' takes a whole number from 0 to 2^63 - 1, not 0.5"),
            // 2^63 passes a Double comparison with Int.max (which rounds up to 2^63), then would trap.
            ("train(hnn, d, seed: 2^63)", "'seed:' takes a whole number from 0 to 2^63 - 1, not 9.22337e+18"),
            ("dataset(harmonic, seed: 9223372036854775807)", "'seed:' takes a whole number from 0 to 2^63 - 1, not 9.22337e+18"),
            ("train(hnn, d, patience: 0)", "'patience:' takes a whole number from 1 to 1000000, not 0"),
            ("train(hnn, d, lr: 0)", "'lr:' takes a number greater than 0, not 0"),
            ("train(hnn, d, plateau: 2)", "'plateau:' is the factor that cuts the rate, a number between 0 and 1 (exclusive), not 2"),
            ("dataset(harmonic, trajectories: 2.5)", "'trajectories:' takes a whole number from 1 to 1000000, not 2.5"),
            ("dataset(harmonic, samples: 1)", "'samples:' takes a whole number from 2 to 10000000, not 1"),
            ("dataset(harmonic, seed: lots)", "'seed:' expects a number, not the word 'lots'"),
            ("dataset(harmonic, trajectories: 1e300, samples: 1e300)", "'trajectories:' takes a whole number from 1 to 1000000, not 1e+300"),
            ("fit(q, d, folds: 2.5, degree: [1, 2])", "'folds:' takes a whole number from 2 to 2^63 - 1, not 2.5"),
            ("fit(q, d, degree: 1.5)", "'degree:' takes a whole number from 0 to 12, not 1.5"),
            ("fit(q, d, threshold: small)", "'threshold:' expects a number, not the word 'small'"),
        ]
        for (input, suffix) in cases {
            let e = error(input, in: repl)
            XCTAssertTrue(e.hasSuffix(suffix), "\(input):\n\(e)")
        }
        // An option of another kind: its value is checked, then the kind refuses it.
        XCTAssertTrue(error("train(hnn, d, activation: relu)", in: repl).hasSuffix("'activation:' takes one of softplus, tanh; not 'relu'"))
        XCTAssertTrue(error("train(hnn, d, activation: tanh)", in: repl).hasSuffix("a hnn model has no option 'activation:' (its options: hidden, layers, constraints, alpha3)"))
        XCTAssertFalse(repl.execute("m = train(hnn, d, hidden: 8, steps: 2)")[0].failed)
        for (input, suffix) in [("rollout(m, x0: [1, 0], t: 1, step: 0.1, every: 0)", "'every:' takes a whole number from 1 to 10000000, not 0"),
                                ("rollout(m, x0: [1, 0], t: 1, step: 0.3)", "or t: 0.9"),
                                ("rollout(m, x0: [1, 0], t: 1e300, step: 0.1)", "more than the limit of 10000000 steps; use a larger step or a shorter t"),
                                ("rollout(m, x0: [1, 0], method: leapfrog)", "leapfrog needs a Hamiltonian split as T(p) + V(q), and this hnn model's is not; use euler, rk4, midpoint, gl4, gl6, or train(shnn, ...)"),
                                ("rollout(m, x0: [1, 0], sample: 3)", "rollout has no option 'sample:' (options: x0, t, step, method, every)")] {
            let e = error(input, in: repl)
            XCTAssertTrue(e.hasSuffix(suffix), "\(input):\n\(e)")
        }
    }

    /// A network whose one step would take minutes is refused before it starts, with the limit.
    func testAbsurdNetworkSizesAreRefusedUpFront() {
        let repl = Interpreter()
        _ = repl.execute("d = dataset(harmonic, seed: 0)")
        let start = Date()
        let e = error("train(hnn, d, hidden: 4096, steps: 1)", in: repl)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertTrue(e.contains("one training step would cost about 2.52e+10 parameter-rows (16801794 parameters x 1500 rows), more than the limit of 1e+10"), e)
        XCTAssertTrue(e.hasSuffix("or a batch: of at most 595 rows"), e)
        // The suggested batch fits.
        XCTAssertFalse(error("train(hnn, d, hidden: 4096, layers: 3, batch: 595, steps: 1)", in: repl).isEmpty)
    }

    /// subs names the part that has no value and why, not "divides by zero" for everything.
    func testSubstitutionErrorsNameWhatFailed() {
        let repl = Interpreter()
        let cases: [(String, String)] = [
            ("subs(log(x), x: 0)", "log(x) is undefined at x = 0: log(0) is a singularity of log"),
            ("subs(y + log(x^2), x: 0)", "log(x^2) is undefined at x = 0: log(0) is a singularity of log"),
            ("subs(1/x, x: 0)", "1/x divides by zero at x = 0"),
            ("subs(sin(1/(x - 1)), x, 1)", "1/(x - 1) divides by zero at x = 1"),
            ("subs(log(x*y), x: 0, y: 2)", "log(x*y) is undefined at x = 0, y = 2: log(0) is a singularity of log"),
        ]
        for (input, suffix) in cases {
            let e = error(input, in: repl)
            XCTAssertTrue(e.hasSuffix(suffix), "\(input):\n\(e)")
            XCTAssertFalse(e.contains("divides by zero") && input.contains("log"), e)
        }
    }

    /// Echoed source lines are safe for a terminal and short, with the caret under its place.
    func testErrorsEscapeControlBytesAndClipLongLines() {
        let repl = Interpreter()
        let escape = repl.execute("foo(\u{1B}[31m)")[0].lines
        XCTAssertEqual(escape, ["error: 1:5: unexpected character '\\u{1B}'", "  foo(\\u{1B}[31m)", "      ^^^^^^"])
        XCTAssertFalse(escape.joined().unicodeScalars.contains { $0.value < 0x20 })
        let long = String(repeating: "x+", count: 100_000) + "@" + String(repeating: "+x", count: 100_000)
        let clipped = repl.execute(long)[0].lines
        XCTAssertEqual(clipped.count, 3)
        XCTAssertEqual(clipped[0], "error: 1:200001: unexpected character '@'")
        XCTAssertLessThanOrEqual(clipped[1].count, 2 + 2 + Diagnostic.window)
        XCTAssertTrue(clipped[1].hasPrefix("  …") && clipped[1].hasSuffix("…"))
        let caret = clipped[2].firstIndex(of: "^").map { clipped[2].distance(from: clipped[2].startIndex, to: $0) }
        XCTAssertEqual(caret.map { Array(clipped[1])[$0] }, "@")
    }
}

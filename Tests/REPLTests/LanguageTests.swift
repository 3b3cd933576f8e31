import XCTest
@testable import REPL

final class LanguageTests: XCTestCase {
    /// Runs statements and returns each statement's output joined by newlines.
    func run(_ source: String, in interpreter: Interpreter = Interpreter()) -> [String] {
        interpreter.execute(source).map { $0.lines.joined(separator: "\n") }
    }

    func testTheDesignDocumentExampleExactly() {
        let out = run("""
        canonical (x, px), (y, py)
        H = (px^2 + py^2)/2 - k/sqrt(x^2 + y^2)
        L = x*py - y*px
        bracket(L, H)
        bracket(x, px)
        diff(H, px)
        simplify((x^2 - 1)/(x - 1))
        load kepler3d
        conserved(A1)
        bracket(A1, A2) == -2*H*L3
        """)
        XCTAssertEqual(out[3...6], ["0", "1", "px", "x + 1"])
        XCTAssertEqual(out[8...9], ["true", "true"])
    }

    func testOutputConventions() {
        let out = run("3/2\n6/4 - 3/2\n1.0/3\n2 == 2\n1 == 2\n0.1 + 0.2 == 0.3\nx != y")
        // A float is the binary number it holds: 0.1 + 0.2 is not 0.3 (as in IEEE arithmetic).
        XCTAssertEqual(out, ["3/2", "0", "0.333333", "true", "false", "false", "true"])
    }

    func testMalformedInputIsPositionedAndKeepsTheSession() {
        let repl = Interpreter()
        _ = run("canonical (x, px)\nH = px^2/2 + x^4", in: repl)
        let cases: [(String, String)] = [
            ("bracket(H,", "error: 1:11: expected an expression, found end of input"),
            ("x^^2", "error: 1:3: expected an expression, found '^'"),
            ("brakket(x, H)", "error: 1:1: unknown function 'brakket'; did you mean 'bracket'?"),
            ("bracket(x)", "error: 1:1: bracket takes 2 arguments, got 1 (usage: bracket(f, g))"),
            ("sin(x, px)", "error: 1:1: sin takes 1 argument, got 2"),
            ("H = 1/(x - x)", "error: 1:6: division by zero"),
            ("H = 2*", "error: 1:7: expected an expression, found end of input"),
            ("x = 3", "error: 1:1: 'x' is a canonical coordinate"),
            ("load keplr3d", "error: 1:6: no system 'keplr3d' in the catalog; did you mean 'kepler3d'?"),
            ("diff(H, 2)", "error: 1:9: diff needs a symbol here"),
            ("canonical (x, px, y)", "error: 1:17: expected ')' to close the pair"),
            ("bracket", "error: 1:1: 'bracket' is a verb; call it as bracket(f, g)"),
            ("H = (x == 1)", "error: 1:8: only expressions, lists and the objects verbs make (trajectories, datasets, models, fits) can be assigned; this is a boolean"),
            ("help brackt", "error: 1:6: no help for 'brackt'; did you mean 'bracket'?"),
        ]
        for (input, prefix) in cases {
            let outcome = repl.execute(input)
            XCTAssertEqual(outcome.count, 1, input)
            XCTAssertTrue(outcome[0].failed, input)
            let text = outcome[0].lines.joined(separator: "\n")
            XCTAssertTrue(text.hasPrefix(prefix), "\(input):\n\(text)")
            XCTAssertTrue(outcome[0].lines.last?.contains("^") ?? false, "no caret for \(input)")
        }
        // The session is as it was: H and the pair survived every error.
        XCTAssertEqual(run("H\nbracket(x, px)\nconserved(H)", in: repl), ["x^4 + px^2/2", "1", "true"])
    }

    func testAPlainUnknownNameIsASymbol() {
        XCTAssertEqual(run("k*m + m*k"), ["2*k*m"])
    }

    func testStatementsAfterAnErrorStillRun() {
        let outcomes = Interpreter().execute("1/0; 2 + 2; x^^2; 3")
        XCTAssertEqual(outcomes.map(\.failed), [true, false, true, false])
        XCTAssertEqual(outcomes[1].lines, ["4"])
    }

    func testVerbs() {
        let out = run("""
        canonical (q, p)
        H = p^2/2 + q^2/2
        vectorfield()
        diff(q^3, q, 2)
        subs(H, q, 2)
        subs(H, q: 1, p: 1)
        expand((q + p)^2)
        latex(q^2/2)
        eval(H, q: 1, p: 2)
        eval(H, q: 1)
        """)
        XCTAssertEqual(out[2...8], ["[p, -q]", "6*q", "p^2/2 + 2", "1", "p^2 + 2*p*q + q^2", "\\frac{q^{2}}{2}", "2.5"])
        XCTAssertTrue(out[9].hasPrefix("error: 10:1: no value for 'p'"), out[9])
    }

    /// Models in the language: the learned H, a checkpoint written by save and read back
    /// gives the same H; resume from it equals one longer run; members and errors.
    func testModelsHCheckpointsAndResume() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("noether-repl-\(getpid()).ckpt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let out = run("""
        data = dataset(harmonic, trajectories: 4, samples: 10, seed: 2)
        long = train(hnn, data, hidden: 8, steps: 20, lr: 0.01, batch: 8, seed: 1)
        short = train(hnn, data, hidden: 8, steps: 10, lr: 0.01, batch: 8, seed: 1)
        save(short, "\(path)")
        again = resume(read("\(path)"), data, steps: 10, batch: 8, seed: 1)
        long.H([0.3, -0.2]) - again.H([0.3, -0.2])
        short.H([0.3, -0.2]) - read("\(path)").H([0.3, -0.2])
        long.H([0.3, -0.2]) == short.H([0.3, -0.2])
        long.H
        long.H([1])
        data.H
        train(baseline, data, hidden: 4, steps: 2).H([0, 0])
        read("\(path)")
        """)
        XCTAssertEqual(out[5], "0.0", "resume from the file continues the same run, to the last bit")
        XCTAssertEqual(out[6], "0.0", "the checkpoint holds the parameters")
        XCTAssertEqual(out[7], "false")
        XCTAssertTrue(out[8].contains("call it with a state or a trajectory"), out[8])
        XCTAssertTrue(out[9].contains("the state has 1 values"), out[9])
        XCTAssertTrue(out[10].contains("A dataset has no member '.H'"), out[10])
        XCTAssertTrue(out[11].contains("has no learned H"), out[11])
        XCTAssertTrue(out[12].hasPrefix("hnn model of harmonic: 2 -> 8 -> 8 -> 1 (tanh), 10 steps; read from"), out[12])
    }

    /// fit and identify in the language: the exact candidate is proven conserved; members and
    /// errors say what is wrong and where.
    func testFitAndIdentify() {
        let out = run("""
        load kepler2d
        data = dataset(kepler2d, sampler: box, trajectories: 40, samples: 5, t: 0.2, seed: 3)
        f = fit(L, data, degree: 2, noise: 1e-4, seed: 1)
        conserved(f.exact)
        f.exact == L
        g = fit(2*L - 3, data, degree: 2, noise: 1e-4, seed: 2)
        g.normalized == L
        identify(g, [L])
        f.nope
        fit(L, data, degree: 30)
        fit(L, H)
        fit(L, data, wiggle: 1)
        fit(L, data, degree: 7)
        identify(L, [L])
        """)
        XCTAssertEqual(out[3], "true")
        XCTAssertEqual(out[4], "true")
        XCTAssertTrue(out[6] == "true", out[6])
        XCTAssertTrue(out[7].hasPrefix("g ≈ 2.0 (±"), out[7])
        XCTAssertTrue(out[8].contains("a fit has .expr, .exact, .normalized, .mse and .table"), out[8])
        XCTAssertTrue(out[9].contains("'degree:' takes a whole number from 0 to 12, not 30"), out[9])
        XCTAssertTrue(out[10].contains("fit needs a dataset (from dataset or read) here, but this is an expression"), out[10])
        XCTAssertTrue(out[11].contains("fit has no option 'wiggle:'"), out[11])
        XCTAssertTrue(out[12].contains("more features (330) than samples (200)"), out[12])
        XCTAssertTrue(out[13].contains("identify takes a fit"), out[13])
    }

    /// Counts and seeds of 1e300 are refused (or saturated) with a message, never a trap
    /// converting them to integers.
    func testHugeNumbersAreRefusedNotTrapped() {
        let repl = Interpreter()
        _ = run("load pendulum\nd = dataset(harmonic, trajectories: 2, samples: 3)", in: repl)
        for input in ["dataset(harmonic, trajectories: 1e300)", "train(hnn, d, hidden: 1e300)", "train(hnn, d, steps: -1e300)",
                      "liouville(x0: [1, 0], t: 1, step: 0.1, points: 1e300)", "simulate(x0: [1, 0], t: 1, samples: 1e300, method: rk8pd)",
                      "fit(q, d, degree: [1, 2], folds: 1e300)", "fit(q, d, degree: 1e300)"] {
            let outcome = repl.execute(input)
            XCTAssertTrue(outcome.first?.failed ?? false, input)
        }
        // A seed is a whole number in range like any count (it used to saturate silently).
        XCTAssertTrue(repl.execute("dataset(harmonic, trajectories: 2, samples: 3, seed: 1e300)").first?.lines.first?
            .hasSuffix("'seed:' takes a whole number from 0 to 2^63 - 1, not 1e+300") ?? false)
        XCTAssertFalse(repl.execute("dataset(harmonic, trajectories: 2, samples: 3, seed: 4611686018427387904)").first?.failed ?? true)
    }

    func testLoadShowAndHelp() {
        let repl = Interpreter()
        XCTAssertTrue(run("load neumann(n: 4)", in: repl)[0].contains("defines H, I1, I2, I3, I4"))
        XCTAssertEqual(run("conserved(I4)", in: repl), ["true"])
        XCTAssertTrue(run("load neumann(m: 4)")[0].contains("neumann has no option 'm'"))
        XCTAssertTrue(run("show kepler2d")[0].contains("A1 = "))
        XCTAssertTrue(run("help")[0].contains("bracket(f, g)"))
        for verb in Verbs.names + Verbs.statements.map(\.name) where verb != "=" && verb != "==" {
            XCTAssertFalse(run("help \(verb)")[0].hasPrefix("error"), verb)
        }
    }
}

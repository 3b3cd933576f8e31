import Foundation
import XCTest
@testable import REPL

/// The model verbs through the registry: kinds by name, compare's table, a separable model's
/// leapfrog rollout, learned H as a fit target, and resume's refusal of architecture labels.
final class ModelVerbsTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func testKindsCompareAndSeparableRollouts() {
        let repl = Interpreter()
        XCTAssertFalse(repl.execute("d = dataset(harmonic, trajectories: 6, samples: 10, seed: 2)").contains(where: \.failed))
        for kind in ["baseline", "hnn", "shnn"] {
            XCTAssertFalse(repl.execute("\(kind)1 = train(\(kind), d, hidden: 8, steps: 20, lr: 0.01)").contains(where: \.failed), kind)
        }
        // One row per model, named as written, with its kind, under one header.
        let table = lines("compare([baseline1, hnn1, shnn1], d, t: 5)", in: repl)
        XCTAssertEqual(table.count, 5, table.joined(separator: "\n"))
        XCTAssertTrue(table[0].hasPrefix("model") && table[0].hasSuffix("energy MSE"), table[0])
        for (row, kind) in zip(table[1...3], ["baseline", "hnn", "shnn"]) {
            XCTAssertTrue(row.hasPrefix("\(kind)1 (\(kind))"), row)
            XCTAssertEqual(row.split(separator: " ", omittingEmptySubsequences: true).count, 5, row)
        }
        XCTAssertTrue(table[4].hasPrefix("rollouts: "), table[4])
        // The table's numbers are evaluate's.
        let evaluated = lines("evaluate(hnn1, d, t: 5)", in: repl).joined(separator: "\n")
        let hnnRow = table[2].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        XCTAssertTrue(evaluated.contains("test: mean squared error of dx/dt \(hnnRow[2]) "), evaluated)
        XCTAssertTrue(evaluated.contains("trajectory MSE \(hnnRow[3]), energy MSE \(hnnRow[4])"), evaluated)
        XCTAssertTrue(lines("compare(d, d)", in: repl)[0].contains("compare needs a list of models (from train or read) here, but this is a dataset"))

        // leapfrog integrates the separable model, and is refused for the others with the kinds that can.
        XCTAssertFalse(repl.execute("rollout(shnn1, x0: [1, 0], t: 1, step: 0.1, method: leapfrog)").contains(where: \.failed))
        XCTAssertTrue(lines("rollout(hnn1, x0: [1, 0], t: 1, step: 0.1, method: yoshida4)", in: repl)[0]
            .hasSuffix("yoshida4 needs a Hamiltonian split as T(p) + V(q), and this hnn model's is not; use euler, rk4, midpoint, gl4, gl6, or train(shnn, ...)"))

        // A learned H is a fit target; a baseline has none, and says which kinds do.
        XCTAssertTrue(lines("fit(shnn1.H, d, degree: 2)", in: repl)[0].hasPrefix("H_theta = "))
        XCTAssertTrue(lines("fit(baseline1.H, d)", in: repl)[0].hasSuffix("a baseline model predicts dx/dt directly and has no learned H; train(hnn, ...) or train(shnn, ...) or train(scnn, ...) or train(scnnp, ...) has one"))
        XCTAssertTrue(lines("fit(hnn1.P, d)", in: repl)[0].hasSuffix("a model has one member, .H (the learned Hamiltonian of an HNN)"))

        // resume keeps the architecture, and says so; a label is given once.
        XCTAssertTrue(lines("resume(hnn1, d, hidden: 4)", in: repl)[0].hasSuffix("resume keeps the model's architecture; 'hidden:' applies to train"))
        XCTAssertTrue(lines("resume(hnn1, d, steps: 2, steps: 3)", in: repl)[0].hasSuffix("'steps:' is given twice"))
        XCTAssertTrue(lines("train(hnm, d)", in: repl)[0].hasSuffix("no model kind 'hnm' (kinds: hnn, baseline, shnn, scnn, scnnp, flow, nct, sympnet, lnn); did you mean 'hnn'?"))
        // The first bad option, in the order written, is the one reported.
        XCTAssertTrue(lines("train(hnn, d, hidden: 0, lr: 0)", in: repl)[0].contains("'hidden:' takes a whole number from 1 to 4096, not 0"))
    }

    /// latent(m, data) tabulates a latent model's coordinates; save writes them as CSV with the
    /// rows' trajectory, split and time; a model without latent coordinates says which kinds have.
    func testLatentTables() throws {
        let repl = Interpreter()
        _ = repl.execute("d = dataset(harmonic, trajectories: 4, samples: 10, seed: 1)")
        _ = repl.execute("m = train(scnn, d, hidden: 8, steps: 5)")
        let table = lines("t = latent(m, d); t", in: repl)
        XCTAssertEqual(table.count, 3)
        XCTAssertEqual(table[0], "table: latent coordinates of the scnn model on harmonic, 40 rows of (Q1, P1)")
        let path = NSTemporaryDirectory() + "noether-latent-\(getpid()).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(lines("save(t, \"\(path)\")", in: repl), ["wrote 40 rows to \(path)"])
        let file = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(file.count, 43)
        XCTAssertEqual(Array(file[0...2]), ["# noether table 1", "# latent coordinates of the scnn model on harmonic; rows: 40", "trajectory,split,t,Q1,P1"])
        let first = file[3].split(separator: ",").map(String.init)
        XCTAssertEqual(first.count, 5)
        XCTAssertEqual(first[2], "0", "the first row is a trajectory's start")
        XCTAssertTrue(lines("latent(train(hnn, d, hidden: 4, steps: 1), d)", in: repl)[0].hasSuffix("a hnn model has no latent coordinates; train(scnn, ...) or train(scnnp, ...) or train(flow, ...) has"))
    }
}

import Dynamics
import Foundation
import XCTest
@testable import REPL

/// SCNN-constraint through the language: `train(scnn, d, constraints: [...])`, its positioned
/// errors (the session intact after each), save/read/resume keeping the constraints, and the
/// `known:` columns of evaluate and compare.
final class ConstraintVerbsTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func session() -> Interpreter {
        let repl = Interpreter()
        XCTAssertFalse(repl.execute("load twobody").contains(where: \.failed))
        XCTAssertFalse(repl.execute("d = dataset(twobody, trajectories: 8, samples: 10, t: 3, seed: 1)").contains(where: \.failed))
        return repl
    }

    /// Each bad constraint is refused at the item (line:col), names what is wrong and what would
    /// do, and leaves the session as it was.
    func testErrorsArePositionedAndLeaveTheSessionIntact() {
        let repl = session()
        XCTAssertFalse(repl.execute("m = train(scnn, d, cyclic: 4, hidden: 8, steps: 3, constraints: [Px])").contains(where: \.failed))
        let before = lines("m", in: repl)
        let cases: [(String, String)] = [
            ("m = train(scnn, d, constraints: [Px, z])",
             "1:38: constraint 2 names 'z', which is not a coordinate of the data (coordinates: qx1, qy1, qx2, qy2, px1, py1, px2, py2; parameters: g, m1, m2)"),
            ("m = train(scnn, d, constraints: [Px, 3])", "1:38: constraint 2 is 3, a constant: its bracket with any H is 0"),
            ("m = train(scnn, d, constraints: [d, Px])", "1:34: constraint 1 is a dataset, not an expression of the data's coordinates"),
            ("m = train(baseline, d, constraints: [Px])", "1:37: a baseline model has no option 'constraints:' (its options: hidden, layers)"),
            ("m = train(scnn, d, alpha3: 2)", "1:28: 'alpha3:' weighs the constraint term, which needs constraints: [...]"),
            ("m = train(scnn, d, constraints: Px)", "1:33: 'constraints:' is a list of conserved quantities such as [Px, Py, L], not an expression"),
            ("m = train(scnn, d, constraints: [])", "1:33: 'constraints:' needs at least one conserved quantity"),
            ("m = resume(m, d, constraints: [Py])", "resume keeps the model's architecture; 'constraints:' applies to train"),
            ("evaluate(m, d, known: [Px, w])", "1:23: known: names 'w', which is not a coordinate of the data (coordinates: qx1, qy1, qx2, qy2, px1, py1, px2, py2; parameters: g, m1, m2)"),
            ("compare([m], d, known: [m])", "'known:' holds expressions"),
        ]
        for (source, message) in cases {
            let out = lines(source, in: repl)
            XCTAssertTrue(out.first?.contains(message) ?? false, "\(source)\n\(out.joined(separator: "\n"))")
        }
        XCTAssertEqual(lines("m", in: repl), before, "the session keeps m")
        // A constraint of a parameter and coordinates takes the data's value of the parameter.
        XCTAssertFalse(repl.execute("c = train(scnn, d, hidden: 8, steps: 2, constraints: [m1*px1 + px2])").contains(where: \.failed))
    }

    /// The constraint term is reported with the others; a checkpoint carries the constraints, so
    /// resuming the read model is the same run as resuming the model in memory, term for term.
    func testSaveReadAndResumeKeepTheConstraints() throws {
        let repl = session()
        XCTAssertFalse(repl.execute("m = train(scnn, d, cyclic: 4, hidden: 8, steps: 20, lr: 0.01, constraints: [Px, Py, L], alpha3: 0.5)").contains(where: \.failed))
        let shown = lines("m", in: repl)[0]
        XCTAssertTrue(shown.contains("H(4 cyclic) 4 -> 8 -> 8 -> 1 (tanh), 3 constraints (alpha3 0.5), 20 steps"), shown)
        XCTAssertTrue(shown.contains(", constraint "), shown)
        let path = NSTemporaryDirectory() + "noether-constraints-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertFalse(repl.execute("save(m, \"\(path)\")").contains(where: \.failed))
        let text = try String(contentsOfFile: path, encoding: .isoLatin1)
        XCTAssertTrue(text.contains("alpha3=0.5 constraints=px1+px2;py1+py2;"), String(text.prefix(300)))
        XCTAssertTrue(text.contains(" coordinates=qx1,qy1,qx2,qy2,px1,py1,px2,py2\n"), String(text.prefix(300)))
        XCTAssertFalse(repl.execute("r = read(\"\(path)\")").contains(where: \.failed))
        XCTAssertTrue(lines("r", in: repl)[0].contains("3 constraints (alpha3 0.5)"))
        let fromMemory = lines("resume(m, d, steps: 5)", in: repl), fromFile = lines("resume(r, d, steps: 5)", in: repl)
        XCTAssertEqual(fromMemory, fromFile)
        XCTAssertTrue(fromFile[0].contains(", constraint "), fromFile[0])
        // A file whose constraints' coordinates disagree with its state's names (checksum
        // redone, so only this is wrong) is refused where it is read, before training could read
        // columns wrongly.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let from = Data("coordinates=qx1,qy1,".utf8), to = Data("coordinates=qy1,qx1,".utf8)
        let range = try XCTUnwrap(bytes.range(of: from))
        bytes.replaceSubrange(range, with: to)
        var checksum = FNV1a.of(bytes.prefix(bytes.count - 8)).littleEndian
        bytes.replaceSubrange((bytes.count - 8)..<bytes.count, with: Data(bytes: &checksum, count: 8))
        try bytes.write(to: URL(fileURLWithPath: path))
        let refused = lines("bad = read(\"\(path)\")", in: repl)
        XCTAssertTrue(refused[0].contains("has constraints of (qy1, qx1, qx2, qy2, px1, py1, px2, py2) for a state named (qx1, qy1, qx2"),
                      refused.joined(separator: "\n"))
    }

    /// `known:` adds a deviation per invariant: evaluate's line and compare's columns, the same
    /// numbers, headed by the names written (or the expression's text).
    func testKnownInvariantColumns() {
        let repl = session()
        XCTAssertFalse(repl.execute("h = train(hnn, d, hidden: 8, steps: 5)").contains(where: \.failed))
        XCTAssertFalse(repl.execute("s = train(scnn, d, hidden: 8, steps: 5, constraints: [L])").contains(where: \.failed))
        let table = lines("compare([h, s], d, known: [Px, L, px1])", in: repl)
        XCTAssertEqual(table.count, 4, table.joined(separator: "\n"))
        XCTAssertTrue(table[0].hasSuffix("energy MSE   Px dev   L dev   px1 dev"), table[0])
        let row = table[1].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        XCTAssertEqual(row.count, 8, table[1])
        let evaluated = lines("evaluate(h, d, known: [Px, L, px1])", in: repl)
        XCTAssertEqual(evaluated.last, "known invariants, mean squared deviation along the rollouts: Px \(row[5]), L \(row[6]), px1 \(row[7])")
        XCTAssertTrue(table[3].contains("'dev': mean squared deviation of a known invariant"), table[3])
        // Without known: the table keeps its four columns.
        XCTAssertTrue(lines("compare([h, s], d)", in: repl)[0].hasSuffix("energy MSE"))
    }
}

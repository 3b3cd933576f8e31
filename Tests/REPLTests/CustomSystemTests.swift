import Foundation
import XCTest
@testable import REPL

/// A system the catalog lacks, typed in the session, through the whole loop: its dataset, a
/// proof of what it conserves, a model trained and evaluated against it (the truth rebuilt from
/// the H the data carries), and the file round trip.
final class CustomSystemTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func testTheLoopOnATypedHamiltonian() throws {
        let repl = Interpreter()
        XCTAssertTrue(lines("dataset(p^2/2 + q^4/4)", in: repl)[0].contains("dataset needs canonical pairs"))
        // An undefined name is looked up in the catalog, and named as not there.
        XCTAssertTrue(lines("d = dataset(H)", in: repl)[0].hasSuffix("no system 'H' in the catalog (systems: harmonic, pendulum, kepler2d, kepler3d, twobody, threebody, neumann, calogero, doublependulum, sphericalpendulum, chargedparticle, magneticmirror, ringworld, oscillators, chain, lennardjones, toda)"))
        _ = repl.execute("canonical (x1, p1), (x2, p2)")
        _ = repl.execute("H = (p1^2 + p2^2)/2 + (x1 - x2)^4/4")
        XCTAssertEqual(lines("conserved(p1 + p2)", in: repl), ["true"])
        XCTAssertFalse(repl.execute("d = dataset(H, trajectories: 10, samples: 10, t: 3, seed: 1)").contains(where: \.failed))
        let shown = lines("d", in: repl)[0]
        XCTAssertTrue(shown.hasPrefix("dataset: custom (the session's H, sampler box), 10 trajectories x 10 samples = 100 rows"), shown)
        // Total momentum is constant on the data: a fit of it at degree 1 is exact.
        XCTAssertTrue(lines("fit(p1 + p2, d, degree: 1).exact", in: repl)[0] == "p1 + p2")
        XCTAssertFalse(repl.execute("m = train(hnn, d, hidden: 16, steps: 30, lr: 0.01)").contains(where: \.failed))
        let evaluated = lines("evaluate(m, d)", in: repl)
        XCTAssertTrue(evaluated.last?.hasPrefix("test rollouts: 2 trajectories over t in [0, 3.0]") ?? false, evaluated.joined(separator: "\n"))
        let path = NSTemporaryDirectory() + "noether-custom-\(getpid()).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(lines("save(d, \"\(path)\")", in: repl), ["wrote 100 rows to \(path)"])
        XCTAssertEqual(lines("evaluate(m, read(\"\(path)\"))", in: repl), evaluated, "the file keeps H, so the same truth is rebuilt")
        // Symbols of H need values; x0 gives the initial states; energy: filters them.
        XCTAssertTrue(lines("dataset(H + k*x1)", in: repl)[0].hasSuffix("H has a symbol 'k' that is neither a coordinate (x1, x2, p1, p2) nor a parameter with a value: substitute one, as in dataset(subs(H, k: 1), ...)"))
        XCTAssertTrue(lines("dataset(H, x0: [[1, 0, 0, 1]], samples: 3)", in: repl)[0].contains("1 trajectories x 3 samples"))
        XCTAssertTrue(lines("dataset(H, x0: [[1, 0, 0, 1]], trajectories: 2)", in: repl)[0].contains("'trajectories:' and 'x0:' both say how many trajectories"))
        XCTAssertTrue(lines("dataset(H, energy: [1, 0])", in: repl)[0].hasSuffix("'energy:' is [low, high] with low < high"))
        XCTAssertTrue(lines("dataset(H, x0: [[1, 0, 0, 1]], energy: [0, 1])", in: repl)[0].hasSuffix("'energy:' says how initial states are drawn; x0 gives them"))
        XCTAssertFalse(repl.execute("dataset(H, energy: [0.1, 0.2], box: [-2, 2], trajectories: 3, samples: 3)").contains(where: \.failed))
    }
}

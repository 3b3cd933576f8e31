import Foundation
import XCTest
@testable import REPL

/// Neural canonical transformations through the REPL: trained from the session's H, resumed on
/// it, read back from a checkpoint of a system whose name has spaces, its free energy against
/// the loss, the mode energy E_k as (P_k² + ω_k² Q_k²)/2 of its own latent coordinates, and bad
/// input refused where it was written with the session intact.
final class NCTVerbsTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func numbers(_ line: String) -> [Double] {
        line.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    func testTrainResumeCheckpointAndLatentEnergies() throws {
        let repl = Interpreter()
        let path = NSTemporaryDirectory() + "noether-nct-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertFalse(repl.execute("load chain(n: 3)").contains(where: \.failed))
        let trained = lines("m = train(nct, H, layers: 2, hidden: 8, steps: 20, batch: 32, lr: 1e-2, seed: 0, checkpoint: \"\(path)\"); m", in: repl)
        XCTAssertTrue(trained.last!.hasPrefix("nct model of chain(n: 3): real NVP point transformation of 2 affine couplings"), trained.joined(separator: "\n"))
        let omega = numbers(lines("m.omega", in: repl)[0])
        XCTAssertEqual(omega.count, 3)
        XCTAssertEqual(omega, omega.sorted())
        // E1 is (P1² + ω1² Q1²)/2 of the model's own Q1, P1, with ω in latent order (m.omega is
        // sorted, so take the k whose value matches).
        let x = "[0.3, -0.2, 0.1, 0.5, 0.0, -0.4]"
        let (q, p, e) = (Double(lines("m.Q1(\(x))", in: repl)[0])!, Double(lines("m.P1(\(x))", in: repl)[0])!, Double(lines("m.E1(\(x))", in: repl)[0])!)
        XCTAssertTrue(omega.contains { abs((p * p + $0 * $0 * q * q) / 2 - e) < 1e-4 * max(1, e) }, "E1 \(e), Q1 \(q), P1 \(p), omega \(omega)")
        // The checkpoint of chain(n: 3) reads back (the system name has spaces) to the same map.
        let read = lines("r = read(\"\(path)\"); r.Q2(\(x))", in: repl)
        XCTAssertEqual(read.last, lines("m.Q2(\(x))", in: repl)[0], read.joined(separator: "\n"))
        // Resumed on H; evaluate's free energy has six digits and an error.
        let resumed = lines("m2 = resume(m, H, steps: 10); m2", in: repl)
        XCTAssertTrue(resumed.last!.contains("30 steps"), resumed.joined(separator: "\n"))
        let evaluated = lines("evaluate(m2, H)", in: repl)
        XCTAssertTrue(evaluated[0].hasPrefix("variational free energy F_var"), evaluated.joined(separator: "\n"))
        XCTAssertTrue(evaluated[1].hasPrefix("learned frequencies, sorted: "), evaluated.joined(separator: "\n"))
    }

    func testBadInputIsRefusedWhereWritten() {
        let repl = Interpreter()
        XCTAssertFalse(repl.execute("load chain(n: 3)").contains(where: \.failed))
        let cases: [(String, String)] = [
            ("train(nct, 3)", "H is a constant; a variational model needs a Hamiltonian of (q1, q2, q3, p1, p2, p3)"),
            ("train(nct, H + k*q1, steps: 2)", "H has a symbol 'k' that is neither a coordinate (q1, q2, q3, p1, p2, p3) nor a parameter with a value: substitute one, as in train(..., subs(H, k: 1), ...)"),
            ("train(nct, q1^2 + q2^2 + q3^2 + p1^2 + p2^2, steps: 2)", "the variational loss needs the data's H: H does not depend on p3, so exp(-beta H) cannot be normalised along it: the free energy is -infinity"),
            ("train(nct, H, beta: 0)", "'beta:' takes a number from 1e-06 to 1000000, not 0"),
            ("train(nct, dataset(harmonic, trajectories: 2, samples: 3), steps: 2)", "an nct transforms configurations of at least 2 coordinates (pairs (q, p)): the data's dimension must be even and at least 4, not 2"),
        ]
        for (input, suffix) in cases {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
        XCTAssertFalse(repl.execute("m = train(nct, H, layers: 1, hidden: 4, steps: 2, batch: 8)").contains(where: \.failed))
        for (input, suffix) in [("m.omega(1)", ".omega is not called: it is the list of learned frequencies"),
                                ("evaluate(m, H, t: 3)", "'t:' is not for a variational model; evaluate(nct, H) gives its free energy")] {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
        // −H is unbounded below: training stops with the reason, and the session goes on.
        let unbounded = lines("w = train(nct, -H, layers: 2, hidden: 8, steps: 3000, lr: 0.1, batch: 64); w", in: repl).joined(separator: "\n")
        XCTAssertTrue(unbounded.contains("H is unbounded below along the model's samples"), unbounded)
        XCTAssertEqual(lines("1 + 1", in: repl), ["2"])
    }
}

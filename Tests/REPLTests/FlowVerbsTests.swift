import Foundation
import XCTest
@testable import REPL

/// Flows through the REPL: the map and its inverse at a state, a checkpoint that gives back the
/// same map, eq. 14 per radius, the piecewise schedule, and bad input refused where it was
/// written with the session intact.
final class FlowVerbsTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func numbers(_ line: String) -> [Double] {
        line.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    }

    func testMapInverseCheckpointAndEvaluation() throws {
        let repl = Interpreter()
        XCTAssertFalse(repl.execute("d = dataset(neumann3, sampler: bondesan, radius: [3, 5], samples: 40, t: 5, seed: 1, tangent: true)").contains(where: \.failed))
        let trained = lines("m = train(flow, d, hidden: 8, blocks: 2, points: 16, steps: 30, lr: [1e-2, 1e-3], boundaries: [20], batch: 2); m", in: repl)
        XCTAssertTrue(trained.last!.hasPrefix("flow model of neumann3: 2 blocks of (zero-center, linear N·A·K with 2 reflections, one coupling of width 8), dimension 6, 30 steps"), trained.joined(separator: "\n"))
        XCTAssertTrue(trained.last!.contains("lr cut to 0.001 at step 20"), trained.last!)
        // The tangent data: q on the sphere, q·p = 0.
        let x = [3.0, 0, 0, 0, 0.5, 0.2]
        let z = numbers(lines("m([3, 0, 0, 0, 0.5, 0.2])", in: repl)[0])
        XCTAssertEqual(z.count, 6)
        let back = numbers(lines("m.inverse(m([3, 0, 0, 0, 0.5, 0.2]))", in: repl)[0])
        for (a, b) in zip(back, x) { XCTAssertEqual(a, b, accuracy: 1e-6) }   // printed to 6 digits
        let action = Double(lines("m.I2([3, 0, 0, 0, 0.5, 0.2])", in: repl)[0])!
        XCTAssertEqual(action, (z[1] * z[1] + z[4] * z[4]) / 2, accuracy: 1e-5 * max(1, action))
        // A checkpoint gives back the same map, moving centres included.
        let path = NSTemporaryDirectory() + "noether-flow-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertFalse(repl.execute("save(m, \"\(path)\"); r = read(\"\(path)\")").contains(where: \.failed))
        XCTAssertEqual(lines("r([3, 0, 0, 0, 0.5, 0.2])", in: repl), lines("m([3, 0, 0, 0, 0.5, 0.2])", in: repl))
        // Eq. 14 per radius, each plane's, and the frequencies.
        let report = lines("evaluate(m, d)", in: repl)
        XCTAssertEqual(report.count, 8, report.joined(separator: "\n"))
        XCTAssertEqual(report[1].split(separator: " ", omittingEmptySubsequences: true), ["radius", "trajectories", "l'", "plane", "1", "plane", "2", "plane", "3"])
        XCTAssertTrue(report[2].hasPrefix("3.0 ") && report[3].hasPrefix("5.0 "), report.joined(separator: "\n"))
        XCTAssertTrue(report[4].hasPrefix("frequencies dphi_k/dt"))
        // Beside a closed form: on the sphere of radius r with |p| = 1 tangent, q turns at about r.
        let beside = lines("evaluate(m, d, frequency: sqrt(q1^2 + q2^2 + q3^2))", in: repl)
        XCTAssertEqual(beside.count, 12, beside.joined(separator: "\n"))
        XCTAssertEqual(beside[10].split(separator: " ", omittingEmptySubsequences: true).prefix(2), ["1", "3.0"])
        XCTAssertEqual(beside[11].split(separator: " ", omittingEmptySubsequences: true).prefix(2), ["2", "5.0"])
    }

    func testBadInputIsRefusedWhereWritten() {
        let repl = Interpreter()
        _ = repl.execute("d = dataset(neumann3, sampler: bondesan, radius: [3, 5], samples: 40, t: 5, seed: 1)")
        _ = repl.execute("m = train(flow, d, hidden: 8, blocks: 1, points: 16, steps: 3)")
        let cases: [(String, String)] = [
            ("train(flow, d, points: 64, steps: 2)", "points: 64 is more than the 40 samples of each trajectory; a flow's loss takes points from one trajectory at a time"),
            ("train(flow, d, layers: 2)", "a flow model has no option 'layers:' (its options: blocks, hidden, reflections, couplings, points, loss, actions)"),
            ("train(flow, d, loss: circle)", "'loss:' takes one of circles, dkdphi; not 'circle'; did you mean 'circles'?"),
            ("train(flow, d, loss: dkdphi, actions: [1, 2])", "actions: has 2 values; the data has 3 planes (q_k, p_k), so give one action or 3"),
            ("evaluate(m, d, actions: [1, 0])", "'actions:' has 2 values; the data has 3 planes (q_k, p_k), so give one action or 3"),
            ("evaluate(m, d, actions: [1, 0, 2])", "'actions:' are positive: a torus of action 0 has no points"),
            ("train(flow, d, steps: 5, lr: [1e-3, 1e-4])", "2 rates need 1 boundaries (the steps where the next rate starts), not 0"),
            ("train(flow, d, steps: 5, lr: [1e-3, 1e-4, 1e-5], boundaries: [3, 2])", "'boundaries:' are whole steps of at least 2, increasing"),
            ("train(flow, d, steps: 5, lr: 1e-3, boundaries: [3])", "'boundaries:' go with a list of rates, lr: [1e-3, 1e-4, ...]"),
            ("m(1)", "the state must be a list of numbers such as [1, 0], not an expression"),
            ("m([1, 2])", "the state has 2 values; the model's is (q1, q2, q3, p1, p2, p3)"),
            ("m.inverse([1, 2, 3, 4, 5, inf])", "the state must hold numbers"),
            ("m.H([1, 0, 0, 0, 1, 0])", "a flow model is a canonical map of states and has no learned H; train(hnn, ...) or train(shnn, ...) or train(scnn, ...) or train(scnnp, ...) has one"),
            ("m.P1([1, 0, 0, 0, 1, 0])", "a flow model has its latent coordinates .I1, .I2, .I3, .phi1, .phi2, .phi3, and .inverse(z)"),
            ("rollout(m, x0: [3, 0, 0, 0, 1, 0])", "a flow model is a canonical map of states, not a vector field: it has no dx/dt to roll out or to compare"),
            ("plot(m, d, \"/tmp/noether-never.png\", plane: 4)", "the flow has 3 planes (qhat_k, phat_k); plane 4 is not one"),
            ("plot(H, d, \"/tmp/noether-never.png\", plane: 1)", "'plane:' goes with plot(flow, data, \"f.png\")"),
            ("evaluate(m, d, frequency: d)", "'frequency:' is an expression of the data's coordinates, not a dataset"),
            ("evaluate(m, d, frequency: x9)", "unknown variable 'x9': the data has (q1, q2, q3, p1, p2, p3)"),
            ("dataset(neumann3, x0: [[3, 0, 0, 0, 1, 0]], radius: [3])", "'radius:' says how initial states are drawn; x0 gives them"),
            ("evaluate(m, d, t: 3)", "'t:' is for rollouts of a vector field; a flow is evaluated by eq. 14 on the data's trajectories"),
            ("train(flow, d, hidden: 4096, points: 40, batch: 100000, steps: 1)", "use fewer hidden units or layers, or a batch: of at most 2539 trajectories (40 points each)"),
            ("dataset(harmonic, radius: [1, 2])", "'radius:' is the Neumann model's sphere; harmonic has none"),
            ("dataset(harmonic, tangent: true)", "'tangent:' projects the Neumann model's momenta on its sphere; harmonic has none"),
        ]
        for (input, suffix) in cases {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
        // A rate far too large diverges, stops with the last parameters that passed, and the
        // session goes on.
        let diverged = lines("w = train(flow, d, hidden: 8, blocks: 1, points: 16, steps: 200, lr: 1e3, batch: 2); w", in: repl).joined(separator: "\n")
        XCTAssertTrue(diverged.contains("training stopped at step"), diverged)
        XCTAssertFalse(repl.execute("m([3, 0, 0, 0, 1, 0])").contains(where: \.failed))
    }
}

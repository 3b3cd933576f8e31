import Foundation
import XCTest
@testable import REPL

/// LNNs through the REPL: trained on (q, p) data through the data's H, rolled out like any field
/// model, read back from a checkpoint to the same orbit, their learned energy E_theta conserved
/// along their own flow, and compared with the other three kinds in one table.
final class LNNVerbsTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func testTrainRolloutEnergyCheckpointAndCompare() throws {
        let repl = Interpreter()
        let path = NSTemporaryDirectory() + "noether-lnn-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertFalse(repl.execute("load pendulum; d = dataset(pendulum, trajectories: 6, samples: 21, t: 2, noise: 0, seed: 0)").contains(where: \.failed))
        let trained = lines("l = train(lnn, d, hidden: 16, steps: 300, lr: 3e-3, seed: 0, checkpoint: \"\(path)\"); l", in: repl)
        XCTAssertTrue(trained.last!.hasPrefix("lnn model of pendulum: 2 -> 16 -> 16 -> 1 (softplus) L(q, qdot), qdot = dH/dp of the data's H, 300 steps; train loss"), trained.joined(separator: "\n"))
        let orbit = lines("r = rollout(l, x0: [1, 0], t: 5, step: 0.01); r", in: repl)
        XCTAssertEqual(lines("rollout(read(\"\(path)\"), x0: [1, 0], t: 5, step: 0.01)", in: repl), orbit, "the checkpoint holds the kinematics and the weights")
        // E_theta is the learned flow's invariant: rk4 at h = 0.01 keeps it to its own truncation error.
        let energy = lines("l.E(r)", in: repl).joined(separator: "\n")
        XCTAssertTrue(energy.hasPrefix("E_theta along the trajectory: max "), energy)
        let maximum = try XCTUnwrap(Double(energy.components(separatedBy: "max ").last!.components(separatedBy: ",")[0]), energy)
        XCTAssertLessThan(maximum, 1e-5, energy)
        for (input, suffix) in [
            ("l.H([1, 0])", "an lnn has a learned Lagrangian, not H; its energy E_theta = qdot . dL/dqdot - L is model.E"),
            ("l.P([1, 0])", "an lnn has one member, .E (its learned energy E_theta = qdot . dL/dqdot - L, at a state (q, p) of the data)"),
            ("train(lnn, d, activation: relu)", "'activation:' takes one of softplus, tanh; not 'relu'"),
            // loss: is a flow's option too, with other words: each kind reads its own.
            ("train(lnn, d, loss: circles)", "'loss:' takes one of l1, mse; not 'circles'"),
            ("train(lnn, d, activation: tanh)", "init: convex makes L convex only with softplus (a convex, increasing activation); with activation: tanh use init: cranmer or orthogonal"),
            ("train(flow, d, loss: l1)", "'loss:' takes one of circles, dkdphi; not 'l1'"),
            ("train(lnn, d, width: 3)", "a lnn model has no option 'width:' (its options: hidden, layers, activation, loss, init)"),
        ] {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
        // One table for the four kinds: the step map has no dx/dt but its rollouts are compared.
        XCTAssertFalse(repl.execute("v = train(baseline, d, hidden: 8, steps: 20); h = train(hnn, d, hidden: 8, steps: 20); s = train(sympnet, d, kind: la, layers: 2, step: 0.1, steps: 20)").contains(where: \.failed))
        let table = lines("compare([v, h, l, s], d)", in: repl)
        XCTAssertEqual(table[0].split(separator: " ", omittingEmptySubsequences: true).prefix(3), ["model", "test", "dx/dt"], table.joined(separator: "\n"))
        for (k, kind) in ["v (baseline)", "h (hnn)", "l (lnn)", "s (sympnet)"].enumerated() {
            let cells = table[k + 1].components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            XCTAssertEqual(cells.first, kind, table.joined(separator: "\n"))
            XCTAssertEqual(cells.count, 4, table[k + 1])
            for (c, cell) in cells.dropFirst().enumerated() where !(kind.hasPrefix("s") && c == 0) {
                XCTAssertNotNil(Double(cell), "\(kind) column \(c + 2): \(cell)")
            }
        }
        XCTAssertEqual(table[4].components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }[1], "-")
        XCTAssertTrue(table.contains("s: a step map of h = 0.1 has no dx/dt; its rollouts iterate it"), table.joined(separator: "\n"))
    }
}

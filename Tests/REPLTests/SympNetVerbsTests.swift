import Foundation
import XCTest
@testable import REPL

/// SympNets through the REPL: trained on consecutive states with the data's step, rolled out by
/// iterating the map (its energy error stays bounded), read back from a checkpoint to the same
/// orbit, and bad options refused where they were written.
final class SympNetVerbsTests: XCTestCase {
    func lines(_ source: String, in repl: Interpreter) -> [String] { repl.execute(source).flatMap(\.lines) }

    func testTrainRolloutCheckpointAndRefusals() throws {
        let repl = Interpreter()
        let path = NSTemporaryDirectory() + "noether-sympnet-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertFalse(repl.execute("load pendulum; d = dataset(pendulum, trajectories: 6, samples: 21, t: 2, noise: 0, seed: 0)").contains(where: \.failed))
        let trained = lines("m = train(sympnet, d, kind: la, layers: 2, sublayers: 2, step: 0.1, steps: 300, lr: 1e-2, seed: 0, checkpoint: \"\(path)\"); m", in: repl)
        XCTAssertTrue(trained.last!.hasPrefix("sympnet model of pendulum: LA-SympNet of 2 linear modules of 2 sublayers and 1 activation modules (sigmoid), step 0.1, dimension 2, 300 steps"), trained.joined(separator: "\n"))
        let orbit = lines("r = rollout(m, x0: [1, 0], t: 50); r", in: repl).joined(separator: "\n")
        XCTAssertTrue(orbit.contains("501 samples") || orbit.contains("501"), orbit)
        XCTAssertEqual(lines("rollout(read(\"\(path)\"), x0: [1, 0], t: 50)", in: repl), lines("r", in: repl))
        for (input, suffix) in [
            ("train(sympnet, d, step: 0.2, steps: 2)", "the data's consecutive states are 0.1 apart in time, the sympnet's step is 0.2: train it with step: 0.1, or on data sampled every 0.2"),
            ("train(sympnet, d, kind: lg)", "'kind:' takes one of g, la; not 'lg'; did you mean 'g'?"),
            ("rollout(m, x0: [1, 0], t: 1, method: rk4)", "a sympnet is a step map: its rollout iterates it, with no integrator to choose"),
            ("rollout(m, x0: [1, 0], t: 1, step: 0.01)", "a sympnet maps one step of 0.1, which its rollout keeps; step: 0.01 would need another model"),
            ("rollout(m, x0: [1, 0, 0], t: 1)", "x0 has 3 values; the model's state has 2"),
            ("train(hnn, d, width: 3)", "a hnn model has no option 'width:' (its options: hidden, layers, constraints, alpha3)"),
        ] {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
    }

    /// lyapunov through the REPL: the saddle's exponent is 1, a SympNet is iterated, and bad
    /// runs are refused where written.
    func testLyapunov() {
        let repl = Interpreter()
        let saddle = lines("canonical (q, p); H = p^2/2 - q^2/2; lyapunov(x0: [0.001, 0.0005], t: 10, step: 0.01)", in: repl)
        XCTAssertTrue(saddle[0].hasPrefix("largest Lyapunov exponent 1.0 per unit time, of H, gl4 with step 0.01, over t = 10.0 (10 renormalisations every 100 steps"), saddle.joined(separator: "\n"))
        XCTAssertTrue(saddle[1].hasPrefix("running estimate: t = 2.0: 1.0"), saddle.joined(separator: "\n"))
        XCTAssertFalse(repl.execute("load pendulum; d = dataset(pendulum, trajectories: 4, samples: 11, t: 1, noise: 0, seed: 0); m = train(sympnet, d, step: 0.1, steps: 5)").contains(where: \.failed))
        let map = lines("lyapunov(m, x0: [1, 0], t: 20)", in: repl)
        XCTAssertTrue(map[0].contains("of the sympnet model, iterated (step 0.1), over t = 20.0 (20 renormalisations every 10 steps"), map.joined(separator: "\n"))
        for (input, suffix) in [
            ("lyapunov(m, x0: [1, 0], t: 1, method: rk4)", "a sympnet is a step map: it is iterated, with no integrator to choose"),
            ("lyapunov(x0: [1, 0], t: 1, every: 1000)", "t covers 100 steps, fewer than one renormalisation (every 1000 steps); use a longer t or a smaller every:"),
            ("lyapunov(m, t: 1)", "lyapunov needs x0: [...]"),
        ] {
            let out = lines(input, in: repl)
            XCTAssertTrue(out.first?.hasSuffix(suffix) ?? false, "\(input):\n\(out.joined(separator: "\n"))")
        }
    }
}

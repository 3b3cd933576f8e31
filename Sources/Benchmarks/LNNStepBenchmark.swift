import Dynamics
import Foundation
import Learn
import Symbolic

/// `noether bench lnn-step`: the workload of `shared/peers/lnn_step.py` — one training step of a
/// Lagrangian neural network L_θ(q, q̇), an MLP 4 → 200 → 200 → 1 (softplus, orthogonal weights,
/// zero biases), on a batch of 1024 double-pendulum states (m = l = 1, g = 9.8; q ~ U[−π, π]²,
/// q̇ ~ U[−2, 2]²) with their exact accelerations: ∇ₓL, the two q̇ rows of the Hessian, the
/// per-sample 2 × 2 solve of the Euler–Lagrange equations, the squared error of q̈, backward to
/// θ through all of it (third derivatives of L), and one Adam step at 1e-3. float64.
public enum LNNStepBenchmark {
    /// The double pendulum's exact q̈ (Cranmer et al.'s formula, m = l = 1).
    static func accelerations(_ s: [Double], g: Double = 9.8) -> [Double] {
        let (t1, t2, w1, w2) = (s[0], s[1], s[2], s[3])
        let a1 = 0.5 * cos(t1 - t2), a2 = cos(t1 - t2)
        let f1 = -0.5 * w2 * w2 * sin(t1 - t2) - g * sin(t1), f2 = w1 * w1 * sin(t1 - t2) - g * sin(t2)
        return [(f1 - a1 * f2) / (1 - a1 * a2), (f2 - a2 * f1) / (1 - a1 * a2)]
    }

    public static func run(batch: Int = 1024, steps: Int = 50) throws -> [String] {
        var rng = SeededGenerator(seed: 1)
        var x: [Double] = [], dx: [Double] = []
        for _ in 0..<batch {
            let s = [Double.pi * (2 * rng.uniform() - 1), Double.pi * (2 * rng.uniform() - 1), 2 * (2 * rng.uniform() - 1), 2 * (2 * rng.uniform() - 1)]
            x += s
            dx += [s[2], s[3]] + accelerations(s)
        }
        let fixed = Batch(["x": Tensor(shape: [batch, 4], storage: x), "dx": Tensor(shape: [batch, 4], storage: dx)])
        let model = LagrangianNeuralNetwork(dimension: 4, hidden: 200, layers: 2, activation: .softplus, initializer: .orthogonal, seed: 0)
        let optimizer = Adam(learningRate: 1e-3)
        let t = try StepTiming.measure(steps: steps, parameters: model.variables, optimizer: optimizer) { _ in try model.losses(fixed)["mse"]! }
        return [String(format: "lnn step: %.3f ms (median of %d, batch %d, 4 -> 200 -> 200 -> 1 softplus, float64; loss %.6g)", t.total, steps, batch, t.loss),
                String(format: "threads: %d allowed cores, %d blocks per large operation; pool jobs split %d, serial under contention %d",
                       Parallel.cores, Parallel.count, Parallel.jobCounts.split, Parallel.jobCounts.serial)]
    }
}

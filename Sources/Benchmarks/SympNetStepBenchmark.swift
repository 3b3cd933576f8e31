import Dynamics
import Foundation
import Learn
import Symbolic

/// `noether bench sympnet-step`: the workload of `shared/peers/sympnet_step.py` — one training
/// step of a G-SympNet (8 gradient modules of width 50) and of an LA-SympNet (8 linear modules of
/// 5 sublayers, 7 activation modules), sigmoid, weights N(0, 0.01²) and zero biases, on a batch
/// of 1024 consecutive-state pairs (x_t, x_t+h) of the double pendulum at h = 0.75 (32
/// trajectories of 33 states from the catalog, rk8pd), MSE over all elements, backward, one Adam
/// step at 1e-3. float64. The step holds no derivatives inside the forward pass.
public enum SympNetStepBenchmark {
    public static func run(batch: Int = 1024, steps: Int = 50) throws -> [String] {
        let perTrajectory = 32, trajectories = max(1, (batch + perTrajectory - 1) / perTrajectory)
        var recipe = try InitialConditions.recipe(for: "doublependulum", sampler: "scnn")
        recipe.trajectories = trajectories
        recipe.samples = perTrajectory + 1
        recipe.duration = 0.75 * Double(perTrajectory)
        recipe.testFraction = 0
        recipe.noise = 0
        let data = try Dataset.generate(Dataset.Specification(system: try Catalog.system("doublependulum"), catalogName: "doublependulum", recipe: recipe, seed: 1))
        var lines: [String] = []
        for (type, layers, width, sublayers) in [(SympNet.Kind.g, 8, 50, 1), (.la, 8, 1, 5)] {
            let model = SympNet(dimension: 4, type: type, layers: layers, width: width, sublayers: sublayers, stepSize: 0.75, seed: 0)
            let source = model.batchSource(for: data)
            try source.validate()
            let fixed = source.batch(Array(0..<min(batch, source.count)))
            let optimizer = Adam(learningRate: 1e-3)
            let t = try StepTiming.measure(steps: steps, parameters: model.variables, optimizer: optimizer) { _ in try model.losses(fixed)["mse"]! }
            lines.append(String(format: "sympnet step: %.3f ms (%@, median of %d, batch %d, dim 4, float64; loss %.6g)",
                                t.total, type == .g ? "G, 8 modules of width 50" : "LA, 8 linear modules of 5 sublayers", steps, fixed.rows, t.loss))
        }
        return lines + [String(format: "threads: %d allowed cores, %d blocks per large operation", Parallel.cores, Parallel.count)]
    }
}

import Dynamics
import Foundation
import Learn
import Symbolic

/// `noether bench maml-step`: the workload of `shared/peers/maml_step.py` — one outer step of
/// second-order MAML (Song & Jeong) over a meta-batch of 10 tasks: an HNN H_θ, MLP 4 → 64 → 64 →
/// 1 (tanh, orthogonal weights, zero biases); per task, the log-cosh loss of ẋ on K = 50 support
/// points, one SGD step of rate 1e-3 kept differentiable, the log-cosh loss on K = 50 query
/// points at the adapted parameters; the gradient of the summed query losses through the inner
/// steps (third derivatives of H_θ); one Adam step at 1e-3. float64. The tasks cycle over the
/// peer's three systems (mass-spring, pendulum, double pendulum), from Noether's own datasets
/// embedded in four dimensions (the arithmetic does not depend on the values).
public enum MAMLStepBenchmark {
    public static func run(tasks: Int = 10, K: Int = 50, hidden: Int = 64, steps: Int = 20) throws -> [String] {
        var datasets: [Dataset] = []
        for name in ["harmonic", "pendulum", "doublependulum"] {
            var recipe = try InitialConditions.recipe(for: name, sampler: "songjeong")
            recipe.trajectories = 4
            datasets.append(try Dataset.generate(.init(system: try Catalog.system(name), catalogName: name, recipe: recipe, seed: 1)).padded(toDegreesOfFreedom: 2))
        }
        let sampler = try MetaTaskSampler(datasets, K: K)
        var rng = SeededGenerator(seed: 1)
        let batch = (0..<tasks).map { sampler.task(&rng, system: $0 % 3) }
        let model = HamiltonianNeuralNetwork(dimension: 4, hidden: hidden, layers: 2, initializer: .orthogonal, seed: 0)
        let optimizer = Adam(learningRate: 1e-3)
        let settings = MetaLearning.Settings(innerSteps: 1, innerLearningRate: 1e-3, secondOrder: true)
        let residentBefore = HNNStepBenchmark.memoryKiB("VmHWM")
        func measure(_ settings: MetaLearning.Settings, _ model: HamiltonianNeuralNetwork, _ optimizer: Adam) throws -> (median: Double, loss: Double) {
            var times: [Double] = [], loss = 0.0
            for _ in 0..<(steps + 3) {
                let start = DispatchTime.now().uptimeNanoseconds
                loss = try MetaLearning.step(model, tasks: batch, settings: settings, optimizer: optimizer)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            let timed = times.dropFirst(3).sorted()
            return (timed[timed.count / 2], loss)
        }
        let second = try measure(settings, model, optimizer)
        let peakGrowth = Double(HNNStepBenchmark.memoryKiB("VmHWM") - residentBefore) / 1024
        // What the step must hold at once: on the fused route (this workload), each task's
        // passes and tangents, for as many tasks as run at once; on the graph route, one task's
        // recorded graph (support forward, the differentiable inner gradient, the query loss at
        // the adapted parameters), tasks one after another.
        let fusedBytes = MetaLearning.fusedTaskBytes(model, task: batch[0], settings: settings)
        let graphBytes = try fusedBytes.map { $0 * min(Parallel.count, tasks) } ?? MetaLearning.taskGraphBytes(model, task: batch[0], settings: settings)
        // First order on a fresh copy of the same start: the cost of differentiating through the inner step.
        var firstSettings = settings
        firstSettings.secondOrder = false
        let first = try measure(firstSettings, HamiltonianNeuralNetwork(dimension: 4, hidden: hidden, layers: 2, initializer: .orthogonal, seed: 0), Adam(learningRate: 1e-3))
        return [String(format: "maml step: %.3f ms (median of %d, %d tasks x (%d support + %d query), 4 -> %d -> %d -> 1 tanh, second order, float64; meta-loss %.6g)",
                       second.median, steps, tasks, K, K, hidden, hidden, second.loss),
                String(format: "first-order maml step: %.3f ms (the same, the inner gradient held constant; meta-loss %.6g)", first.median, first.loss),
                String(format: "threads: %d allowed cores, %d blocks per large operation; memory: peak resident growth %.1f MiB; the step holds %.2f MiB at once ",
                       Parallel.cores, Parallel.count, peakGrowth, Double(graphBytes) / 1048576)
                    + (fusedBytes == nil ? "(one task's recorded graph)" : "(fused route: \(min(Parallel.count, tasks)) task(s) at once, each its passes and tangents)")]
    }
}

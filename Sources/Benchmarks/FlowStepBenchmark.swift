import Dynamics
import Foundation
import Learn
import Symbolic

/// `noether bench flow-step`: the workload of `shared/peers/flow_step.py` — one training step of
/// Bondesan & Lamacraft's deep symplectic flow on the Neumann model (n = 3, a = 0.1, 0.2, 0.3):
/// 4 blocks of (zero-center, pre-Iwasawa linear with 2 reflections, two irrotational couplings of
/// width 64), eq. 14 on 256 trajectories × 16 points each (positions on spheres of radius 3, 5
/// and 7), backward to every parameter, Adam at 1e-3. float64.
public enum FlowStepBenchmark {
    public static func run(batch: Int = 256, times: Int = 16, width: Int = 64, couplings: Int = 2, steps: Int = 50) throws -> [String] {
        var recipe = try InitialConditions.recipe(for: "neumann", sampler: "bondesan")
        recipe.trajectories = (batch + 2) / 3
        recipe.samples = max(times, 101)
        recipe.duration = 10
        var spec = Dataset.Specification(system: try Catalog.system("neumann", options: ["n": 3]), catalogName: "neumann", recipe: recipe, seed: 1)
        spec.radii = [3, 5, 7]
        let data = try Dataset.generate(spec)
        let model = SymplecticFlow(dimension: 6, blocks: 4, hidden: width, reflections: 2, couplings: couplings, points: times, seed: 0)
        let source = model.batchSource(for: data)
        let trajectories = data.trajectoryCount
        let points = source.batch((0..<batch).map { $0 % trajectories + trajectories * $0 })
        let θ = model.variables
        let optimizer = Adam(learningRate: 1e-3)
        let t = try StepTiming.measure(steps: steps, parameters: θ, optimizer: optimizer) { _ in try model.losses(points)["circles"]! }
        return [String(format: "flow step: %.2f ms (median of %d, batch %dx%d, width %d, %d couplings per block, float64; loss %.6g)",
                       t.total, steps, batch, times, width, couplings, t.loss),
                String(format: "phases (medians): forward and loss %.2f ms, backward and Adam %.2f ms", t.forward, t.total - t.forward),
                String(format: "threads: %d allowed cores, %d blocks per large operation", Parallel.cores, Parallel.count)]
    }
}
